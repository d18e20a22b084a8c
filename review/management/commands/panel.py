"""python manage.py panel add|remove|list [USERNAME ...]"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from defpub.audit.services import audit
from defpub.models import AuditAction
from review.access import panel_group, panelists


class Command(BaseCommand):
    help = "Add users to the review panel, remove them, or list the panel."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["add", "remove", "list"])
        parser.add_argument("usernames", nargs="*")

    def handle(self, *args, action, usernames, **options):
        if action == "list":
            for user in panelists().order_by("username"):
                self.stdout.write(f"{user.username}\t{user.email}")
            return
        if not usernames:
            raise CommandError(f"panel {action} needs at least one username")
        users = {u.username: u for u in get_user_model().objects.filter(username__in=usernames)}
        unknown = [name for name in usernames if name not in users]
        if unknown:
            raise CommandError(f"no such user: {', '.join(unknown)}")
        group = panel_group()
        with transaction.atomic():
            for name in usernames:
                user = users[name]
                if action == "add":
                    user.groups.add(group)
                else:
                    user.groups.remove(group)
                audit(actor=None, action=AuditAction.PANEL_MEMBERSHIP, target=user,
                      change=action, by="command")
        self.stdout.write(f"panel {action}: {', '.join(usernames)}")
