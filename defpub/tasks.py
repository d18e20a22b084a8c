import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from defpub.publications.pdf_queue import PDF_QUEUED_KEY, enqueue_pdfs
from defpub.queueing import enqueue  # noqa: F401  (its old home; import it from defpub.queueing)

BEAT_HEARTBEAT_KEY = "defpub:beat:last"
log = logging.getLogger(__name__)


@shared_task(name="defpub.heartbeat", ignore_result=False)
def heartbeat() -> str:
    """Scheduled by beat: proves beat, broker and a worker all move. /healthz reads it."""
    now = timezone.now().isoformat()
    cache.set(BEAT_HEARTBEAT_KEY, now, timeout=None)
    return now


@shared_task(name="defpub.publish_due")
def publish_due_task() -> list[str]:
    """Scheduled by beat every minute: publish approved disclosures whose embargo has passed."""
    from defpub.publications.services import publish_due

    return publish_due()


@shared_task(name="defpub.ledger_checkpoint", autoretry_for=(Exception,), retry_backoff=True,
             max_retries=5)
def ledger_checkpoint_task() -> int | None:
    """Sign a checkpoint over every published leaf (beat, and after each publication)."""
    from defpub.ledger.services import checkpoint_issue

    checkpoint = checkpoint_issue()
    return checkpoint.size if checkpoint else None


# -- mail: invitations and account mails, sent after commit ------------------------------------
# Retried with a doubling delay on errors a mail server or a network can recover from
# (SMTPException, OSError); a mail the backend refuses outright (a bad header is a ValueError)
# is not retried. (Imports are local: this section is merged with other helpers' tasks.)


def _mail_retryable() -> tuple[type[BaseException], ...]:
    import smtplib

    return (smtplib.SMTPException, OSError)


def _mail_retry(task, error: BaseException):
    from django.conf import settings

    delay = settings.DEFPUB_MAIL_RETRY_SECONDS * 2 ** task.request.retries
    return task.retry(exc=error, countdown=delay, max_retries=settings.DEFPUB_MAIL_RETRIES)


def _mail_final(task) -> bool:
    from django.conf import settings

    return task.request.retries >= settings.DEFPUB_MAIL_RETRIES


@shared_task(bind=True, name="defpub.send_invitation", max_retries=None)
def send_invitation_task(self, invitation_id: int, accept_url_base: str,
                         language: str = "en") -> str:
    """Mail one invitation; the invitation row records sent, retrying or failed."""
    from django.utils import translation

    from defpub.organisations.invitations import invitation_mail_failed, invitation_mail_send

    try:
        with translation.override(language):
            sent = invitation_mail_send(invitation_id=invitation_id,
                                        accept_url_base=accept_url_base)
        return "sent" if sent else "skipped"
    except _mail_retryable() as error:
        final = _mail_final(self)
        invitation_mail_failed(invitation_id=invitation_id, error=error, final=final)
        if final:
            log.warning("invitation %s: giving up after %s tries: %s", invitation_id,
                        self.request.retries + 1, error)
            return "failed"
        raise _mail_retry(self, error) from error
    except ValueError as error:  # BadHeaderError and the like: trying again cannot help
        invitation_mail_failed(invitation_id=invitation_id, error=error, final=True)
        log.warning("invitation %s: the mail was refused: %s", invitation_id, error)
        return "failed"


@shared_task(bind=True, name="defpub.send_account_mail", max_retries=None)
def send_account_mail_task(self, kind: str, email: str, user_id: int | None, username: str,
                           site: str, language: str = "en") -> str:
    """Mail a sign-up answer or an address confirmation link."""
    from django.utils import translation

    from defpub.accounts.services import account_mail_send

    try:
        with translation.override(language):
            sent = account_mail_send(kind=kind, email=email, user_id=user_id,
                                     username=username, site=site)
        return "sent" if sent else "skipped"
    except _mail_retryable() as error:
        if _mail_final(self):
            log.warning("%s mail to %s: giving up: %s", kind, email, error)
            return "failed"
        raise _mail_retry(self, error) from error


TRANSIENT = (OperationalError, InterfaceError, ConnectionError, TimeoutError)


@shared_task(name="defpub.publication_pdfs", acks_late=True, reject_on_worker_lost=True,
             autoretry_for=TRANSIENT, retry_backoff=5, retry_backoff_max=300, max_retries=8)
def publication_pdfs_task(publication_ids: list[int]) -> int:
    """Make and store the PDFs of these publications from their records (queued after
    publishing, and by the sweeper). Ones already stored are skipped, so a redelivered or
    retried message only finishes the rest."""
    from defpub.publications.documents import publication_pdf_make

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


@shared_task(name="defpub.pdf_sweep")
def pdf_sweep_task() -> int:
    """Beat: queue the PDF of every publication that still has none a while after publishing
    (a message lost while the broker was down, a worker killed past its retries, publications
    made before stored PDFs existed). Queued ones are left alone for DEFPUB_PDF_REQUEUE_MINUTES."""
    from defpub.publications.models import DocumentKind
    from defpub.publications.selectors import publications_without_document

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
