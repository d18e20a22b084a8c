"""Best-evidence fusion: a publication scores what its best passage scores, in whichever
language, so it gains nothing from having two languages or many passages.

The engine (search/engine.py) gives every candidate passage one score per query piece, on
a scale shared by both document languages: each language's candidates are standardised
among themselves (so an English query's Chinese passages are not held down by the gap
between the languages' cosines) and blended with BM25 at the score level. Here, for each
piece, a publication takes the score of its best passage; over the pieces of a long query
(pasted claims) it takes the mean, a piece it has no candidate for counting at that piece's
lowest score. Passages are shown in order of their best score.

Summing over lists (reciprocal-rank fusion, as before) let a bilingual record collect from
both languages' lists and outrank a better single-language one; bench/search_mixed.py
measures the difference per kind of record (docs/search-quality.md).
"""

from dataclasses import dataclass, field


@dataclass
class Fused:
    publication_id: int
    score: float = 0.0
    passage_scores: dict[int, float] = field(default_factory=dict)
    passage_pieces: dict[int, int] = field(default_factory=dict)  # passage -> its best piece

    @property
    def passage_ids(self) -> list[int]:
        return sorted(self.passage_scores, key=lambda pid: (-self.passage_scores[pid], pid))


def best_evidence(pieces: list[dict[int, float]], *, owners: dict[int, int]) -> list[Fused]:
    """`pieces`: for each query piece, passage id -> score; `owners`: passage id ->
    publication id. Publications best first."""
    fused: dict[int, Fused] = {}
    best: list[dict[int, float]] = []
    for number, scores in enumerate(pieces):
        piece_best: dict[int, float] = {}
        for passage_id, score in scores.items():
            publication_id = owners[passage_id]
            entry = fused.setdefault(publication_id, Fused(publication_id))
            if score > entry.passage_scores.get(passage_id, float("-inf")):
                entry.passage_scores[passage_id] = score
                entry.passage_pieces[passage_id] = number
            piece_best[publication_id] = max(piece_best.get(publication_id, score), score)
        best.append(piece_best)
    floors = [min(scores.values(), default=0.0) for scores in best]
    for entry in fused.values():
        entry.score = sum(scores.get(entry.publication_id, floor)
                          for scores, floor in zip(best, floors, strict=True)) / len(best)
    return sorted(fused.values(), key=lambda e: (-e.score, e.publication_id))
