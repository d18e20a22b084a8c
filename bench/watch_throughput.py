"""Screening throughput: 1,000 applications against 10,000 publications, as Celery work.

    DEFPUB_HOME=/tmp/defpub-watch nice .venv/bin/python bench/watch_throughput.py \
        [--publications 10000] [--applications 1000] [--concurrency 2] [--profile 20]

The publications (published by the real publish path, `publish_batch`, in batches of 500,
and indexed by the real indexer, `search.services.publication_index`, both models):

- real: every train patent of ../shared/data/xling-patents twice, its English abstract and
  its Chinese abstract as two records; and the Chinese abstracts of the dev and test
  copies of bench/watch_quality.py (same seed, so the same copies);
- synthetic, the rest: each record's abstract is 2 sentences of different train
  abstracts of one language (a quarter English, three quarters Chinese), recombined at
  random (seeded). They are new text, so they are embedded (short, to keep the one-off
  embedding of about 9,500 passages on a shared 2-core machine within an hour); only train
  sentences are used, so no dev or test control finds its own twin among them.

The applications: bench/watch_quality.py's dev and test applications (126: copies and
controls, same split and seed), and synthetic ones for the rest: one independent claim
whose elements are 3 to 5 sentences of different train English abstracts.

Passage embeddings are kept in $DEFPUB_HOME/embeddings-cache.npz (by model and text), and
the missing ones are embedded in batches before indexing, so a second run embeds nothing;
application queries are embedded live by the worker, as in production. A real worker
(`celery worker -Q screening`, the environment `manage.py run` gives it) screens the
applications, queued by `review.screening.filings_screen(through_celery=True)`; progress is
printed from the database. The quality figures for the dev and test applications are
then read from their saved screening results (this background is larger and bilingual).

--profile N screens N synthetic applications in this process under cProfile first (the
top functions by cumulative time go to stderr).
"""

import argparse
import cProfile
import hashlib
import io
import os
import pstats
import random
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench"), str(ROOT / "bench" / "xling")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "defpub.settings.base")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as `manage.py run` sets for its children

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402
import time_machine  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from search_mixed import cache_path, load_cache, patents, use_cache  # noqa: E402
from search_quality import reset_database  # noqa: E402
from watch_quality import (  # noqa: E402
    PUBLISHED_AT,
    application,
    duplicates,
    elements_of,
    reset_review,
    split_apps,
)

from defpub.celery import app  # noqa: E402
from defpub.management.commands.run import embedding_env  # noqa: E402
from defpub.models import Disclosure, Organisation, Publication  # noqa: E402
from defpub.publications.services import publish_batch  # noqa: E402
from review.models import Filing, ScreeningResult  # noqa: E402
from review.screening import filing_screen, filings_screen  # noqa: E402
from search import services  # noqa: E402
from search.chunking import chunk_record  # noqa: E402
from search.embedding import english_model  # noqa: E402
from search.models import Passage  # noqa: E402

SEED = 20261206
BATCH = 500  # records per publish_batch
EMBED_BATCH = 64
WEEKLY = {"a weekly USPTO file": 7000, "a week of USPTO, EPO and CNIPA": 40000}


def sentences(text: str, lang: str) -> list[str]:
    pattern = r"(?<=[。；！？])" if lang == "zh" else r"(?<=[.;])\s+|,\s{2,}"
    parts = [p.strip(" ,.;，。；") for p in re.split(pattern, text)]
    return [p for p in parts if len(p) >= (8 if lang == "zh" else 20)]


def corpus(total: int, quality: dict) -> list[tuple[str, str, str]]:
    """(key, language, abstract) of every publication: real first, then synthetic."""
    train = patents(("train",))
    rows = [(f"train-{lang}-{i}", lang, p.abstract[lang])
            for i, p in enumerate(train) for lang in ("en", "zh")]
    rows += [(app["key"], "zh", app["abstract"]["zh"])
             for split in quality.values() for app in split if app["copy"]]
    pools = {lang: [sentences(p.abstract[lang], lang) for p in train] for lang in ("en", "zh")}
    pools = {lang: [s for s in found if s] for lang, found in pools.items()}
    rng = random.Random(SEED)
    for i in range(total - len(rows)):
        lang = "en" if i % 4 == 0 else "zh"
        sources = rng.sample(pools[lang], 2)
        glue = "。" if lang == "zh" else ". "
        rows.append((f"syn-{i}", lang, glue.join(rng.choice(s) for s in sources)
                     + ("。" if lang == "zh" else ".")))
    return rows


def publish(rows: list[tuple[str, str, str]]) -> dict[str, str]:
    """Publish in batches, embed what the cache lacks, index; publication number -> key."""
    organisation = Organisation.objects.create(slug="watch-throughput", name="Watch bench")
    keys: dict[str, str] = {}
    started = time.perf_counter()
    for at in range(0, len(rows), BATCH):
        disclosures = [Disclosure(organisation=organisation, status="approved",
                                  external_id=key, **{f"abstract_{lang}": text})
                       for key, lang, text in rows[at:at + BATCH]]
        Disclosure.objects.bulk_create(disclosures)
        with time_machine.travel(PUBLISHED_AT, tick=False):
            published = publish_batch(disclosures=disclosures)
        keys |= {p.number: p.disclosure.external_id for p in published}
    print(f"published {len(keys)} records in {time.perf_counter() - started:.0f} s",
          file=sys.stderr)
    publications = list(Publication.objects.order_by("pk"))
    embed_missing([c for p in publications for c in chunk_record(p.record)])
    started = time.perf_counter()
    for i, publication in enumerate(publications, 1):
        services.publication_index(publication_id=publication.pk)
        if i % 1000 == 0:
            print(f"indexed {i}/{len(publications)}", file=sys.stderr)
    services.rebuild_term_stats()
    with connection.cursor() as cursor:  # as autovacuum would, before the planner needs it
        cursor.execute("ANALYZE search_passage, search_passagevector")
    print(f"indexed {len(publications)} in {time.perf_counter() - started:.0f} s",
          file=sys.stderr)
    return keys


def embed_missing(chunks) -> None:
    """Fill the cache in batches (the indexer then embeds nothing), saving it as it goes."""
    cache = load_cache()
    use_cache(cache)
    for name in services.index_models():
        embedder = services.get_embedder(name)
        texts = sorted({c.text for c in chunks if name != english_model() or c.lang == "en"},
                       key=len)
        missing = [t for t in texts
                   if f"{name}\t{hashlib.sha256(t.encode()).hexdigest()}" not in cache]
        print(f"{name}: {len(missing)} of {len(texts)} passages to embed", file=sys.stderr)
        started = time.perf_counter()
        for at in range(0, len(missing), EMBED_BATCH):
            embedder.embed(missing[at:at + EMBED_BATCH])
            done = at + EMBED_BATCH
            if done % (EMBED_BATCH * 20) == 0 or done >= len(missing):
                rate = min(done, len(missing)) / (time.perf_counter() - started)
                print(f"  embedded {min(done, len(missing))}/{len(missing)} "
                      f"({rate:.1f}/s)", file=sys.stderr)
                np.savez(cache_path(), **cache)


def applications(total: int, quality: dict) -> list[int]:
    """The quality applications, then synthetic ones; their filing ids."""
    ids = [application(app["key"], app["abstract"]["en"]).pk
           for split in quality.values() for app in split]
    pool = [found for p in patents(("train",)) if (found := elements_of(p.abstract["en"]))]
    rng = random.Random(SEED + 1)
    for i in range(total - len(ids)):
        parts = [rng.choice(found) for found in rng.sample(pool, rng.choice((3, 4, 5)))]
        ids.append(application(f"syn-app-{i}", "; ".join(parts)).pk)
    return ids


def start_worker(concurrency: int) -> subprocess.Popen:
    db = settings.DATABASES["default"]
    env = {**embedding_env(dict(os.environ), processes=concurrency),
           "DATABASE_URL": f"postgres://{db['USER']}@{quote(db['HOST'], safe='')}/{db['NAME']}",
           "REDIS_URL": settings.REDIS_URL}
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "defpub.celery", "worker", "-Q", "screening",
         "-c", str(concurrency), "--hostname", "screen-bench@%h", "--without-gossip",
         "--without-mingle", "--loglevel", "WARNING"],
        cwd=ROOT, env=env, start_new_session=True)


class Progress:
    def __init__(self):
        self.started = time.perf_counter()
        self.shown = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.perf_counter()
        if done < total and now - self.shown < 30:
            return
        self.shown = now
        rate = done / (now - self.started) * 3600
        eta = (total - done) / rate * 60 if rate else float("inf")
        print(f"screened {done}/{total}  {rate:,.0f}/h  ETA {eta:.0f} min", file=sys.stderr)


def profile(ids: list[int], n: int) -> None:
    filings = list(Filing.objects.filter(pk__in=ids[-n:]))
    filing_screen(filing=filings[0])  # warm-up: loads the models
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for filing in filings[1:]:
        filing_screen(filing=filing)
    profiler.disable()
    elapsed = time.perf_counter() - started
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(35)
    print(out.getvalue(), file=sys.stderr)
    print(f"in-process: {len(filings) - 1} applications in {elapsed:.1f} s, "
          f"{3600 * (len(filings) - 1) / elapsed:,.0f}/h", file=sys.stderr)


def quality_figures(quality: dict, keys: dict[str, str]) -> dict:
    """Copies caught (with the copied disclosure, in either language, or its duplicate
    first) and controls flagged, from the saved results; controls whose disclosure is
    published under another key are left out (bench/watch_quality.py, duplicates())."""
    train = {f"train-{i}": p.abstract["en"] for i, p in enumerate(patents(("train",)))}
    published = train | {app["key"]: app["abstract"]["en"]
                         for apps in quality.values() for app in apps if app["copy"]}
    dupes = duplicates(quality, published)
    saved = {r.filing.number: r for r in ScreeningResult.objects.select_related("filing")}
    figures = {}
    for split, apps in quality.items():
        copies = [a for a in apps if a["copy"]]
        caught = [a for a in copies if saved[a["key"]].suspected]
        first = [a for a in caught if patent_of(keys.get(
            saved[a["key"]].candidates[0]["publication"], "")) in {a["key"]} | dupes[a["key"]]]
        controls = [a for a in apps if not a["copy"] and not dupes[a["key"]]]
        flagged = [a for a in controls if saved[a["key"]].suspected]
        figures[split] = {"copies": len(copies), "caught": len(caught), "first": len(first),
                          "controls": len(controls), "flagged": len(flagged)}
    return figures


def patent_of(key: str) -> str:
    """A publication's patent: train-en-7 and train-zh-7 are train-7."""
    return re.sub(r"^train-(en|zh)-", "train-", key)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--publications", type=int, default=10000)
    parser.add_argument("--applications", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--profile", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=4 * 3600)
    parser.add_argument("--reuse", action="store_true",
                        help="screen the last run's applications again (nothing rebuilt)")
    parser.add_argument("--embed-only", action="store_true",
                        help="only fill the embedding cache for the publications")
    args = parser.parse_args()
    quality = {split: split_apps(split, SEED) for split in ("dev", "test")}
    if args.reuse:  # the publications and applications of the last run
        keys = {p.number: p.disclosure.external_id
                for p in Publication.objects.select_related("disclosure")}
        ids = list(Filing.objects.order_by("pk").values_list("pk", flat=True))
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE review_watchcase, review_screeningresult CASCADE")
        return screen(args, quality, keys, ids)
    if args.embed_only:
        embed_missing([c for _, lang, text in corpus(args.publications, quality)
                       for c in chunk_record({"abstract": {lang: text}})])
        return 0
    reset_database()
    reset_review()
    keys = publish(corpus(args.publications, quality))
    ids = applications(args.applications, quality)
    if args.profile:
        profile(ids, args.profile)
    return screen(args, quality, keys, ids)


def screen(args, quality: dict, keys: dict[str, str], ids: list[int]) -> int:
    """Screen the applications as Celery work (a worker started here) and print the
    figures."""
    with app.connection_for_write() as broker:  # nothing left queued by an interrupted run
        broker.default_channel.queue_purge("screening")
    worker = start_worker(args.concurrency)
    try:
        started = time.perf_counter()
        run = filings_screen(filing_ids=ids, through_celery=True, progress=Progress(),
                             timeout=args.timeout)
        elapsed = time.perf_counter() - started
    finally:
        os.killpg(worker.pid, 15)
        worker.wait(120)
    per_hour = 3600 * run.filings / elapsed
    print(f"\n{Publication.objects.count():,} publications, "
          f"{Passage.objects.count():,} passages; worker -c {args.concurrency}, "
          f"load average {os.getloadavg()[0]:.1f} at the end")
    print("| measure | value |\n|---|---:|")
    print(f"| applications screened (failed) | {run.filings:,} ({len(run.failed)}) |")
    print(f"| independent claims | {run.claims:,} |")
    print(f"| suspected copies (cases) | {run.suspected:,} |")
    print(f"| wall clock | {elapsed:,.0f} s |")
    print(f"| **applications per hour** | **{per_hour:,.0f}** |")
    for what, n in WEEKLY.items():
        print(f"| {what} ({n:,}) | {n / per_hour:.1f} h |")
    print("\n| split | copies caught | copied disclosure first | controls flagged |")
    print("|---|---|---|---|")
    for split, f in quality_figures(quality, keys).items():
        print(f"| {split} | {f['caught']} / {f['copies']} | {f['first']} / {f['copies']} "
              f"| {f['flagged']} / {f['controls']} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
