"""`{% load review_panel %}`: what base.html needs from review without the core importing it
(templates load tag libraries by name)."""

from django import template
from django.urls import NoReverseMatch, reverse

from review.access import is_panelist

register = template.Library()


@register.filter(name="is_panelist")
def is_panelist_filter(user) -> bool:
    return is_panelist(user)



@register.filter
def publication_url(number: str) -> str:
    """The public page of a DefPub publication number; '' for anything that is not one."""
    try:
        return reverse("publication", args=[number])
    except NoReverseMatch:
        return ""
