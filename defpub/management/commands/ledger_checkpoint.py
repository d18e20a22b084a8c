"""python manage.py ledger_checkpoint: sign a checkpoint over every published leaf now."""

from django.core.management.base import BaseCommand

from defpub.ledger.services import checkpoint_issue


class Command(BaseCommand):
    help = "Sign a ledger checkpoint now (beat also does this every DEFPUB_CHECKPOINT_SECONDS)."

    def handle(self, *args, **options):
        checkpoint = checkpoint_issue()
        if checkpoint is None:
            self.stdout.write("Nothing published yet; no checkpoint.")
        else:
            self.stdout.write(checkpoint.note, ending="")
