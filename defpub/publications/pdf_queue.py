"""Queueing PDF making (after publishing, and by the sweeper), remembering what was queued."""

import logging

from django.conf import settings
from django.core.cache import cache

from defpub.queueing import send

PDF_QUEUED_KEY = "defpub:pdf:queued:{}"
PDF_CHUNK = 20  # publications per message: a bulk import of 500 queues 25 messages, not 500
log = logging.getLogger(__name__)


def enqueue_pdfs(publication_ids: list[int]) -> None:
    """Queue PDF making after commit, in chunks; remember what was queued, so the sweeper does
    not queue it again while a long backlog (a bulk import) is still being worked through."""
    queued = []
    for start in range(0, len(publication_ids), PDF_CHUNK):
        chunk = publication_ids[start:start + PDF_CHUNK]
        try:
            send("defpub.publication_pdfs", chunk)  # defpub.tasks.publication_pdfs_task
        except Exception as error:  # noqa: BLE001 - the sweeper catches up
            log.warning("could not queue %s PDF(s): %s; the sweeper will", len(chunk), error)
            break
        queued.extend(chunk)
    try:
        cache.set_many({PDF_QUEUED_KEY.format(pk): 1 for pk in queued},
                       timeout=settings.DEFPUB_PDF_REQUEUE_MINUTES * 60)
    except Exception as error:  # noqa: BLE001 - at worst the sweeper queues one twice
        log.warning("could not note queued PDFs: %s", error)
