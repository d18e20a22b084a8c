from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from defpub.validators import validate_no_control_characters


class Organisation(models.Model):
    slug = models.SlugField(unique=True, max_length=64)
    # The name goes into e-mail subjects: a CR/LF there once gave a 500 (BadHeaderError).
    name = models.CharField(max_length=200, validators=[validate_no_control_characters])
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    ADMIN = "admin", _("Admin")
    SUBMITTER = "submitter", _("Submitter")
    VIEWER = "viewer", _("Viewer")


ADMIN_ROLES = frozenset({Role.OWNER, Role.ADMIN})
FILING_ROLES = frozenset({Role.OWNER, Role.ADMIN, Role.SUBMITTER})


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="one_membership_per_org")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.organisation} as {self.role}"

    @property
    def is_admin(self) -> bool:
        return self.role in ADMIN_ROLES

    @property
    def can_file(self) -> bool:
        return self.role in FILING_ROLES


class MailStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    RETRYING = "retrying", _("Sending failed; retrying")
    FAILED = "failed", _("Sending failed")


PENDING = Q(accepted_at__isnull=True, revoked_at__isnull=True)


class Invitation(models.Model):
    """An e-mailed, signed, expiring invitation; the link carries a signature of its id.

    The mail leaves after commit, through a Celery task that records here whether it went.
    """

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField()
    role = models.CharField(max_length=16, choices=Role.choices)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    created_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    queued_at = models.DateTimeField(null=True, blank=True)  # the last (re)send asked for
    mail_status = models.CharField(
        max_length=16, choices=MailStatus.choices, default=MailStatus.QUEUED
    )
    mail_attempts = models.PositiveIntegerField(default=0)
    mail_error = models.CharField(max_length=300, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)  # the last mail that went out

    class Meta:
        constraints = [
            models.UniqueConstraint(
                "organisation",
                Lower("email"),
                condition=PENDING,
                name="one_pending_invitation_per_address",
            )
        ]

    def __str__(self) -> str:
        return f"{self.email} to {self.organisation}"

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None
