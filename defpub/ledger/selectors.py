"""Reads of the publication ledger: checkpoints, proofs and a publication's ledger status.
Nothing here signs or writes; the beat job and the publishing task sign checkpoints
(defpub.ledger.services.checkpoint_issue)."""

import base64

from django.http import Http404

from defpub.ledger import keys, merkle
from defpub.ledger.models import LedgerCheckpoint
from defpub.ledger.store import ledger_consistency_proof, ledger_inclusion_proof
from defpub.publications.canonical import record_bytes
from defpub.publications.models import Publication


def b64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def publication_by_number(number: str) -> Publication:
    """The publication a ledger URL names (the same lookup as the public pages), else 404."""
    publication = Publication.objects.filter(number=number.upper()).first()
    if publication is None:
        raise Http404
    return publication


def latest_checkpoint() -> LedgerCheckpoint | None:
    return LedgerCheckpoint.objects.order_by("-size").first()


def checkpoint_covering(leaf_index: int, size: int | None = None) -> LedgerCheckpoint | None:
    """The checkpoint of the given size, else the latest (which may not hold the leaf yet)."""
    if size is not None:
        return LedgerCheckpoint.objects.filter(size=size).first()
    return latest_checkpoint()


def first_checkpoint_covering(leaf_index: int) -> LedgerCheckpoint | None:
    """The earliest checkpoint that holds the leaf, so documents cite one that never changes;
    None while the leaf awaits the next signed checkpoint."""
    return LedgerCheckpoint.objects.filter(size__gt=leaf_index).order_by("size").first()


def publication_proof(publication: Publication, checkpoint: LedgerCheckpoint | None) -> dict:
    """The ledger object of /p/<number>.json, the PDF and /ledger/proof (docs/verify.md)."""
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


def publication_ledger(publication: Publication) -> dict:
    """The publication's proof in the first checkpoint that holds it (nulls while pending)."""
    return publication_proof(publication, first_checkpoint_covering(publication.leaf_index))


def ledger_status(publication: Publication) -> dict:
    """For the publication page: the checkpoint that holds the leaf, and whether the proof
    verifies against that checkpoint's signed root, checked now rather than assumed;
    "pending" while no signed checkpoint holds it yet."""
    from defpub.ledger.checkpoint import CheckpointError, verify_checkpoint

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


def checkpoint_of_size(size: int) -> LedgerCheckpoint | None:
    return LedgerCheckpoint.objects.filter(size=size).first()
