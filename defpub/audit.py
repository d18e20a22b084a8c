from django.db import models

from defpub.models import AuditEvent, Organisation


def audit(
    *,
    actor,
    action: str,
    target: models.Model,
    organisation: Organisation | None = None,
    **data,
) -> AuditEvent:
    """Record one state change. Call it inside the service's transaction."""
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        organisation=organisation,
        target_type=target._meta.label_lower,
        target_id=str(getattr(target, "audit_id", target.pk)),
        data=data,
    )
