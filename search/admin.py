from django.contrib import admin

from search.models import IndexState


@admin.register(IndexState)
class IndexStateAdmin(admin.ModelAdmin):
    """Where each publication stands in indexing; re-queue from the shell or let the sweeper."""

    list_display = ["publication", "status", "passages", "attempts", "queued_at", "indexed_at"]
    list_filter = ["status"]
    search_fields = ["publication__number"]
    readonly_fields = [f.name for f in IndexState._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
