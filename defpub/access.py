"""Guards: every way to reach an organisation's objects goes through here.

They return the object or raise Http404, so a view cannot forget the tenancy check and
another organisation's objects look exactly like objects that do not exist.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _

from defpub.models import Disclosure, Membership, Organisation, UserProfile


def membership_for(*, user, organisation: Organisation) -> Membership | None:
    if not user.is_authenticated:
        return None
    return Membership.objects.filter(user=user, organisation=organisation).first()


def organisation_for_member(*, user, slug: str) -> tuple[Organisation, Membership]:
    membership = (
        Membership.objects.select_related("organisation")
        .filter(user_id=user.pk, organisation__slug=slug)
        .first()
        if user.is_authenticated
        else None
    )
    if membership is None:
        raise Http404
    return membership.organisation, membership


def disclosure_for_member(*, user, pk: int) -> tuple[Disclosure, Membership]:
    if not user.is_authenticated:
        raise Http404
    disclosure = (
        Disclosure.objects.select_related("organisation")
        .filter(pk=pk, organisation__memberships__user_id=user.pk)
        .first()
    )
    if disclosure is None:
        raise Http404
    return disclosure, Membership.objects.get(user_id=user.pk, organisation=disclosure.organisation)


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
