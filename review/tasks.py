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


# -- feeds (review/feeds.py): beat's scan, the import, each filing's screening, the mail ----


@shared_task(name="review.feed_scan")
def feed_scan_task() -> list[int]:
    from review.feeds import feed_scan

    return feed_scan()


@shared_task(name="review.feed_run", acks_late=True, reject_on_worker_lost=True,
             autoretry_for=TRANSIENT, retry_backoff=5, max_retries=5,
             time_limit=6 * 3600, soft_time_limit=6 * 3600 - 60)
def feed_run_task(feed_id: int) -> str | None:
    """Import one feed's file (a weekly file takes minutes, hence its own time limit)."""
    from review.feeds import feed_run

    feed = feed_run(feed_id=feed_id)
    return feed.status if feed else None


@shared_task(name="review.screen_feed_filing", acks_late=True, reject_on_worker_lost=True,
             autoretry_for=TRANSIENT, retry_backoff=5, max_retries=5)
def screen_feed_filing_task(feed_id: int, filing_id: int) -> bool:
    from review.feeds import feed_filing_screen

    return feed_filing_screen(feed_id=feed_id, filing_id=filing_id)


@shared_task(bind=True, name="review.feed_mail", max_retries=None)
def feed_mail_task(self, feed_id: int) -> str:
    """Retried with a doubling delay on errors a mail server can recover from; then given
    up (logged): the feed itself is done whatever happens here."""
    import logging
    import smtplib

    from django.conf import settings

    from review.feed_mail import feed_mail_send

    try:
        return f"sent {feed_mail_send(feed_id=feed_id)}"
    except (smtplib.SMTPException, OSError) as error:
        if self.request.retries >= settings.DEFPUB_MAIL_RETRIES:
            logging.getLogger(__name__).warning("feed %s: mail not sent: %s", feed_id, error)
            return "failed"
        delay = settings.DEFPUB_MAIL_RETRY_SECONDS * 2 ** self.request.retries
        raise self.retry(exc=error, countdown=delay, max_retries=None) from error
