"""Fairness in a mixed collection: English-only, Chinese-only and bilingual records side by
side, against the same records in single-language collections and a plain multilingual
model, in one run.

    DEFPUB_HOME=/tmp/defpub-mixed .venv/bin/python bench/search_mixed.py [--splits dev]

The patents are the shared data's label-0 English-Chinese pairs of the chosen splits
(../shared/data/xling-patents). Each is assigned, by a seeded shuffle, to a third: published
with its English abstract only, with its Chinese abstract only, or with both in one record
(bilingual). Titles are never part of a record, as in bench/search_quality.py, so a title
query cannot find its own words. Four collections are published and indexed in turn by the
real pipeline, each alone in the database:

    mixed   the thirds side by side (what real collections look like)
    en      every patent English-only      zh   every patent Chinese-only
    bi      every patent bilingual

Queries, for every patent that has them: its English and Chinese titles (title_abstract
files), and the first sentence of its English and Chinese abstracts. A query's answer is
its patent's record. Every query goes through search.engine.search(query, limit=10) with
no language filter, as the API runs it. Figures are given per query kind and per target
kind: DefPub in the mixed collection; DefPub in the single-language collection of the
target's kind (en, zh or bi) and the share of that recall@10 the mixed collection keeps;
and plain multilingual-e5-small in the mixed collection (a record's score is its best
passage's cosine).

Passage embeddings are kept in $DEFPUB_HOME/embeddings-cache.npz by model and text, so
the four collections (and later runs) embed each passage once; queries are embedded live.
"""

import argparse
import hashlib
import json
import os
import pickle
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench" / "xling")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "defpub.settings.base")

import django  # noqa: E402

django.setup()

import data  # noqa: E402
import numpy as np  # noqa: E402
from search_quality import reset_database  # noqa: E402

from defpub.models import Disclosure, Organisation, Publication  # noqa: E402
from defpub.publications.services import publish_batch  # noqa: E402
from search import embedding, engine, fusion, services  # noqa: E402
from search.chunking import chunk_record  # noqa: E402
from search.engine import search  # noqa: E402

KINDS = ("en", "zh", "bi")
KIND_NAMES = {"en": "English-only", "zh": "Chinese-only", "bi": "bilingual"}
QUERY_KINDS = ("en-title", "en-sent", "zh-title", "zh-sent")


@dataclass
class Patent:
    abstract: dict[str, str]
    title: dict[str, str] = field(default_factory=dict)
    kind: str = ""

    def record_langs(self, collection: str) -> tuple[str, ...]:
        kind = self.kind if collection == "mixed" else collection
        return ("en", "zh") if kind == "bi" else (kind,)


def patents(splits: tuple[str, ...], *, seed: int = 20261206) -> list[Patent]:
    """The label-0 English-Chinese pairs of the splits, one patent each, in thirds."""
    found: dict[tuple[str, str], Patent] = {}
    for split in splits:
        for family in ("title_abstract", "abstract"):
            path = data.data_dir() / f"pairs_{family}_{split}.csv"
            if not path.exists():
                continue
            for a, b, label in data._read(path):
                if label != 0:
                    continue
                sides = {}
                for side in (a, b):
                    lang = data.lang_of(side)
                    title, abstract = (side.split("|", 1) if family == "title_abstract"
                                       and "|" in side else (None, side))
                    sides[lang] = (title and data._clean(title), data._clean(abstract))
                if set(sides) != {"en", "zh"}:
                    continue
                key = (sides["en"][1], sides["zh"][1])
                patent = found.setdefault(key, Patent({lang: sides[lang][1] for lang in sides}))
                patent.title |= {lang: t for lang, (t, _) in sides.items() if t}
    chosen = list(found.values())
    random.Random(seed).shuffle(chosen)
    for i, patent in enumerate(chosen):
        patent.kind = KINDS[i % 3]
    return chosen


def queries(patent_list: list[Patent]) -> dict[str, list[tuple[str, int]]]:
    """Query kind -> [(query, patent index)]."""
    found: dict[str, list[tuple[str, int]]] = {kind: [] for kind in QUERY_KINDS}
    for i, patent in enumerate(patent_list):
        for lang in ("en", "zh"):
            if patent.title.get(lang):
                found[f"{lang}-title"].append((patent.title[lang], i))
            found[f"{lang}-sent"].append((data.first_sentence(patent.abstract[lang], lang), i))
    return found


class CachedEmbedder:
    """A real embedder whose passage vectors are memoised by text (queries are not)."""

    def __init__(self, inner, cache: dict):
        self.inner, self.cache = inner, cache
        self.name, self.dimension = inner.name, inner.dimension
        self.multilingual = inner.multilingual

    def embed(self, texts, *, role="passage"):
        if role != "passage":
            return self.inner.embed(texts, role=role)
        keys = [f"{self.name}\t{hashlib.sha256(t.encode()).hexdigest()}" for t in texts]
        missing = [t for t, k in zip(texts, keys, strict=True) if k not in self.cache]
        if missing:
            for text, vector in zip(missing, self.inner.embed(missing), strict=True):
                self.cache[f"{self.name}\t{hashlib.sha256(text.encode()).hexdigest()}"] = vector
        return np.vstack([self.cache[k] for k in keys]) if keys else np.zeros((0, 384))


def cache_path() -> Path:
    return Path(os.environ.get("DEFPUB_HOME", ROOT / "var")) / "embeddings-cache.npz"


def load_cache() -> dict:
    path = cache_path()
    if not path.exists():
        return {}
    with np.load(path) as stored:
        return {key: stored[key] for key in stored.files}


def use_cache(cache: dict) -> None:
    real = embedding.get_embedder
    wrapped = {}

    def cached(name=None):
        inner = real(name)
        return wrapped.setdefault(inner.name, CachedEmbedder(inner, cache))

    services.get_embedder = cached  # the indexer's passages only; the engine embeds queries


def publish(patent_list: list[Patent], collection: str) -> dict[int, int]:
    """Publish and index the collection; returns publication id -> patent index."""
    reset_database()
    organisation = Organisation.objects.create(slug="mixed", name="Mixed collection")
    disclosures = []
    for i, patent in enumerate(patent_list):
        disclosures.append(Disclosure(
            organisation=organisation, status="approved", external_id=f"{collection}:{i}",
            **{f"abstract_{lang}": patent.abstract[lang]
               for lang in patent.record_langs(collection)}))
    Disclosure.objects.bulk_create(disclosures)
    published = publish_batch(disclosures=disclosures)
    for publication in published:
        services.publication_index(publication_id=publication.pk)
    services.rebuild_term_stats()  # BM25's statistics of this collection alone
    return {p.pk: int(p.disclosure.external_id.split(":")[1]) for p in published}


def defpub_ranks(asked: dict[str, list[tuple[str, int]]], keys: dict[int, int]):
    """Query kind -> [(patent index, rank or None)] by the engine."""
    by_number = {p.number: keys[p.pk] for p in Publication.objects.all()}
    found = {}
    for kind, pairs in asked.items():
        found[kind] = []
        for query, target in pairs:
            ranked = [by_number[r.number] for r in search(query, limit=10)]
            found[kind].append((target, ranked.index(target) + 1 if target in ranked else None))
    return found


def e5_ranks(asked, patent_list: list[Patent], cache: dict):
    """The plain multilingual model on the mixed collection: a record scores its best
    passage's cosine (passages as the indexer cuts them)."""
    model = embedding.get_embedder()
    owners, rows = [], []
    for i, patent in enumerate(patent_list):
        record = {"abstract": {lang: patent.abstract[lang]
                               for lang in patent.record_langs("mixed")}}
        for chunk in chunk_record(record):
            key = f"{model.name}\t{hashlib.sha256(chunk.text.encode()).hexdigest()}"
            rows.append(cache[key] if key in cache else model.embed([chunk.text])[0])
            owners.append(i)
    matrix, owners = np.vstack(rows), np.asarray(owners)
    found = {}
    for kind, pairs in asked.items():
        vectors = model.embed([q for q, _ in pairs], role="query")
        found[kind] = []
        for vector, (_, target) in zip(vectors, pairs, strict=True):
            best = np.full(len(patent_list), -2.0)
            np.maximum.at(best, owners, matrix @ vector)
            order = list(np.argsort(-best, kind="stable")[:10])
            found[kind].append((target, order.index(target) + 1 if target in order else None))
    return found


def captured(asked, keys: dict[int, int]):
    """Query kind -> [(patent index, [(piece: [(query lang, doc lang, raw scores)]),
    owners])]: what the engine scores for each query, to be re-scored offline."""
    real_scores, real_fuse = engine.passage_scores, fusion.best_evidence
    seen = {}

    def scores_spy(query_lang, doc_lang, *, cosine, english, bm25):
        seen.setdefault("calls", []).append((query_lang, doc_lang, cosine, english, bm25))
        return real_scores(query_lang, doc_lang, cosine=cosine, english=english, bm25=bm25)

    def fuse_spy(pieces, *, owners):
        seen["owners"] = {pid: keys[pub] for pid, pub in owners.items()}
        return real_fuse(pieces, owners=owners)

    shares = dict(engine.LEXICAL_SHARE)
    engine.LEXICAL_SHARE = {pair: share or 1e-9 for pair, share in shares.items()}
    engine.passage_scores, fusion.best_evidence = scores_spy, fuse_spy
    found = {}
    try:
        for kind, pairs in asked.items():
            found[kind] = []
            for query, target in pairs:
                seen.clear()
                search(query, limit=10)
                pieces = len(engine.query_pieces(query))
                calls = seen.get("calls", [])
                per_piece = len(calls) // pieces if pieces else 0
                found[kind].append((target, [calls[i:i + per_piece]
                                             for i in range(0, len(calls), per_piece or 1)],
                                    seen.get("owners", {})))
    finally:
        engine.passage_scores, fusion.best_evidence = real_scores, real_fuse
        engine.LEXICAL_SHARE = shares
    return found


def rescored(capture) -> dict[str, list[tuple[int, int | None]]]:
    """The captured queries ranked with the engine's current constants."""
    found = {}
    for kind, rows in capture.items():
        found[kind] = []
        for target, pieces, owners in rows:
            evidence = []
            for calls in pieces:
                scores = {}
                for query_lang, doc_lang, cosine, english, bm25 in calls:
                    scores |= engine.passage_scores(query_lang, doc_lang, cosine=cosine,
                                                    english=english, bm25=bm25)
                evidence.append(scores)
            ranked = [e.publication_id for e in fusion.best_evidence(evidence, owners=owners)]
            ranked = ranked[:10]
            found[kind].append((target, ranked.index(target) + 1 if target in ranked else None))
    return found


def tune(capture, patent_list) -> None:
    """Each pair's BM25 share, then the cross-language offset, on this split: the mean
    MRR@10 over every (query kind, target kind) cell, best first."""
    import itertools

    def objective():
        ranks = rescored(capture)
        cells = [metrics(by_kind(ranks, patent_list, q, t)) for q in QUERY_KINDS for t in KINDS]
        cells = [c for c in cells if c[3]]
        return (sum(c[2] for c in cells) / len(cells), sum(c[0] for c in cells) / len(cells),
                sum(c[1] for c in cells) / len(cells))

    grid = []
    base = dict(engine.LEXICAL_SHARE)
    for scale, en_en, zh_zh, en_zh, zh_en in itertools.product(
            ("calibrated", "standardised"), (0.1, 0.25, 0.4), (0.15, 0.3, 0.45),
            (0.0, 0.15, 0.3, 0.45), (0.1, 0.2, 0.35, 0.5)):
        engine.DENSE_SCALE = scale
        engine.LEXICAL_SHARE = {("en", "en"): en_en, ("zh", "zh"): zh_zh,
                                ("en", "zh"): en_zh, ("zh", "en"): zh_en}
        grid.append((objective(), scale, dict(engine.LEXICAL_SHARE)))
    grid.sort(key=lambda row: row[0], reverse=True)
    print("\nBM25 share by (query, passage language): mean MRR@10 / R@1 / R@10 over cells")
    for (mrr, r1, r10), scale, shares in grid[:8] + [
            row for row in grid if row[1] != grid[0][1]][:3]:
        print(f"  {mrr:.3f} / {r1:.3f} / {r10:.3f}  {scale}: " + ", ".join(
            f"{q}->{d} {v}" for (q, d), v in shares.items()))
    engine.DENSE_SCALE, engine.LEXICAL_SHARE = grid[0][1], grid[0][2]
    offsets = []
    for cross in (-0.6, -0.3, 0.0, 0.3):
        for weight in ((0, 10, 30) if engine.DENSE_SCALE == "standardised" else (10,)):
            engine.LANGUAGE_OFFSET = {("en", "zh"): cross, ("zh", "en"): cross}
            engine.PRIOR_WEIGHT = weight
            offsets.append((objective(), cross, weight))
    offsets.sort(reverse=True)
    print("cross-language offset, prior weight: mean MRR@10 / R@1 / R@10")
    for (mrr, r1, r10), cross, weight in offsets[:8]:
        print(f"  {mrr:.3f} / {r1:.3f} / {r10:.3f}  offset {cross}, prior {weight}")
    print("per cell with the best of all:")
    engine.LANGUAGE_OFFSET = {("en", "zh"): offsets[0][1], ("zh", "en"): offsets[0][1]}
    engine.PRIOR_WEIGHT = offsets[0][2]
    ranks = rescored(capture)
    for q in QUERY_KINDS:
        print("  " + q + ": " + ", ".join(
            f"{t} {cell(metrics(by_kind(ranks, patent_list, q, t)))}" for t in KINDS))
    engine.LEXICAL_SHARE = base


def background(patent_list, asked) -> None:
    """Each model's cosines of the split's queries, by query and passage language (the
    engine's CALIBRATION): the mean and standard deviation over every passage (the few
    relevant pairs are in it), and the mean of each query's best passage of its own patent."""
    for name in embedding.index_models():
        model = embedding.get_embedder(name)
        for query_lang, doc_lang in (("en", "en"), ("en", "zh"), ("zh", "en"), ("zh", "zh")):
            if not model.multilingual and "zh" in (query_lang, doc_lang):
                continue
            pairs = [(q, t) for kind, found in asked.items() if kind.startswith(query_lang)
                     for q, t in found]
            vectors = model.embed([q for q, _ in pairs], role="query")
            owners, passages = [], []
            for i, patent in enumerate(patent_list):
                for chunk in chunk_record({"abstract": {doc_lang: patent.abstract[doc_lang]}}):
                    owners.append(i)
                    passages.append(chunk.text)
            cosines = vectors @ model.embed(passages).T
            owners = np.asarray(owners)
            relevant = [cosines[row, owners == target].max()
                        for row, (_, target) in enumerate(pairs)]
            print(f'    ("{name}", "{query_lang}", "{doc_lang}"): ({cosines.mean():.4f}, '
                  f"{cosines.std():.4f}, {np.mean(relevant):.4f}),")


def metrics(ranks: list[tuple[int, int | None]]) -> tuple[float, float, float, int]:
    n = len(ranks)
    if not n:
        return 0.0, 0.0, 0.0, 0
    r1 = sum(rank == 1 for _, rank in ranks) / n
    r10 = sum(rank is not None for _, rank in ranks) / n
    mrr = sum(1 / rank for _, rank in ranks if rank) / n
    return r1, r10, mrr, n


def by_kind(ranks, patent_list, kind, target_kind, collection_kind=None):
    return [(t, r) for t, r in ranks[kind] if patent_list[t].kind == target_kind]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--splits", nargs="+", default=["train", "test"])
    parser.add_argument("--collections", nargs="+", default=["mixed", *KINDS])
    parser.add_argument("--background", action="store_true",
                        help="print the models' background cosines (engine.BACKGROUND)")
    parser.add_argument("--tune", action="store_true",
                        help="grid the engine's shares on the mixed collection (use dev)")
    args = parser.parse_args()
    if not data.data_dir().is_dir():
        print(f"SKIP: no data at {data.data_dir()}")
        return 0
    patent_list = patents(tuple(args.splits))
    asked = queries(patent_list)
    if args.background:
        background(patent_list, asked)
        return 0
    cache = load_cache()
    use_cache(cache)
    results = {}
    for collection in args.collections:
        started = time.perf_counter()
        keys = publish(patent_list, collection)
        loaded = time.perf_counter()
        if args.tune and collection == "mixed":
            capture = cache_path().with_name(f"mixed-capture-{'+'.join(args.splits)}.pickle")
            if not capture.exists():
                capture.write_bytes(pickle.dumps(captured(asked, keys)))
            tune(pickle.loads(capture.read_bytes()), patent_list)  # noqa: S301 (our own file)
            continue
        # a single-language collection answers for the patents of its kind in the mixed one
        wanted = {kind: [(q, t) for q, t in pairs
                         if collection == "mixed" or patent_list[t].kind == collection]
                  for kind, pairs in asked.items()}
        results[collection] = defpub_ranks(wanted, keys)
        save(results, args.splits)
        print(f"{collection}: {len(keys)} records published and indexed in "
              f"{loaded - started:.0f} s, {sum(map(len, wanted.values()))} queries in "
              f"{time.perf_counter() - loaded:.0f} s", flush=True)
        np.savez(cache_path(), **cache)
    if "mixed" in args.collections:
        results["e5"] = e5_ranks(asked, patent_list, cache)
    results = {**saved(args.splits), **results}  # collections of earlier runs fill the gaps
    save(results, args.splits)
    report(results, patent_list, asked, args.splits)
    return 0


def results_path(splits) -> Path:
    return cache_path().with_name(f"mixed-ranks-{'+'.join(splits)}.json")


def saved(splits) -> dict:
    path = results_path(splits)
    if not path.exists():
        return {}
    return {collection: {kind: [tuple(row) for row in rows] for kind, rows in by_kind.items()}
            for collection, by_kind in json.loads(path.read_text()).items()}


def save(results, splits) -> None:
    results_path(splits).write_text(json.dumps({**saved(splits), **results}))


def cell(values) -> str:
    r1, r10, mrr, n = values
    return f"{r1:.3f} / {r10:.3f} / {mrr:.3f}" if n else "-"


def report(results, patent_list, asked, splits) -> None:
    counts = {k: sum(p.kind == k for p in patent_list) for k in KINDS}
    print(f"\nsplits {'+'.join(splits)}: {len(patent_list)} patents "
          f"({', '.join(f'{n} {KIND_NAMES[k]}' for k, n in counts.items())}); "
          "cells: recall@1 / recall@10 / MRR@10\n")
    print("| query | target | n | DefPub, mixed | DefPub, single-language | kept R@10 "
          "| plain e5, mixed |")
    print("|---|---|---|---|---|---|---|")
    short = []
    for query_kind in QUERY_KINDS:
        for target in KINDS:
            mixed = metrics(by_kind(results.get("mixed", {}), patent_list, query_kind, target)
                            ) if "mixed" in results else (0, 0, 0, 0)
            alone = metrics(by_kind(results[target], patent_list, query_kind, target)
                            ) if target in results else (0, 0, 0, 0)
            e5 = metrics(by_kind(results["e5"], patent_list, query_kind, target)
                         ) if "e5" in results else (0, 0, 0, 0)
            kept = f"{mixed[1] / alone[1]:.0%}" if alone[3] and alone[1] and mixed[3] else "-"
            n = mixed[3] or alone[3]
            if not n:
                continue
            print(f"| {query_kind} | {KIND_NAMES[target]} | {n} | {cell(mixed)} | "
                  f"{cell(alone)} | {kept} | {cell(e5)} |")
            if alone[3] and mixed[3] and mixed[1] < 0.9 * alone[1]:
                short.append(f"{query_kind} -> {KIND_NAMES[target]} keeps {kept}")
            if (query_kind[:2] == target and e5[3] and mixed[3] and mixed[0] < e5[0]):
                short.append(f"{query_kind} -> {KIND_NAMES[target]}: first {mixed[0]:.3f} "
                             f"< plain e5 {e5[0]:.3f}")
    print("\nBelow the floors (R@10 kept >= 90%; own language first at least as often as "
          f"plain e5): {'; '.join(short) or 'none'}")


if __name__ == "__main__":
    from defpub.runtime.db_roles import owner_session

    with owner_session():  # it empties the append-only tables: the owner's right alone
        sys.exit(main())
