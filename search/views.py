"""The web search page: a query (or "more like this"), filters, and ranked publications with
the passages that matched. HTMX requests get only the results fragment.

The form is POSTed, so that pasted claims of any length fit (a long GET is refused with 414
by the server before Django sees it). A submitted search is answered by its shareable URL:
`/search?q=...` when that is short, else `/search/q/<key>` of the saved query.
"""

import re

from django.http import QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods

from defpub.examiners.quotas import web_quota
from search import engine
from search.explain import explanation
from search.forms import SearchForm
from search.selectors import publication_or_none, saved_query_by_key
from search.services import saved_query_save

PER_PAGE = 20
FILTERS = ("before", "ipc", "lang")
# Descriptions are Markdown; their heading and emphasis marks are noise in a snippet.
MARKDOWN_MARKS = re.compile(r"(?m)^[ \t]*#{1,6}[ \t]+|\*\*")
# A result page's URL longer than this is replaced by a saved query's: browsers, proxies and
# gunicorn (4,094 bytes per request line) all take it, and it stays readable when shared.
LINK_LIMIT = 1500


@require_http_methods(["GET", "POST"])
@web_quota  # a search spends the visitor's quota, shared with the API and the exports
def search_page(request):
    if request.method == "POST":
        return _submitted(request)
    return _page(request, SearchForm(request.GET or None))


@require_GET
@web_quota(always=True)
def saved_search_page(request, key: str):
    """The result page of a saved query; `?page=N` turns its pages."""
    saved = saved_query_by_key(key=key)
    if saved is None:
        response = _page(request, SearchForm(), unknown_saved=True)
    else:
        data = {**saved.filters, "q": saved.text, "page": request.GET.get("page", "")}
        response = _page(request, SearchForm(data), saved=saved.key)
    response["X-Robots-Tag"] = "noindex"  # pasted claims are nobody's public page
    return response


def _submitted(request):
    """A POSTed search: answer with its URL (302), or for htmx with the results and the URL
    to show in the address bar. Invalid input gets the form with its errors, as on GET."""
    form = SearchForm(request.POST)
    if not form.is_valid():
        return _page(request, form)
    data = form.cleaned_data
    saved = None
    if len(_page_url(data, 1)) > LINK_LIMIT:
        saved = saved_query_save(text=data["q"], filters=_filter_values(data)).key
    if request.headers.get("HX-Request"):
        return _page(request, form, saved=saved)
    return redirect(_page_url(data, 1, saved=saved))


def _page(request, form: SearchForm, *, saved: str | None = None, unknown_saved=False):
    context = {"form": form, "results": None, "like": None, "unknown_like": None,
               "unknown_saved": unknown_saved}
    if form.is_valid():
        context.update(_results(form.cleaned_data, saved=saved))
    htmx = bool(request.headers.get("HX-Request"))
    # htmx swaps only 2xx responses; the message is on the page either way.
    status = 404 if (context["unknown_like"] or unknown_saved) and not htmx else 200
    # A history restore after a cache miss needs the whole page, not the fragment.
    fragment = htmx and not request.headers.get("HX-History-Restore-Request")
    template = "search/_results.html" if fragment else "search/search.html"
    response = render(request, template, {**context, "fragment": fragment}, status=status)
    if fragment and context.get("canonical_url"):
        response["HX-Push-Url"] = context["canonical_url"]  # without the empty parameters
    patch_vary_headers(response, ["HX-Request"])
    return response


def _results(data: dict, *, saved: str | None = None) -> dict:
    """One page of results for a valid form: a text search, or publications like another."""
    filters = {name: data[name] or None for name in FILTERS}
    filters["date_field"] = data["date_field"]
    page, query, like = data["page"], data["q"], data["like"]
    offset = (page - 1) * PER_PAGE
    context = {"canonical_url": _page_url(data, page, saved=saved)}
    if query:  # a typed query replaces "more like this"
        results = engine.search(query, **filters, limit=PER_PAGE + 1, offset=offset)
    elif like:
        context["like"] = publication_or_none(like)
        if context["like"] is None:
            return {**context, "unknown_like": like}
        results = engine.more_like_this(like, **filters, limit=PER_PAGE + 1, offset=offset)
    else:
        return context
    for passage in (p for result in results[:PER_PAGE] for p in result.passages):
        passage.highlighted = MARKDOWN_MARKS.sub("", passage.highlighted)
    plan = engine.query_plan(query) if query else None
    pieces = plan.pieces if plan else []
    return {
        **context,
        "claims_query": plan if plan and plan.as_claims else None,
        "results": [(result, explanation(result=result, pieces=pieces))
                    for result in results[:PER_PAGE]],
        "first": offset + 1,
        "last": offset + min(len(results), PER_PAGE),
        "previous_url": _page_url(data, page - 1, saved=saved) if page > 1 else None,
        "next_url": (_page_url(data, page + 1, saved=saved)
                     if len(results) > PER_PAGE else None),
    }


def _page_url(data: dict, page: int, *, saved: str | None = None) -> str:
    """The shareable URL of a result page: the saved query's, or only the parameters set."""
    if saved:
        return reverse("search-saved", args=[saved]) + (f"?page={page}" if page > 1 else "")
    params = QueryDict(mutable=True)
    if data["q"]:
        params["q"] = data["q"]
    elif data["like"]:
        params["like"] = data["like"]
    params.update(_filter_values(data))
    if page > 1:
        params["page"] = str(page)
    query = params.urlencode()
    return reverse("search") + (f"?{query}" if query else "")


def _filter_values(data: dict) -> dict[str, str]:
    """The filters that are set, as URL parameters (the default date compared is left out)."""
    values = {name: data[name].isoformat() if name == "before" else data[name]
              for name in FILTERS if data[name]}
    if data["date_field"] != "published":
        values["date_field"] = data["date_field"]
    return values
