import pgtrigger
from django.conf import settings
from django.db import models


class AuditAction(models.TextChoices):
    """Every kind of audit row; defpub.audit.services.audit refuses any other action."""

    ACCOUNT_SIGN_UP = "account.sign_up"
    ACCOUNT_RELEASE_EMAIL = "account.release_email"
    ACCOUNT_VERIFY_EMAIL = "account.verify_email"
    API_KEY_ISSUE = "api_key.issue"
    API_KEY_REVOKE = "api_key.revoke"
    ORGANISATION_CREATE = "organisation.create"
    MEMBERSHIP_ROLE = "membership.role"
    MEMBERSHIP_REMOVE = "membership.remove"
    INVITATION_CREATE = "invitation.create"
    INVITATION_REVOKE = "invitation.revoke"
    INVITATION_RESEND = "invitation.resend"
    INVITATION_ACCEPT = "invitation.accept"
    DISCLOSURE_CREATE = "disclosure.create"
    DISCLOSURE_UPDATE = "disclosure.update"
    DISCLOSURE_DELETE = "disclosure.delete"
    DISCLOSURE_SUBMIT = "disclosure.submit"
    DISCLOSURE_RETURN = "disclosure.return"
    DISCLOSURE_APPROVE = "disclosure.approve"
    DISCLOSURE_PUBLISH = "disclosure.publish"
    DISCLOSURE_IMPORT = "disclosure.import"
    ATTACHMENT_ADD = "attachment.add"
    ATTACHMENT_REMOVE = "attachment.remove"
    PUBLICATION_PDF = "publication.pdf"
    # review: the panel's records (the names live here so that every action is in one list)
    FILING_IMPORT = "filing.import"
    FILING_SCREEN_QUEUED = "filing.screen_queued"  # a panelist asked for a re-screening
    WATCH_CASE_OPENED = "watch.case_opened"
    WATCH_CASE_STATUS = "watch.case_status"
    WATCH_CASE_NOTE = "watch.case_note"
    PANEL_MEMBERSHIP = "panel.membership"
    FEED_RECEIVED = "feed.received"  # a weekly file dropped in WATCH_FEED_DIR or uploaded
    FEED_FINISHED = "feed.finished"
    ADMIN_ADD = "admin.add"
    ADMIN_CHANGE = "admin.change"
    ADMIN_DELETE = "admin.delete"
    # An admin action (a bulk action of a ModelAdmin) is stored as "admin.action.<its name>".
    ADMIN_ACTION = "admin.action"

    @classmethod
    def admin_action(cls, name: str) -> str:
        return f"{cls.ADMIN_ACTION}.{name}"

    @classmethod
    def is_valid(cls, action: str) -> bool:
        return action in cls.values or action.startswith(f"{cls.ADMIN_ACTION}.")


class AuditEvent(models.Model):
    """One state change: who did what to which object, when. Rows are never changed."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    # PROTECT: an audit row outlives nothing it names; deactivate users rather than delete.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    action = models.CharField(max_length=64)  # an AuditAction (no choices: no migration)
    organisation = models.ForeignKey(
        "defpub.Organisation", null=True, blank=True, on_delete=models.PROTECT
    )
    target_type = models.CharField(max_length=64)
    target_id = models.CharField(max_length=64)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id"])]
        triggers = [
            pgtrigger.Protect(
                name="audit_append_only", operation=pgtrigger.Update | pgtrigger.Delete
            ),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.target_type}:{self.target_id}"
