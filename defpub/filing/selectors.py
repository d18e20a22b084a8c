"""Reading disclosures: their history and their publication."""

from django.db.models import Q
from django.utils.dateparse import parse_datetime

from defpub.audit.models import AuditEvent
from defpub.filing.models import Disclosure
from defpub.publications.models import Publication


def publication_of(*, disclosure: Disclosure) -> Publication | None:
    return Publication.objects.filter(disclosure=disclosure).first()


def disclosure_history(*, disclosure, labels: dict) -> list[dict]:
    """The disclosure's audit trail, oldest first; runs of edits by one person are merged.
    `labels` names the edited fields as the form does."""
    events = (
        AuditEvent.objects.filter(
            Q(target_type=disclosure._meta.label_lower, target_id=str(disclosure.pk))
            | Q(target_type="defpub.attachment", data__disclosure=disclosure.pk)
        )
        .select_related("actor")
        .order_by("at", "id")
    )
    rows: list[dict] = []
    for event in events:
        last = rows[-1] if rows else None
        if (
            event.action == "disclosure.update"
            and last
            and last["action"] == event.action
            and last["actor"] == event.actor
        ):
            last["at"] = event.at
            last["fields"] |= set(event.data.get("fields", []))
            continue
        publish_at = event.data.get("publish_at")
        rows.append(
            {
                "action": event.action,
                "at": event.at,
                "actor": event.actor,
                "data": event.data,
                "fields": set(event.data.get("fields", [])),
                "publish_at": parse_datetime(publish_at) if publish_at else None,
            }
        )
    for row in rows:
        row["fields"] = [str(labels.get(name, name)) for name in sorted(row["fields"])]
    return rows
