"""The offline verifier's checks: a publication is unchanged and sits at its leaf in the
signed Merkle log. The command is defpub/verify.py (`python -m defpub.verify`).

It trusts only the public key it is given and imports nothing from Django, Celery or the
database: with rfc8785, cryptography and (for PDFs) pypdf it runs from a bare copy of
defpub/verify.py and defpub/ledger/{verifier,verifier_inputs,merkle,checkpoint}.py.
See docs/verify.md.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import rfc8785

from defpub.ledger import merkle
from defpub.ledger.checkpoint import (
    Checkpoint,
    CheckpointError,
    parse_signed_note,
    parse_vkey,
    verify_checkpoint,
)
from defpub.ledger.verifier_inputs import (
    Document,
    UnreadableInputError,
    b64,
    hash_or_none,
    hashes_or_none,
    json_object,
    note_text,
    read_document,
    size_or_none,
    text_or_none,
)

REQUIRED = ("content digest", "record identity", "leaf hash", "checkpoint signature", "inclusion")

__all__ = ["REQUIRED", "Check", "Report", "UnreadableInputError", "verify_document"]


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool | None  # None: did not apply to these inputs
    message: str  # the -v line
    short: str = ""  # for the FAILED line's list of what still holds


@dataclass
class Report:
    kind: str  # "json" or "pdf"
    key_name: str
    number: str | None = None
    published_at: str | None = None  # from the hashed record
    digest: str | None = None  # SHA-256 of the canonical record, hex
    leaf_index: int | None = None
    checkpoint: Checkpoint | None = None  # the given checkpoint, once its signature holds
    checks: list[Check] = field(default_factory=list)

    @property
    def verified(self) -> bool:
        passed = {check.name for check in self.checks if check.passed}
        failed = any(check.passed is False for check in self.checks)
        return not failed and all(name in passed for name in REQUIRED)

    def add(self, name: str, passed: bool | None, message: str, short: str = "") -> None:
        self.checks.append(Check(name, passed, message, short or message))

    def summary(self) -> str:
        number = self.number or "(no number)"
        if self.verified:
            how = "matches" if self.kind == "json" else "recomputed from the PDF's embedded record"
            return (
                f"VERIFIED {number}: content digest {self.digest[:8]}… {how}; leaf "
                f"{self.leaf_index} is in checkpoint {self.checkpoint.size} signed by "
                f"{self.key_name}; published {self.published_at}"
            )
        failed = [check.message for check in self.checks if check.passed is False]
        holds = [check.short for check in self.checks if check.passed]
        return f"FAILED {number}: " + "; ".join(
            failed + (["holds: " + ", ".join(holds)] if holds else [])
        )

    def lines(self, *, ascii_only: bool = False) -> list[str]:
        marks = {True: "✓", False: "✗", None: "–"}
        if ascii_only:
            marks = {True: "[ok]", False: "[FAIL]", None: "[n/a]"}
        return [f"{marks[check.passed]} {check.name}: {check.message}" for check in self.checks]


def verify_document(
    document_bytes: bytes,
    checkpoint_text: str | bytes,
    vkey: str,
    proof: dict | bytes | None = None,
    consistency: dict | bytes | None = None,
) -> Report:
    """Check a publication (JSON or PDF bytes) against a checkpoint signed by `vkey`.

    Raises UnreadableInputError when an input cannot be read at all; anything else that is
    wrong is a failed check in the Report.
    """
    vkey = vkey.lstrip("\ufeff").strip()
    try:
        key_name = parse_vkey(vkey).key_name
    except CheckpointError as exc:
        raise UnreadableInputError("pubkey", f"not a note verifier key: {exc}") from exc
    note = note_text(checkpoint_text, "checkpoint")
    document = read_document(document_bytes)
    proof = json_object(proof, "proof") if proof is not None else None
    consistency = json_object(consistency, "consistency") if consistency is not None else None

    record = document.record
    report = Report(kind=document.kind, key_name=key_name)
    report.number = text_or_none(record.get("number")) or text_or_none(document.outer.get("number"))
    report.published_at = text_or_none(record.get("published_at"))
    report.digest = hashlib.sha256(document.canonical).hexdigest()
    leaf = merkle.leaf_hash(document.canonical)
    _check_digest(report, document)
    _check_identity(report, document)
    _check_leaf(report, leaf, document.ledger or proof or {})
    try:
        report.checkpoint = verify_checkpoint(note, vkey, expected_origin=key_name)
        size, root = report.checkpoint.size, b64(report.checkpoint.root)
        message = f"checkpoint {size} (root {root}) is signed by {key_name}"
        report.add("checkpoint signature", True, message, f"checkpoint {size} is signed")
    except CheckpointError as exc:
        report.add("checkpoint signature", False, f"the checkpoint is not trusted: {exc}")
    own = _check_document_checkpoint(report, document.ledger, vkey)
    _check_inclusion(report, leaf, document.ledger, own, proof, consistency)
    return report


def _check_digest(report: Report, document: Document) -> None:
    digest, name = report.digest, "content digest"
    if document.kind == "pdf":
        if rfc8785.dumps(document.record) == document.canonical:
            message = f"{digest} = SHA-256 of the embedded {report.number}.json, RFC 8785 bytes"
            report.add(name, True, message, f"content digest {digest[:8]}…")
        else:
            message = f"the embedded {report.number}.json is not in RFC 8785 canonical form"
            report.add(name, False, message)
        return
    stated = document.outer.get("digest")
    if not isinstance(stated, dict) or not isinstance(stated.get("value"), str):
        report.add(name, False, "the document states no digest value")
    elif stated.get("algorithm") != "sha256" or stated.get("canonicalization") != "RFC 8785":
        method = f"{stated.get('algorithm')!r} over {stated.get('canonicalization')!r}"
        report.add(name, False, f"digest method {method}, not 'sha256' over 'RFC 8785'")
    elif stated["value"].lower() == digest:
        message = f"{digest} = SHA-256 of the RFC 8785 record, as the document states"
        report.add(name, True, message, f"content digest {digest[:8]}… matches")
    else:
        message = (
            f"content digest does not match: the document states {stated['value'][:8]}…, "
            f"the record hashes to {digest[:8]}…"
        )
        report.add(name, False, message)


def _check_identity(report: Report, document: Document) -> None:
    """What a reader sees outside the record must be what the hashed record says."""
    record, outer = document.record, document.outer
    fields = ("number", "published_at") if document.kind == "json" else ("number",)
    where = "document" if document.kind == "json" else "PDF's attachment name"
    problems = [
        f"the {where} says {name} {outer.get(name)!r}, the record {record.get(name)!r}"
        for name in fields
        if name in outer and outer.get(name) != record.get(name)
    ]
    if not text_or_none(record.get("number")) or not text_or_none(record.get("published_at")):
        problems.append("the record lacks its number or published_at")
    if problems:
        report.add("record identity", False, "; ".join(problems))
    else:
        message = f"{report.number}, published {report.published_at}, as the record says"
        report.add("record identity", True, message, "number and date are the record's")


def _check_leaf(report: Report, leaf: bytes, source: dict) -> None:
    report.leaf_index = size_or_none(source.get("leaf_index"))
    stated = hash_or_none(source.get("leaf_hash"))
    if stated == leaf:
        report.add("leaf hash", True, f"SHA-256(0x00 ‖ record) = {b64(leaf)}", "leaf hash matches")
    elif stated is None:
        where = "in the document's ledger proof" if source else "(no ledger proof, no --proof)"
        report.add("leaf hash", False, f"no valid leaf_hash {where}")
    else:
        message = f"leaf hash does not match: stated {b64(stated)}, record gives {b64(leaf)}"
        report.add("leaf hash", False, message)


def _check_document_checkpoint(report: Report, ledger: dict, vkey: str) -> Checkpoint | None:
    """The checkpoint the document carries: signed by the key, the size its proof claims.

    Returns it parsed, even unsigned: the consistency route takes trust from the given one.
    """
    name, key_name, given = "document checkpoint", report.key_name, report.checkpoint
    if not ledger:
        report.add(name, None, "the document carries no ledger proof")
        return None
    problems = []
    if ledger.get("origin") not in (None, key_name):
        problems.append(f"the document names log {ledger.get('origin')!r}, not {key_name!r}")
    if ledger.get("checkpoint") is None:
        message = "none in the document (no checkpoint covered its leaf yet)"
        report.add(name, False if problems else None, "; ".join(problems) or message)
        return None
    parsed = None
    try:
        text = note_text(ledger["checkpoint"], "document")
        parsed = parse_signed_note(text)[0]
        verify_checkpoint(text, vkey, expected_origin=key_name)
    except (UnreadableInputError, CheckpointError) as exc:
        problems.append(f"the document's own checkpoint does not hold: {exc}")
    if parsed is not None and parsed.size != ledger.get("tree_size"):
        claimed = ledger.get("tree_size")
        problems.append(f"the document's checkpoint has size {parsed.size}, its proof {claimed}")
    if parsed and given and parsed.size == given.size and parsed.root != given.root:
        problems.append(f"two checkpoints {given.size} with different roots: the log forked")
    if problems:
        report.add(name, False, "; ".join(problems))
    else:
        report.add(name, True, f"the document's own checkpoint {parsed.size} is signed too")
    return parsed


def _check_inclusion(
    report: Report,
    leaf: bytes,
    ledger: dict,
    own: Checkpoint | None,
    proof: dict | None,
    consistency: dict | None,
) -> None:
    """Leaf in the given checkpoint: by the document's proof, --proof, or --consistency.

    Every proof supplied must hold, even one that was not needed.
    """
    given, index, name = report.checkpoint, report.leaf_index, "inclusion"
    routes = []
    if proof is not None:
        routes.append(_check_proof_file(report, leaf, proof))
    if consistency is not None:
        routes.append(_check_consistency(report, leaf, ledger, own, consistency))
    own_size, own_path = ledger.get("tree_size"), hashes_or_none(ledger.get("inclusion_proof"))
    if given is None:
        report.add(name, None, "not checked: the checkpoint is not trusted")
        return
    if index is None or index >= given.size:
        message = f"checkpoint {given.size} does not cover leaf {index}: fetch a newer one"
        report.add(name, False, message if index is not None else "no valid leaf_index")
        return
    if own_size == given.size and own_path is not None:
        if not merkle.verify_inclusion(leaf, index, given.size, own_path, given.root):
            message = f"the document's proof does not put leaf {index} in checkpoint {given.size}"
            report.add(name, False, message)
            return
        routes.append(f"by the document's own proof ({len(own_path)} hashes)")
    held = [route for route in routes if route]
    if held:
        message = f"leaf {index} is in checkpoint {given.size} {held[0]}"
        report.add(name, True, message, f"leaf {index} is in checkpoint {given.size}")
    elif proof is not None or consistency is not None:
        report.add(name, False, f"leaf {index} is not shown to be in checkpoint {given.size}")
    else:
        hint = f"pass --proof from /ledger/proof/{report.number}?size={given.size}"
        if size_or_none(own_size) and own is not None:
            hint += (
                f", or --consistency from /ledger/consistency?first={own.size}&second={given.size}"
            )
        report.add(name, False, f"no inclusion proof for checkpoint {given.size}: {hint}")


def _check_proof_file(report: Report, leaf: bytes, proof: dict) -> str | None:
    """The --proof; returns how it shows inclusion, or None after reporting why not."""
    given, index = report.checkpoint, report.leaf_index
    path = hashes_or_none(proof.get("inclusion_proof"))
    problems = []
    if proof.get("number") not in (None, report.number):
        problems.append(f"it is for {proof.get('number')!r}")
    if size_or_none(proof.get("leaf_index")) != index:
        problems.append(f"it is for leaf {proof.get('leaf_index')!r}, not {index}")
    if hash_or_none(proof.get("leaf_hash")) != leaf:
        problems.append("its leaf_hash is not the record's")
    if given is not None and proof.get("tree_size") != given.size:
        problems.append(f"it is for tree size {proof.get('tree_size')!r}, not {given.size}")
    if path is None:
        problems.append("its inclusion_proof is not a list of base64 hashes")
    ready = given is not None and index is not None and not problems
    if ready and not merkle.verify_inclusion(leaf, index, given.size, path, given.root):
        problems.append(f"it does not lead to the root of checkpoint {given.size}")
    if problems:
        report.add("proof file", False, "the --proof does not hold: " + "; ".join(problems))
    elif given is None:
        report.add("proof file", None, "not checked: the checkpoint is not trusted")
    else:
        report.add("proof file", True, f"the --proof for checkpoint {given.size} holds")
        return f"by the --proof ({len(path)} hashes)"
    return None


def _check_consistency(
    report: Report, leaf: bytes, ledger: dict, old: Checkpoint | None, consistency: dict
) -> str | None:
    """The given checkpoint extends the document's (RFC 9162 2.1.4), which holds the leaf."""
    given, index, name = report.checkpoint, report.leaf_index, "consistency"
    path = hashes_or_none(consistency.get("proof"))
    first, second = consistency.get("first"), consistency.get("second")
    problems = []
    if old is None:
        problems.append("the document carries no checkpoint to link from")
    elif first != old.size:
        problems.append(f"it starts at size {first!r}, the document's checkpoint is {old.size}")
    if given is not None and second != given.size:
        problems.append(f"it ends at size {second!r}, the checkpoint is {given.size}")
    if path is None:
        problems.append("its proof is not a list of base64 hashes")
    ready = not problems and given is not None
    if ready and not merkle.verify_consistency(old.size, given.size, path, old.root, given.root):
        problems.append(f"it does not show that checkpoint {given.size} extends {old.size}")
    if problems:
        report.add(name, False, "the --consistency does not hold: " + "; ".join(problems))
        return None
    if given is None:
        report.add(name, None, "not checked: the checkpoint is not trusted")
        return None
    report.add(name, True, f"checkpoint {given.size} extends checkpoint {old.size}")
    own_path = hashes_or_none(ledger.get("inclusion_proof"))
    if index is None or own_path is None or index >= old.size:
        return None
    if not merkle.verify_inclusion(leaf, index, old.size, own_path, old.root):
        return None
    return f"via the document's checkpoint {old.size} and the consistency proof"
