"""Watch cases: opened by screening or by a panelist; every change audited."""

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

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


# The model's labels are the stored English names; these are shown, translated.
STATUS_LABELS = {
    Status.NEW: pgettext_lazy("case status", "new"),
    Status.TRIAGED: pgettext_lazy("case status", "triaged"),
    Status.UNDER_REVIEW: pgettext_lazy("case status", "under review"),
    Status.REPORT_ISSUED: pgettext_lazy("case status", "report issued"),
    Status.SUBMITTED: pgettext_lazy("case status", "submitted"),
    Status.OUTCOME_RECORDED: pgettext_lazy("case status", "outcome recorded"),
    Status.DISMISSED: pgettext_lazy("case status", "dismissed"),
}


class CaseError(Exception):
    """A change the workflow refuses; its message is for the panelist (translated)."""


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
                raise CaseError(_("A case that is %(status)s cannot be dismissed.")
                                % {"status": STATUS_LABELS[case.status]})
            if not reason.strip():
                raise CaseError(_("A dismissal needs a reason."))
            case.dismissed_reason = reason.strip()
        elif status not in NEXT[Status(case.status)]:
            raise CaseError(_("A case that is %(status)s cannot become %(next)s.")
                            % {"status": STATUS_LABELS[case.status], "next": STATUS_LABELS[status]})
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
        raise CaseError(_("Notes are limited to %(max)s characters.") % {"max": NOTES_MAX})
    case = WatchCase.objects.select_for_update().get(pk=case.pk)
    if notes == case.notes:
        return case
    previous, case.notes = case.notes, notes
    case.save(update_fields=["notes", "updated_at"])
    audit(actor=actor, action=AuditAction.WATCH_CASE_NOTE, target=case, previous=previous,
          notes=notes)
    return case
