"""Candidate passages from the index, for the engine (search/engine.py) to score: each
dense model's nearest passages and the cosines of given passages, by SQL with the query's
filters, and BM25's (search/lexical.py) of a piece or of its dictionary translation. The
nearest passages of a query cut into pieces (pasted claims, a claim's elements) come from
one statement per model and language for all its pieces (nearest_each)."""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import connection

from search import lexical
from search.embedding import model_dimension
from search.translate import dictionary

CANDIDATES = 100  # passages per retriever and query piece


@dataclass(frozen=True)
class Filters:
    before: datetime | None = None
    ipc: str | None = None
    lang: str | None = None
    exclude: int | None = None  # a publication id left out (more like this)
    # which date `before` applies to: "published" (the DefPub date) or "source" (the declared
    # source date; records that declare none are compared by their DefPub date)
    date_field: str = "published"

    def sql(self, alias: str) -> tuple[str, list]:
        clauses, params = [], []
        if self.exclude is not None:
            clauses.append(f"{alias}.publication_id <> %s")
            params.append(self.exclude)
        if self.before is not None and self.date_field == "source":
            clauses.append(f"COALESCE({alias}.source_date < %s, {alias}.published_at < %s)")
            params += [self.before.date(), self.before]
        elif self.before is not None:
            clauses.append(f"{alias}.published_at < %s")
            params.append(self.before)
        if self.ipc:
            clauses.append(f"EXISTS (SELECT 1 FROM unnest({alias}.ipc) AS code "  # noqa: S608
                           "WHERE code LIKE %s)")
            params.append(self.ipc.strip().upper().replace("%", "") + "%")
        if self.lang:
            clauses.append(f"{alias}.lang = %s")
            params.append(self.lang)
        return "".join(f" AND {clause}" for clause in clauses), params


@dataclass(frozen=True)
class Lexical:
    """One BM25 list of a query piece: the text searched, in `lang`, and what it found."""

    text: str
    lang: str
    rows: list[tuple[int, int, float]]  # (passage id, publication id, BM25 score), best first
    statistics: lexical.Statistics  # the text's terms and their statistics


def bm25(text: str, lang: str, filters: Filters) -> Lexical:
    """The passages in `lang` for the text's terms, best first (search/lexical.py)."""
    where, params = filters.sql("p")
    statistics = lexical.query_terms(text, lang)
    rows = lexical.ranked(text, lang, where=where, params=params, limit=CANDIDATES,
                          statistics=statistics)
    return Lexical(text, lang, [(passage_id, publication_id, float(score))
                                for passage_id, publication_id, _, score in rows], statistics)


def translated_piece(piece: str, query_lang: str) -> tuple[str, str]:
    """The piece's dictionary translation and the language it is in."""
    words = dictionary()
    if query_lang == "zh":
        return " ".join(words.chinese_to_english(piece)), "en"
    return " ".join(words.english_to_chinese(piece)), "zh"


Row = tuple[int, int, str, float]  # passage id, publication id, language, cosine similarity


def tune_ann() -> None:
    with connection.cursor() as cursor:
        # pgvector 0.8: keep scanning the graph until enough rows pass the filters.
        cursor.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
        # 400 keeps ANN recall@10 >= 0.95 at 1M passages (docs/benchmarks.md, search speed).
        cursor.execute("SET LOCAL hnsw.ef_search = %s",
                       [max(CANDIDATES, settings.SEARCH_EF_SEARCH)])


def nearest(model: str, vector, filters: Filters) -> list[Row]:
    """The model's nearest passages that pass the filters, best first."""
    dim = model_dimension(model)
    where, params = filters.sql("v")
    vector = literal(vector)
    with connection.cursor() as cursor:
        cursor.execute(
            # Only our own alias and integer dimension are formatted in; values are parameters.
            f"SELECT v.passage_id, v.publication_id, v.lang, "  # noqa: S608
            f"1 - (v.embedding::vector({dim}) <=> %s::vector({dim})) AS similarity "
            f"FROM search_passagevector v WHERE v.model = %s{where} "
            f"ORDER BY v.embedding::vector({dim}) <=> %s::vector({dim}) LIMIT %s",
            [vector, model, *params, vector, CANDIDATES],
        )
        rows = cursor.fetchall()
    return _best_first(rows)


def nearest_each(model: str, vectors: list, filters: Filters) -> list[list[Row]]:
    """nearest() of every vector, in one statement (an index scan per vector)."""
    if not vectors:
        return []
    dim = model_dimension(model)
    where, params = filters.sql("v")
    with connection.cursor() as cursor:
        cursor.execute(
            # The vectors arrive typed: a text cast inside the lateral would be parsed again
            # for every row of a sequential scan.
            f"SELECT q.i, n.* FROM unnest(%s::int[], %s::vector({dim})[]) AS q(i, vec) "  # noqa: S608
            f"CROSS JOIN LATERAL (SELECT v.passage_id, v.publication_id, v.lang, "
            f"1 - (v.embedding::vector({dim}) <=> q.vec) AS similarity "
            f"FROM search_passagevector v WHERE v.model = %s{where} "
            f"ORDER BY v.embedding::vector({dim}) <=> q.vec LIMIT %s) n",
            [list(range(len(vectors))), [literal(v) for v in vectors], model, *params,
             CANDIDATES],
        )
        found: list[list] = [[] for _ in vectors]
        for i, *row in cursor.fetchall():
            found[i].append(row)
    return [_best_first(rows) for rows in found]


def _best_first(rows) -> list[Row]:
    return sorted(((pid, pub, lang, float(sim)) for pid, pub, lang, sim in rows),
                  key=lambda row: -row[3])  # relaxed order: re-sort


def similarities(model: str, vector, passage_ids: list[int]) -> dict[int, float]:
    """Cosine similarity of the given passages' vectors by the model (those it has)."""
    return similarities_each(model, [(vector, passage_ids)])[0]


def similarities_each(model: str, wanted: list[tuple[object, list[int]]],
                      ) -> list[dict[int, float]]:
    """similarities() of each (vector, passage ids), in one statement."""
    found: list[dict[int, float]] = [{} for _ in wanted]
    pairs = [(i, pid) for i, (_, ids) in enumerate(wanted) for pid in ids]
    if not pairs:
        return found
    dim = model_dimension(model)
    asked = sorted({i for i, _ in pairs})
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH q(i, vec) AS (SELECT i, vec::vector({dim}) FROM "  # noqa: S608
            f"unnest(%s::int[], %s::text[]) AS t(i, vec)), "
            f"p(i, passage_id) AS (SELECT * FROM unnest(%s::int[], %s::bigint[])) "
            f"SELECT p.i, p.passage_id, 1 - (v.embedding::vector({dim}) <=> q.vec) "
            f"FROM p JOIN q ON q.i = p.i JOIN search_passagevector v "
            f"ON v.passage_id = p.passage_id AND v.model = %s",
            [asked, [literal(wanted[i][0]) for i in asked],
             [i for i, _ in pairs], [pid for _, pid in pairs], model],
        )
        for i, pid, similarity in cursor.fetchall():
            found[i][pid] = float(similarity)
    return found


def literal(vector) -> str:
    return "[" + ",".join(f"{x:.7f}" for x in vector) + "]"
