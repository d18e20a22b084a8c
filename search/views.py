"""The web search page: a query (or "more like this"), filters, and ranked publications with
the passages that matched. HTMX requests get only the results fragment."""

import re

from django.http import QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from defpub.models import Publication
from search import engine
from search.api.quotas import web_quota
from search.forms import SearchForm

PER_PAGE = 20
EXPORT = 100  # results in a citation export (the API's largest page)
FILTERS = ("before", "ipc", "lang")
# Descriptions are Markdown; their heading and emphasis marks are noise in a snippet.
MARKDOWN_MARKS = re.compile(r"(?m)^[ \t]*#{1,6}[ \t]+|\*\*")


@require_GET
@web_quota  # a search spends the visitor's quota, shared with the API and the exports
def search_page(request):
    form = SearchForm(request.GET or None)
    context = {"form": form, "results": None, "like": None, "unknown_like": None}
    if form.is_valid():
        context.update(_results(form.cleaned_data))
    htmx = bool(request.headers.get("HX-Request"))
    # htmx swaps only 2xx responses; the message is on the page either way.
    status = 404 if context["unknown_like"] and not htmx else 200
    # A history restore after a cache miss needs the whole page, not the fragment.
    fragment = htmx and not request.headers.get("HX-History-Restore-Request")
    template = "search/_results.html" if fragment else "search/search.html"
    response = render(request, template, {**context, "fragment": fragment}, status=status)
    if fragment and context.get("canonical_url"):
        response["HX-Push-Url"] = context["canonical_url"]  # without the empty parameters
    patch_vary_headers(response, ["HX-Request"])
    return response


def _results(data: dict) -> dict:
    """One page of results for a valid form: a text search, or publications like another."""
    filters = {name: data[name] or None for name in FILTERS}
    page, query, like = data["page"], data["q"], data["like"]
    offset = (page - 1) * PER_PAGE
    context = {"canonical_url": _page_url(data, page)}
    if query:  # a typed query replaces "more like this"
        results = engine.search(query, **filters, limit=PER_PAGE + 1, offset=offset)
    elif like:
        context["like"] = Publication.objects.filter(number=like).first()
        if context["like"] is None:
            return {**context, "unknown_like": like}
        results = engine.more_like_this(like, **filters, limit=PER_PAGE + 1, offset=offset)
    else:
        return context
    for passage in (p for result in results[:PER_PAGE] for p in result.passages):
        passage.highlighted = MARKDOWN_MARKS.sub("", passage.highlighted)
    return {
        **context,
        "exports": _export_urls(data),
        "results": results[:PER_PAGE],
        "first": offset + 1,
        "last": offset + min(len(results), PER_PAGE),
        "previous_url": _page_url(data, page - 1) if page > 1 else None,
        "next_url": _page_url(data, page + 1) if len(results) > PER_PAGE else None,
    }


def _export_urls(data: dict) -> dict[str, str]:
    """The API's citation exports of the same search, top EXPORT results."""
    params = QueryDict(mutable=True)
    for name in FILTERS:
        if data[name]:
            params[name] = data[name].isoformat() if name == "before" else data[name]
    params["limit"] = str(EXPORT)
    if data["q"]:
        params["text"] = data["q"]
        base = reverse("api-search")
    else:
        base = reverse("api-similar", args=[data["like"]])
    return {fmt: f"{base}?{params.urlencode()}&format={fmt}" for fmt in ("ris", "bibtex", "csv")}


def _page_url(data: dict, page: int) -> str:
    """The shareable URL of a result page: only the parameters that are set."""
    params = QueryDict(mutable=True)
    if data["q"]:
        params["q"] = data["q"]
    elif data["like"]:
        params["like"] = data["like"]
    for name in FILTERS:
        if data[name]:
            params[name] = data[name].isoformat() if name == "before" else data[name]
    if page > 1:
        params["page"] = str(page)
    query = params.urlencode()
    return reverse("search") + (f"?{query}" if query else "")
