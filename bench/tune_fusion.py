"""Choose the fusion weights on one split: every retriever's ranking is computed once per
query, then each weighting is scored offline.

    DEFPUB_HOME=/tmp/defpub-quality-dev .venv/bin/python bench/search_quality.py --splits dev
    DEFPUB_HOME=/tmp/defpub-quality-dev .venv/bin/python bench/tune_fusion.py --splits dev

The first command publishes and indexes the split's abstracts (the database is kept); this
one re-uses them. For each (query language, document language) pair it prints MRR@10 and
recall@1/@10 of every weighting in a small grid, best first. The weights are relative within
a pair; fusion.py scales each pair to the same total so that no language is favoured when
documents of both compete.

Every task (and the exact-term queries of search_quality.exact_term_tasks) also tries every
BM25 share of the hybrid score for its language pair (engine.LEXICAL_SHARE), each with a
grid of the pair's BM25 list's weight.
"""

import argparse
import itertools
import sys

import search_quality  # (sets up Django and the paths)
from search_quality import data

from defpub.models import Publication
from search import engine, fusion

GRID = (0.0, 0.25, 0.5, 1.0, 2.0, 4.0)  # a retriever's weight relative to the hybrid one
KS = (5, 10, 20, 60)  # reciprocal rank's k
LIST_WEIGHTS = (0.0, 0.25, 0.5, 1.0, 2.0)  # a BM25 list's weight relative to the hybrid one
LEXICAL_SHARES = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5)  # engine.LEXICAL_SHARE


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


def cross_language(task, relevant) -> None:
    """The translated list's weight relative to the hybrid one, and k."""
    pair = (task.query_lang, task.doc_lang)
    captured = [captured_runs(q, task.doc_lang) for q in task.queries]
    rows = []
    for value, k in itertools.product(GRID, KS):
        weights = {("hybrid", *pair): 1.0, ("translated", *pair): value}
        rows.append((score(captured, relevant, weights, k), f"{value:g} | {k}"))
    rows.sort(key=lambda row: (-row[0][0], -row[0][1]))
    print(f"\n{task.name} (n={len(task.queries)}), weights relative to hybrid = 1")
    print("| translated | k | MRR@10 | R@1 | R@10 |")
    print("|---|---|---|---|---|")
    for (mrr, r1, r10), chosen in rows[:8]:
        print(f"| {chosen} | {mrr:.3f} | {r1:.2f} | {r10:.2f} |")


def blend(task, relevant) -> dict:
    """BM25's share of the hybrid score for the task's pair (rows), and the weight of the
    pair's BM25 list (the query's own, or its translation) relative to the hybrid list
    (columns; k = K); returns MRR@10 by (share, weight)."""
    pair = (task.query_lang, task.doc_lang)
    other = "lexical" if pair[0] == pair[1] else "translated"
    chosen = engine.LEXICAL_SHARE
    rows = []
    try:
        for share in LEXICAL_SHARES:
            engine.LEXICAL_SHARE = {**chosen, pair: share}
            captured = [captured_runs(q, task.doc_lang) for q in task.queries]
            for value in LIST_WEIGHTS:
                weights = {("hybrid", *pair): 1.0, (other, *pair): value}
                rows.append((score(captured, relevant, weights, fusion.K), share, value))
    finally:
        engine.LEXICAL_SHARE = chosen
    print(f"\n{task.name} (n={len(task.queries)}): MRR@10 / R@1 / R@10 by BM25's share of "
          f"the hybrid score (rows) and the {other} list's weight relative to hybrid = 1")
    print("| share | " + " | ".join(f"{other} {v:g}" for v in LIST_WEIGHTS) + " |")
    print("|---|" + "---|" * len(LIST_WEIGHTS))
    for share in LEXICAL_SHARES:
        cells = [f"{m:.3f} / {r1:.2f} / {r10:.2f}" for (m, r1, r10), s, _ in rows if s == share]
        print(f"| {share:g} | " + " | ".join(cells) + " |")
    return {(share, value): mrr for (mrr, _, _), share, value in rows}


def list_weight(pair: tuple[str, str]) -> float:
    """The pair's BM25 list weight relative to the hybrid list, as fusion.py has it."""
    split = fusion.MULTILINGUAL[pair]
    return round(split.get("lexical", split.get("translated", 0.0)) / split["hybrid"], 6)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--splits", nargs="+", default=["dev"])
    parser.add_argument("--tasks", nargs="*", help="only these tasks (default: all)")
    args = parser.parse_args()
    bench = data.build(tuple(args.splits))
    for task in search_quality.exact_term_tasks(bench):
        bench.tasks[task.name] = task
    ids = {p.disclosure.external_id: p.pk for p in Publication.objects.select_related("disclosure")}
    by_pair: dict[tuple[str, str], list[dict]] = {}
    for task in bench.tasks.values():
        if args.tasks and task.name not in args.tasks:
            continue
        relevant = [ids[f"{task.doc_lang}:{r}"] for r in task.relevant]
        if task.query_lang != task.doc_lang:
            cross_language(task, relevant)
        by_pair.setdefault((task.query_lang, task.doc_lang), []).append(blend(task, relevant))
    # The rule: each pair's BM25 list keeps its weight in fusion.py (same language: a
    # quarter of the hybrid list's; across: as chosen by the grid above, so that a document
    # of either language needs words in common with the query for its full score; the
    # language filter of these tasks hides that balance), and BM25's share of the hybrid
    # score is the one with the best mean MRR@10 over the pair's tasks (titles, sentences,
    # exact terms), so that no kind of query is given up for another; ties go to the larger
    # share.
    for pair, tables in by_pair.items():
        weight = list_weight(pair)
        mean = {share: sum(table[share, weight] for table in tables) / len(tables)
                for share in LEXICAL_SHARES}
        share = max(mean, key=lambda key: (round(mean[key], 6), key))
        print(f"\n{pair[0]} -> {pair[1]}: best mean MRR@10 {mean[share]:.4f} at BM25 share "
              f"{share:g} of the hybrid score (list weight {weight:g})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
