from django import template
from django.utils.safestring import mark_safe

from defpub.markdown import render_markdown

register = template.Library()


@register.filter
def markdown(text: str) -> str:
    """A description's Markdown as HTML, sanitised by defpub.markdown."""
    return mark_safe(render_markdown(text))  # noqa: S308 - nh3 has cleaned it
