from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

BEAT_HEARTBEAT_KEY = "defpub:beat:last"


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
