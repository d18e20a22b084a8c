"""`manage.py flush`, run as the tables' owner: the application's role may not empty the
append-only tables (the tests' transactional cases flush through this too)."""

from django.core.management.commands.flush import Command as FlushCommand

from defpub.runtime.db_roles import owner_session


class Command(FlushCommand):
    def handle(self, **options):
        with owner_session(options["database"]):
            return super().handle(**options)
