"""Choose the fusion weights on one split: every retriever's ranking is computed once per
query, then each weighting is scored offline.

    DEFPUB_HOME=/tmp/defpub-quality-dev .venv/bin/python bench/search_quality.py --splits dev
    DEFPUB_HOME=/tmp/defpub-quality-dev .venv/bin/python bench/tune_fusion.py --splits dev

The first command publishes and indexes the split's abstracts (the database is kept); this
one re-uses them. For each (query language, document language) pair it prints MRR@10 and
recall@1/@10 of every weighting in a small grid, best first. The weights are relative within
a pair; fusion.py scales each pair to the same total so that no language is favoured when
documents of both compete.
"""

import argparse
import itertools
import sys

import search_quality  # noqa: F401  (sets up Django and the paths)
from search_quality import data

from defpub.models import Publication
from search import engine, fusion

GRID = (0.0, 0.25, 0.5, 1.0, 2.0, 4.0)  # a retriever's weight relative to the dense one
KS = (5, 10, 20, 60)  # reciprocal rank's k


def captured_runs(query: str, doc_lang: str):
    """The runs and passage languages engine.search fuses for this query."""
    seen = {}
    real = fusion.fuse

    def spy(runs, *, passage_langs, weights):
        seen.update(runs=runs, langs=passage_langs)
        return real(runs, passage_langs=passage_langs, weights=weights)

    fusion.fuse = spy
    try:
        engine.search(query, lang=doc_lang, limit=10)
    finally:
        fusion.fuse = real
    return seen.get("runs", []), seen.get("langs", {})


def score(captured, relevant_ids, weights, k) -> tuple[float, float, float]:
    hits1 = hits10 = reciprocal = 0.0
    for (runs, langs), relevant in zip(captured, relevant_ids, strict=True):
        ranked = [e.publication_id for e in fusion.fuse(runs, passage_langs=langs,
                                                        weights=weights, k=k)][:10]
        if relevant in ranked:
            rank = ranked.index(relevant) + 1
            hits1, hits10, reciprocal = hits1 + (rank == 1), hits10 + 1, reciprocal + 1 / rank
    n = len(captured)
    return reciprocal / n, hits1 / n, hits10 / n


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--splits", nargs="+", default=["dev"])
    args = parser.parse_args()
    bench = data.build(tuple(args.splits))
    ids = {p.disclosure.external_id: p.pk for p in Publication.objects.select_related("disclosure")}
    for task in bench.tasks.values():
        captured = [captured_runs(q, task.doc_lang) for q in task.queries]
        relevant = [ids[f"{task.doc_lang}:{r}"] for r in task.relevant]
        pair = (task.query_lang, task.doc_lang)
        # With the language filter on, only the retriever that reaches the task's document
        # language matters besides the dense one.
        other = "lexical" if pair[0] == pair[1] else "translated"
        rows = []
        for value, k in itertools.product(GRID, KS):
            weights = {("dense", *pair): 1.0, (other, *pair): value}
            rows.append((score(captured, relevant, weights, k), {other: value, "k": k}))
        rows.sort(key=lambda row: (-row[0][0], -row[0][1]))
        print(f"\n{task.name} (n={len(task.queries)}), weights relative to dense = 1")
        print(f"| {other} | k | MRR@10 | R@1 | R@10 |")
        print("|---|---|---|---|---|")
        for (mrr, r1, r10), chosen in rows[:8]:
            cells = f"{chosen[other]:g} | {chosen['k']}"
            print(f"| {cells} | {mrr:.3f} | {r1:.2f} | {r10:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
