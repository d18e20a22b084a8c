"""The panel role: who may see review's pages and run its commands.

Panelists are the members of the Django group "panel" (managed with
`python manage.py panel add|remove|list`, or in the admin). Everyone else, signed in or
not, gets a 404 from every panel page: the panel's work is not advertised.
"""

from functools import wraps

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import QuerySet
from django.http import Http404

PANEL_GROUP = "panel"


def panel_group() -> Group:
    group, _created = Group.objects.get_or_create(name=PANEL_GROUP)
    return group


def is_panelist(user) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.groups.filter(name=PANEL_GROUP).exists()


def panelists() -> QuerySet:
    return get_user_model().objects.filter(groups__name=PANEL_GROUP, is_active=True)


def panel_required(view):
    """404 for anyone who is not an active panelist (anonymous users included)."""

    @wraps(view)
    def guarded(request, *args, **kwargs):
        if not is_panelist(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return guarded
