"""Weighted reciprocal-rank fusion that knows the query's and the documents' languages.

Each run is one retriever's ranking of passages for one query piece. A publication's rank
in a run is the rank of its first passage there; it earns weight / (K + rank), and the
weight depends on the retriever and on the (query language, document language) pair, so a
retriever that is weak for a pair (an English-only model on Chinese text) cannot drag down
one that is strong for it.

The retrievers (search/engine.py):
- "hybrid": one list over both languages, by the dense models' scores, with each
  language's BM25 (of the query, or of its translation) blended in at the score level;
- "lexical": BM25 in the query's language alone;
- "translated": BM25 over the query's dictionary translation, in the other language.

Every pair's weights add up to the same total. An English query ranks English documents by
the hybrid list and English BM25, and Chinese documents by the hybrid list and BM25 over its
translation; with equal totals, a document at the top of its lists scores the same
whichever language it is in, so neither language is favoured, and a document of either
language needs words in common with the query for its full score. Within a pair the split
and K were chosen on the shared data's dev split only (bench/tune_fusion.py,
docs/search-quality.md).
"""

from dataclasses import dataclass, field

K = 20
TOTAL = 2.0  # each (query language, document language) pair's weights add up to this

# (retriever, query language, document language) -> weight; a missing pair weighs nothing.
# "translated" only reaches documents in the other language. Shares of TOTAL:
MULTILINGUAL = {  # one vector space for both languages: the hybrid list reaches every pair
    ("en", "en"): {"hybrid": 0.8, "lexical": 0.2},
    ("zh", "zh"): {"hybrid": 0.8, "lexical": 0.2},
    ("en", "zh"): {"hybrid": 0.5, "translated": 0.5},
    ("zh", "en"): {"hybrid": 1 / 3, "translated": 2 / 3},
}
ENGLISH_ONLY = {  # an English-only model: good on English, weak on Chinese, noise across
    ("en", "en"): {"hybrid": 0.8, "lexical": 0.2},
    ("zh", "zh"): {"hybrid": 0.25, "lexical": 0.75},
    ("en", "zh"): {"translated": 1.0},
    ("zh", "en"): {"translated": 1.0},
}


def weights(*, multilingual: bool) -> dict[tuple[str, str, str], float]:
    shares = MULTILINGUAL if multilingual else ENGLISH_ONLY
    return {(retriever, q, d): TOTAL * share
            for (q, d), split in shares.items() for retriever, share in split.items()}


@dataclass
class Run:
    retriever: str
    query_lang: str
    ranking: list[tuple[int, int]]  # (passage id, publication id), best first


@dataclass
class Fused:
    publication_id: int
    score: float = 0.0
    passage_scores: dict[int, float] = field(default_factory=dict)

    @property
    def passage_ids(self) -> list[int]:
        return sorted(self.passage_scores, key=lambda pid: -self.passage_scores[pid])


def fuse(runs: list[Run], *, passage_langs: dict[int, str],
         weights: dict[tuple[str, str, str], float], k: int = K) -> list[Fused]:
    fused: dict[int, Fused] = {}
    for run in runs:
        publication_rank: dict[int, int] = {}
        for passage_rank, (passage_id, publication_id) in enumerate(run.ranking, start=1):
            weight = weights.get((run.retriever, run.query_lang, passage_langs[passage_id]), 0.0)
            if weight == 0.0:
                continue
            entry = fused.setdefault(publication_id, Fused(publication_id))
            if publication_id not in publication_rank:
                publication_rank[publication_id] = len(publication_rank) + 1
                entry.score += weight / (k + publication_rank[publication_id])
            entry.passage_scores[passage_id] = (entry.passage_scores.get(passage_id, 0.0)
                                                + weight / (k + passage_rank))
    return sorted(fused.values(), key=lambda e: (-e.score, e.publication_id))
