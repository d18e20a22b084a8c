"""{% export_url "ris" %}: the search page's citation export of the search it shows
(search.web_exports), which spends the visitor's own quota, not the API's anonymous one."""

from django import template
from django.http import QueryDict
from django.urls import reverse

register = template.Library()
PARAMETERS = ("q", "like", "before", "ipc", "lang")


@register.simple_tag(takes_context=True)
def export_url(context, fmt: str) -> str:
    form = context.get("form")
    data = getattr(form, "cleaned_data", None) or {}
    params = QueryDict(mutable=True)
    for name in PARAMETERS:
        value = data.get(name)
        if value and not (name == "like" and data.get("q")):  # a query replaces "like"
            params[name] = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return reverse("search-export", args=[fmt]) + "?" + params.urlencode()
