"""Organisations and their members (invitations: defpub/organisations/invitations.py)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from defpub.audit.models import AuditAction
from defpub.audit.services import audit
from defpub.organisations.invitations import (  # noqa: F401  (the names callers have imported here)
    INVITATION_SALT,
    invitation_accept,
    invitation_create,
    invitation_from_token,
    invitation_token,
)
from defpub.organisations.models import Membership, Organisation, Role
from defpub.permissions import require_admin
from defpub.validators import validate_no_control_characters


@transaction.atomic
def organisation_create_for_import(*, slug: str, owner=None) -> Organisation:
    """`import_disclosures --create-org`: the organisation named by its slug, owned by `owner`
    when one is given, else by no one until a site admin adds an owner in the admin."""
    organisation = Organisation.objects.create(name=slug, slug=slug)
    if owner is not None:
        Membership.objects.create(user=owner, organisation=organisation, role=Role.OWNER)
    audit(actor=owner, action=AuditAction.ORGANISATION_CREATE, target=organisation,
          organisation=organisation, via="import_disclosures",
          owner=owner.username if owner is not None else None)
    return organisation


@transaction.atomic
def organisation_create(*, name: str, by, slug: str = "") -> Organisation:
    try:  # the form checks this too; other callers (commands, the API) reach here directly
        validate_no_control_characters(name)
    except ValidationError as error:
        raise ValidationError({"name": error.error_list}) from error
    slug = slugify(slug or name)[:64]
    if not slug:
        raise ValidationError({"slug": _("Give a short name made of letters and digits.")})
    if Organisation.objects.filter(slug=slug).exists():
        raise ValidationError({"slug": _("“%(slug)s” is taken.") % {"slug": slug}})
    organisation = Organisation.objects.create(name=name.strip(), slug=slug)
    Membership.objects.create(user=by, organisation=organisation, role=Role.OWNER)
    audit(actor=by, action=AuditAction.ORGANISATION_CREATE, target=organisation,
          organisation=organisation)
    return organisation


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
    audit(actor=by, action=AuditAction.MEMBERSHIP_ROLE, target=membership,
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
    audit(actor=by, action=AuditAction.MEMBERSHIP_REMOVE, target=membership,
          organisation=membership.organisation, user=membership.user.get_username())
    membership.delete()


def _keep_an_owner(membership: Membership) -> None:
    owners = Membership.objects.select_for_update().filter(
        organisation=membership.organisation, role=Role.OWNER)
    if owners.count() <= 1:
        raise ValidationError(_("An organisation needs at least one owner."), code="last_owner")
