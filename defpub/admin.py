"""The operators' admin. Published records, the ledger and the audit trail are read-only here
(and the database refuses changes to them anyway). The workflow moves only through the
services: a disclosure's status and dates are never a form field, and only a disclosure the
workflow lets its authors edit can be edited here. Every write leaves an audit row."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from rest_framework_api_key.admin import APIKeyModelAdmin
from rest_framework_api_key.models import APIKey

from defpub.audit.admin import AuditedAdmin, changed_fields
from defpub.audit.models import AuditEvent
from defpub.examiners.models import ApiKeyUsage, ExaminerKey
from defpub.filing.models import Attachment, Disclosure
from defpub.filing.workflow import ALLOWED_FROM, WorkflowError, ensure_allowed
from defpub.ledger.models import LedgerCheckpoint
from defpub.organisations.models import Invitation, Membership, Organisation
from defpub.publications.models import Publication, PublicationDocument

# Set only by the services (submit, approve, publish, return, start a correction).
WORKFLOW_FIELDS = ("organisation", "created_by", "status", "submitted_at", "approved_at",
                   "approved_by", "corrects", "external_id", "created_at", "updated_at")


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Organisation)
class OrganisationAdmin(AuditedAdmin):
    list_display = ["name", "slug", "created_at"]
    search_fields = ["name", "slug"]
    inlines = [MembershipInline]


@admin.register(Invitation)
class InvitationAdmin(AuditedAdmin):
    list_display = ["email", "organisation", "role", "created_at", "accepted_at"]
    list_filter = ["role"]
    search_fields = ["email", "organisation__name"]


class AttachmentInline(admin.TabularInline):
    model = Attachment
    extra = 0
    fields = ["display_name", "role", "media_type", "size", "sha256"]
    readonly_fields = fields
    can_delete = False  # files are added and removed on the filing pages

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Disclosure)
class DisclosureAdmin(AuditedAdmin):
    list_display = ["__str__", "organisation", "status", "updated_at"]
    list_filter = ["status"]
    search_fields = ["title_en", "title_zh", "external_id"]
    readonly_fields = WORKFLOW_FIELDS
    inlines = [AttachmentInline]

    def has_add_permission(self, request):
        return False  # members file disclosures on the site, through the API or an import

    def has_change_permission(self, request, obj=None):
        return obj is None or obj.status in ALLOWED_FROM["edit"]

    def has_delete_permission(self, request, obj=None):
        return obj is None or obj.status in ALLOWED_FROM["delete"]

    def get_deleted_objects(self, objs, request):
        # The bulk delete action asks permission for the model only; refuse it per object.
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        if any(obj.status not in ALLOWED_FROM["delete"] for obj in objs):
            perms_needed = {*perms_needed, str(self.opts.verbose_name)}
        return deleted, counts, perms_needed, protected

    @transaction.atomic
    def save_model(self, request, obj, form, change):
        # Lock, check the state as it is now, and write only the fields the form changed, so
        # an edit racing an approval can neither slip through nor write back an old status.
        current = Disclosure.objects.select_for_update().get(pk=obj.pk)
        try:
            ensure_allowed(disclosure=current, action="edit")
        except WorkflowError as error:
            raise PermissionDenied(str(error)) from error
        fields = [name for name in form.changed_data if name not in WORKFLOW_FIELDS]
        if fields:
            obj.save(update_fields=[*fields, "updated_at"])
        obj._admin_changes = changed_fields(form)


@admin.register(Publication)
class PublicationAdmin(ReadOnlyAdmin):
    list_display = ["number", "organisation", "published_at", "leaf_index"]
    search_fields = ["number"]
    date_hierarchy = "published_at"


@admin.register(PublicationDocument)
class PublicationDocumentAdmin(ReadOnlyAdmin):
    list_display = ["publication", "kind", "sha256", "tree_size", "created_at"]
    exclude = ["content"]
    search_fields = ["publication__number", "sha256"]


@admin.register(LedgerCheckpoint)
class LedgerCheckpointAdmin(ReadOnlyAdmin):
    list_display = ["size", "created_at"]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor", "action", "target_type", "target_id", "organisation"]
    list_filter = ["action"]
    search_fields = ["target_id", "action"]


# The library's own APIKey model is unused: examiners' keys are ExaminerKey.
admin.site.unregister(APIKey)


class ApiKeyUsageInline(admin.TabularInline):
    model = ApiKeyUsage
    fields = ["day", "served", "refused"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ExaminerKey)
class ExaminerKeyAdmin(AuditedAdmin, APIKeyModelAdmin):
    """Adding a key here shows it once in a message; only its hash is stored."""

    list_display = ["prefix", "name", "owner", "office", "rate_per_minute", "created",
                    "last_used_at", "revoked"]
    list_filter = ["revoked", "created"]
    search_fields = ["prefix", "name", "office", "owner__username", "owner__email"]
    fields = ["owner", "office", "name", "rate_per_minute", "expiry_date", "revoked",
              "last_used_at"]
    autocomplete_fields = ["owner"]
    inlines = [ApiKeyUsageInline]

    def get_readonly_fields(self, request, obj=None):
        return (*super().get_readonly_fields(request, obj), "last_used_at")

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: the audit trail and usage keep pointing at the key

    def save_model(self, request, obj, form, change):
        if change and obj.revoked and not obj.revoked_at:
            obj.revoked_at = timezone.now()
        super().save_model(request, obj, form, change)

