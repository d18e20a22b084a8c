"""Thin Celery wrappers around search.services."""

import logging

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from defpub.queueing import enqueue
from search.selectors import publications_to_requeue
from search.services import index_requeue, publication_index, publication_index_failed

log = logging.getLogger(__name__)
TRANSIENT = (OperationalError, InterfaceError, ConnectionError, TimeoutError)


@shared_task(
    name="search.index_publication",
    bind=True,
    acks_late=True,  # a worker that dies mid-task leaves the message to be redelivered
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT,
    retry_backoff=5,
    retry_backoff_max=300,
    max_retries=8,
)
def index_publication_task(self, publication_id: int, models: list[str] | None = None) -> int:
    try:
        return publication_index(publication_id=publication_id, models=models).passages
    except TRANSIENT:
        if self.request.retries >= self.max_retries:
            publication_index_failed(publication_id=publication_id, error="gave up retrying")
        raise
    except Exception as error:
        log.exception("indexing publication %s failed", publication_id)
        publication_index_failed(publication_id=publication_id, error=repr(error))
        raise


@shared_task(name="search.sweep")
def sweep_task() -> int:
    """Beat: re-queue whatever was published but is still not indexed after a while (a message
    lost while the broker was down, a worker killed past its retries)."""
    ids = publications_to_requeue(older_than_minutes=settings.SEARCH_SWEEP_MINUTES)
    if ids:
        index_requeue(publication_ids=ids)
        for pk in ids:
            enqueue(index_publication_task, pk)
        log.info("re-queued %s publication(s) for indexing", len(ids))
    return len(ids)
