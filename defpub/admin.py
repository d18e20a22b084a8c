"""The operators' admin. Published records, the ledger and the audit trail are read-only here
(and the database refuses changes to them anyway)."""

from django.contrib import admin
from django.utils import timezone
from rest_framework_api_key.admin import APIKeyModelAdmin
from rest_framework_api_key.models import APIKey

from defpub.models import (
    ApiKeyUsage,
    Attachment,
    AuditEvent,
    Disclosure,
    ExaminerKey,
    Invitation,
    LedgerCheckpoint,
    Membership,
    Organisation,
    Publication,
)
from defpub.models.disclosures import Status


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
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "created_at"]
    search_fields = ["name", "slug"]
    inlines = [MembershipInline]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "organisation", "role", "created_at", "accepted_at"]
    list_filter = ["role"]
    search_fields = ["email", "organisation__name"]


class AttachmentInline(admin.TabularInline):
    model = Attachment
    extra = 0
    fields = ["display_name", "role", "media_type", "size", "sha256"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Disclosure)
class DisclosureAdmin(admin.ModelAdmin):
    list_display = ["__str__", "organisation", "status", "updated_at"]
    list_filter = ["status"]
    search_fields = ["title_en", "title_zh", "external_id"]
    inlines = [AttachmentInline]

    def has_change_permission(self, request, obj=None):
        return obj is None or obj.status != Status.PUBLISHED

    def has_delete_permission(self, request, obj=None):
        return obj is None or obj.status == Status.DRAFT


@admin.register(Publication)
class PublicationAdmin(ReadOnlyAdmin):
    list_display = ["number", "organisation", "published_at", "leaf_index"]
    search_fields = ["number"]
    date_hierarchy = "published_at"


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
class ExaminerKeyAdmin(APIKeyModelAdmin):
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
