import logging

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

BEAT_HEARTBEAT_KEY = "defpub:beat:last"
log = logging.getLogger(__name__)


def enqueue(task, *args) -> None:
    """Queue a task after commit; a broker outage must not fail the write that queued it
    (beat's periodic tasks pick the work up later)."""
    try:
        task.delay(*args)
    except Exception as error:  # noqa: BLE001 - kombu raises many kinds of connection errors
        log.warning("could not queue %s: %s; beat will catch up", task.name, error)


@shared_task(name="defpub.heartbeat", ignore_result=False)
def heartbeat() -> str:
    """Scheduled by beat: proves beat, broker and a worker all move. /healthz reads it."""
    now = timezone.now().isoformat()
    cache.set(BEAT_HEARTBEAT_KEY, now, timeout=None)
    return now


@shared_task(name="defpub.publish_due")
def publish_due_task() -> list[str]:
    """Scheduled by beat every minute: publish approved disclosures whose embargo has passed."""
    from defpub.services.publication import publish_due

    return publish_due()


@shared_task(name="defpub.ledger_checkpoint", autoretry_for=(Exception,), retry_backoff=True,
             max_retries=5)
def ledger_checkpoint_task() -> int | None:
    """Sign a checkpoint over every published leaf (beat, and after each publication)."""
    from defpub.ledger.services import checkpoint_issue

    checkpoint = checkpoint_issue()
    return checkpoint.size if checkpoint else None
