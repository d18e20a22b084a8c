"""Watch cases: opened by screening or by a panelist; every change audited."""

from django.db import transaction

from defpub.audit.services import audit
from defpub.models import AuditAction
from review.models import Filing, WatchCase

Status = WatchCase.Status
# Where a case may go next; dismissal (with a reason) from any open status.
NEXT = {
    Status.NEW: {Status.TRIAGED},
    Status.TRIAGED: {Status.UNDER_REVIEW},
    Status.UNDER_REVIEW: {Status.REPORT_ISSUED},
    Status.REPORT_ISSUED: {Status.SUBMITTED},
    Status.SUBMITTED: {Status.OUTCOME_RECORDED},
    Status.OUTCOME_RECORDED: set(),
    Status.DISMISSED: set(),
}


class CaseError(Exception):
    pass


def case_open_for_screening(*, filing: Filing) -> tuple[WatchCase, bool]:
    """The filing's case, opened if it has none. An existing case (whatever its status,
    dismissed included) is left as the panel left it: re-screening never duplicates a case
    nor undoes a decision."""
    with transaction.atomic():
        case, created = WatchCase.objects.select_for_update().get_or_create(
            filing=filing, defaults={"opened_by": "screening"})
        if created:
            audit(actor=None, action=AuditAction.WATCH_CASE_OPENED, target=case,
                  filing=filing.label,
                  by="screening")
    return case, created


def case_open(*, filing: Filing, actor) -> WatchCase:
    """A panelist opens a case by hand from any filing (the existing one if there is one)."""
    with transaction.atomic():
        case, created = WatchCase.objects.get_or_create(filing=filing,
                                                        defaults={"opened_by": "panel"})
        if created:
            audit(actor=actor, action=AuditAction.WATCH_CASE_OPENED, target=case,
                  filing=filing.label,
                  by="panel")
    return case


def case_set_status(*, case: WatchCase, status: str, actor, reason: str = "",
                    notes: str | None = None) -> WatchCase:
    """Move a case to its next status, or dismiss it with a reason."""
    status = Status(status)
    with transaction.atomic():
        case = WatchCase.objects.select_for_update().get(pk=case.pk)
        if status == Status.DISMISSED:
            if not case.is_open:
                raise CaseError(f"a case that is {case.status} cannot be dismissed")
            if not reason.strip():
                raise CaseError("a dismissal needs a reason")
            case.dismissed_reason = reason.strip()
        elif status not in NEXT[Status(case.status)]:
            raise CaseError(f"a case that is {case.status} cannot become {status}")
        previous, case.status = case.status, status
        if notes is not None:
            case.notes = notes
        case.save()
        audit(actor=actor, action=AuditAction.WATCH_CASE_STATUS, target=case, previous=previous,
              status=status.value, reason=case.dismissed_reason)
    return case


NOTES_MAX = 20_000


@transaction.atomic
def case_set_notes(*, case: WatchCase, notes: str, actor) -> WatchCase:
    """Replace the panel's notes on a case; the audit row keeps the text they replace."""
    if len(notes) > NOTES_MAX:
        raise CaseError(f"notes are limited to {NOTES_MAX} characters")
    case = WatchCase.objects.select_for_update().get(pk=case.pk)
    if notes == case.notes:
        return case
    previous, case.notes = case.notes, notes
    case.save(update_fields=["notes", "updated_at"])
    audit(actor=actor, action=AuditAction.WATCH_CASE_NOTE, target=case, previous=previous,
          notes=notes)
    return case
