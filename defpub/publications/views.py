"""Public, permanent pages of publications; anyone may read them, nobody may change them."""

import base64
import json

from django.contrib.syndication.views import Feed
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from defpub.filing.models import AttachmentRole
from defpub.ledger.selectors import ledger_status
from defpub.publications import selectors
from defpub.publications.citation import LANGUAGES
from defpub.publications.models import DocumentKind
from defpub.publications.pdf import INLINE_IMAGE_TYPES

PERMANENT = "public, max-age=86400, immutable"
PDF_RETRY_AFTER = 60  # seconds; a worker makes the PDF within moments of publishing


@require_GET
def publication_page(request, number: str):
    publication = selectors.publication_by_number(number)
    files = selectors.publication_files(publication)
    page_language = "zh" if (get_language() or "").startswith("zh") else "en"
    today = timezone.now().date()
    citations = [
        {"language": language,
         "text": selectors.citation(publication, request, language=language, retrieved=today)}
        for language in sorted(LANGUAGES, key=lambda code: code != page_language)
    ]
    response = render(request, "public/publication.html", {
        "publication": publication,
        "record": publication.record,
        "citation": citations[0],
        "other_citations": citations[1:],
        "files": files,
        "figures": [f for f in files if f.role == AttachmentRole.FIGURE
                    and f.media_type in INLINE_IMAGE_TYPES],
        "corrected_by": publication.corrected_by.order_by("published_at"),
        "permanent_url": selectors.public_url(publication.get_absolute_url(), request),
        "ledger": ledger_status(publication),
    })
    return response


@require_GET
def publication_json(request, number: str):
    publication = selectors.publication_by_number(number)
    body = json.dumps(selectors.publication_document(publication, request), ensure_ascii=False,
                      indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
def publication_pdf_view(request, number: str):
    """The stored PDF, byte for byte (ETag = its SHA-256); 503 until a worker has made it."""
    publication = selectors.publication_by_number(number)
    digest = selectors.publication_document_digest(publication=publication, kind=DocumentKind.PDF)
    if digest is None:
        response = render(request, "public/pdf_pending.html", {"number": publication.number},
                          status=503)
        response["Retry-After"] = str(PDF_RETRY_AFTER)
        response["Cache-Control"] = "no-store"
        return response
    etag = f'"{digest}"'
    not_modified = get_conditional_response(request, etag=etag)
    if not_modified is not None:
        not_modified["Cache-Control"] = PERMANENT
        return not_modified
    document = selectors.publication_document_stored(publication_id=publication.pk,
                                                     kind=DocumentKind.PDF)
    response = HttpResponse(bytes(document.content), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{publication.number}.pdf"'
    response["ETag"] = etag
    response["Cache-Control"] = PERMANENT
    response["Repr-Digest"] = f"sha-256=:{base64.b64encode(bytes.fromhex(digest)).decode()}:"
    return response


@require_GET
def publication_file(request, number: str, sha256: str):
    publication = selectors.publication_by_number(number)
    for attachment in selectors.publication_files(publication):
        if attachment.sha256 == sha256:
            response = FileResponse(attachment.file.open("rb"), as_attachment=True,
                                    filename=attachment.display_name,
                                    content_type=attachment.media_type)
            response["X-Content-Type-Options"] = "nosniff"
            response["Content-Security-Policy"] = "default-src 'none'; sandbox"
            response["Cache-Control"] = PERMANENT
            return response
    raise Http404


@require_GET
def publication_list(request):
    page = Paginator(selectors.recent_publications(), 25).get_page(request.GET.get("page"))
    return render(request, "public/publication_list.html", {"page": page})


class RecentPublicationsFeed(Feed):
    feed_type = Atom1Feed
    title = _("DefPub: recent defensive publications")
    subtitle = _("Technical disclosures published as prior art")
    link = "/p/"

    def items(self):
        return selectors.recent_publications()[:50]

    def item_title(self, item):
        return f"{item.number}: {' / '.join(item.record['title'].values())}"

    def item_description(self, item):
        return "\n\n".join(item.record["abstract"].values())

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return item.published_at

    def item_author_name(self, item):
        return item.record["organisation"]["name"]

    def item_guid(self, item):
        return item.number

    item_guid_is_permalink = False
