"""Sign-up and e-mail verification.

Sign-up answers the same whether the user name or the address is taken, so that nobody can
learn from it who has an account: the address always receives the mail that fits it (a link
to confirm it; "you already have an account"; "that user name is taken").
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from defpub.accounts.counters import counter_hit
from defpub.accounts.models import UserProfile
from defpub.audit.models import AuditAction
from defpub.audit.services import audit
from defpub.permissions import email_verified
from defpub.queueing import send  # tasks by name (defpub.tasks imports the services)

log = logging.getLogger(__name__)
VERIFICATION_SALT = "defpub.verify-email"
MAIL_KINDS = ("verify", "account_exists", "username_taken")


def _queue_mail(*, kind: str, email: str, site: str, user=None, username: str = "") -> None:
    language = translation.get_language() or settings.LANGUAGE_CODE
    user_id = user.pk if user is not None else None

    def queue():
        try:
            send("defpub.send_account_mail", kind, email, user_id, username, site, language)
        except Exception as error:  # noqa: BLE001 - kombu raises many kinds of connection errors
            log.warning("could not queue the %s mail to %s: %s", kind, email, error)

    transaction.on_commit(queue)


@transaction.atomic
def account_sign_up(*, username: str, email: str, password: str, site: str) -> None:
    """Create an unverified account and mail a confirmation link; when the name or the
    address is taken, change nothing and mail the address why instead. `site`: the
    scheme and host the links in the mail start with."""
    User = get_user_model()
    email = email.strip()
    existing = User.objects.select_for_update().filter(email__iexact=email).first()
    if existing is not None and _stale_and_unconfirmed(existing):
        _release_address(existing)
        existing = None
    if existing is None and not User.objects.filter(username__iexact=username).exists():
        try:
            with transaction.atomic():
                user = User.objects.create_user(username=username, email=email,
                                                password=password)
                UserProfile.objects.create(user=user)
        except IntegrityError:  # a concurrent sign-up took the name or the address
            existing = User.objects.filter(email__iexact=email).first()
        else:
            audit(actor=user, action=AuditAction.ACCOUNT_SIGN_UP, target=user)
            _queue_mail(kind="verify", email=user.email, site=site, user=user)
            return
    make_password(password)  # hash anyway: the answer takes as long as a real sign-up
    if existing is not None:
        _queue_mail(kind="account_exists", email=existing.email, site=site, user=existing)
    else:
        _queue_mail(kind="username_taken", email=email, site=site, username=username)


def _stale_and_unconfirmed(user) -> bool:
    """An account that never confirmed its address while its link was valid: it cannot file
    or join anything, and must not keep the address from its real owner."""
    window = timedelta(days=settings.DEFPUB_VERIFICATION_DAYS)
    return user.date_joined < timezone.now() - window and not email_verified(user)


def _release_address(user) -> None:
    address = user.email
    user.email = ""
    user.save(update_fields=["email"])
    audit(actor=None, action=AuditAction.ACCOUNT_RELEASE_EMAIL, target=user, email=address)


def verification_token(user) -> str:
    return signing.dumps({"user": user.pk, "email": user.email.lower()}, salt=VERIFICATION_SALT)


def verification_user(token: str):
    """The account a confirmation link names; ValidationError when forged, expired, already
    used, or made for an address the account no longer has."""
    try:
        payload = signing.loads(token, salt=VERIFICATION_SALT,
                                max_age=settings.DEFPUB_VERIFICATION_DAYS * 24 * 3600)
    except signing.SignatureExpired as error:
        raise ValidationError(_("This confirmation link has expired. Sign in and ask for a "
                                "new one."), code="expired") from error
    except signing.BadSignature as error:
        raise ValidationError(_("This confirmation link is not valid."),
                              code="invalid") from error
    user = get_user_model().objects.filter(
        pk=payload.get("user") if isinstance(payload, dict) else None).first()
    if user is None or user.email.lower() != payload.get("email"):
        raise ValidationError(_("This confirmation link is not valid."), code="invalid")
    if email_verified(user):
        raise ValidationError(_("This confirmation link has already been used: your address "
                                "is confirmed."), code="used")
    return user


@transaction.atomic
def email_verify(*, token: str):
    """Mark the account's current address as proven; a link works once."""
    user = verification_user(token)
    profile, _created = UserProfile.objects.select_for_update().get_or_create(user=user)
    if profile.email_verified:  # a concurrent click won
        raise ValidationError(_("This confirmation link has already been used: your address "
                                "is confirmed."), code="used")
    profile.email_verified_at, profile.verified_email = timezone.now(), user.email
    profile.save(update_fields=["email_verified_at", "verified_email"])
    audit(actor=user, action=AuditAction.ACCOUNT_VERIFY_EMAIL, target=user, email=user.email)
    return user


@transaction.atomic
def verification_resend(*, user, site: str) -> None:
    """Mail a fresh confirmation link, at most DEFPUB_VERIFICATION_MAILS_PER_HOUR times."""
    if email_verified(user):
        raise ValidationError(_("Your e-mail address is already confirmed."), code="verified")
    if counter_hit(key=f"verify-mail:{user.pk}", window=3600) > (
            settings.DEFPUB_VERIFICATION_MAILS_PER_HOUR):
        raise ValidationError(_("We have sent you several links in the last hour. Check your "
                                "spam folder, or try again later."), code="rate")
    _queue_mail(kind="verify", email=user.email, site=site, user=user)


def account_mail_send(*, kind: str, email: str, user_id: int | None, username: str,
                      site: str) -> bool:
    """Render and send one account mail (called by the task); mail errors propagate."""
    if kind not in MAIL_KINDS:
        raise ValueError(f"unknown account mail {kind!r}")
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    if kind != "username_taken" and user is None:
        return False  # the account is gone
    if kind == "verify":
        if email_verified(user) or user.email.lower() != email.lower():
            return False
        link = site.rstrip("/") + reverse("email_verify", args=[verification_token(user)])
    else:
        link = site.rstrip("/") + reverse("login")
    context = {"user": user, "username": username, "link": link,
               "days": settings.DEFPUB_VERIFICATION_DAYS,
               "signup": site.rstrip("/") + reverse("signup")}
    subjects = {
        "verify": _("Confirm your e-mail address for DefPub"),
        "account_exists": _("You already have a DefPub account"),
        "username_taken": _("Your DefPub account was not created"),
    }
    send_mail(subject=subjects[kind], from_email=None, recipient_list=[email],
              message=render_to_string(f"accounts/mail/{kind}.txt", context),
              fail_silently=False)
    return True
