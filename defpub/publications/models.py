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
            # The other half of "published means published": no number for an unpublished
            # disclosure once the transaction commits.
            pgtrigger.Trigger(
                name="publication_of_published",
                operation=pgtrigger.Insert,
                when=pgtrigger.After,
                timing=pgtrigger.Deferred,
                func="""
                    IF NOT EXISTS (SELECT 1 FROM defpub_disclosure
                                   WHERE id = NEW.disclosure_id AND status = 'published') THEN
                        RAISE EXCEPTION 'publication % names a disclosure that is not published',
                            NEW.number USING ERRCODE = 'integrity_constraint_violation';
                    END IF;
                    RETURN NULL;
                """,
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


class DocumentKind(models.TextChoices):
    PDF = "pdf", "PDF/A-3b"


class PublicationDocument(models.Model):
    """A document made once from a publication's record and ledger proof, then served as
    stored: every download is the same bytes, whatever happens to the live rows later."""

    publication = models.ForeignKey(
        Publication, on_delete=models.PROTECT, related_name="documents"
    )
    kind = models.CharField(max_length=16, choices=DocumentKind.choices)
    content = models.BinaryField()
    sha256 = models.CharField(max_length=64)  # of content; the ETag it is served with
    # The checkpoint whose inclusion proof the document carries (None: no checkpoint yet).
    tree_size = models.PositiveBigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["publication", "kind"], name="one_document_per_kind"),
        ]
        triggers = [
            pgtrigger.Protect(
                name="publication_document_append_only",
                operation=pgtrigger.Update | pgtrigger.Delete,
            ),
            pgtrigger.Trigger(
                name="publication_document_digest",
                operation=pgtrigger.Insert,
                when=pgtrigger.Before,
                func="""
                    IF NEW.sha256 IS DISTINCT FROM encode(sha256(NEW.content), 'hex') THEN
                        RAISE EXCEPTION 'document digest does not match its content'
                            USING ERRCODE = 'check_violation';
                    END IF;
                    RETURN NEW;
                """,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.publication_id} {self.kind}"
