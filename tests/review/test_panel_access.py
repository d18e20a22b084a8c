"""The panel role: a group, managed by a command, and a guard that answers 404."""

import pytest
from django.core.management import CommandError, call_command
from django.http import Http404, HttpResponse
from django.test import RequestFactory

from defpub.models import AuditEvent
from review.access import is_panelist, panel_required, panelists
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@panel_required
def _page(request):
    return HttpResponse("panel")


def _get(user):
    request = RequestFactory().get("/review/")
    request.user = user
    return _page(request)


def test_only_panelists_pass_the_guard():
    from django.contrib.auth.models import AnonymousUser

    member, stranger = UserFactory(), UserFactory()
    call_command("panel", "add", member.username)
    assert _get(member).content == b"panel"
    for user in (stranger, AnonymousUser()):
        with pytest.raises(Http404):
            _get(user)


def test_an_inactive_panelist_is_refused():
    user = UserFactory()
    call_command("panel", "add", user.username)
    user.is_active = False
    user.save()
    assert not is_panelist(user)
    with pytest.raises(Http404):
        _get(user)


def test_panel_command_adds_removes_and_audits(capsys):
    user = UserFactory()
    call_command("panel", "add", user.username)
    assert list(panelists()) == [user]
    call_command("panel", "list")
    assert user.username in capsys.readouterr().out
    call_command("panel", "remove", user.username)
    assert not panelists().exists()
    changes = AuditEvent.objects.filter(action="panel.membership").values_list("data", flat=True)
    assert sorted(c["change"] for c in changes) == ["add", "remove"]


def test_panel_command_refuses_unknown_users_and_changes_nothing():
    user = UserFactory()
    with pytest.raises(CommandError, match="no such user: ghost"):
        call_command("panel", "add", user.username, "ghost")
    assert not panelists().exists()
    with pytest.raises(CommandError, match="needs at least one username"):
        call_command("panel", "add")
