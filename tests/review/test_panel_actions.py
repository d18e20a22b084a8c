"""The panel's actions: status changes, notes, opening a case and re-screening; what they
refuse (bad ids, bad values, steps the rules forbid) changes nothing and writes no audit row."""

import json

import pytest
from django.core.management import call_command
from django.test import Client

from defpub.celery import app
from defpub.models import AuditEvent
from review.cases import case_set_status
from review.models import Filing, ScreeningResult, WatchCase
from tests.review.test_screening import BEFORE, COPY, MEMBRANE_ZH, NOISE

pytestmark = pytest.mark.django_db


def test_a_status_change_by_htmx_swaps_the_section_and_is_audited(panel_client, panelist, case):
    response = panel_client.post(f"/review/cases/{case.pk}/status", {"status": "triaged"},
                                 HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="case-status"') and "under review" in html
    case.refresh_from_db()
    assert case.status == "triaged"
    event = AuditEvent.objects.get(action="watch.case_status")
    assert event.actor == panelist and event.data["status"] == "triaged"


def test_a_plain_form_post_changes_the_status_and_returns_to_the_case(panel_client, case):
    response = panel_client.post(f"/review/cases/{case.pk}/status",
                                 {"status": "dismissed", "reason": "an unrelated saddle"})

    assert response.status_code == 302 and response["Location"] == f"/review/cases/{case.pk}/"
    case.refresh_from_db()
    assert (case.status, case.dismissed_reason) == ("dismissed", "an unrelated saddle")
    page = panel_client.get(response["Location"]).content.decode()
    assert "an unrelated saddle" in page and "This case is closed." in page


@pytest.mark.parametrize("data, code", [
    ({"status": "submitted"}, 409),  # skips statuses
    ({"status": "dismissed", "reason": "   "}, 409),  # a dismissal needs a reason
    ({"status": "dismissed"}, 409),
    ({"status": "nonsense"}, 400),
    ({}, 400),
    ({"status": "dismissed", "reason": "x" * 5000}, 400),
])
@pytest.mark.parametrize("htmx", [True, False])
def test_a_refused_status_change_changes_nothing_and_says_why(panel_client, case, data, code,
                                                             htmx):
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}

    response = panel_client.post(f"/review/cases/{case.pk}/status", data, **headers)

    assert response.status_code == code
    assert 'role="alert"' in response.content.decode()
    case.refresh_from_db()
    assert (case.status, case.dismissed_reason) == ("new", "")
    assert not AuditEvent.objects.exists()


def test_a_closed_case_offers_no_transition_and_refuses_one(panel_client, case):
    case_set_status(case=case, status="dismissed", actor=None, reason="not a copy")
    html = panel_client.get(f"/review/cases/{case.pk}/").content.decode()
    assert "Mark as" not in html and "Dismiss with a reason" not in html

    response = panel_client.post(f"/review/cases/{case.pk}/status", {"status": "triaged"})

    assert response.status_code == 409
    assert "cannot become triaged" in response.content.decode()
    assert AuditEvent.objects.filter(action="watch.case_status").count() == 1


def test_notes_are_saved_and_audited(panel_client, panelist, case):
    response = panel_client.post(f"/review/cases/{case.pk}/notes", {"notes": "same as CN 1"},
                                 HTTP_HX_REQUEST="true")

    assert response.status_code == 200 and "Saved." in response.content.decode()
    case.refresh_from_db()
    assert case.notes == "same as CN 1"
    event = AuditEvent.objects.get(action="watch.case_note")
    assert event.actor == panelist and event.data == {"previous": "", "notes": "same as CN 1"}

    too_long = panel_client.post(f"/review/cases/{case.pk}/notes", {"notes": "x" * 20_001})
    assert too_long.status_code == 400
    case.refresh_from_db()
    assert case.notes == "same as CN 1"
    assert AuditEvent.objects.filter(action="watch.case_note").count() == 1


@pytest.mark.parametrize("method, path", [
    ("get", "/review/cases/0/"), ("get", "/review/cases/99999999999999999999999999/"),
    ("get", "/review/cases/abc/"), ("post", "/review/cases/abc/status"),
    ("get", "/review/cases/-1/"), ("get", "/review/filings/0/"),
    ("get", "/review/filings/18446744073709551616/"),
    ("post", "/review/cases/99999999999999999999999999/status"),
    ("post", "/review/cases/0/notes"), ("post", "/review/filings/9223372036854775808/rescreen"),
    ("post", "/review/filings/123456789/open-case"),
])
def test_bad_ids_are_not_found(panel_client, method, path):
    response = getattr(panel_client, method)(path, {"status": "triaged", "notes": "x"})

    assert response.status_code == 404
    assert not AuditEvent.objects.exists() and not WatchCase.objects.exists()


def test_actions_want_post_and_a_csrf_token(client, panelist, case):
    client.force_login(panelist)
    assert client.get(f"/review/cases/{case.pk}/status").status_code == 405

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(panelist)
    assert strict.post(f"/review/cases/{case.pk}/status", {"status": "triaged"}).status_code == 403
    case.refresh_from_db()
    assert case.status == "new"


def test_re_screen_is_queued_after_commit(panel_client, case, django_capture_on_commit_callbacks,
                                          monkeypatch):
    sent = []
    monkeypatch.setattr("review.services.enqueue", lambda task, *args: sent.append((task, args)))
    with django_capture_on_commit_callbacks(execute=True):
        response = panel_client.post(f"/review/filings/{case.filing_id}/rescreen",
                                     {"back": "case"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200 and "queued" in response.content.decode()
    assert [(task, args) for task, args in sent] == [("review.screen_filing",
                                                           (case.filing_id,))]
    assert Filing.objects.count() == 1
    event = AuditEvent.objects.get(action="filing.screen_queued")
    assert (event.actor, event.target_id) == (response.wsgi_request.user, str(case.filing_id))


def test_re_screening_from_the_pages_never_loses_the_panels_decisions(
        panel_client, indexed, tmp_path, django_capture_on_commit_callbacks):



    for fields in NOISE:
        indexed(at=BEFORE, **fields)
    disclosure = indexed(at=BEFORE, **MEMBRANE_ZH)
    path = tmp_path / "copy.jsonl"
    path.write_text(json.dumps(COPY), encoding="utf-8")
    call_command("import_filings", str(path), "--screen")
    case = WatchCase.objects.get()
    url = f"/review/cases/{case.pk}/"
    panel_client.post(url + "status", {"status": "triaged"})
    panel_client.post(url + "notes", {"notes": "same membrane as the Chinese disclosure"})
    assert disclosure.number in panel_client.get(url).content.decode()

    notes = "same membrane as the Chinese disclosure"
    app.conf.task_always_eager = True  # the task runs here, as a worker would run it
    try:
        for expected in [("triaged", notes, ""), ("dismissed", notes, "prior own")]:
            if expected[0] == "dismissed":
                panel_client.post(url + "status", {"status": "dismissed", "reason": "prior own"})
            screened = ScreeningResult.objects.get().screened_at
            with django_capture_on_commit_callbacks(execute=True):
                response = panel_client.post(f"/review/filings/{case.filing_id}/rescreen",
                                             {"back": "case"})
            assert response.status_code == 302 and response["Location"] == url
            assert ScreeningResult.objects.get().screened_at > screened  # it did run
            case.refresh_from_db()
            assert (case.status, case.notes, case.dismissed_reason) == expected
    finally:
        app.conf.task_always_eager = False

    assert WatchCase.objects.count() == 1 and ScreeningResult.objects.count() == 1
    assert AuditEvent.objects.filter(action="watch.case_opened").count() == 1
    assert disclosure.number in panel_client.get(url).content.decode()


def test_a_refusal_is_explained_in_the_panelists_language(panel_client, case):
    response = panel_client.post(f"/review/cases/{case.pk}/status", {"status": "submitted"},
                                 HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert response.status_code == 409
    assert "状态为“新案件”的案件不能变为“已提交专利局”。" in response.content.decode()
