"""Who may do what: the role rules services enforce (and pages use to offer actions).

Tenancy (which objects a person may reach at all) is defpub/access.py's job; these rules
take a membership that tenancy already found.
"""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from defpub.accounts.models import UserProfile
from defpub.organisations.models import Membership


def require_admin(membership: Membership) -> None:
    if not membership.is_admin:
        raise PermissionDenied(_("Only the organisation's owners and admins may do this."))


def require_filer(membership: Membership) -> None:
    if not membership.can_file:
        raise PermissionDenied(_("Viewers cannot file or change disclosures."))
    require_verified_email(membership.user)


class EmailNotVerified(PermissionDenied):
    """The account has not proven its e-mail address yet (pages offer to resend the link)."""


def email_verified(user) -> bool:
    profile = UserProfile.objects.filter(user_id=user.pk).select_related("user").first()
    return bool(profile and profile.email_verified)


def require_verified_email(user) -> None:
    """Filing, inviting and joining need a proven address: sign-up alone proves nothing."""
    if not email_verified(user):
        raise EmailNotVerified(_(
            "Confirm your e-mail address first: follow the link in the message we sent you, "
            "or ask for a new one."))
