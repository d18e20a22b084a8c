"""The PDF of a publication, rendered once and kept: a publication never changes."""

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from defpub import selectors
from defpub.models import Publication
from defpub.models.disclosures import AttachmentRole
from defpub.pdf import Figure, render_publication_pdf

PDF_FORMAT = "v2"  # bump when the layout changes, so kept PDFs are made again


def publication_pdf(publication: Publication, request=None) -> bytes:
    path = f"pdf/{publication.number}-{PDF_FORMAT}.pdf"
    if default_storage.exists(path):
        with default_storage.open(path, "rb") as handle:
            return handle.read()
    pdf = _render(publication, request)
    if not default_storage.exists(path):  # two first requests at once: keep one
        default_storage.save(path, ContentFile(pdf))
    return pdf


def _render(publication: Publication, request) -> bytes:
    figures = []
    for attachment in selectors.publication_files(publication):
        if attachment.role == AttachmentRole.FIGURE:
            with attachment.file.open("rb") as handle:
                figures.append(Figure(name=attachment.display_name,
                                      media_type=attachment.media_type,
                                      content=handle.read(), sha256=attachment.sha256))
    document = selectors.publication_document(publication, request)
    return render_publication_pdf(
        publication={
            "number": publication.number,
            "published_at": publication.record["published_at"],
            "digest": publication.digest,
            "url": document["url"],
            "organisation": publication.organisation.name,
            "corrects": document["corrects"],
            "ledger": document["ledger"],
        },
        record=publication.record,
        canonical_json=selectors.record_bytes(publication),
        figures=figures,
    )
