import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.db import InterfaceError, OperationalError
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


PDF_QUEUED_KEY = "defpub:pdf:queued:{}"
PDF_CHUNK = 20  # publications per message: a bulk import of 500 queues 25 messages, not 500
TRANSIENT = (OperationalError, InterfaceError, ConnectionError, TimeoutError)


@shared_task(name="defpub.publication_pdfs", acks_late=True, reject_on_worker_lost=True,
             autoretry_for=TRANSIENT, retry_backoff=5, retry_backoff_max=300, max_retries=8)
def publication_pdfs_task(publication_ids: list[int]) -> int:
    """Make and store the PDFs of these publications from their records (queued after
    publishing, and by the sweeper). Ones already stored are skipped, so a redelivered or
    retried message only finishes the rest."""
    from defpub.publication_pdf import publication_pdf_make

    made = 0
    for pk in publication_ids:
        try:
            publication_pdf_make(publication_id=pk)
            made += 1
        except TRANSIENT:
            raise
        except Exception:  # one bad record must not hold the others back; the sweeper retries
            log.exception("could not make the PDF of publication %s", pk)
    return made


def enqueue_pdfs(publication_ids: list[int]) -> None:
    """Queue PDF making after commit, in chunks; remember what was queued, so the sweeper does
    not queue it again while a long backlog (a bulk import) is still being worked through."""
    queued = []
    for start in range(0, len(publication_ids), PDF_CHUNK):
        chunk = publication_ids[start:start + PDF_CHUNK]
        try:
            publication_pdfs_task.delay(chunk)
        except Exception as error:  # noqa: BLE001 - the sweeper catches up
            log.warning("could not queue %s PDF(s): %s; the sweeper will", len(chunk), error)
            break
        queued.extend(chunk)
    try:
        cache.set_many({PDF_QUEUED_KEY.format(pk): 1 for pk in queued},
                       timeout=settings.DEFPUB_PDF_REQUEUE_MINUTES * 60)
    except Exception as error:  # noqa: BLE001 - at worst the sweeper queues one twice
        log.warning("could not note queued PDFs: %s", error)


@shared_task(name="defpub.pdf_sweep")
def pdf_sweep_task() -> int:
    """Beat: queue the PDF of every publication that still has none a while after publishing
    (a message lost while the broker was down, a worker killed past its retries, publications
    made before stored PDFs existed). Queued ones are left alone for DEFPUB_PDF_REQUEUE_MINUTES."""
    from defpub.models.publications import DocumentKind
    from defpub.selectors import publications_without_document

    older_than = timezone.now() - timedelta(minutes=settings.DEFPUB_PDF_SWEEP_MINUTES)
    ids = publications_without_document(kind=DocumentKind.PDF, older_than=older_than,
                                        limit=settings.DEFPUB_PDF_SWEEP_BATCH * 10)
    queued = cache.get_many([PDF_QUEUED_KEY.format(pk) for pk in ids])
    due = [pk for pk in ids if PDF_QUEUED_KEY.format(pk) not in queued]
    due = due[: settings.DEFPUB_PDF_SWEEP_BATCH]
    if due:
        enqueue_pdfs(due)
        log.info("queued %s missing PDF(s)", len(due))
    return len(due)
