"""Filings are imported, never edited by hand: read-only in the operators' admin."""

from django.contrib import admin

from defpub.audit.admin import AuditedAdmin
from review.models import Claim, Feed, Filing, ScreeningResult, WatchCase


class ReadOnly(AuditedAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ClaimInline(admin.TabularInline):
    model = Claim
    fields = ["number", "independent", "parents", "references", "text"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Filing)
class FilingAdmin(ReadOnly):
    list_display = [
        "__str__",
        "application_number",
        "publication_date",
        "earliest_date",
        "earliest_reason",
        "imported_at",
    ]
    list_filter = ["office", "kind"]
    search_fields = ["number", "application_number"]
    inlines = [ClaimInline]


@admin.register(Claim)
class ClaimAdmin(ReadOnly):
    list_display = ["__str__", "independent", "parents", "references"]
    list_filter = ["independent"]
    search_fields = ["filing__number"]
    raw_id_fields = ["filing"]


@admin.register(ScreeningResult)
class ScreeningResultAdmin(ReadOnly):
    list_display = ["__str__", "cutoff", "model", "suspected", "screened_at"]
    list_filter = ["suspected"]
    search_fields = ["filing__number"]
    raw_id_fields = ["filing", "claim"]


@admin.register(WatchCase)
class WatchCaseAdmin(ReadOnly):
    """Cases change through the panel's services (review/cases.py), which audit them."""

    list_display = ["__str__", "status", "opened_by", "opened_at", "updated_at"]
    list_filter = ["status", "opened_by", "filing__office"]
    search_fields = ["filing__number"]
    raw_id_fields = ["filing"]


@admin.register(Feed)
class FeedAdmin(ReadOnly):
    """Feeds move through review/feeds.py (the feed folder and the upload page)."""

    list_display = ["__str__", "source", "office", "status", "documents", "imported",
                    "screened", "cases_opened", "created_at"]
    list_filter = ["status", "source", "office"]
    search_fields = ["file_name"]
    raw_id_fields = ["uploaded_by"]
