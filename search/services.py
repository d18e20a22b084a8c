"""Indexing: a publication's passages, their tsvectors and embeddings, in one transaction."""

import logging

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from defpub.models import Publication
from search.chunking import chunk_record
from search.embedding import get_embedder
from search.models import IndexState, IndexStatus, Passage, PassageVector
from search.text import segmented

log = logging.getLogger(__name__)
TS_CONFIG = {"en": "english", "zh": "simple"}


def index_queue(*, publications: list[Publication]) -> None:
    """Mark publications as waiting; call in the publishing transaction."""
    IndexState.objects.bulk_create(
        [IndexState(publication=p) for p in publications], ignore_conflicts=True
    )


def publication_index(*, publication_id: int, models: list[str] | None = None) -> IndexState:
    """(Re)build a publication's passages and vectors. Running it twice leaves one set."""
    publication = Publication.objects.get(pk=publication_id)
    models = models or [get_embedder().name]
    chunks = chunk_record(publication.record)
    texts = [chunk.text for chunk in chunks]
    vectors = {name: get_embedder(name).embed(texts) if texts else [] for name in models}

    with transaction.atomic():
        state, _ = IndexState.objects.select_for_update().get_or_create(publication=publication)
        Passage.objects.filter(publication=publication).delete()  # vectors go with them
        ids = _insert_passages(publication, chunks)
        PassageVector.objects.bulk_create([
            PassageVector(passage_id=pid, model=name, embedding=vector, publication=publication,
                          lang=chunk.lang, published_at=publication.published_at,
                          ipc=publication.record["ipc"])
            for name, rows in vectors.items()
            for pid, chunk, vector in zip(ids, chunks, rows, strict=True)
        ])
        state.status = IndexStatus.INDEXED
        state.models_done = models
        state.passages = len(ids)
        state.indexed_at = timezone.now()
        state.error = ""
        state.save()
    return state


def _insert_passages(publication: Publication, chunks) -> list[int]:
    if not chunks:
        return []
    rows, params = [], []
    for chunk in chunks:
        rows.append("(%s, %s, %s, %s, %s, %s, %s, to_tsvector(%s::regconfig, %s), %s, %s)")
        lexical = segmented(chunk.text) if chunk.lang == "zh" else chunk.text
        params += [publication.pk, chunk.field, chunk.lang, chunk.ordinal, chunk.start,
                   chunk.end, chunk.text, TS_CONFIG[chunk.lang], lexical,
                   publication.published_at, publication.record["ipc"]]
    with connection.cursor() as cursor:
        cursor.execute(
            'INSERT INTO search_passage (publication_id, field, lang, ordinal, start, "end", '  # noqa: S608
            "text, tsv, published_at, ipc) VALUES " + ", ".join(rows) + " RETURNING id",
            params,
        )
        return [row[0] for row in cursor.fetchall()]


def publication_index_failed(*, publication_id: int, error: str) -> None:
    IndexState.objects.filter(publication_id=publication_id).update(
        status=IndexStatus.FAILED, error=error[:2000]
    )


def index_requeue(*, publication_ids: list[int]) -> None:
    """Count another attempt for each and make sure each has a state row."""
    IndexState.objects.bulk_create(
        [IndexState(publication_id=pk) for pk in publication_ids], ignore_conflicts=True
    )
    IndexState.objects.filter(publication_id__in=publication_ids).update(
        attempts=F("attempts") + 1, queued_at=timezone.now(), status=IndexStatus.QUEUED
    )
