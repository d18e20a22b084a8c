"""Checkpoints and proofs of the publication ledger."""

import logging

from django.conf import settings
from django.db import IntegrityError, transaction

from defpub.ledger import keys
from defpub.ledger.checkpoint import Checkpoint, sign_checkpoint
from defpub.ledger.models import LedgerCheckpoint
from defpub.ledger.selectors import (  # noqa: F401  (b64, consistency: their old home)
    b64,
    consistency,
    first_checkpoint_covering,
    latest_checkpoint,
    publication_proof,
)
from defpub.ledger.store import ledger_root, ledger_size
from defpub.publications.models import Publication

log = logging.getLogger(__name__)


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


def publication_ledger_signed(publication: Publication) -> dict:
    """The publication's proof in the first checkpoint that holds it, signing one now if none
    does yet. For workers (the PDF), never for a request: GETs read
    defpub.ledger.selectors.publication_ledger, which says "pending" instead."""
    checkpoint = first_checkpoint_covering(publication.leaf_index) or checkpoint_issue()
    return publication_proof(publication, checkpoint)
