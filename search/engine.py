"""The query engine: dense and lexical retrieval over passages, fused per publication.

    search(text, before=None, ipc=None, lang=None, limit=20)

`text` is a short query or whole claims; long text is cut into pieces. For each piece and
each document language, the dense models' nearest passages and BM25's (of the piece in its
own language, of its dictionary translation in the other) are scored on one scale
(_evidence), and a publication scores its best passage, in whichever language
(search/fusion.py), so neither a second language nor more passages lift it.
"""

import statistics
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time

from django.db import transaction

from defpub.models import Publication
from search import fusion, highlight, lexical, pieces
from search.embedding import english_model, get_embedder
from search.retrieval import (
    Filters,
    Lexical,
    Row,
    bm25,
    nearest_each,
    translated_piece,
    tune_ann,
)
from search.retrieval import nearest as _nearest
from search.retrieval import similarities as _similarities
from search.retrieval import tune_ann as _tune_ann  # noqa: F401 (tests, benches)
from search.text import detect_lang

ENGLISH_SHARE = 0.8  # the English model's share of an English passage's dense score (dev)
# BM25's share of a passage's score, by (query language, passage language): BM25 of the
# query for its own language, of its dictionary translation for the other one. Chosen on the
# dev split: same language on the single-language tasks, across on the mixed collection
# (bench/search_mixed.py --tune; docs/search-quality.md).
LEXICAL_SHARE = {("en", "en"): 0.25, ("zh", "zh"): 0.3, ("en", "zh"): 0.3, ("zh", "en"): 0.5}
ENGLISH_ONLY_LEXICAL_SHARE = {True: 0.75, False: 1.0}  # by same language (Chinese), across
DOC_LANGS = ("en", "zh")
# Each model's cosines by (model, query language, passage language): mean and standard
# deviation over all passages (the background), and the mean of a query's right passage;
# measured on the dev split (bench/search_mixed.py --background).
CALIBRATION: dict[tuple[str, str, str], tuple[float, float, float]] = {
    ("multilingual-e5-small-q4", "en", "en"): (0.7955, 0.0283, 0.9242),
    ("multilingual-e5-small-q4", "en", "zh"): (0.7632, 0.0207, 0.8240),
    ("multilingual-e5-small-q4", "zh", "en"): (0.7780, 0.0211, 0.8413),
    ("multilingual-e5-small-q4", "zh", "zh"): (0.8506, 0.0245, 0.9558),
    ("all-MiniLM-L6-v2", "en", "en"): (0.1547, 0.1264, 0.7456),
}
# How cosines become one scale (_dense_scale), chosen with LANGUAGE_OFFSET by the best mean
# MRR@10 on the train split's mixed collection (docs/search-quality.md): "calibrated", the
# pair's background mean at 0 and its right-answer mean at TRUE_MATCH; also measured:
# "background" (standard deviations above it) and "standardised" (per query and language).
DENSE_SCALE = "calibrated"
TRUE_MATCH = 4.0
PRIOR_WEIGHT = 10  # how many background cosines the "standardised" shrinkage counts
# Added to a passage's score by (query language, passage language): a right answer in the
# query's own language should not lose to a cross-language near miss (train split).
LANGUAGE_OFFSET: dict[tuple[str, str], float] = {("en", "zh"): -0.75, ("zh", "en"): -0.75}
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


def cutoff(before: date | datetime | None) -> datetime | None:
    """A priority date means: published strictly before that day began, in UTC."""
    if before is None or isinstance(before, datetime):
        return before
    return datetime.combine(before, time.min, tzinfo=UTC)


def query_pieces(text: str) -> list[str]:
    """The texts search() searches: query_plan(text)'s pieces."""
    return [piece.text for piece in query_plan(text).pieces]


def query_plan(text: str) -> pieces.QueryPlan:
    """Numbered claims by their independent claims' elements, each labelled; a short query
    as is; other long text cut at sentence ends into model-sized pieces (search/pieces.py)."""
    return pieces.plan(text, limit=MAX_PIECES)


def search(text: str, *, before: date | datetime | None = None, ipc: str | None = None,
           lang: str | None = None, limit: int = 20, offset: int = 0,
           exclude: int | None = None, date_field: str = "published") -> list[Result]:
    pieces = query_pieces(text)
    if not pieces or not pieces[0]:
        return []
    filters = Filters(before=cutoff(before), ipc=ipc or None, lang=lang or None,
                      exclude=exclude, date_field=date_field or "published")
    evidence, owners, hits, shown_terms = score_pieces(pieces, filters)
    ranked = fusion.best_evidence(evidence, owners=owners)
    return _results(ranked, hits, shown_terms, limit=limit, offset=offset)


def score_pieces(pieces: list[str], filters: Filters) -> tuple[
        list[dict[int, float]], dict[int, int], dict[int, PassageHit], list[str]]:
    """Every candidate passage's score for each piece, on one scale (_evidence), with one
    model call for all the pieces: (per piece passage id -> score, passage id ->
    publication id, the passages seen, the pieces and their translations)."""
    embedder = get_embedder()
    vectors = embedder.embed(pieces, role="query")
    english = _english_vectors(pieces) if embedder.multilingual else {}
    evidence: list[dict[int, float]] = []  # per piece: passage id -> score
    owners: dict[int, int] = {}  # passage id -> publication id
    hits: dict[int, PassageHit] = {}
    shown_terms = list(pieces)
    langs = [doc_lang for doc_lang in DOC_LANGS if filters.lang in (None, doc_lang)]
    with transaction.atomic():  # SET LOCAL needs a transaction
        tune_ann()
        near = {doc_lang: nearest_each(embedder.name, list(vectors),
                                       replace(filters, lang=doc_lang)) for doc_lang in langs}
        english_near = dict(zip(english, nearest_each(
            english_model(), list(english.values()), replace(filters, lang="en")),
            strict=True)) if english and "en" in langs else {}
        for i, (piece, vector) in enumerate(zip(pieces, vectors, strict=True)):
            query_lang = detect_lang(piece)
            translated, other = translated_piece(piece, query_lang)
            shown_terms.append(translated)
            bm25 = {query_lang: _lexical(piece, query_lang, filters, hits),
                    other: _lexical(translated, other, filters, hits)}
            scores: dict[int, float] = {}
            for doc_lang in langs:
                query = Query(query_lang, vector, nearest=near[doc_lang][i])
                if doc_lang == "en" and i in english:
                    query = replace(query, english_vector=english[i],
                                    english_nearest=english_near[i])
                scores |= _evidence(query, doc_lang, bm25[doc_lang], filters, hits, owners)
            evidence.append(scores)
    return evidence, owners, hits, shown_terms


def more_like_this(number: str, *, before=None, ipc=None, lang=None, limit: int = 20,
                   offset: int = 0, date_field: str = "published") -> list[Result]:
    """Publications nearest to this one's title and abstract (itself left out)."""
    publication = Publication.objects.get(number=number)
    record = publication.record
    text = " ".join([*record["title"].values(), *record["abstract"].values()])
    return search(text, before=before, ipc=ipc, lang=lang, limit=limit, offset=offset,
                  exclude=publication.pk, date_field=date_field)


def _english_vectors(pieces: list[str]) -> dict[int, object]:
    """The English model's query vectors for the English pieces, by piece number."""
    model = english_model()
    wanted = [i for i, piece in enumerate(pieces) if detect_lang(piece) == "en"]
    if not model or not wanted:
        return {}
    embedder, vectors = get_embedder(model), {}
    for group in _length_groups(wanted, pieces):
        rows = embedder.embed([pieces[i] for i in group], role="query")
        vectors |= dict(zip(group, rows, strict=True))
    return vectors


def _length_groups(wanted: list[int], pieces: list[str]) -> list[list[int]]:
    """The pieces in groups whose longest is at most twice their shortest: the English
    model pads a batch to its longest text, so a claim's short elements beside its whole
    text would cost as much as that many whole texts (e5's engine does not pad)."""
    groups: list[list[int]] = []
    for i in sorted(wanted, key=lambda i: len(pieces[i])):
        if groups and len(pieces[i]) <= 2 * max(1, len(pieces[groups[-1][0]])):
            groups[-1].append(i)
        else:
            groups.append([i])
    return groups


@dataclass(frozen=True)
class Query:
    """One query piece as the retrievers see it."""

    lang: str
    vector: object  # the main model's query vector
    english_vector: object = None  # the English model's, for an English piece on English
    # each model's nearest passages when the caller has them (engine.score_pieces)
    nearest: list[Row] | None = None
    english_nearest: list[Row] | None = None


def _evidence(query: Query, doc_lang: str, bm25: Lexical, filters: Filters,
              hits: dict[int, PassageHit], owners: dict[int, int]) -> dict[int, float]:
    """Every candidate passage in `doc_lang` with its score for one query piece.

    The candidates are the main model's nearest passages in that language, the English
    model's nearest (an English piece on English passages) and what BM25 found there (of
    the piece, or of its translation). Each cosine is put on a scale shared by every
    language pair (_dense_scale: standard deviations above the pair's background), BM25 is
    standardised over this language's candidates, and a passage's score is a weighted mean:

        dense = z_main + ENGLISH_SHARE * (z_english - z_main)       (English on English)
        score = dense + LEXICAL_SHARE[query, passage language] * (z_bm25 - dense)
                + LANGUAGE_OFFSET[query, passage language]

    so a word that a single passage holds (a part number, a formula) lifts that passage by
    its score, which a rank cannot do (docs/search-quality.md)."""
    main, model = get_embedder().name, english_model()
    only = replace(filters, lang=doc_lang)
    found: dict[int, set[str]] = {}  # passage id -> the retrievers that found it
    cosine: dict[int, float] = {}
    english: dict[int, float] = {}
    for scores, name, vector, rows in ((cosine, main, query.vector, query.nearest),
                                       (english, model, query.english_vector,
                                        query.english_nearest)):
        if vector is None or not name:
            continue
        for pid, publication_id, _, similarity in (
                _nearest(name, vector, only) if rows is None else rows):
            owners[pid], scores[pid] = publication_id, similarity
            found.setdefault(pid, set()).add("semantic")
    label = "keyword" if doc_lang == query.lang else "translation"
    for pid, publication_id, _ in bm25.rows:
        owners[pid] = publication_id
        found.setdefault(pid, set()).add(label)

    cosine |= _similarities(main, query.vector, [pid for pid in found if pid not in cosine])
    if english:
        english |= _similarities(model, query.english_vector,
                                 [pid for pid in found if pid not in english])
    bm25_scores: dict[int, float] = {}
    if lexical_share(query.lang, doc_lang):
        bm25_scores = {pid: score for pid, _, score in bm25.rows}
        bm25_scores |= lexical.scores(bm25.text, bm25.lang, [
            pid for pid in found if pid not in bm25_scores], statistics=bm25.statistics)
        for pid, score in bm25_scores.items():
            if score:
                hit = hits.setdefault(pid, _placeholder(pid, doc_lang))
                hit.lexical = max(hit.lexical or 0.0, score)
    for pid, retrievers in found.items():
        hit = hits.setdefault(pid, _placeholder(pid, doc_lang))
        hit.found_by |= retrievers
        if pid in cosine:
            _note_dense(hit, cosine[pid])
    return passage_scores(query.lang, doc_lang, cosine=cosine, english=english,
                          bm25=bm25_scores)


def lexical_share(query_lang: str, doc_lang: str) -> float:
    """BM25's share of a passage's score. An English-only main model's cosines mean little
    on Chinese and nothing across languages, so BM25 (of the translation) carries those."""
    if not get_embedder().multilingual and "zh" in (query_lang, doc_lang):
        return ENGLISH_ONLY_LEXICAL_SHARE[query_lang == doc_lang]
    return LEXICAL_SHARE.get((query_lang, doc_lang), 0.0)


def passage_scores(query_lang: str, doc_lang: str, *, cosine: dict[int, float],
                   english: dict[int, float], bm25: dict[int, float]) -> dict[int, float]:
    """One language's candidates scored for one query piece from their raw scores (the
    formula in _evidence)."""
    main, model = get_embedder().name, english_model()
    share = lexical_share(query_lang, doc_lang)
    # A BM25 list whose candidates all score alike tells them apart in nothing.
    z_bm25 = _standardised(bm25) if share and len(set(bm25.values())) > 1 else {}
    z_main = _dense_scale(cosine, CALIBRATION.get((main, query_lang, doc_lang)))
    z_english = _dense_scale(english, CALIBRATION.get((model, query_lang, doc_lang)))
    offset = LANGUAGE_OFFSET.get((query_lang, doc_lang), 0.0)
    score = {}
    for pid in z_main:  # (a passage has a main vector once indexed)
        value = z_main[pid]
        if pid in z_english:
            value += ENGLISH_SHARE * (z_english[pid] - value)
        if pid in z_bm25:
            value += share * (z_bm25[pid] - value)
        score[pid] = value + offset
    return score


def _note_dense(hit: PassageHit, similarity: float) -> None:
    """A passage's dense score is its best cosine to any piece of the query."""
    hit.dense = max(hit.dense if hit.dense is not None else -1.0, similarity)


def _dense_scale(values: dict[int, float],
                 calibration: tuple[float, float, float] | None) -> dict[int, float]:
    """Cosines on one scale for every language pair (DENSE_SCALE): a cross-language cosine,
    which runs lower, is measured against its own pair's background, not held down by the
    gap between the languages."""
    if DENSE_SCALE == "standardised" or not calibration:
        return _standardised(values, calibration[:2] if calibration else None)
    background, spread, right = calibration
    if DENSE_SCALE == "background":
        return {key: (value - background) / spread for key, value in values.items()}
    return {key: TRUE_MATCH * (value - background) / (right - background)
            for key, value in values.items()}


def _standardised(values: dict[int, float],
                  background: tuple[float, float] | None = None) -> dict[int, float]:
    """Standard scores over the values. With the model's background (mean, standard
    deviation of its cosines to unrelated passages), the values' own statistics are shrunk
    towards it as if PRIOR_WEIGHT such cosines were among them, so a language with a
    handful of candidates is not scored by a handful."""
    if not values:
        return {}
    n = len(values)
    mean = statistics.fmean(values.values())
    variance = statistics.pvariance(values.values(), mean) if n > 1 else 0.0
    if background:
        prior_mean, prior_sd = background
        total = n + PRIOR_WEIGHT
        pooled_mean = (n * mean + PRIOR_WEIGHT * prior_mean) / total
        variance = (n * (variance + (mean - pooled_mean) ** 2)
                    + PRIOR_WEIGHT * (prior_sd ** 2 + (prior_mean - pooled_mean) ** 2)) / total
        mean = pooled_mean
    spread = variance ** 0.5 or 1.0
    return {key: (value - mean) / spread for key, value in values.items()}


def _lexical(text: str, lang: str, filters: Filters, hits: dict[int, PassageHit]) -> Lexical:
    """The passages in `lang` for the text's terms, best first (search/lexical.py)."""
    found = bm25(text, lang, filters)
    for passage_id, _, score in found.rows:
        hit = hits.setdefault(passage_id, _placeholder(passage_id, lang))
        hit.lexical = max(hit.lexical or 0.0, score)
    return found


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
        for hit in shown:
            hit.piece = entry.passage_pieces.get(hit.id, 0)
        results.append(Result(
            number=publication.number, title=publication.record["title"],
            published_at=publication.published_at,
            organisation=publication.record["organisation"]["name"],
            ipc=publication.record["ipc"], fused=entry.score,
            dense=max((h.dense for h in shown if h.dense is not None), default=None),
            lexical=max((h.lexical for h in shown if h.lexical is not None), default=None),
            passages=shown, matched_lang=shown[0].lang if shown else "",
            source=publication.record.get("source", ""),
            source_date=publication.record.get("source_date", ""),
        ))
    return results
