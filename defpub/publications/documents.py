"""The PDF of a publication: made once, by a worker, from the record and its ledger proof alone,
then stored with its digest and served as stored.

Nothing here reads a live row that can change: the organisation's name, the title, the
correction link and the figures' names all come from Publication.record, whose digest the
ledger holds. Figures are the files the record names by SHA-256, and each is checked against
that digest before it is drawn. The proof is the one of the first checkpoint that covers the
leaf, as it stands when the PDF is made; the PDF keeps it. See docs/security.md.
"""

import hashlib
import logging

from django.db import IntegrityError, transaction

from defpub.audit.models import AuditAction
from defpub.audit.services import audit
from defpub.filing.models import Attachment, AttachmentRole
from defpub.ledger.services import publication_ledger_signed
from defpub.publications import selectors
from defpub.publications.canonical import canonical_bytes, record_digest
from defpub.publications.models import DocumentKind, Publication, PublicationDocument
from defpub.publications.pdf import Figure, render_publication_pdf

log = logging.getLogger(__name__)


class RecordMismatchError(ValueError):
    """The stored record no longer hashes to the publication's digest: refuse to print it."""


def publication_pdf_inputs(publication: Publication) -> dict:
    """Everything render_publication_pdf needs, taken from the record and its proof."""
    record = publication.record
    canonical = canonical_bytes(record)
    if record_digest(record) != publication.digest or record["number"] != publication.number:
        raise RecordMismatchError(f"{publication.number}: the record does not match its digest")
    return {
        "publication": {
            "number": record["number"],
            "published_at": record["published_at"],
            "digest": publication.digest,
            "url": selectors.public_url(f"/p/{record['number']}"),
            "organisation": record["organisation"]["name"],
            "corrects": record.get("corrects"),
            "ledger": publication_ledger_signed(publication),  # a worker: may sign
        },
        "record": record,
        "canonical_json": canonical,
        "figures": _figures(record),
    }


def _figures(record: dict) -> list[Figure]:
    figures = []
    for item in record.get("attachments") or []:
        if item.get("role") != AttachmentRole.FIGURE:
            continue
        stored = Attachment.objects.filter(sha256=item["sha256"]).first()  # content-addressed
        if stored is None:
            raise RecordMismatchError(f"figure {item['sha256']} is missing from storage")
        with stored.file.open("rb") as handle:
            content = handle.read()
        if hashlib.sha256(content).hexdigest() != item["sha256"]:
            raise RecordMismatchError(f"figure {item['sha256']} does not match its digest")
        figures.append(Figure(name=item["name"], media_type=item["media_type"],
                              content=content, sha256=item["sha256"]))
    return figures


def publication_pdf_make(*, publication_id: int) -> PublicationDocument:
    """Render and store the publication's PDF unless it is stored already. Safe to run twice
    or at once: the first row stored is the PDF, for ever (the table is append-only)."""
    stored = selectors.publication_document_stored(publication_id=publication_id,
                                                   kind=DocumentKind.PDF)
    if stored is not None:
        return stored
    publication = Publication.objects.select_related("organisation").get(pk=publication_id)
    inputs = publication_pdf_inputs(publication)
    content = render_publication_pdf(**inputs)
    document = PublicationDocument(
        publication=publication, kind=DocumentKind.PDF, content=content,
        sha256=hashlib.sha256(content).hexdigest(),
        tree_size=(inputs["publication"]["ledger"] or {}).get("tree_size"),
    )
    try:
        with transaction.atomic():
            document.save()
            audit(actor=None, action=AuditAction.PUBLICATION_PDF, target=publication,
                  organisation=publication.organisation, sha256=document.sha256,
                  size=len(content), tree_size=document.tree_size)
    except IntegrityError:
        stored = selectors.publication_document_stored(publication_id=publication_id,
                                                       kind=DocumentKind.PDF)
        if stored is None:
            raise
        return stored  # another worker stored it first: theirs is the PDF
    log.info("stored the PDF of %s (%s bytes)", publication.number, len(content))
    return document
