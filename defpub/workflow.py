"""Which disclosure states allow which actions."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from defpub.models.disclosures import Status

ALLOWED_FROM: dict[str, set[str]] = {
    "edit": {Status.DRAFT},
    "delete": {Status.DRAFT},
    "submit": {Status.DRAFT},
    "return": {Status.SUBMITTED, Status.APPROVED},
    "approve": {Status.SUBMITTED},
    "publish": {Status.APPROVED},
}


class WorkflowError(Exception):
    """The action is not possible in the disclosure's current state (HTTP 409)."""

    def __init__(self, *, disclosure, action: str):
        self.disclosure = disclosure
        self.action = action
        super().__init__(
            _("A %(status)s disclosure cannot be %(action)s.")
            % {"status": disclosure.get_status_display().lower(), "action": PAST[action]}
        )


PAST = {
    "edit": gettext_lazy("edited"),
    "delete": gettext_lazy("deleted"),
    "submit": gettext_lazy("submitted"),
    "return": gettext_lazy("returned to its authors"),
    "approve": gettext_lazy("approved"),
    "publish": gettext_lazy("published"),
}


def ensure_allowed(*, disclosure, action: str) -> None:
    if disclosure.status not in ALLOWED_FROM[action]:
        raise WorkflowError(disclosure=disclosure, action=action)
