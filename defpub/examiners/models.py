"""Examiners' API keys (stored hashed: SHA-512 of a 40-character random key) and their use."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.models import AbstractAPIKey


class ExaminerKey(AbstractAPIKey):
    """A free key for the examiner API. Only its prefix and hash are stored."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys"
    )
    office = models.CharField(_("office"), max_length=120)
    # Requests per minute; null means the default for keys (API_RATE_KEY).
    rate_per_minute = models.PositiveIntegerField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta(AbstractAPIKey.Meta):
        verbose_name = _("examiner API key")
        verbose_name_plural = _("examiner API keys")

    @property
    def audit_id(self) -> str:
        return self.prefix  # the primary key holds the hash, longer than audit ids


class ApiKeyUsage(models.Model):
    """Requests made with one key on one UTC day: those served and those refused (429)."""

    key = models.ForeignKey(ExaminerKey, on_delete=models.CASCADE, related_name="usage")
    day = models.DateField()
    served = models.PositiveIntegerField(default=0)
    refused = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "day"], name="one_usage_row_a_day")]
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"{self.key_id} {self.day}: {self.served}"
