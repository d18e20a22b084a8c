"""Indexing: a publication's passages, their tsvectors and embeddings, in one transaction."""

import hashlib
import json
import logging
import secrets
from collections import Counter
from datetime import date

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from defpub.models import Publication
from search.chunking import chunk_record
from search.embedding import english_model, get_embedder, index_models
from search.models import IndexState, IndexStatus, Passage, PassageVector, SavedQuery
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
    models = models or index_models()
    chunks = chunk_record(publication.record)
    source_date = record_source_date(publication.record)
    english = english_model()
    vectors = {}  # model -> {chunk number: vector}
    for name in models:
        # The English model only serves English passages; every other model embeds them all.
        wanted = [i for i, c in enumerate(chunks) if name != english or c.lang == "en"]
        rows = get_embedder(name).embed([chunks[i].text for i in wanted]) if wanted else []
        vectors[name] = dict(zip(wanted, rows, strict=True))

    with transaction.atomic():
        state, _ = IndexState.objects.select_for_update().get_or_create(publication=publication)
        before = _term_counts(publication.pk)
        Passage.objects.filter(publication=publication).delete()  # vectors go with them
        ids = _insert_passages(publication, chunks)
        _stats_add(_term_counts(publication.pk), before)
        PassageVector.objects.bulk_create([
            PassageVector(passage_id=ids[i], model=name, embedding=vector,
                          publication=publication, lang=chunks[i].lang,
                          published_at=publication.published_at, ipc=publication.record["ipc"],
                          source_date=source_date)
            for name, rows in vectors.items() for i, vector in rows.items()
        ])
        state.status = IndexStatus.INDEXED
        state.models_done = models
        state.passages = len(ids)
        state.indexed_at = timezone.now()
        state.error = ""
        state.save()
    return state


def record_source_date(record: dict) -> date | None:
    """The source date a record declares (traditional knowledge, an old catalogue), if any."""
    return date.fromisoformat(record["source_date"]) if record.get("source_date") else None


def _insert_passages(publication: Publication, chunks) -> list[int]:
    if not chunks:
        return []
    rows, params = [], []
    for chunk in chunks:
        rows.append("(%s, %s, %s, %s, %s, %s, %s, to_tsvector(%s::regconfig, %s), %s, %s, %s)")
        lexical = segmented(chunk.text) if chunk.lang == "zh" else chunk.text
        params += [publication.pk, chunk.field, chunk.lang, chunk.ordinal, chunk.start,
                   chunk.end, chunk.text, TS_CONFIG[chunk.lang], lexical,
                   publication.published_at, publication.record["ipc"],
                   record_source_date(publication.record)]
    with connection.cursor() as cursor:
        cursor.execute(
            'INSERT INTO search_passage (publication_id, field, lang, ordinal, start, "end", '  # noqa: S608
            "text, tsv, published_at, ipc, source_date) VALUES "
            + ", ".join(rows) + " RETURNING id",
            params,
        )
        ids = [row[0] for row in cursor.fetchall()]
        cursor.execute(PASSAGE_LENGTHS + " AND p.publication_id = %s", [publication.pk])
    return ids


# A passage's length for BM25: the tokens its tsvector keeps (stop words are not counted).
PASSAGE_LENGTHS = (
    "UPDATE search_passage p SET length = coalesce("
    "(SELECT sum(cardinality(u.positions)) FROM unnest(p.tsv) u), 0) WHERE true"
)
TERM_COUNTS = (
    "SELECT p.lang, t.lexeme, count(*) FROM search_passage p, "
    "unnest(tsvector_to_array(p.tsv)) t(lexeme) WHERE p.publication_id = %s GROUP BY 1, 2 "
    "UNION ALL SELECT lang, ' passages', count(*) FROM search_passage "  # no lexeme has a space
    "WHERE publication_id = %s GROUP BY lang "
    "UNION ALL SELECT lang, ' tokens', sum(length) FROM search_passage "
    "WHERE publication_id = %s GROUP BY lang"
)


def _term_counts(publication_id: int) -> Counter:
    """{(lang, lexeme): passages holding it, (lang, ' passages'): ..., (lang, ' tokens'): ...}
    over one publication's passages."""
    with connection.cursor() as cursor:
        cursor.execute(TERM_COUNTS, [publication_id] * 3)
        return Counter({(lang, key): n for lang, key, n in cursor.fetchall()})


def _stats_add(after: Counter, before: Counter) -> None:
    """Apply the change in BM25 statistics, in one sorted pass so that concurrent indexers
    lock shared rows in the same order (no deadlocks) and every count stays exact."""
    delta = Counter(after)
    delta.subtract(before)
    terms = sorted((lang, key, n) for (lang, key), n in delta.items()
                   if n and not key.startswith(" "))
    langs = sorted({lang for lang, _ in delta})
    with connection.cursor() as cursor:
        if terms:
            cursor.execute(
                "INSERT INTO search_termstat (lang, lexeme, df) "
                "SELECT * FROM unnest(%s::text[], %s::text[], %s::int[]) "
                "ON CONFLICT (lang, lexeme) DO UPDATE SET df = search_termstat.df + excluded.df",
                [[t[0] for t in terms], [t[1] for t in terms], [t[2] for t in terms]],
            )
        for lang in langs:
            cursor.execute(
                "INSERT INTO search_corpusstat (lang, passages, tokens) VALUES (%s, %s, %s) "
                "ON CONFLICT (lang) DO UPDATE SET passages = search_corpusstat.passages "
                "+ excluded.passages, tokens = search_corpusstat.tokens + excluded.tokens",
                [lang, delta[lang, " passages"], delta[lang, " tokens"]],
            )


def rebuild_term_stats() -> None:
    """Recompute every passage length and BM25 statistic from the passages (after a bulk
    load that bypassed publication_index). Indexing waits while this runs."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("LOCK TABLE search_passage IN SHARE MODE")
        cursor.execute(PASSAGE_LENGTHS)
        cursor.execute("TRUNCATE search_termstat, search_corpusstat")
        cursor.execute(
            "INSERT INTO search_termstat (lang, lexeme, df) SELECT p.lang, t.lexeme, count(*) "
            "FROM search_passage p, unnest(tsvector_to_array(p.tsv)) t(lexeme) GROUP BY 1, 2")
        cursor.execute(
            "INSERT INTO search_corpusstat (lang, passages, tokens) "
            "SELECT lang, count(*), sum(length) FROM search_passage GROUP BY lang")


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


KEY_ALPHABET = "23456789abcdefghijkmnpqrstuvwxyz"  # no 0/o, 1/l: keys are read and typed
KEY_LENGTH = 12  # ~60 bits: a saved search's URL cannot be guessed


def saved_query_save(*, text: str, filters: dict[str, str]) -> SavedQuery:
    """Keep a web search for its short URL. The same text and filters give the same query
    (and key), so resubmitting, or two people pasting the same claims, adds nothing."""
    filters = {name: value for name, value in sorted(filters.items()) if value}
    canonical = json.dumps({"text": text, "filters": filters}, ensure_ascii=False,
                           sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    key = "".join(secrets.choice(KEY_ALPHABET) for _ in range(KEY_LENGTH))
    # get_or_create retries the read when a concurrent request inserted the digest first.
    query, _ = SavedQuery.objects.get_or_create(
        digest=digest, defaults={"key": key, "text": text, "filters": filters})
    return query
