import pgtrigger
from django.db import models


class Publication(models.Model):
    """A published disclosure: permanent number, UTC time, digest, ledger leaf. Never changes."""

    number = models.CharField(max_length=20, unique=True)  # DP-YYYY-NNNNNN
    disclosure = models.OneToOneField(
        "defpub.Disclosure", on_delete=models.PROTECT, related_name="publication"
    )
    organisation = models.ForeignKey(
        "defpub.Organisation", on_delete=models.PROTECT, related_name="publications"
    )
    published_at = models.DateTimeField(db_index=True)
    digest = models.CharField(max_length=64)  # SHA-256 hex of the canonical record
    record = models.JSONField()  # the canonical record; see docs/canonical-form.md
    leaf_index = models.PositiveBigIntegerField(unique=True)
    corrects = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="corrected_by"
    )

    class Meta:
        ordering = ["-published_at", "-id"]
        triggers = [
            pgtrigger.Protect(
                name="publication_immutable", operation=pgtrigger.Update | pgtrigger.Delete
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return f"/p/{self.number}"


class PublicationCounter(models.Model):
    """The last number issued per year; bumped in the publishing transaction, so gap-free."""

    year = models.PositiveIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"
