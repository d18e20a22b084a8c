"""The search page's citation exports: /search/export.<ris|bibtex|csv>?<the page's query>.

The same files as the API's ?format= exports (search.api.citations), for the top EXPORT
results of the search the page shows. They spend the visitor's own quota (a signed-in user's
key or per-user quota, else the address's) and, when it is spent, answer with a page in the
visitor's language instead of the API's JSON.

The query is the page's own parameters (q or like, and the filters), or `saved=<key>` for a
search saved behind /search/q/<key> (pasted claims too long for a link).
"""

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from defpub.examiners.quotas import quota_peek, quota_refused, web_caller, web_quota
from search import engine, selectors
from search.api.citations import CITATION_RENDERERS, entry
from search.forms import SearchForm

EXPORT = 100  # results in an export (the API's largest page)
FILTERS = ("before", "ipc", "lang", "date_field")  # those the form has are passed on
RENDERERS = {renderer.format: renderer for renderer in CITATION_RENDERERS}
SUFFIX = {"ris": "ris", "bibtex": "bib", "csv": "csv"}


@require_GET
@web_quota(always=True)
def search_export(request, fmt: str):
    renderer = RENDERERS.get(fmt)
    form = SearchForm(_query(request))
    if renderer is None or not form.is_valid() or not (form.cleaned_data["q"]
                                                       or form.cleaned_data["like"]):
        return _refused(request, form, fmt_known=renderer is not None)
    data = form.cleaned_data
    filters = {name: data[name] or None for name in FILTERS if name in data}
    if data["q"]:  # a typed query replaces "more like this", as on the page
        results = engine.search(data["q"], **filters, limit=EXPORT)
    elif selectors.publication_exists(data["like"]):
        results = engine.more_like_this(data["like"], **filters, limit=EXPORT)
    else:
        raise Http404
    by_number = selectors.publications_by_number([r.number for r in results])
    entries = [entry(by_number[r.number], request, rank=rank, score=round(r.fused, 6))
               for rank, r in enumerate(results, start=1) if r.number in by_number]
    body = renderer().render({"citations": entries})
    response = HttpResponse(body, content_type=f"{renderer.media_type}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="defpub-results.{SUFFIX[fmt]}"'
    return response


def _query(request) -> dict:
    """The search to export: a saved query's text and filters, or the request's parameters."""
    key = request.GET.get("saved", "")
    if not key:
        return request.GET
    saved = selectors.saved_query_by_key(key=key[:64])
    if saved is None:
        raise Http404
    return {**saved.filters, "q": saved.text}


def _refused(request, form: SearchForm, *, fmt_known: bool):
    if not fmt_known:
        message = _("Citations can be exported as RIS, BibTeX or CSV only.")
    elif form.is_valid():
        message = _("Nothing to export: search for something first.")
    else:
        message = " ".join(str(error) for errors in form.errors.values() for error in errors)
    return render(request, "search/export_refused.html", {"message": message}, status=400)


@require_GET
def quota_page(request):
    """Where an htmx search refused for quota sends the browser: the refusal page while the
    quota is spent (viewing it costs nothing), else back to the search."""
    target = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        target = reverse("search")
    quota = quota_peek(caller=web_caller(request))
    if quota is None or quota.remaining > 0:
        return redirect(target)
    response = quota_refused(request, quota, again=target)
    for name, value in quota.headers().items():
        response[name] = value
    return response
