"""The canonical record of a publication and its digest.

The record is a JSON object; its canonical bytes are RFC 8785 (JSON Canonicalization
Scheme) output, and the digest is SHA-256 over those bytes, in lowercase hex. Anyone can
recompute it from /p/<number>.json: see docs/canonical-form.md.
"""

import hashlib
from datetime import UTC, datetime

import rfc8785

RECORD_FORMAT = "defpub-record/1"


def utc_timestamp(moment: datetime) -> str:
    """RFC 3339 in UTC to the second, as in the record: 2026-11-24T23:30:05Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def build_record(*, disclosure, number: str, published_at: datetime) -> dict:
    organisation = disclosure.organisation
    record = {
        "format": RECORD_FORMAT,
        "number": number,
        "published_at": utc_timestamp(published_at),
        "organisation": {"slug": organisation.slug, "name": organisation.name},
        "title": disclosure.text("title"),
        "abstract": disclosure.text("abstract"),
        "description": disclosure.text("description"),
        "technical_field": disclosure.technical_field.strip(),
        "ipc": list(disclosure.ipc),
        "keywords": list(disclosure.keywords),
        "inventors": list(disclosure.inventors),
        "features": list(disclosure.features),
        "attachments": [
            {
                "name": attachment.display_name,
                "media_type": attachment.media_type,
                "sha256": attachment.sha256,
                "size": attachment.size,
                "role": attachment.role,
            }
            for attachment in disclosure.attachments.all()
        ],
        "corrects": disclosure.corrects.number if disclosure.corrects_id else None,
    }
    if disclosure.external_id:
        record["external_id"] = disclosure.external_id
    if disclosure.source:
        record["source"] = disclosure.source
    if disclosure.source_date:
        record["source_date"] = disclosure.source_date.isoformat()
    return record


def canonical_bytes(record: dict) -> bytes:
    return rfc8785.dumps(record)


def record_digest(record: dict) -> str:
    return hashlib.sha256(canonical_bytes(record)).hexdigest()


def record_bytes(publication) -> bytes:
    """The canonical bytes of a publication's record: its ledger leaf's content."""
    return canonical_bytes(publication.record)
