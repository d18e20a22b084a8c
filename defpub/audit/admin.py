"""Every write made through the operators' admin leaves an audit row in its own transaction.

Django's admin reports each write it makes to ``log_addition``, ``log_change`` and
``log_deletions`` (the change form, list editing, the delete page, the bulk delete action and
the user password form), inside the transaction of the write; the mixin writes an AuditEvent
there too. Actions run in one transaction, and any action other than the bulk delete leaves
one row per object it was given.
"""

import functools

from django.contrib import admin
from django.db import router, transaction

from defpub.audit.models import AuditAction
from defpub.audit.services import audit
from defpub.organisations.models import Organisation

SECRET_WORDS = ("password", "secret", "token", "hashed", "key")
VALUE_LIMIT = 200


def _organisation(obj, *, deleting: bool = False) -> Organisation | None:
    if isinstance(obj, Organisation):
        return None if deleting else obj  # an audit row must not hold a deleted org back
    organisation_id = getattr(obj, "organisation_id", None)
    return Organisation(pk=organisation_id) if organisation_id else None


def _shown(value) -> str | list | None:
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, list | tuple):
        return [_shown(item) for item in value[:20]]
    text = str(value)
    return text if len(text) <= VALUE_LIMIT else text[:VALUE_LIMIT] + "…"


def changed_fields(form) -> dict:
    """{field: [before, after]} for what the form changed; secrets by name only."""
    changes = {}
    for name in form.changed_data:
        if any(word in name.lower() for word in SECRET_WORDS):
            changes[name] = "(changed)"
        else:
            changes[name] = [_shown(form.initial.get(name)), _shown(form.cleaned_data.get(name))]
    return changes


class AuditedAdmin(admin.ModelAdmin):
    """A ModelAdmin whose every write is an AuditEvent: actor, action, target, what changed."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        obj._admin_changes = changed_fields(form)  # read by log_change/log_addition below

    def log_addition(self, request, obj, message):
        self._audit(request, AuditAction.ADMIN_ADD, obj, message)
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        self._audit(request, AuditAction.ADMIN_CHANGE, obj, message)
        return super().log_change(request, obj, message)

    def log_deletions(self, request, queryset):
        for obj in queryset:
            audit(actor=request.user, action=AuditAction.ADMIN_DELETE, target=obj,
                  organisation=_organisation(obj, deleting=True), via="admin", object=str(obj))
        return super().log_deletions(request, queryset)

    def response_action(self, request, queryset):
        # One transaction per action, so its audit rows and its writes stand or fall together.
        with transaction.atomic(using=router.db_for_write(self.model)):
            return super().response_action(request, queryset)

    def get_actions(self, request):
        actions = super().get_actions(request)
        return {
            name: (func if name == "delete_selected" else _audited(func, name), name, text)
            for name, (func, name, text) in actions.items()
        }

    def _audit(self, request, action: str, obj, message) -> None:
        audit(actor=request.user, action=action, target=obj, organisation=_organisation(obj),
              via="admin", changes=getattr(obj, "_admin_changes", {}), message=message or [])


def _audited(func, name: str):
    @functools.wraps(func)
    def run(modeladmin, request, queryset):
        objects = list(queryset)
        response = func(modeladmin, request, queryset)
        for obj in objects:
            audit(actor=request.user, action=AuditAction.admin_action(name), target=obj,
                  organisation=_organisation(obj), via="admin")
        return response

    return run


def audit_every_admin(site=admin.site) -> None:
    """Give every registered admin (Django's users and groups, axes, the apps above the core)
    the audit mixin; called once the admin modules have all been imported."""
    for model, model_admin in list(site._registry.items()):
        if isinstance(model_admin, AuditedAdmin):
            continue
        cls = type(model_admin)
        site.unregister(model)
        site.register(model, type(f"Audited{cls.__name__}", (AuditedAdmin, cls), {}))
