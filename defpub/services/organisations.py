"""Organisations, members and e-mailed invitations."""

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from defpub.access import require_admin
from defpub.audit import audit
from defpub.models import Invitation, Membership, Organisation
from defpub.models.organisations import Role

INVITATION_SALT = "defpub.invitation"


@transaction.atomic
def organisation_create(*, name: str, by, slug: str = "") -> Organisation:
    slug = slugify(slug or name)[:64]
    if not slug:
        raise ValidationError({"slug": _("Give a short name made of letters and digits.")})
    if Organisation.objects.filter(slug=slug).exists():
        raise ValidationError({"slug": _("“%(slug)s” is taken.") % {"slug": slug}})
    organisation = Organisation.objects.create(name=name.strip(), slug=slug)
    Membership.objects.create(user=by, organisation=organisation, role=Role.OWNER)
    audit(actor=by, action="organisation.create", target=organisation, organisation=organisation)
    return organisation


def invitation_token(invitation: Invitation) -> str:
    return signing.dumps({"invitation": invitation.pk}, salt=INVITATION_SALT)


def invitation_from_token(token: str) -> Invitation:
    """The invitation a link names; ValidationError when forged, expired or already used."""
    max_age = settings.DEFPUB_INVITATION_DAYS * 24 * 3600
    try:
        payload = signing.loads(token, salt=INVITATION_SALT, max_age=max_age)
    except signing.SignatureExpired as error:
        raise ValidationError(_("This invitation has expired; ask for a new one."),
                              code="expired") from error
    except signing.BadSignature as error:
        raise ValidationError(_("This invitation link is not valid."), code="invalid") from error
    invitation = Invitation.objects.select_related("organisation").filter(
        pk=payload.get("invitation")).first()
    if invitation is None:
        raise ValidationError(_("This invitation link is not valid."), code="invalid")
    if invitation.accepted_at:
        raise ValidationError(_("This invitation has already been used."), code="used")
    return invitation


@transaction.atomic
def invitation_create(*, organisation: Organisation, email: str, role: str, by,
                      accept_url_base: str) -> Invitation:
    """Invite by e-mail; the mail carries a signed link that expires."""
    require_admin(Membership.objects.get(user=by, organisation=organisation))
    email = email.strip().lower()
    if Membership.objects.filter(organisation=organisation, user__email__iexact=email).exists():
        raise ValidationError({"email": _("%(email)s is already a member.") % {"email": email}})
    if role == Role.OWNER and not Membership.objects.filter(
        user=by, organisation=organisation, role=Role.OWNER
    ).exists():
        raise PermissionDenied(_("Only owners can invite owners."))
    invitation = Invitation.objects.create(
        organisation=organisation, email=email, role=role, invited_by=by
    )
    link = f"{accept_url_base.rstrip('/')}/{invitation_token(invitation)}"
    context = {"invitation": invitation, "link": link, "days": settings.DEFPUB_INVITATION_DAYS}
    transaction.on_commit(lambda: send_mail(
        subject=_("Invitation to %(organisation)s on DefPub") % {"organisation": organisation},
        message=render_to_string("accounts/invitation_email.txt", context),
        from_email=None,
        recipient_list=[email],
    ))
    audit(actor=by, action="invitation.create", target=invitation, organisation=organisation,
          email=email, role=role)
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, user) -> Membership:
    invitation = invitation_from_token(token)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at:
        raise ValidationError(_("This invitation has already been used."), code="used")
    if user.email.lower() != invitation.email:
        raise ValidationError(
            _("This invitation was sent to %(email)s; sign in with that address to accept it.")
            % {"email": invitation.email}, code="wrong_user")
    membership, _created = Membership.objects.get_or_create(
        user=user, organisation=invitation.organisation, defaults={"role": invitation.role}
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    audit(actor=user, action="invitation.accept", target=invitation,
          organisation=invitation.organisation, role=membership.role)
    return membership


@transaction.atomic
def membership_set_role(*, membership: Membership, role: str, by) -> Membership:
    acting = Membership.objects.get(user=by, organisation=membership.organisation)
    require_admin(acting)
    if Role.OWNER in (role, membership.role) and acting.role != Role.OWNER:
        raise PermissionDenied(_("Only owners can make or unmake owners."))
    if membership.role == Role.OWNER and role != Role.OWNER:
        _keep_an_owner(membership)
    old = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    audit(actor=by, action="membership.role", target=membership,
          organisation=membership.organisation, old=old, new=role)
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, by) -> None:
    acting = Membership.objects.get(user=by, organisation=membership.organisation)
    if acting.pk != membership.pk:  # anyone may leave; removing others takes an admin
        require_admin(acting)
        if membership.role == Role.OWNER and acting.role != Role.OWNER:
            raise PermissionDenied(_("Only owners can remove owners."))
    if membership.role == Role.OWNER:
        _keep_an_owner(membership)
    audit(actor=by, action="membership.remove", target=membership,
          organisation=membership.organisation, user=membership.user.get_username())
    membership.delete()


def _keep_an_owner(membership: Membership) -> None:
    owners = Membership.objects.select_for_update().filter(
        organisation=membership.organisation, role=Role.OWNER)
    if owners.count() <= 1:
        raise ValidationError(_("An organisation needs at least one owner."), code="last_owner")
