from django.apps import AppConfig


class DefpubConfig(AppConfig):
    name = "defpub"
    verbose_name = "DefPub"

    def ready(self) -> None:
        from defpub import checks  # noqa: F401  (registers the pgvector check)
        from defpub.admin_audit import audit_every_admin
        from defpub.celery import app  # noqa: F401  (binds @shared_task to our app)

        audit_every_admin()  # django.contrib.admin is first in INSTALLED_APPS: all registered
