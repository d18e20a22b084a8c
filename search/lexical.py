"""Okapi BM25 over the passages' tsvectors, with exact corpus statistics.

PostgreSQL's own rankings (ts_rank, ts_rank_cd) know nothing of how rare a word is, so a
query's common words weigh as much as its telling ones. Here each query term gets BM25's
inverse document frequency from `search_termstat` (kept exact by the indexer) and each
passage's term frequencies come out of its tsvector:

    score = sum over terms of idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * length / avgdl))

Only a bounded set of passages is scored, so a query of common words stays fast at a
million passages: every passage holding the query's rarest terms (MaxScore's "essential"
terms, up to CANDIDATES rows), plus, for short queries, every passage that holds all of them.
A passage that matches none of the rare terms can only score with the common ones, whose IDF
is low, so it is rarely missed.
"""

import math
from dataclasses import dataclass

from django.db import connection

from search.text import segmented

K1 = 1.2
B = 0.75
CANDIDATES = 1000  # passages scored per query, at most (twice that with the all-terms set)
ALL_TERMS_UP_TO = 6  # queries this short also fetch the passages holding every term
CONFIG = {"en": "english", "zh": "simple"}  # the text configuration of each language


@dataclass(frozen=True)
class Term:
    lexeme: str
    df: int
    idf: float


def query_terms(text: str, lang: str) -> tuple[list[Term], float]:
    """The text's distinct lexemes as the index has them, with their statistics, and the
    average passage length; terms that no passage holds are left out."""
    lexical = segmented(text) if lang == "zh" else text
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.lexeme, coalesce(s.df, 0), c.passages, c.tokens "
            "FROM unnest(to_tsvector(%s::regconfig, %s)) t "
            "LEFT JOIN search_termstat s ON s.lang = %s AND s.lexeme = t.lexeme "
            "LEFT JOIN search_corpusstat c ON c.lang = %s",
            [CONFIG[lang], lexical, lang, lang],
        )
        rows = cursor.fetchall()
    if not rows or not rows[0][2]:
        return [], 0.0
    passages, tokens = rows[0][2], rows[0][3]
    terms = [Term(lexeme, df, math.log(1 + (passages - df + 0.5) / (df + 0.5)))
             for lexeme, df, _, _ in rows if df > 0]
    return terms, max(tokens / passages, 1.0)


def essential(terms: list[Term], limit: int | None = None) -> list[Term]:
    """The rarest terms whose passages together stay within `limit` (CANDIDATES) passages;
    at least one term."""
    limit = limit or CANDIDATES
    chosen, total = [], 0
    for term in sorted(terms, key=lambda t: (t.df, t.lexeme)):
        if chosen and total + term.df > limit:
            break
        chosen.append(term)
        total += term.df
    return chosen


def tsquery(terms: list[Term], operator: str) -> str:
    """A tsquery of exact lexemes (quoted, so PostgreSQL does not normalise them again)."""
    quoted = ("'" + t.lexeme.replace("\\", "\\\\").replace("'", "''") + "'" for t in terms)
    return f" {operator} ".join(quoted)


Statistics = tuple[list[Term], float]  # what query_terms gives: a text's terms, avgdl


def ranked(text: str, lang: str, *, where: str = "", params: list | None = None,
           limit: int = 100, statistics: Statistics | None = None,
           ) -> list[tuple[int, int, str, float]]:
    """(passage id, publication id, language, BM25 score) of the best passages in `lang`
    for `text`, best first. `where` holds extra `AND ...` clauses on alias `p`;
    `statistics`, the text's query_terms when the caller has them already."""
    terms, avgdl = statistics or query_terms(text, lang)
    if not terms:
        return []
    with connection.cursor() as cursor:
        cursor.execute(*scoring_query(terms, avgdl, lang, where, params or [], limit))
        return cursor.fetchall()


def scores(text: str, lang: str, passage_ids: list[int], *,
           statistics: Statistics | None = None) -> dict[int, float]:
    """BM25 score of each given passage for `text`; 0.0 for those that hold none of its
    terms (and for passages in another language)."""
    terms, avgdl = statistics or query_terms(text, lang)
    found = dict.fromkeys(passage_ids, 0.0)
    if not terms or not passage_ids:
        return found
    with connection.cursor() as cursor:
        cursor.execute(*_scored("SELECT unnest(%s::bigint[]) AS id", [passage_ids], terms,
                                avgdl, limit=len(passage_ids), lang=lang))
        found |= {passage_id: float(score) for passage_id, _, _, score in cursor.fetchall()}
    return found


def scoring_query(terms: list[Term], avgdl: float, lang: str, where: str, params: list,
                  limit: int) -> tuple[str, list]:
    """The SQL that fetches the bounded candidates and scores them, with its parameters."""
    rare = essential(terms)
    select = ("(SELECT p.id FROM search_passage p WHERE p.tsv @@ %s::tsquery "  # noqa: S608
              f"AND p.lang = %s{where} LIMIT %s)")
    selects, select_params = [select], [tsquery(rare, "|"), lang, *params, CANDIDATES]
    if len(rare) < len(terms) <= ALL_TERMS_UP_TO:
        selects.append(select)
        select_params += [tsquery(terms, "&"), lang, *params, CANDIDATES]
    return _scored(" UNION ".join(selects), select_params, terms, avgdl, limit=limit, lang=lang)


def _scored(candidates: str, candidate_params: list, terms: list[Term], avgdl: float, *,
            limit: int, lang: str) -> tuple[str, list]:
    """BM25 over the passages that the `candidates` SQL selects (a column `id`)."""
    lexemes = [t.lexeme for t in terms]
    sql = (
        # Only our own clauses are formatted in; every value is a parameter.
        "WITH q(lexeme, idf) AS (SELECT * FROM unnest(%s::text[], %s::float8[])), "  # noqa: S608
        f"candidates AS ({candidates}) "
        "SELECT p.id, p.publication_id, p.lang, "
        "sum(q.idf * cardinality(m.positions) * %s / (cardinality(m.positions) "
        "+ %s * (1 - %s + %s * p.length / %s))) AS score "
        "FROM candidates c JOIN search_passage p ON p.id = c.id AND p.lang = %s "
        # The passage's own entries for the query's lexemes, positions and all.
        "CROSS JOIN LATERAL unnest(ts_filter(setweight(p.tsv, 'A', %s::text[]), '{a}')) m "
        "JOIN q ON q.lexeme = m.lexeme "
        "GROUP BY p.id, p.publication_id, p.lang ORDER BY score DESC, p.id LIMIT %s"
    )
    return sql, [lexemes, [t.idf for t in terms], *candidate_params,
                 K1 + 1, K1, B, B, avgdl, lang, lexemes, limit]
