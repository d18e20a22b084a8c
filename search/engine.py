"""The query engine: dense and lexical retrieval over passages, fused per publication.

    search(text, before=None, ipc=None, lang=None, limit=20)

`text` is a short query or whole claims; long text is cut into pieces, each piece is run
through both retrievers, and every ranked list is fused by weighted reciprocal rank, with
weights chosen by the query's and the document's language (search/fusion.py).
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from django.conf import settings
from django.db import connection, transaction

from defpub.models import Publication
from search import fusion, highlight, lexical
from search.chunking import MAX_CHARS, split_long
from search.embedding import get_embedder, model_dimension
from search.text import detect_lang
from search.translate import dictionary

CANDIDATES = 100  # passages per retriever and query piece
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


@dataclass(frozen=True)
class Filters:
    before: datetime | None = None
    ipc: str | None = None
    lang: str | None = None
    exclude: int | None = None  # a publication id left out (more like this)

    def sql(self, alias: str) -> tuple[str, list]:
        clauses, params = [], []
        if self.exclude is not None:
            clauses.append(f"{alias}.publication_id <> %s")
            params.append(self.exclude)
        if self.before is not None:
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
           exclude: int | None = None) -> list[Result]:
    pieces = query_pieces(text)
    if not pieces or not pieces[0]:
        return []
    filters = Filters(before=cutoff(before), ipc=ipc or None, lang=lang or None,
                      exclude=exclude)
    embedder = get_embedder()
    vectors = embedder.embed(pieces, role="query")
    runs: list[fusion.Run] = []
    hits: dict[int, PassageHit] = {}
    shown_terms = list(pieces)
    with transaction.atomic():  # SET LOCAL needs a transaction
        _tune_ann()
        for piece, vector in zip(pieces, vectors, strict=True):
            query_lang = detect_lang(piece)
            translated, other = _translated(piece, query_lang)
            shown_terms.append(translated)
            runs += [
                fusion.Run("dense", query_lang, _dense(vector, filters, hits)),
                fusion.Run("lexical", query_lang, _lexical(piece, query_lang, filters, hits)),
                fusion.Run("translated", query_lang, _lexical(translated, other, filters, hits)),
            ]
    ranked = fusion.fuse(runs, passage_langs={pid: hit.lang for pid, hit in hits.items()},
                         weights=fusion.weights(multilingual=embedder.multilingual))
    return _results(ranked, hits, shown_terms, limit=limit, offset=offset)


def more_like_this(number: str, *, before=None, ipc=None, lang=None, limit: int = 20,
                   offset: int = 0) -> list[Result]:
    """Publications nearest to this one's title and abstract (itself left out)."""
    publication = Publication.objects.get(number=number)
    record = publication.record
    text = " ".join([*record["title"].values(), *record["abstract"].values()])
    return search(text, before=before, ipc=ipc, lang=lang, limit=limit, offset=offset,
                  exclude=publication.pk)


def _tune_ann() -> None:
    with connection.cursor() as cursor:
        # pgvector 0.8: keep scanning the graph until enough rows pass the filters.
        cursor.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
        # 400 keeps ANN recall@10 >= 0.95 at 1M passages (docs/benchmarks.md, search speed).
        cursor.execute("SET LOCAL hnsw.ef_search = %s",
                       [max(CANDIDATES, settings.SEARCH_EF_SEARCH)])


def _dense(vector, filters: Filters, hits: dict[int, PassageHit]) -> list[tuple[int, int]]:
    model = get_embedder().name
    dim = model_dimension(model)
    where, params = filters.sql("v")
    literal = "[" + ",".join(f"{x:.7f}" for x in vector) + "]"
    with connection.cursor() as cursor:
        cursor.execute(
            # Only our own alias and integer dimension are formatted in; values are parameters.
            f"SELECT v.passage_id, v.publication_id, v.lang, "  # noqa: S608
            f"1 - (v.embedding::vector({dim}) <=> %s::vector({dim})) AS similarity "
            f"FROM search_passagevector v WHERE v.model = %s{where} "
            f"ORDER BY v.embedding::vector({dim}) <=> %s::vector({dim}) LIMIT %s",
            [literal, model, *params, literal, CANDIDATES],
        )
        rows = sorted(cursor.fetchall(), key=lambda row: -row[3])  # relaxed order: re-sort
    for passage_id, _, lang, similarity in rows:
        hit = hits.setdefault(passage_id, _placeholder(passage_id, lang))
        hit.dense = max(hit.dense or -1.0, float(similarity))
    return [(passage_id, publication_id) for passage_id, publication_id, _, _ in rows]


def _lexical(text: str, lang: str, filters: Filters,
             hits: dict[int, PassageHit]) -> list[tuple[int, int]]:
    """Passages in `lang` ranked by BM25 for the text's terms (search/lexical.py)."""
    where, params = filters.sql("p")
    rows = lexical.ranked(text, lang, where=where, params=params, limit=CANDIDATES)
    for passage_id, _, passage_lang, score in rows:
        hit = hits.setdefault(passage_id, _placeholder(passage_id, passage_lang))
        hit.lexical = max(hit.lexical or 0.0, float(score))
    return [(passage_id, publication_id) for passage_id, publication_id, _, _ in rows]


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
        ))
    return results
