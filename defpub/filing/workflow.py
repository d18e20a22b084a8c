"""Which disclosure states allow which actions, and which role each action needs: the one
table that services enforce and pages read to offer buttons."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from defpub.filing.models import Status
from defpub.permissions import require_admin, require_filer

ALLOWED_FROM: dict[str, set[str]] = {
    "edit": {Status.DRAFT},
    "delete": {Status.DRAFT},
    "submit": {Status.DRAFT},
    "return": {Status.SUBMITTED, Status.APPROVED},
    "approve": {Status.SUBMITTED},
    "publish": {Status.APPROVED},
    "correct": {Status.PUBLISHED},
}
# The membership property each action needs (Membership.can_file / .is_admin).
ROLE_NEEDED: dict[str, str] = {
    "edit": "can_file",
    "delete": "can_file",
    "submit": "can_file",
    "correct": "can_file",
    "return": "is_admin",
    "approve": "is_admin",
    "publish": "is_admin",
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
    "correct": gettext_lazy("corrected"),
}


def ensure_allowed(*, disclosure, action: str) -> None:
    if disclosure.status not in ALLOWED_FROM[action]:
        raise WorkflowError(disclosure=disclosure, action=action)


def ensure_may(*, disclosure, membership, action: str) -> None:
    """The member's role allows the action (PermissionDenied) and so does the disclosure's
    state (WorkflowError)."""
    if ROLE_NEEDED[action] == "is_admin":
        require_admin(membership)
    else:
        require_filer(membership)
    ensure_allowed(disclosure=disclosure, action=action)


def available_actions(*, disclosure, membership) -> dict[str, bool]:
    """What the member could do to the disclosure now: the same rules as ensure_may (except
    the e-mail check, which pages explain on their own)."""
    return {
        action: bool(getattr(membership, ROLE_NEEDED[action]))
        and disclosure.status in ALLOWED_FROM[action]
        for action in ALLOWED_FROM
    }
