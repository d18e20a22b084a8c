"""The search page's citation exports: /search/export.<ris|bibtex|csv>?<the page's query>.

The same files as the API's ?format= exports (search.api.citations), for the top EXPORT
results of the search the page shows. They spend the visitor's own quota (a signed-in user's
key or per-user quota, else the address's) and, when it is spent, answer with a page in the
visitor's language instead of the API's JSON.
"""

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from defpub.models import Publication
from search import engine
from search.api.citations import CITATION_RENDERERS, entry
from search.api.quotas import web_quota
from search.forms import SearchForm

EXPORT = 100  # results in an export (the API's largest page)
FILTERS = ("before", "ipc", "lang")
RENDERERS = {renderer.format: renderer for renderer in CITATION_RENDERERS}
SUFFIX = {"ris": "ris", "bibtex": "bib", "csv": "csv"}


@require_GET
@web_quota(always=True)
def search_export(request, fmt: str):
    renderer = RENDERERS.get(fmt)
    form = SearchForm(request.GET)
    if renderer is None or not form.is_valid() or not (form.cleaned_data["q"]
                                                       or form.cleaned_data["like"]):
        return _refused(request, form, fmt_known=renderer is not None)
    data = form.cleaned_data
    filters = {name: data[name] or None for name in FILTERS}
    if data["q"]:  # a typed query replaces "more like this", as on the page
        results = engine.search(data["q"], **filters, limit=EXPORT)
    elif Publication.objects.filter(number=data["like"]).exists():
        results = engine.more_like_this(data["like"], **filters, limit=EXPORT)
    else:
        raise Http404
    by_number = Publication.objects.select_related("organisation").in_bulk(
        [r.number for r in results], field_name="number")
    entries = [entry(by_number[r.number], request, rank=rank, score=round(r.fused, 6))
               for rank, r in enumerate(results, start=1) if r.number in by_number]
    body = renderer().render({"citations": entries})
    response = HttpResponse(body, content_type=f"{renderer.media_type}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="defpub-results.{SUFFIX[fmt]}"'
    return response


def _refused(request, form: SearchForm, *, fmt_known: bool):
    if not fmt_known:
        message = _("Citations can be exported as RIS, BibTeX or CSV only.")
    elif form.is_valid():
        message = _("Nothing to export: search for something first.")
    else:
        message = " ".join(str(error) for errors in form.errors.values() for error in errors)
    return render(request, "search/export_refused.html", {"message": message}, status=400)
