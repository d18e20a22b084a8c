"""python manage.py index_status [--wait SECONDS]: how many publications are not searchable yet.

With --wait, exits 0 as soon as the backlog is empty and 1 if it is not after SECONDS.
"""

import time

from django.core.management.base import BaseCommand, CommandError

from search.models import IndexState, IndexStatus
from search.selectors import index_backlog


class Command(BaseCommand):
    help = "Report the indexing backlog; --wait SECONDS waits for it to empty."

    def add_arguments(self, parser):
        parser.add_argument("--wait", type=float, default=None, metavar="SECONDS")

    def handle(self, *args, wait, **options):
        deadline = time.monotonic() + (wait or 0)
        backlog = index_backlog()
        while backlog and wait is not None and time.monotonic() < deadline:
            time.sleep(0.5)
            backlog = index_backlog()
        failed = IndexState.objects.filter(status=IndexStatus.FAILED).count()
        self.stdout.write(f"backlog: {backlog} publication(s) not indexed"
                          + (f" ({failed} failed)" if failed else ""))
        if backlog and wait is not None:
            raise CommandError(f"still {backlog} not indexed after {wait:g} s")
