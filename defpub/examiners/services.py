"""Examiners' API keys: issue, revoke, rotate, and count their daily use.

A key is shown once, when it is issued; the database keeps its prefix and a SHA-512 hash.
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from defpub.audit.models import AuditAction
from defpub.audit.services import audit
from defpub.examiners.models import ExaminerKey

MAX_ACTIVE_KEYS = 5


@transaction.atomic
def api_key_issue(*, owner, office: str, name: str, rate_per_minute: int | None = None,
                  by=None) -> tuple[ExaminerKey, str]:
    """A new key for `owner`; returns the row and the plain key, which is never stored."""
    office, name = " ".join(office.split()), " ".join(name.split())
    if not office:
        raise ValidationError({"office": _("Say which office you search for.")})
    active = ExaminerKey.objects.select_for_update().filter(owner=owner, revoked=False)
    if len(active) >= MAX_ACTIVE_KEYS:
        raise ValidationError(_("You have %(count)s active keys; revoke one first.")
                              % {"count": MAX_ACTIVE_KEYS})
    key, plain = ExaminerKey.objects.create_key(
        owner=owner, office=office[:120], name=(name or office)[:50],
        rate_per_minute=rate_per_minute,
    )
    audit(actor=by or owner, action=AuditAction.API_KEY_ISSUE, target=key, office=key.office)
    return key, plain


@transaction.atomic
def api_key_revoke(*, key: ExaminerKey, by) -> ExaminerKey:
    key = ExaminerKey.objects.select_for_update().get(pk=key.pk)
    if not key.revoked:
        key.revoked, key.revoked_at = True, timezone.now()
        key.save(update_fields=["revoked", "revoked_at"])
        audit(actor=by, action=AuditAction.API_KEY_REVOKE, target=key)
    return key


@transaction.atomic
def api_key_rotate(*, key: ExaminerKey, by) -> tuple[ExaminerKey, str]:
    """Revoke the key and issue its successor with the same office, name and rate."""
    old = api_key_revoke(key=key, by=by)
    return api_key_issue(owner=old.owner, office=old.office, name=old.name,
                         rate_per_minute=old.rate_per_minute, by=by)


def api_key_count_use(*, key_id: str, served: bool, day: date | None = None) -> None:
    """One request more for the key today: a single upsert, exact under concurrency."""
    column = "served" if served else "refused"
    with connection.cursor() as cursor:
        cursor.execute(
            # The column name is one of two literals above; values are parameters.
            "INSERT INTO defpub_apikeyusage (key_id, day, served, refused) "  # noqa: S608
            f"VALUES (%s, %s, %s, %s) ON CONFLICT (key_id, day) "
            f"DO UPDATE SET {column} = defpub_apikeyusage.{column} + 1",
            [key_id, day or timezone.now().date(), int(served), int(not served)],
        )
