from django.db import models

from defpub.audit.models import AuditAction, AuditEvent
from defpub.organisations.models import Organisation


def audit(
    *,
    actor,
    action: AuditAction | str,
    target: models.Model,
    organisation: Organisation | None = None,
    **data,
) -> AuditEvent:
    """Record one state change. Call it inside the service's transaction. `action` is an
    AuditAction (or AuditAction.admin_action(name)); anything else is a programming error."""
    if not AuditAction.is_valid(str(action)):
        raise ValueError(f"not an AuditAction: {action!r}")
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=str(action),
        organisation=organisation,
        target_type=target._meta.label_lower,
        target_id=str(getattr(target, "audit_id", target.pk)),
        data=data,
    )
