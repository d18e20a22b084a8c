from django.apps import AppConfig
from django.db.models.signals import post_migrate


class DefpubConfig(AppConfig):
    name = "defpub"
    verbose_name = "DefPub"

    def ready(self) -> None:
        from defpub import checks  # noqa: F401  (registers the pgvector check)
        from defpub.audit.admin import audit_every_admin
        from defpub.celery import app  # noqa: F401  (binds @shared_task to our app)
        from defpub.runtime import db_roles

        audit_every_admin()  # django.contrib.admin is first in INSTALLED_APPS: all registered
        # After every migrate (and flush), grant the application's role afresh.
        post_migrate.connect(db_roles.grant_after_migrate, sender=self)
