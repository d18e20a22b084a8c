"""The query engine: dense and lexical retrieval over passages, fused per publication.

    search(text, before=None, ipc=None, lang=None, limit=20)

`text` is a short query or whole claims; long text is cut into pieces, each piece is run
through the dense and lexical retrievers (the hybrid list blends them by score), and every
ranked list is fused by weighted reciprocal rank, with weights chosen by the query's and the
document's language (search/fusion.py).
"""

import statistics
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time

from django.conf import settings
from django.db import connection, transaction

from defpub.models import Publication
from search import fusion, highlight, lexical
from search.chunking import MAX_CHARS, split_long
from search.embedding import english_model, get_embedder, model_dimension
from search.text import detect_lang
from search.translate import dictionary

CANDIDATES = 100  # passages per retriever and query piece
ENGLISH_SHARE = 0.8  # the English model's share of an English passage's dense score (dev)
# BM25's share of a passage's hybrid score, by (query language, passage language): BM25 of
# the query for its own language, of the query's dictionary translation for the other one
# (chosen on dev, bench/tune_fusion.py)
LEXICAL_SHARE = {("en", "en"): 0.25, ("zh", "zh"): 0.3, ("en", "zh"): 0.0, ("zh", "en"): 0.2}
MAX_PIECES = 8
PASSAGES_SHOWN = 3


@dataclass
class PassageHit:
    id: int
    field: str
    lang: str
    ordinal: int
    text: str
    start: int
    end: int
    dense: float | None = None  # cosine similarity
    lexical: float | None = None  # BM25 score (unbounded; higher is better)
    highlighted: str = ""
    # which retrievers found it: "semantic" (the dense models), "keyword" (BM25 of the
    # query in its own language), "translation" (BM25 of the query's dictionary translation)
    found_by: set[str] = field(default_factory=set)
    piece: int = 0  # the query piece (query_pieces(text)[piece]) this passage answers best


@dataclass
class Result:
    number: str
    title: dict
    published_at: datetime
    organisation: str
    ipc: list[str]
    fused: float
    dense: float | None
    lexical: float | None
    passages: list[PassageHit] = field(default_factory=list)
    matched_lang: str = ""  # the language of the best evidence ("en" or "zh")
    # What the record declares (traditional knowledge, an old catalogue); not proven by the
    # ledger, which proves only published_at.
    source: str = ""
    source_date: str = ""  # YYYY-MM-DD


@dataclass(frozen=True)
class Lexical:
    """One BM25 list of a query piece: the text searched, in `lang`, and what it found."""

    text: str
    lang: str
    rows: list[tuple[int, int, float]]  # (passage id, publication id, BM25 score), best first
    statistics: lexical.Statistics  # the text's terms and their statistics


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


def cutoff(before: date | datetime | None) -> datetime | None:
    """A priority date means: published strictly before that day began, in UTC."""
    if before is None or isinstance(before, datetime):
        return before
    return datetime.combine(before, time.min, tzinfo=UTC)


def query_pieces(text: str) -> list[str]:
    """A short query as is; long text (claims) cut at sentence ends into model-sized pieces."""
    text = " ".join(text.split())
    lang = detect_lang(text)
    if len(text) <= MAX_CHARS[lang]:
        return [text]
    pieces = [text[a:b] for a, b in split_long(text, lang)]
    return pieces[:MAX_PIECES]


def search(text: str, *, before: date | datetime | None = None, ipc: str | None = None,
           lang: str | None = None, limit: int = 20, offset: int = 0,
           exclude: int | None = None, date_field: str = "published") -> list[Result]:
    pieces = query_pieces(text)
    if not pieces or not pieces[0]:
        return []
    filters = Filters(before=cutoff(before), ipc=ipc or None, lang=lang or None,
                      exclude=exclude, date_field=date_field or "published")
    embedder = get_embedder()
    vectors = embedder.embed(pieces, role="query")
    english = _english_vectors(pieces) if embedder.multilingual else {}
    runs: list[fusion.Run] = []
    hits: dict[int, PassageHit] = {}
    shown_terms = list(pieces)
    with transaction.atomic():  # SET LOCAL needs a transaction
        _tune_ann()
        for i, (piece, vector) in enumerate(zip(pieces, vectors, strict=True)):
            query_lang = detect_lang(piece)
            translated, other = _translated(piece, query_lang)
            shown_terms.append(translated)
            same = _lexical(piece, query_lang, filters, hits)
            across = _lexical(translated, other, filters, hits)
            runs += [
                fusion.Run("hybrid", query_lang, _hybrid(
                    query_lang, vector, english.get(i), [same, across], filters, hits)),
                fusion.Run("lexical", query_lang, _ranking(same.rows)),
                fusion.Run("translated", query_lang, _ranking(across.rows)),
            ]
    ranked = fusion.fuse(runs, passage_langs={pid: hit.lang for pid, hit in hits.items()},
                         weights=fusion.weights(multilingual=embedder.multilingual))
    return _results(ranked, hits, shown_terms, limit=limit, offset=offset)


def more_like_this(number: str, *, before=None, ipc=None, lang=None, limit: int = 20,
                   offset: int = 0, date_field: str = "published") -> list[Result]:
    """Publications nearest to this one's title and abstract (itself left out)."""
    publication = Publication.objects.get(number=number)
    record = publication.record
    text = " ".join([*record["title"].values(), *record["abstract"].values()])
    return search(text, before=before, ipc=ipc, lang=lang, limit=limit, offset=offset,
                  exclude=publication.pk, date_field=date_field)


def _tune_ann() -> None:
    with connection.cursor() as cursor:
        # pgvector 0.8: keep scanning the graph until enough rows pass the filters.
        cursor.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
        # 400 keeps ANN recall@10 >= 0.95 at 1M passages (docs/benchmarks.md, search speed).
        cursor.execute("SET LOCAL hnsw.ef_search = %s",
                       [max(CANDIDATES, settings.SEARCH_EF_SEARCH)])


def _english_vectors(pieces: list[str]) -> dict[int, object]:
    """The English model's query vectors for the English pieces, by piece number."""
    model = english_model()
    wanted = [i for i, piece in enumerate(pieces) if detect_lang(piece) == "en"]
    if not model or not wanted:
        return {}
    rows = get_embedder(model).embed([pieces[i] for i in wanted], role="query")
    return dict(zip(wanted, rows, strict=True))


def _hybrid(query_lang: str, vector, english_vector, lexicals: list[Lexical],
            filters: Filters, hits: dict[int, PassageHit]) -> list[tuple[int, int]]:
    """One ranked list of passages in both languages for one query piece.

    The candidates are the main model's nearest passages, the English model's nearest
    English ones (for an English piece) and what the BM25 lists found. Each candidate gets
    every score that applies to it: the main model's cosine; for an English passage and an
    English piece, the English model's cosine; its BM25 score for the list of its language
    (the piece itself, or its translation). Each score is standardised over the candidates
    that have it, and a passage's score is a weighted mean of its standard scores:

        dense  = z_main + ENGLISH_SHARE * (z_english - z_main)       (English on English)
        hybrid = dense + LEXICAL_SHARE[query, passage language] * (z_bm25 - dense)

    so passages of both languages stay on one scale, and a word that a single passage holds
    (a part number, a formula) lifts that passage by its score, which a rank cannot do
    (docs/search-quality.md). A BM25 list whose candidates all score alike tells nothing
    and is left out."""
    main = get_embedder().name
    found: dict[int, tuple[int, str]] = {}  # passage id -> (publication id, language)
    cosine: dict[int, float] = {}
    for pid, publication_id, lang, similarity in _nearest(main, vector, filters):
        found[pid], cosine[pid] = (publication_id, lang), similarity
    english: dict[int, float] = {}
    model = english_model()
    if english_vector is not None and filters.lang in (None, "en"):
        for pid, publication_id, lang, similarity in _nearest(
                model, english_vector, replace(filters, lang="en")):
            found.setdefault(pid, (publication_id, lang))
            english[pid] = similarity
    for bm25 in lexicals:
        found |= {pid: (publication_id, bm25.lang) for pid, publication_id, _ in bm25.rows
                  if pid not in found}

    cosine |= _similarities(main, vector, [pid for pid in found if pid not in cosine])
    if english:
        english |= _similarities(model, english_vector, [
            pid for pid, (_, lang) in found.items() if lang == "en" and pid not in english])
    z_bm25: dict[int, float] = {}
    for bm25 in lexicals:
        if not LEXICAL_SHARE.get((query_lang, bm25.lang)):
            continue  # not blended for this pair: spare the query
        scores = {pid: score for pid, _, score in bm25.rows}
        scores |= lexical.scores(bm25.text, bm25.lang, [
            pid for pid, (_, lang) in found.items() if lang == bm25.lang and pid not in scores],
            statistics=bm25.statistics)
        for pid, score in scores.items():
            if score:
                hit = hits.setdefault(pid, _placeholder(pid, bm25.lang))
                hit.lexical = max(hit.lexical or 0.0, score)
        if len(set(scores.values())) > 1:  # else it tells the candidates apart in nothing
            z_bm25 |= _standardised(scores)
    for pid, (_, lang) in found.items():
        if pid in cosine:
            _note_dense(hits.setdefault(pid, _placeholder(pid, lang)), cosine[pid])

    z_main, z_english = _standardised(cosine), _standardised(english)
    score = {}
    for pid in z_main:  # (a passage has a main vector once indexed)
        value = z_main[pid]
        if pid in z_english:
            value += ENGLISH_SHARE * (z_english[pid] - value)
        if pid in z_bm25:
            share = LEXICAL_SHARE.get((query_lang, found[pid][1]), 0.0)
            value += share * (z_bm25[pid] - value)
        score[pid] = value
    order = sorted(score, key=lambda pid: (-score[pid], pid))
    return [(pid, found[pid][0]) for pid in order]


def _note_dense(hit: PassageHit, similarity: float) -> None:
    """A passage's dense score is its best cosine to any piece of the query."""
    hit.dense = max(hit.dense if hit.dense is not None else -1.0, similarity)


def _nearest(model: str, vector, filters: Filters) -> list[tuple[int, int, str, float]]:
    """(passage id, publication id, language, cosine similarity) of the model's nearest
    passages that pass the filters, best first."""
    dim = model_dimension(model)
    where, params = filters.sql("v")
    literal = _literal(vector)
    with connection.cursor() as cursor:
        cursor.execute(
            # Only our own alias and integer dimension are formatted in; values are parameters.
            f"SELECT v.passage_id, v.publication_id, v.lang, "  # noqa: S608
            f"1 - (v.embedding::vector({dim}) <=> %s::vector({dim})) AS similarity "
            f"FROM search_passagevector v WHERE v.model = %s{where} "
            f"ORDER BY v.embedding::vector({dim}) <=> %s::vector({dim}) LIMIT %s",
            [literal, model, *params, literal, CANDIDATES],
        )
        rows = cursor.fetchall()
    return sorted(((pid, pub, lang, float(sim)) for pid, pub, lang, sim in rows),
                  key=lambda row: -row[3])  # relaxed order: re-sort


def _similarities(model: str, vector, passage_ids: list[int]) -> dict[int, float]:
    """Cosine similarity of the given passages' vectors by the model (those it has)."""
    if not passage_ids:
        return {}
    dim = model_dimension(model)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT passage_id, 1 - (embedding::vector({dim}) <=> %s::vector({dim})) "  # noqa: S608
            "FROM search_passagevector WHERE model = %s AND passage_id = ANY(%s)",
            [_literal(vector), model, passage_ids],
        )
        return {pid: float(sim) for pid, sim in cursor.fetchall()}


def _standardised(values: dict[int, float]) -> dict[int, float]:
    if not values:
        return {}
    spread = statistics.pstdev(values.values()) or 1.0
    mean = statistics.fmean(values.values())
    return {key: (value - mean) / spread for key, value in values.items()}


def _literal(vector) -> str:
    return "[" + ",".join(f"{x:.7f}" for x in vector) + "]"


def _lexical(text: str, lang: str, filters: Filters, hits: dict[int, PassageHit]) -> Lexical:
    """The passages in `lang` for the text's terms, best first (search/lexical.py)."""
    where, params = filters.sql("p")
    statistics = lexical.query_terms(text, lang)
    rows = lexical.ranked(text, lang, where=where, params=params, limit=CANDIDATES,
                          statistics=statistics)
    for passage_id, _, passage_lang, score in rows:
        hit = hits.setdefault(passage_id, _placeholder(passage_id, passage_lang))
        hit.lexical = max(hit.lexical or 0.0, float(score))
    return Lexical(text, lang, [(passage_id, publication_id, float(score))
                                for passage_id, publication_id, _, score in rows], statistics)


def _ranking(rows: list[tuple[int, int, float]]) -> list[tuple[int, int]]:
    return [(passage_id, publication_id) for passage_id, publication_id, _ in rows]


def _translated(piece: str, query_lang: str) -> tuple[str, str]:
    """The piece's dictionary translation and the language it is in."""
    words = dictionary()
    if query_lang == "zh":
        return " ".join(words.chinese_to_english(piece)), "en"
    return " ".join(words.english_to_chinese(piece)), "zh"


def _placeholder(passage_id: int, lang: str) -> PassageHit:
    return PassageHit(id=passage_id, field="", lang=lang, ordinal=0, text="", start=0, end=0)


def _results(ranked, hits, pieces, *, limit: int, offset: int) -> list[Result]:
    from search.models import Passage

    page = ranked[offset:offset + limit]
    if not page:
        return []
    publications = Publication.objects.select_related("organisation").in_bulk(
        [entry.publication_id for entry in page])
    wanted = [pid for entry in page for pid in entry.passage_ids[:PASSAGES_SHOWN]]
    for passage in Passage.objects.filter(pk__in=wanted):
        hit = hits[passage.pk]
        hit.field, hit.ordinal = passage.field, passage.ordinal
        hit.text, hit.start, hit.end = passage.text, passage.start, passage.end
        hit.highlighted = highlight.mark(passage.text, pieces, passage.lang)
    results = []
    for entry in page:
        publication = publications[entry.publication_id]
        shown = [hits[pid] for pid in entry.passage_ids[:PASSAGES_SHOWN]]
        results.append(Result(
            number=publication.number, title=publication.record["title"],
            published_at=publication.published_at,
            organisation=publication.record["organisation"]["name"],
            ipc=publication.record["ipc"], fused=entry.score,
            dense=max((h.dense for h in shown if h.dense is not None), default=None),
            lexical=max((h.lexical for h in shown if h.lexical is not None), default=None),
            passages=shown,
            source=publication.record.get("source", ""),
            source_date=publication.record.get("source_date", ""),
        ))
    return results
