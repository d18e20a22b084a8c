"""Publishing: number, UTC time, digest and ledger leaf, all in one transaction."""

import logging

from django.db import connection, transaction
from django.db.models import Prefetch
from django.utils import timezone

from defpub.audit.models import AuditAction, AuditEvent
from defpub.filing.models import Attachment, Disclosure, Status
from defpub.filing.workflow import WorkflowError, ensure_allowed
from defpub.ledger.store import LedgerAppender, lock_for_append
from defpub.organisations.models import Membership
from defpub.permissions import require_admin
from defpub.publications.canonical import build_record, canonical_bytes, record_digest
from defpub.publications.models import Publication
from defpub.publications.pdf_queue import enqueue_pdfs
from defpub.queueing import enqueue
from defpub.signals import publications_published

log = logging.getLogger(__name__)


def allocate_numbers(*, year: int, count: int) -> list[str]:
    """The next `count` numbers DP-YYYY-NNNNNN; gap-free, as the counter moves in this
    transaction and rolls back with it."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO defpub_publicationcounter (year, last) VALUES (%s, %s) "
            "ON CONFLICT (year) DO UPDATE SET last = defpub_publicationcounter.last + %s "
            "RETURNING last",
            [year, count, count],
        )
        last = cursor.fetchone()[0]
    return [f"DP-{year}-{sequence:06d}" for sequence in range(last - count + 1, last + 1)]


@transaction.atomic
def disclosure_publish(*, disclosure: Disclosure, by=None) -> Publication:
    """Publish one approved disclosure. `by` None means the scheduler (embargo reached)."""
    lock_for_append()  # before reading the state, so two publishers cannot both see "approved"
    disclosure = Disclosure.objects.select_for_update().get(pk=disclosure.pk)
    if by is not None:
        require_admin(Membership.objects.get(user=by, organisation=disclosure.organisation_id))
    ensure_allowed(disclosure=disclosure, action="publish")
    return publish_batch(disclosures=[disclosure], by=by)[0]


@transaction.atomic
def publish_batch(*, disclosures: list[Disclosure], by=None, via: str = "") -> list[Publication]:
    """Publish approved disclosures in the given order, one ledger leaf each.

    The caller has checked permissions and states; this takes the append lock, so numbers
    and leaves are consecutive and in publication order.
    """
    lock_for_append()
    ids = [d.pk for d in disclosures]
    loaded = Disclosure.objects.select_related("organisation", "corrects").prefetch_related(
        Prefetch("attachments", queryset=Attachment.objects.order_by("position", "id"))
    ).in_bulk(ids)
    published_at = timezone.now().replace(microsecond=0)
    numbers = allocate_numbers(year=published_at.year, count=len(ids))
    ledger = LedgerAppender()
    publications = []
    for number, pk in zip(numbers, ids, strict=True):
        disclosure = loaded[pk]
        if disclosure.status != Status.APPROVED:
            raise WorkflowError(disclosure=disclosure, action="publish")
        record = build_record(disclosure=disclosure, number=number, published_at=published_at)
        publications.append(Publication(
            number=number, disclosure=disclosure, organisation=disclosure.organisation,
            published_at=published_at, digest=record_digest(record), record=record,
            leaf_index=ledger.append(canonical_bytes(record)), corrects=disclosure.corrects,
        ))
    ledger.flush()
    Publication.objects.bulk_create(publications)
    Disclosure.objects.filter(pk__in=ids).update(status=Status.PUBLISHED, updated_at=published_at)
    AuditEvent.objects.bulk_create([
        AuditEvent(
            actor=by, action=AuditAction.DISCLOSURE_PUBLISH, organisation=p.organisation,
            target_type="defpub.disclosure", target_id=str(p.disclosure_id),
            data={"number": p.number, "digest": p.digest, **({"via": via} if via else {})},
        )
        for p in publications
    ])
    log.info("published %s", ", ".join(numbers) if len(numbers) < 5 else f"{len(numbers)} records")
    # On commit, in this order: the checkpoint, whatever subscribers queue (search: indexing),
    # then the PDFs. Subscribers' rows (search: index states) commit with the publications.
    transaction.on_commit(lambda: enqueue("defpub.ledger_checkpoint"))
    publications_published.send(sender=Publication, publications=publications,
                                publication_ids=[p.pk for p in publications])
    # The PDF is made by a worker from the record, never in the publishing transaction.
    transaction.on_commit(lambda: enqueue_pdfs([p.pk for p in publications]))
    return publications


def publish_due(*, now=None) -> list[str]:
    """Publish every approved disclosure whose embargo has passed; returns the numbers."""
    now = now or timezone.now()
    numbers = []
    due = Disclosure.objects.filter(status=Status.APPROVED, publish_at__lte=now)
    for disclosure in due.order_by("publish_at", "pk"):
        try:
            numbers.append(disclosure_publish(disclosure=disclosure).number)
        except WorkflowError:
            continue  # its state changed meanwhile (returned to draft); nothing to do
    return numbers
