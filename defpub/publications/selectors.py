"""Reads of published records, for the public pages, feeds and (later) the API."""

from datetime import date

from django.conf import settings
from django.http import Http404

from defpub.filing.models import Attachment
from defpub.ledger.selectors import publication_ledger
from defpub.publications.canonical import record_bytes  # noqa: F401  (its old home)
from defpub.publications.citation import citation_text
from defpub.publications.models import Publication, PublicationDocument


def public_url(path: str, request=None) -> str:
    """An absolute URL on the public site: DEFPUB_PUBLIC_URL, else the request's host."""
    if settings.DEFPUB_PUBLIC_URL:
        return settings.DEFPUB_PUBLIC_URL + path
    if request is not None:
        return request.build_absolute_uri(path)
    return path


def publication_by_number(number: str) -> Publication:
    publication = (
        Publication.objects.select_related("organisation", "corrects")
        .filter(number=number.upper())
        .first()
    )
    if publication is None:
        raise Http404
    return publication


def publication_files(publication: Publication) -> list[Attachment]:
    """The files whose digests the record names, in the record's order."""
    by_digest = {a.sha256: a for a in publication.disclosure.attachments.all()}
    return [by_digest[item["sha256"]] for item in publication.record["attachments"]
            if item["sha256"] in by_digest]


def publication_document(publication: Publication, request=None) -> dict:
    """What /p/<number>.json serves: the record, its digest, its ledger proof and where things
    live. Only `corrected_by` (later publications, themselves immutable) is not in the record."""
    url = public_url(publication.get_absolute_url(), request)
    return {
        "number": publication.number,
        "url": url,
        "published_at": publication.record["published_at"],
        "digest": {"algorithm": "sha256", "canonicalization": "RFC 8785",
                   "value": publication.digest},
        "record": publication.record,
        "ledger": publication_ledger(publication),
        "corrects": publication.record.get("corrects"),
        "corrected_by": list(publication.corrected_by.values_list("number", flat=True)),
        "files": [
            {"sha256": item["sha256"], "name": item["name"],
             "url": f"{url}/files/{item['sha256']}"}
            for item in publication.record["attachments"]
        ],
        "links": {"html": url, "json": f"{url}.json", "pdf": f"{url}.pdf"},
    }


def citation(publication: Publication, request=None, *, language: str = "en",
             retrieved: date | None = None) -> str:
    """A non-patent-literature citation in the manner of WIPO ST.14, in English or Chinese."""
    return citation_text(
        record=publication.record, number=publication.number, digest=publication.digest,
        url=public_url(publication.get_absolute_url(), request), language=language,
        retrieved=retrieved,
    )


def recent_publications():
    return Publication.objects.select_related("organisation").order_by("-published_at", "-id")


def publication_document_stored(*, publication_id: int, kind: str) -> PublicationDocument | None:
    return PublicationDocument.objects.filter(publication_id=publication_id, kind=kind).first()


def publication_document_digest(*, publication: Publication, kind: str) -> str | None:
    """The stored document's SHA-256, without loading its bytes (for ETag checks)."""
    return (PublicationDocument.objects.filter(publication=publication, kind=kind)
            .values_list("sha256", flat=True).first())


def publications_without_document(*, kind: str, older_than, limit: int) -> list[int]:
    """Publications published before `older_than` that still lack the document, oldest first."""
    return list(
        Publication.objects.filter(published_at__lt=older_than)
        .exclude(documents__kind=kind)
        .order_by("published_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
