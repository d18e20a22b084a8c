import pgtrigger
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _

LANGUAGES = ("en", "zh")


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted for approval")
    APPROVED = "approved", _("Approved, awaiting publication")
    PUBLISHED = "published", _("Published")


def _text_list() -> ArrayField:
    return ArrayField(models.TextField(), default=list, blank=True)


class Disclosure(models.Model):
    """A technical disclosure on its way to publication; frozen once published."""

    organisation = models.ForeignKey(
        "defpub.Organisation", on_delete=models.PROTECT, related_name="disclosures"
    )
    # None for records loaded by import_disclosures, which no person filed through the site.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)

    title_en = models.CharField(_("title (English)"), max_length=500, blank=True)
    title_zh = models.CharField(_("title (Chinese)"), max_length=500, blank=True)
    abstract_en = models.TextField(_("abstract (English)"), blank=True)
    abstract_zh = models.TextField(_("abstract (Chinese)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    description_zh = models.TextField(_("description (Chinese)"), blank=True)
    technical_field = models.CharField(_("technical field"), max_length=300, blank=True)
    ipc = ArrayField(models.CharField(max_length=32), default=list, blank=True)
    keywords = _text_list()
    inventors = _text_list()
    features = _text_list()  # key technical features, numbered from 1 in claim charts

    corrects = models.ForeignKey(
        "defpub.Publication",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="corrections",
    )
    external_id = models.CharField(max_length=200, blank=True)  # a bulk import's own key
    source = models.CharField(max_length=300, blank=True)
    source_date = models.DateField(null=True, blank=True)

    publish_at = models.DateTimeField(null=True, blank=True)  # embargo; None = on approval
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["-updated_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "external_id"],
                condition=~models.Q(external_id=""),
                name="external_id_unique_per_org",
            ),
        ]
        indexes = [models.Index(fields=["status", "publish_at"])]
        triggers = [
            pgtrigger.Protect(
                name="published_disclosure_frozen",
                operation=pgtrigger.Update | pgtrigger.Delete,
                condition=pgtrigger.Q(old__status="published"),
            ),
            # "Published" means a number, a record and a ledger leaf: checked at commit, so
            # publish_batch may write the publications and flip the status in either order.
            pgtrigger.Trigger(
                name="published_has_publication",
                operation=pgtrigger.Insert | pgtrigger.Update,
                when=pgtrigger.After,
                timing=pgtrigger.Deferred,
                condition=pgtrigger.Q(new__status="published"),
                func="""
                    IF NOT EXISTS (SELECT 1 FROM defpub_publication
                                   WHERE disclosure_id = NEW.id) THEN
                        RAISE EXCEPTION 'disclosure % is published without a publication',
                            NEW.id USING ERRCODE = 'integrity_constraint_violation';
                    END IF;
                    RETURN NULL;
                """,
            ),
        ]

    def __str__(self) -> str:
        return self.title_en or self.title_zh or f"Disclosure {self.pk}"

    def text(self, field: str) -> dict[str, str]:
        """A bilingual field as {"en": ..., "zh": ...}, without empty languages."""
        values = {lang: getattr(self, f"{field}_{lang}").strip() for lang in LANGUAGES}
        return {lang: value for lang, value in values.items() if value}

    @property
    def is_editable(self) -> bool:
        return self.status == Status.DRAFT


class AttachmentRole(models.TextChoices):
    FIGURE = "figure", _("Figure")
    ATTACHMENT = "attachment", _("Attachment")


def attachment_path(instance: "Attachment", filename: str) -> str:
    # Server-made, content-addressed: the user's name never reaches the file system.
    return f"attachments/{instance.sha256[:2]}/{instance.sha256}{instance.extension}"


class Attachment(models.Model):
    disclosure = models.ForeignKey(
        Disclosure, on_delete=models.CASCADE, related_name="attachments"
    )
    role = models.CharField(max_length=16, choices=AttachmentRole.choices)
    file = models.FileField(upload_to=attachment_path, max_length=200)
    display_name = models.CharField(max_length=200)
    media_type = models.CharField(max_length=64)
    extension = models.CharField(max_length=8)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]
        triggers = [
            # A published disclosure's files are part of its digest: never changed or removed.
            pgtrigger.Trigger(
                name="published_attachment_frozen",
                operation=pgtrigger.Update | pgtrigger.Delete,
                when=pgtrigger.Before,
                func="""
                    IF EXISTS (SELECT 1 FROM defpub_disclosure
                               WHERE id = OLD.disclosure_id AND status = 'published') THEN
                        RAISE EXCEPTION 'attachment % belongs to a published disclosure', OLD.id
                            USING ERRCODE = 'integrity_constraint_violation';
                    END IF;
                    RETURN COALESCE(NEW, OLD);
                """,
            ),
        ]

    def __str__(self) -> str:
        return self.display_name
