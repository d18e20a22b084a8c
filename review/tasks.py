"""Thin Celery wrappers around review's services (queue `screening`, settings
CELERY_TASK_ROUTES)."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from review.models import Filing
from review.screening import filing_screen

TRANSIENT = (OperationalError, InterfaceError, ConnectionError, TimeoutError)


@shared_task(name="review.screen_filing", acks_late=True, reject_on_worker_lost=True,
             autoretry_for=TRANSIENT, retry_backoff=5, max_retries=5)
def screen_filing_task(filing_id: int) -> dict:
    """Screen one filing; returns what the command's progress shows."""
    filing = Filing.objects.filter(pk=filing_id).first()
    if filing is None:
        return {"filing": filing_id, "claims": 0, "suspected": False, "missing": True}
    results = filing_screen(filing=filing)
    return {"filing": filing_id, "claims": len(results),
            "suspected": any(result.suspected for result in results)}
