import pgtrigger
from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    """One state change: who did what to which object, when. Rows are never changed."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    # PROTECT: an audit row outlives nothing it names; deactivate users rather than delete.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    action = models.CharField(max_length=64)
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
