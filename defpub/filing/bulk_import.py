"""Bulk import of existing or traditional technology (the TKDL case) from JSONL.

Each line is one record (see docs/import.md). Lines are checked one by one; a bad line is
reported with its number and the good lines still load. Records are written in batches,
each in one transaction, and an `external_id` already in the organisation is skipped, so
importing the same file twice changes nothing.
"""

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from defpub.audit.models import AuditAction, AuditEvent
from defpub.filing.models import Disclosure, Status
from defpub.filing.services import clean_fields
from defpub.organisations.models import Organisation
from defpub.publications.services import publish_batch

BATCH_SIZE = 500
KNOWN_KEYS = {"external_id", "title", "abstract", "description", "ipc", "keywords",
              "inventors", "features", "technical_field", "source", "source_date"}
BILINGUAL = ("title", "abstract", "description")


@dataclass
class ImportReport:
    created: int = 0
    published: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


class LineError(ValueError):
    pass


def parse_line(text: str) -> dict:
    """One JSONL line -> Disclosure fields; raises LineError saying what is wrong."""
    try:
        item = json.loads(text)
    except json.JSONDecodeError as error:
        raise LineError(f"not valid JSON ({error.msg} at column {error.colno})") from error
    if not isinstance(item, dict):
        raise LineError("each line must be a JSON object")
    unknown = set(item) - KNOWN_KEYS
    if unknown:
        raise LineError(f"unknown field(s): {', '.join(sorted(unknown))}")
    external_id = item.get("external_id")
    if not isinstance(external_id, str) or not external_id.strip():
        raise LineError("external_id is required (a non-empty string)")
    fields: dict = {}
    for name in BILINGUAL:
        value = item.get(name, {})
        if not isinstance(value, dict) or set(value) - {"en", "zh"} or not all(
            isinstance(v, str) for v in value.values()
        ):
            raise LineError(f'{name} must be an object like {{"en": "...", "zh": "..."}}')
        if name != "description" and not any(v.strip() for v in value.values()):
            raise LineError(f"{name} needs at least one language (en or zh)")
        for lang in ("en", "zh"):
            fields[f"{name}_{lang}"] = value.get(lang, "")
    for name in ("ipc", "keywords", "inventors", "features"):
        value = item.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise LineError(f"{name} must be a list of strings")
        fields[name] = value
    for name in ("technical_field", "source"):
        if not isinstance(item.get(name, ""), str):
            raise LineError(f"{name} must be a string")
        fields[name] = item.get(name, "")
    if item.get("source_date") is not None:
        try:
            fields["source_date"] = date.fromisoformat(item["source_date"])
        except (TypeError, ValueError) as error:
            raise LineError("source_date must be a date like 2019-04-30") from error
    try:
        cleaned = clean_fields(fields)
    except ValidationError as error:
        messages = [m for ms in error.message_dict.values() for m in ms]
        raise LineError("; ".join(messages)) from error
    if len(cleaned["title_en"]) > 500 or len(cleaned["title_zh"]) > 500:
        raise LineError("title is longer than 500 characters")
    return {"external_id": external_id.strip(), **cleaned}


def import_lines(lines: Iterable[str], *, organisation: Organisation, publish: bool,
                 progress=None) -> ImportReport:
    report = ImportReport()
    batch: list[tuple[int, dict]] = []
    for number, text in enumerate(lines, start=1):
        if progress is not None:
            progress(1)
        if not text.strip():
            continue
        try:
            batch.append((number, parse_line(text)))
        except LineError as error:
            report.errors.append((number, str(error)))
        if len(batch) >= BATCH_SIZE:
            _load_batch(batch, organisation=organisation, publish=publish, report=report)
            batch = []
    if batch:
        _load_batch(batch, organisation=organisation, publish=publish, report=report)
    return report


@transaction.atomic
def _load_batch(batch: list[tuple[int, dict]], *, organisation: Organisation, publish: bool,
                report: ImportReport) -> None:
    existing = set(Disclosure.objects.filter(
        organisation=organisation, external_id__in=[f["external_id"] for _, f in batch]
    ).values_list("external_id", flat=True))
    fresh: dict[str, dict] = {}
    for number, fields in batch:
        if fields["external_id"] in existing:
            report.unchanged += 1
        elif fields["external_id"] in fresh:
            report.errors.append((number, f"external_id {fields['external_id']!r} repeats an "
                                          "earlier line of this file"))
        else:
            fresh[fields["external_id"]] = fields
    now = timezone.now()
    status = Status.APPROVED if publish else Status.DRAFT
    created = Disclosure.objects.bulk_create([
        Disclosure(organisation=organisation, status=status, approved_at=now if publish else None,
                   **fields)
        for fields in fresh.values()
    ])
    AuditEvent.objects.bulk_create([
        AuditEvent(action=AuditAction.DISCLOSURE_IMPORT, organisation=organisation,
                   target_type="defpub.disclosure", target_id=str(d.pk),
                   data={"external_id": d.external_id})
        for d in created
    ])
    report.created += len(created)
    if publish and created:
        report.published += len(publish_batch(disclosures=created, via="import_disclosures"))


def read_lines(path) -> Iterator[str]:
    with open(path, encoding="utf-8-sig") as handle:
        yield from handle
