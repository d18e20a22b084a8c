"""Reading the verifier's inputs: a publication's JSON or PDF, a checkpoint, proofs.

Like the rest of the verifier, it imports nothing from Django: see defpub/verify.py.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import logging
from dataclasses import dataclass

import rfc8785

from defpub.ledger import merkle
from defpub.ledger.checkpoint import CheckpointError, split_signed_note


class UnreadableInputError(ValueError):
    """An input cannot be read at all; `source` says which: document, checkpoint, pubkey, ..."""

    def __init__(self, source: str, message: str) -> None:
        super().__init__(message)
        self.source = source


@dataclass
class Document:
    kind: str
    record: dict
    canonical: bytes  # the bytes that were hashed
    outer: dict  # JSON: the whole document; PDF: {"number": <attachment name's stem>}
    ledger: dict  # {} when the document carries none


def read_document(data: bytes) -> Document:
    """By content, not by file name."""
    if data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        outer = strict_json(data, "document")
        record, ledger = outer.get("record"), outer.get("ledger")
        if not isinstance(record, dict):
            raise UnreadableInputError("document", "JSON, but without a `record` object")
        if ledger is not None and not isinstance(ledger, dict):
            raise UnreadableInputError("document", "its `ledger` is not an object")
        return Document("json", record, canonical_bytes(record), outer, ledger or {})
    if b"%PDF-" in data[:1024]:
        return _read_pdf(data)
    raise UnreadableInputError("document", "neither a publication's JSON nor its PDF")


def _read_pdf(data: bytes) -> Document:
    try:
        from pypdf import PdfReader
    except ImportError as exc:
        raise UnreadableInputError("document", "reading a PDF needs pypdf installed") from exc
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        attachments = dict(PdfReader(io.BytesIO(data)).attachments)
    except Exception as exc:  # pypdf raises many kinds on damaged files
        raise UnreadableInputError("document", f"not a readable PDF ({exc})") from exc
    names = [n for n in attachments if n.endswith(".json") and not n.endswith(".proof.json")]
    if len(names) != 1 or len(attachments[names[0]]) != 1:
        message = f"a DefPub PDF embeds exactly one <number>.json; this one has {names}"
        raise UnreadableInputError("document", message)
    number = names[0].removesuffix(".json")
    canonical = attachments[names[0]][0]
    record = strict_json(canonical, "document")
    canonical_bytes(record)
    proofs = attachments.get(f"{number}.proof.json") or []
    if len(proofs) > 1:
        raise UnreadableInputError("document", f"the PDF embeds {number}.proof.json twice")
    ledger = strict_json(proofs[0], "document") if proofs else {}
    return Document("pdf", record, canonical, {"number": number}, ledger)


def strict_json(data: bytes | str, source: str) -> dict:
    """A JSON object; duplicate keys and NaN are refused, as other readers differ on them."""

    def no_duplicates(pairs):
        keys = [key for key, _ in pairs]
        for key in keys:
            if keys.count(key) > 1:
                raise ValueError(f"duplicate key {key!r}")
        return dict(pairs)

    def no_constants(name):
        raise ValueError(f"{name} is not JSON")

    try:
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
        value = json.loads(text, object_pairs_hook=no_duplicates, parse_constant=no_constants)
    except (UnicodeDecodeError, ValueError) as exc:
        raise UnreadableInputError(source, f"not valid JSON ({exc})") from exc
    if not isinstance(value, dict):
        raise UnreadableInputError(source, "not a JSON object")
    return value


def json_object(value: dict | bytes | str, source: str) -> dict:
    return value if isinstance(value, dict) else strict_json(value, source)


def canonical_bytes(record: dict) -> bytes:
    try:
        return rfc8785.dumps(record)
    except rfc8785.CanonicalizationError as exc:
        raise UnreadableInputError("document", f"record not canonicalizable ({exc})") from exc


def note_text(note: object, source: str) -> str:
    """Signed note text; forgives a BOM, CRLF and a lost final newline (copying does that)."""
    if isinstance(note, bytes):
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise UnreadableInputError(source, "the checkpoint is not UTF-8 text") from exc
    if not isinstance(note, str):
        raise UnreadableInputError(source, "the checkpoint is not text")
    note = note.lstrip("\ufeff").replace("\r\n", "\n")
    note = note if note.endswith("\n") else note + "\n"
    try:
        split_signed_note(note)
    except CheckpointError as exc:
        raise UnreadableInputError(source, f"not a signed checkpoint ({exc})") from exc
    return note


def text_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def size_or_none(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def hash_or_none(value: object) -> bytes | None:
    try:
        raw = base64.b64decode(value, validate=True) if isinstance(value, str) else b""
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == merkle.HASH_SIZE else None


def hashes_or_none(values: object) -> list[bytes] | None:
    decoded = [hash_or_none(value) for value in values] if isinstance(values, list) else [None]
    return None if None in decoded else decoded


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")
