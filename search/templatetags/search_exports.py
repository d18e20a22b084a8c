"""{% export_url "ris" %}: the search page's citation export of the search it shows
(search.web_exports), which spends the visitor's own quota, not the API's anonymous one."""

from django import template
from django.http import QueryDict
from django.urls import Resolver404, resolve, reverse

register = template.Library()
PARAMETERS = ("q", "like", "before", "ipc", "lang", "date_field")


@register.simple_tag(takes_context=True)
def export_url(context, fmt: str) -> str:
    params = QueryDict(mutable=True)
    saved = _saved_key(context.get("canonical_url") or "")
    if saved:  # a query too long for a link is exported by its saved key
        params["saved"] = saved
    else:
        data = getattr(context.get("form"), "cleaned_data", None) or {}
        for name in PARAMETERS:
            value = data.get(name)
            if not value or (name == "like" and data.get("q")):  # a query replaces "like"
                continue
            if name == "date_field" and value == "published":  # the default
                continue
            params[name] = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return reverse("search-export", args=[fmt]) + "?" + params.urlencode()


def _saved_key(url: str) -> str:
    try:
        match = resolve(url.partition("?")[0])
    except Resolver404:
        return ""
    return match.kwargs.get("key", "") if match.url_name == "search-saved" else ""
