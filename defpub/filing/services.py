"""Writing disclosures: drafts, files, submission, approval, corrections."""

import contextlib
import os

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from defpub.audit.models import AuditAction
from defpub.audit.services import audit
from defpub.filing.classification import normalise_symbols
from defpub.filing.models import Attachment, AttachmentRole, Disclosure, Status
from defpub.filing.uploads import check_upload
from defpub.filing.workflow import ensure_may
from defpub.organisations.models import Membership, Organisation
from defpub.permissions import require_filer
from defpub.publications.models import Publication

EDITABLE_FIELDS = (
    "title_en",
    "title_zh",
    "abstract_en",
    "abstract_zh",
    "description_en",
    "description_zh",
    "technical_field",
    "ipc",
    "keywords",
    "inventors",
    "features",
    "source",
    "source_date",
    "publish_at",
)
LIST_FIELDS = ("keywords", "inventors", "features")


def clean_fields(fields: dict) -> dict:
    """Normalise what a form, the API or an import hands in; raises ValidationError."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    cleaned = dict(fields)
    for name in LIST_FIELDS:
        if name in cleaned:
            cleaned[name] = [item.strip() for item in cleaned[name] or [] if item.strip()]
    if "ipc" in cleaned:
        try:
            cleaned["ipc"] = normalise_symbols(cleaned["ipc"] or [])
        except ValidationError as error:
            raise ValidationError({"ipc": error.messages}) from error
    for name in ("title_en", "title_zh", "abstract_en", "abstract_zh", "technical_field"):
        if name in cleaned:
            cleaned[name] = (cleaned[name] or "").strip()
    return cleaned


def submission_problems(disclosure: Disclosure) -> dict[str, str]:
    """What must be filled in before a disclosure can be submitted."""
    problems = {}
    if not disclosure.text("title"):
        problems["title_en"] = _("Give a title in English or Chinese (or both).")
    if not disclosure.text("abstract"):
        problems["abstract_en"] = _("Give an abstract in English or Chinese (or both).")
    return problems


def _member(user, organisation) -> Membership:
    return Membership.objects.get(user=user, organisation=organisation)


def _ensure_may(user, disclosure: Disclosure, action: str) -> None:
    """The user's role and the disclosure's state allow the action (filing/workflow.py)."""
    ensure_may(disclosure=disclosure, membership=_member(user, disclosure.organisation),
               action=action)


@transaction.atomic
def disclosure_create(*, organisation: Organisation, by, **fields) -> Disclosure:
    require_filer(_member(by, organisation))
    disclosure = Disclosure.objects.create(organisation=organisation, created_by=by,
                                           **clean_fields(fields))
    audit(actor=by, action=AuditAction.DISCLOSURE_CREATE, target=disclosure,
          organisation=organisation)
    return disclosure


@transaction.atomic
def disclosure_update(*, disclosure: Disclosure, by, **fields) -> Disclosure:
    disclosure = Disclosure.objects.select_for_update().get(pk=disclosure.pk)
    _ensure_may(by, disclosure, "edit")
    cleaned = clean_fields(fields)
    changed = [name for name, value in cleaned.items() if getattr(disclosure, name) != value]
    for name in changed:
        setattr(disclosure, name, cleaned[name])
    if changed:
        disclosure.save(update_fields=[*changed, "updated_at"])
        audit(actor=by, action=AuditAction.DISCLOSURE_UPDATE, target=disclosure,
              organisation=disclosure.organisation, fields=changed)
    return disclosure


@transaction.atomic
def disclosure_delete(*, disclosure: Disclosure, by) -> None:
    disclosure = Disclosure.objects.select_for_update().get(pk=disclosure.pk)
    _ensure_may(by, disclosure, "delete")
    audit(actor=by, action=AuditAction.DISCLOSURE_DELETE, target=disclosure,
          organisation=disclosure.organisation, title=str(disclosure))
    files = [attachment.file.name for attachment in disclosure.attachments.all()]
    disclosure.delete()
    transaction.on_commit(lambda: _delete_unreferenced(files))


@transaction.atomic
def disclosure_submit(*, disclosure: Disclosure, by) -> Disclosure:
    disclosure = Disclosure.objects.select_for_update().get(pk=disclosure.pk)
    _ensure_may(by, disclosure, "submit")
    problems = submission_problems(disclosure)
    if problems:
        raise ValidationError(problems)
    disclosure.status = Status.SUBMITTED
    disclosure.submitted_at = timezone.now()
    disclosure.save(update_fields=["status", "submitted_at", "updated_at"])
    audit(actor=by, action=AuditAction.DISCLOSURE_SUBMIT, target=disclosure,
          organisation=disclosure.organisation)
    return disclosure


@transaction.atomic
def disclosure_return(*, disclosure: Disclosure, by, reason: str = "") -> Disclosure:
    """An admin sends a submitted or approved disclosure back to draft."""
    disclosure = Disclosure.objects.select_for_update().get(pk=disclosure.pk)
    _ensure_may(by, disclosure, "return")
    disclosure.status = Status.DRAFT
    disclosure.approved_at = disclosure.approved_by = None
    disclosure.save(update_fields=["status", "approved_at", "approved_by", "updated_at"])
    audit(actor=by, action=AuditAction.DISCLOSURE_RETURN, target=disclosure,
          organisation=disclosure.organisation, reason=reason)
    return disclosure


@transaction.atomic
def disclosure_approve(*, disclosure: Disclosure, by, publish_at=None) -> Disclosure:
    """Approve; publishes at once unless `publish_at` (an embargo) lies in the future."""
    from defpub.publications.services import disclosure_publish

    disclosure = Disclosure.objects.select_for_update().get(pk=disclosure.pk)
    _ensure_may(by, disclosure, "approve")
    publish_at = publish_at or disclosure.publish_at
    disclosure.status = Status.APPROVED
    disclosure.approved_at = timezone.now()
    disclosure.approved_by = by
    disclosure.publish_at = publish_at
    disclosure.save(
        update_fields=["status", "approved_at", "approved_by", "publish_at", "updated_at"]
    )
    audit(actor=by, action=AuditAction.DISCLOSURE_APPROVE, target=disclosure,
          organisation=disclosure.organisation,
          publish_at=publish_at.isoformat() if publish_at else None)
    if publish_at is None or publish_at <= timezone.now():
        disclosure_publish(disclosure=disclosure, by=by)
        disclosure.refresh_from_db()
    return disclosure


@transaction.atomic
def attachment_add(*, disclosure: Disclosure, by, name: str, content: bytes,
                   role: str = AttachmentRole.ATTACHMENT) -> Attachment:
    disclosure = Disclosure.objects.select_for_update().get(pk=disclosure.pk)
    _ensure_may(by, disclosure, "edit")
    checked = check_upload(name=name, content=content)  # raises before anything is stored
    if role == AttachmentRole.FIGURE and not checked.media_type.startswith("image/"):
        raise ValidationError(_("Only images (PNG, JPEG, SVG) can be figures."), code="not_image")
    attachment = Attachment(
        disclosure=disclosure, role=role, display_name=checked.display_name,
        media_type=checked.media_type, extension=checked.extension, size=checked.size,
        sha256=checked.sha256, position=disclosure.attachments.count(),
    )
    storage = attachment.file.field.storage
    path = attachment.file.field.generate_filename(attachment, checked.display_name)
    if not storage.exists(path):  # content-addressed: the same bytes are stored once
        storage.save(path, ContentFile(checked.content))
        with contextlib.suppress(NotImplementedError):  # storages without a local path
            os.chmod(storage.path(path), 0o444)  # a stored file is never rewritten
    attachment.file.name = path
    attachment.save()
    audit(actor=by, action=AuditAction.ATTACHMENT_ADD, target=attachment,
          organisation=disclosure.organisation, disclosure=disclosure.pk,
          sha256=checked.sha256, name=checked.display_name)
    return attachment


@transaction.atomic
def attachment_remove(*, attachment: Attachment, by) -> None:
    disclosure = Disclosure.objects.select_for_update().get(pk=attachment.disclosure_id)
    _ensure_may(by, disclosure, "edit")
    audit(actor=by, action=AuditAction.ATTACHMENT_REMOVE, target=attachment,
          organisation=disclosure.organisation, disclosure=disclosure.pk,
          sha256=attachment.sha256, name=attachment.display_name)
    name = attachment.file.name
    attachment.delete()
    transaction.on_commit(lambda: _delete_unreferenced([name]))


def _delete_unreferenced(names: list[str]) -> None:
    for name in names:
        if not Attachment.objects.filter(file=name).exists():
            Attachment.file.field.storage.delete(name)


@transaction.atomic
def disclosure_start_correction(*, publication: Publication, by) -> Disclosure:
    """A new draft, prefilled from a publication, that will correct it when published."""
    old = publication.disclosure
    copy = {name: getattr(old, name) for name in EDITABLE_FIELDS if name != "publish_at"}
    disclosure = disclosure_create(organisation=publication.organisation, by=by, **copy)
    disclosure.corrects = publication
    disclosure.save(update_fields=["corrects"])
    for attachment in old.attachments.all():
        Attachment.objects.create(
            disclosure=disclosure, role=attachment.role, file=attachment.file.name,
            display_name=attachment.display_name, media_type=attachment.media_type,
            extension=attachment.extension, size=attachment.size, sha256=attachment.sha256,
            position=attachment.position,
        )
    return disclosure
