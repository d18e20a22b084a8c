"""The Celery app; settings come from Django's, prefixed CELERY_."""

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "defpub.settings.base")

app = Celery("defpub")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.worker_process_init.connect
def warm_pool_process(**kwargs) -> None:
    """Each prefork pool process loads the models before it reports itself up, so the pool
    gives it no task while it is cold (CELERY_WORKER_PROC_ALIVE_TIMEOUT allows for it).
    Loaded after the fork, never in the parent: torch's OpenMP pool does not survive one."""
    from django.conf import settings

    from defpub.runtime import readiness

    if settings.DEFPUB_WARM_UP:
        readiness.run()
