"""`manage.py migrate`, run as the tables' owner (DATABASE_OWNER_URL); afterwards the
application's role is granted its privileges (defpub/runtime/db_roles.py)."""

from django.core.management.commands.migrate import Command as MigrateCommand

from defpub.runtime.db_roles import owner_session


class Command(MigrateCommand):
    def handle(self, *args, **options):
        with owner_session(options["database"]):
            return super().handle(*args, **options)
