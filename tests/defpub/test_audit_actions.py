"""Audit actions are an enumerated type: every one the code writes is an AuditAction."""

import re
from pathlib import Path

import pytest

from defpub.audit.services import audit
from defpub.models import AuditAction, AuditEvent

ROOT = Path(__file__).resolve().parents[2]


def test_no_audit_row_is_written_with_a_free_text_action():
    free_text = re.compile(r"""(audit\(|AuditEvent\(|self\._audit\()[^)]*action=["f]""")
    offenders = [str(path.relative_to(ROOT)) for app in ("defpub", "search")
                 for path in (ROOT / app).rglob("*.py")
                 if "migrations" not in path.parts and free_text.search(path.read_text())]
    assert offenders == []


@pytest.mark.django_db
def test_audit_refuses_an_action_that_is_not_enumerated(org):
    with pytest.raises(ValueError, match="not an AuditAction"):
        audit(actor=None, action="organisation.renamed", target=org)
    audit(actor=None, action=AuditAction.ORGANISATION_CREATE, target=org)
    audit(actor=None, action=AuditAction.admin_action("mark_reviewed"), target=org)

    assert list(AuditEvent.objects.order_by("id").values_list("action", flat=True)) == [
        "organisation.create", "admin.action.mark_reviewed"]
