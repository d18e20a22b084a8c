"""E-mailed invitations: create, revoke, resend, accept, and the mail that carries them.

Limits (settings, docs/security.md): at most DEFPUB_INVITATIONS_PENDING_MAX pending per
organisation, one pending per address, DEFPUB_INVITATIONS_PER_HOUR mails per sender. The
mail leaves after commit through a Celery task, so a mail server's failure never undoes the
invitation nor answers 500: the row records whether the mail went.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from defpub.audit.models import AuditAction, AuditEvent
from defpub.audit.services import audit
from defpub.organisations.models import (
    PENDING,
    Invitation,
    MailStatus,
    Membership,
    Organisation,
    Role,
)
from defpub.permissions import require_admin, require_verified_email
from defpub.queueing import send  # tasks by name (defpub.tasks imports the services)
from defpub.validators import single_line

INVITATION_SALT = "defpub.invitation"
SENDING_ACTIONS = ("invitation.create", "invitation.resend")


def invitation_token(invitation: Invitation) -> str:
    return signing.dumps({"invitation": invitation.pk}, salt=INVITATION_SALT)


def invitation_from_token(token: str) -> Invitation:
    """The invitation a link names; ValidationError when forged, expired, used or revoked."""
    max_age = settings.DEFPUB_INVITATION_DAYS * 24 * 3600
    try:
        payload = signing.loads(token, salt=INVITATION_SALT, max_age=max_age)
    except signing.SignatureExpired as error:
        raise ValidationError(_("This invitation has expired; ask for a new one."),
                              code="expired") from error
    except signing.BadSignature as error:
        raise ValidationError(_("This invitation link is not valid."), code="invalid") from error
    invitation = Invitation.objects.select_related("organisation").filter(
        pk=payload.get("invitation") if isinstance(payload, dict) else None).first()
    if invitation is None:
        raise ValidationError(_("This invitation link is not valid."), code="invalid")
    if invitation.accepted_at:
        raise ValidationError(_("This invitation has already been used."), code="used")
    if invitation.revoked_at:
        raise ValidationError(_("This invitation has been withdrawn."), code="revoked")
    return invitation


def _acting_admin(*, organisation: Organisation, by) -> Membership:
    membership = Membership.objects.get(user=by, organisation=organisation)
    require_admin(membership)
    return membership


def _lock_sender(*, organisation: Organisation, by) -> None:
    """Serialise invitations per organisation and per sender, so that the limits below are
    exact under concurrent requests (the probe sent 10 in 0.1 s)."""
    Organisation.objects.select_for_update().filter(pk=organisation.pk).first()
    get_user_model().objects.select_for_update().filter(pk=by.pk).first()


def _check_hourly_limit(*, by) -> None:
    sent = AuditEvent.objects.filter(
        actor=by, action__in=SENDING_ACTIONS, at__gte=timezone.now() - timedelta(hours=1)
    ).count()
    if sent >= settings.DEFPUB_INVITATIONS_PER_HOUR:
        raise ValidationError(
            _("You have sent %(count)d invitations in the last hour, the most allowed. "
              "Try again later.") % {"count": sent}, code="hourly_limit")


def _queue_mail(invitation: Invitation, *, accept_url_base: str) -> None:
    language = translation.get_language() or settings.LANGUAGE_CODE

    def queue():
        try:
            send("defpub.send_invitation", invitation.pk, accept_url_base, language)
        except Exception as error:  # noqa: BLE001 - kombu raises many kinds of connection errors
            invitation_mail_failed(invitation_id=invitation.pk, error=error, final=True)

    transaction.on_commit(queue)


@transaction.atomic
def invitation_create(*, organisation: Organisation, email: str, role: str, by,
                      accept_url_base: str) -> Invitation:
    """Invite by e-mail; the mail (sent after commit) carries a signed link that expires."""
    _acting_admin(organisation=organisation, by=by)
    require_verified_email(by)
    _lock_sender(organisation=organisation, by=by)
    email = email.strip().lower()
    if Membership.objects.filter(organisation=organisation, user__email__iexact=email).exists():
        raise ValidationError({"email": _("%(email)s is already a member.") % {"email": email}})
    if role == Role.OWNER and not Membership.objects.filter(
        user=by, organisation=organisation, role=Role.OWNER
    ).exists():
        raise PermissionDenied(_("Only owners can invite owners."))
    pending = Invitation.objects.filter(PENDING, organisation=organisation)
    if pending.filter(email__iexact=email).exists():
        raise ValidationError({"email": _(
            "An invitation to %(email)s is already pending: resend it or revoke it below."
        ) % {"email": email}}, code="pending")
    if pending.count() >= settings.DEFPUB_INVITATIONS_PENDING_MAX:
        raise ValidationError(_(
            "%(name)s has %(count)d pending invitations, the most allowed. Revoke some, or "
            "wait until they are accepted.") % {"name": organisation.name,
                                                 "count": pending.count()},
            code="pending_limit")
    _check_hourly_limit(by=by)
    try:
        with transaction.atomic():
            invitation = Invitation.objects.create(
                organisation=organisation, email=email, role=role, invited_by=by,
                queued_at=timezone.now(), mail_status=MailStatus.QUEUED,
            )
    except IntegrityError as error:  # the constraint behind the check above
        raise ValidationError({"email": _("An invitation to %(email)s is already pending.")
                               % {"email": email}}, code="pending") from error
    audit(actor=by, action=AuditAction.INVITATION_CREATE, target=invitation,
          organisation=organisation, email=email, role=role)
    _queue_mail(invitation, accept_url_base=accept_url_base)
    return invitation


def _locked_pending(invitation: Invitation) -> Invitation:
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_pending:
        raise ValidationError(_("This invitation is no longer pending."), code="not_pending")
    return invitation


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, by) -> Invitation:
    """Withdraw a pending invitation: its link stops working at once."""
    _acting_admin(organisation=invitation.organisation, by=by)
    invitation = _locked_pending(invitation)
    invitation.revoked_at, invitation.revoked_by = timezone.now(), by
    invitation.save(update_fields=["revoked_at", "revoked_by"])
    audit(actor=by, action=AuditAction.INVITATION_REVOKE, target=invitation,
          organisation=invitation.organisation, email=invitation.email)
    return invitation


@transaction.atomic
def invitation_resend(*, invitation: Invitation, by, accept_url_base: str) -> Invitation:
    """Send the mail again, with a fresh link (a fresh expiry); counts towards the hourly
    limit, and waits DEFPUB_INVITATION_RESEND_MINUTES unless the last mail failed."""
    _acting_admin(organisation=invitation.organisation, by=by)
    require_verified_email(by)
    _lock_sender(organisation=invitation.organisation, by=by)
    invitation = _locked_pending(invitation)
    wait = timedelta(minutes=settings.DEFPUB_INVITATION_RESEND_MINUTES)
    if (invitation.mail_status != MailStatus.FAILED and invitation.queued_at
            and timezone.now() - invitation.queued_at < wait):
        raise ValidationError(_(
            "This invitation was sent less than %(minutes)d minutes ago; give the mail time "
            "to arrive.") % {"minutes": settings.DEFPUB_INVITATION_RESEND_MINUTES},
            code="too_soon")
    _check_hourly_limit(by=by)
    invitation.queued_at, invitation.mail_status, invitation.mail_error = (
        timezone.now(), MailStatus.QUEUED, "")
    invitation.save(update_fields=["queued_at", "mail_status", "mail_error"])
    audit(actor=by, action=AuditAction.INVITATION_RESEND, target=invitation,
          organisation=invitation.organisation, email=invitation.email)
    _queue_mail(invitation, accept_url_base=accept_url_base)
    return invitation


def invitation_mail_send(*, invitation_id: int, accept_url_base: str) -> bool:
    """Send one invitation's mail (called by the task); False when it is no longer pending.
    Mail errors propagate to the task, which retries them."""
    invitation = Invitation.objects.select_related("organisation", "invited_by").filter(
        PENDING, pk=invitation_id).first()
    if invitation is None:
        return False
    link = f"{accept_url_base.rstrip('/')}/{invitation_token(invitation)}"
    context = {"invitation": invitation, "link": link, "days": settings.DEFPUB_INVITATION_DAYS}
    # single_line: names stored before the validator existed may hold CR/LF.
    subject = _("Invitation to %(organisation)s on DefPub") % {
        "organisation": single_line(invitation.organisation.name)}
    send_mail(subject=subject, message=render_to_string("accounts/invitation_email.txt", context),
              from_email=None, recipient_list=[invitation.email], fail_silently=False)
    Invitation.objects.filter(pk=invitation.pk).update(
        mail_status=MailStatus.SENT, sent_at=timezone.now(), mail_error="",
        mail_attempts=invitation.mail_attempts + 1)
    return True


def invitation_mail_failed(*, invitation_id: int, error: BaseException, final: bool) -> None:
    """Record a failed attempt: `retrying` while the task will try again, else `failed`."""
    invitation = Invitation.objects.filter(pk=invitation_id).first()
    if invitation is None:
        return
    Invitation.objects.filter(pk=invitation_id).update(
        mail_status=MailStatus.FAILED if final else MailStatus.RETRYING,
        mail_error=f"{type(error).__name__}: {error}"[:300],
        mail_attempts=invitation.mail_attempts + 1)


@transaction.atomic
def invitation_accept(*, token: str, user) -> Membership:
    invitation = invitation_from_token(token)
    require_verified_email(user)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at:
        raise ValidationError(_("This invitation has already been used."), code="used")
    if invitation.revoked_at:
        raise ValidationError(_("This invitation has been withdrawn."), code="revoked")
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
    audit(actor=user, action=AuditAction.INVITATION_ACCEPT, target=invitation,
          organisation=invitation.organisation, role=membership.role)
    return membership
