import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from defpub.models import AuditEvent
from review.cases import CaseError, case_open, case_open_for_screening, case_set_status
from review.models import Filing, WatchCase
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def filing():
    return Filing.objects.create(office="US", number="20260000001", kind="A1")


def test_a_case_moves_through_its_statuses_and_every_change_is_audited(filing):
    panelist = UserFactory()
    case, created = case_open_for_screening(filing=filing)
    assert created and case.status == "new"
    for status in ("triaged", "under_review", "report_issued", "submitted",
                   "outcome_recorded"):
        case = case_set_status(case=case, status=status, actor=panelist)
    assert case.status == "outcome_recorded" and not case.is_open
    events = AuditEvent.objects.filter(target_id=str(case.pk), action="watch.case_status")
    assert events.count() == 5 and all(event.actor == panelist for event in events)


def test_a_case_skips_no_status_and_a_dismissal_needs_a_reason(filing):
    case, _ = case_open_for_screening(filing=filing)
    with pytest.raises(CaseError):
        case_set_status(case=case, status="submitted", actor=None)
    with pytest.raises(CaseError):
        case_set_status(case=case, status="dismissed", actor=None, reason="  ")
    with pytest.raises(ValueError):
        case_set_status(case=case, status="nonsense", actor=None)
    case = case_set_status(case=case, status="dismissed", actor=None, reason="not a copy")
    assert (case.status, case.dismissed_reason) == ("dismissed", "not a copy")
    with pytest.raises(CaseError):
        case_set_status(case=case, status="dismissed", actor=None, reason="again")


def test_screening_never_reopens_or_duplicates_a_case(filing):
    case = case_open(filing=filing, actor=UserFactory())
    case_set_status(case=case, status="dismissed", actor=None, reason="not a copy")
    again, created = case_open_for_screening(filing=filing)
    assert not created and again.pk == case.pk and again.status == "dismissed"
    assert WatchCase.objects.count() == 1
    assert AuditEvent.objects.filter(action="watch.case_opened").count() == 1


def test_screen_filings_wants_numbers_or_all_and_names_an_unknown_number(db):
    with pytest.raises(CommandError, match="numbers or --all"):
        call_command("screen_filings")
    with pytest.raises(CommandError, match="numbers or --all"):
        call_command("screen_filings", "1", "--all")
    with pytest.raises(CommandError, match="no filing 99999"):
        call_command("screen_filings", "99999")


def test_watch_cases_json_lists_open_cases_only(filing, capsys):
    import json

    other = Filing.objects.create(office="EP", number="3000001", kind="A1")
    case_open_for_screening(filing=filing)
    dismissed, _ = case_open_for_screening(filing=other)
    case_set_status(case=dismissed, status="dismissed", actor=None, reason="unrelated")
    call_command("watch_cases", "--json")
    cases = json.loads(capsys.readouterr().out)
    assert [(c["number"], c["status"], c["candidates"]) for c in cases] == [
        ("20260000001", "new", [])]
