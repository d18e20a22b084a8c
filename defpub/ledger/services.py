"""Checkpoints and proofs of the publication ledger."""

import base64
import logging

from django.conf import settings
from django.db import IntegrityError, transaction

from defpub.ledger import keys, merkle
from defpub.ledger.checkpoint import Checkpoint, sign_checkpoint
from defpub.ledger.store import (
    ledger_consistency_proof,
    ledger_inclusion_proof,
    ledger_root,
    ledger_size,
)
from defpub.models import LedgerCheckpoint, Publication

log = logging.getLogger(__name__)


def b64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def latest_checkpoint() -> LedgerCheckpoint | None:
    return LedgerCheckpoint.objects.order_by("-size").first()


def checkpoint_issue() -> LedgerCheckpoint | None:
    """Sign the current tree head, unless the latest checkpoint already covers it."""
    size = ledger_size()
    latest = latest_checkpoint()
    if size == 0 or (latest and latest.size >= size):
        return latest
    size, root = ledger_root(size)
    note = sign_checkpoint(Checkpoint(origin=keys.origin(), size=size, root=root),
                           keys.signing_key(), keys.origin())
    token = _timestamp(note) if settings.DEFPUB_TSA_URL else None
    try:
        with transaction.atomic():
            checkpoint = LedgerCheckpoint.objects.create(size=size, root=root, note=note,
                                                         timestamp_token=token)
    except IntegrityError:  # another process signed the same size first: use theirs
        return LedgerCheckpoint.objects.get(size=size)
    log.info("ledger checkpoint %s issued", size)
    return checkpoint


def _timestamp(note: str) -> bytes | None:
    """An RFC 3161 token over the note, checked against DEFPUB_TSA_ROOTS when set."""
    from pathlib import Path

    from defpub.ledger.timestamps import TimestampError, request_timestamp, verify_timestamp

    try:
        token = request_timestamp(note.encode(), tsa_url=settings.DEFPUB_TSA_URL)
        if settings.DEFPUB_TSA_ROOTS:
            verify_timestamp(token, note.encode(),
                             roots_pem=[Path(settings.DEFPUB_TSA_ROOTS).read_bytes()])
        return token
    except TimestampError as error:  # the checkpoint stands without it; the next one retries
        log.warning("no RFC 3161 timestamp for the checkpoint: %s", error)
        return None


def checkpoint_covering(leaf_index: int, size: int | None = None) -> LedgerCheckpoint | None:
    """The checkpoint of the given size, else the latest; issues one if none covers the leaf."""
    if size is not None:
        return LedgerCheckpoint.objects.filter(size=size).first()
    latest = latest_checkpoint()
    if latest is None or latest.size <= leaf_index:
        latest = checkpoint_issue()
    return latest


def first_checkpoint_covering(leaf_index: int) -> LedgerCheckpoint | None:
    """The earliest checkpoint that holds the leaf, so documents cite one that never changes;
    signs one now if none does yet."""
    checkpoint = (LedgerCheckpoint.objects.filter(size__gt=leaf_index).order_by("size").first())
    return checkpoint or checkpoint_issue()


def publication_proof(publication: Publication, checkpoint: LedgerCheckpoint | None) -> dict:
    """The ledger object of /p/<number>.json, the PDF and /ledger/proof (docs/verify.md)."""
    from defpub.selectors import record_bytes

    covered = checkpoint is not None and checkpoint.size > publication.leaf_index
    return {
        "origin": keys.origin(),
        "leaf_index": publication.leaf_index,
        "leaf_hash": b64(merkle.leaf_hash(record_bytes(publication))),
        "checkpoint": checkpoint.note if covered else None,
        "tree_size": checkpoint.size if covered else None,
        "inclusion_proof": [b64(h) for h in
                            ledger_inclusion_proof(publication.leaf_index, checkpoint.size)]
        if covered else None,
    }


def ledger_status(publication: Publication) -> dict:
    """For the publication page: the checkpoint that holds the leaf, and whether the proof
    verifies against that checkpoint's signed root, checked now rather than assumed."""
    from defpub.ledger.checkpoint import CheckpointError, verify_checkpoint
    from defpub.selectors import record_bytes

    checkpoint = first_checkpoint_covering(publication.leaf_index)
    if checkpoint is None:
        return {"checkpoint": None, "state": "pending"}
    try:
        head = verify_checkpoint(checkpoint.note, keys.verifier_key())
    except CheckpointError:
        return {"checkpoint": checkpoint, "state": "mismatch"}
    proof = ledger_inclusion_proof(publication.leaf_index, checkpoint.size)
    verified = merkle.verify_inclusion(merkle.leaf_hash(record_bytes(publication)),
                                       publication.leaf_index, head.size, proof, head.root)
    return {"checkpoint": checkpoint, "state": "verified" if verified else "mismatch"}


def consistency(first: int, second: int) -> dict:
    return {"first": first, "second": second,
            "proof": [b64(h) for h in ledger_consistency_proof(first, second)]}
