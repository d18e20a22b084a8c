"""Weighted reciprocal-rank fusion that knows the query's and the documents' languages.

Each run is one retriever's ranking of passages for one query piece. A publication's rank
in a run is the rank of its first passage there; it earns weight / (K + rank), and the
weight depends on the retriever and on the (query language, document language) pair, so a
retriever that is weak for a pair (an English-only model on Chinese text) cannot drag down
one that is strong for it. Weights are tuned on the shared data's dev split
(docs/search-quality.md).
"""

from dataclasses import dataclass, field

K = 60

# (retriever, query language, document language) -> weight; a missing pair weighs nothing.
# "translated" is lexical search with the query's dictionary translation, so it only
# reaches documents in the other language.
SAME = (("en", "en"), ("zh", "zh"))
LEXICAL_SAME = 0.5
TRANSLATED = 0.5
CROSS = (("en", "zh"), ("zh", "en"))


def weights(*, multilingual: bool) -> dict[tuple[str, str, str], float]:
    table = {("lexical", q, d): LEXICAL_SAME for q, d in SAME}
    table |= {("translated", "en", "zh"): TRANSLATED, ("translated", "zh", "en"): TRANSLATED}
    if multilingual:  # one vector space for both languages: trust it everywhere
        table |= {("dense", q, d): 1.0 for q, d in (*SAME, *CROSS)}
    else:  # an English-only model: good on English, weak on Chinese, noise across
        table |= {("dense", "en", "en"): 1.0, ("dense", "zh", "zh"): 0.3}
    return table


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
         weights: dict[tuple[str, str, str], float]) -> list[Fused]:
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
                entry.score += weight / (K + publication_rank[publication_id])
            entry.passage_scores[passage_id] = (entry.passage_scores.get(passage_id, 0.0)
                                                + weight / (K + passage_rank))
    return sorted(fused.values(), key=lambda e: (-e.score, e.publication_id))
