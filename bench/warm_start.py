"""Warm start: after a restart, is the first search as fast as the tenth?

    DEFPUB_HOME=/tmp/defpub-warm .venv/bin/python bench/warm_start.py [--runs 3] [--reuse]

A small corpus (the first --records English and Chinese test abstracts of
../shared/data/xling-patents, published and indexed by the real pipeline, as
bench/api_load.py does) is set up once. Then, per run, the whole
system is started as an operator starts it, `manage.py run` (gunicorn with
defpub/runtime/gunicorn_conf.py, a Celery worker and beat; WEB_CONCURRENCY and
WORKER_CONCURRENCY as given, default 2 each), against the same embedded servers, which stay
up: a restart of the application, as in a deploy. The client polls /healthz every 0.25 s
(anonymously: status only) and notes what it answers, until 200; then it sends ten searches
to the web search page (GET /search?q=), one after the other, timing each: nine different
titles, English and Chinese in turn, and the first title again as the tenth, so the first
and the tenth search are the same request. Then `run` is stopped with SIGTERM.

Each run is made twice: "warm" (the default, DEFPUB_WARM_UP=1) and "cold" (DEFPUB_WARM_UP=0,
which is how every process started before: models loaded by the first search).
Wipes the database it runs on: use a DEFPUB_HOME of its own.
"""

import argparse
import os
import signal
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench"), str(ROOT / "bench" / "xling")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "defpub.settings.base")

import api_load  # noqa: E402  (sets Django up; its corpus is ours)
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from defpub.models import Publication  # noqa: E402
from search.selectors import index_backlog  # noqa: E402

SEARCHES = 10
POLL = 0.25


def get(url: str, timeout: float = 120) -> int:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def health(port: int) -> str:
    """What /healthz answers right now: "200 ok", "503 warming", ... or "no answer"."""
    import json

    try:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz",
                                        timeout=2) as response:
                return f"{response.status} {json.load(response)['status']}"
        except urllib.error.HTTPError as error:
            return f"{error.code} {json.load(error)['status']}"
    except (OSError, ValueError):  # not listening yet, or too busy to answer in 2 s
        return "no answer"


def one_run(*, port: int, queries: list[str], warm: bool, workers: int, concurrency: int):
    env = {**os.environ, "DEFPUB_WARM_UP": "1" if warm else "0",
           "WEB_CONCURRENCY": str(workers), "WORKER_CONCURRENCY": str(concurrency),
           "API_RATE_ANONYMOUS": "1000000"}  # the bench is one address; never throttle it
    log = Path(os.environ["DEFPUB_HOME"]) / "run" / "warm_start.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with log.open("a") as out:
        run = subprocess.Popen([sys.executable, "manage.py", "run", "--port", str(port)],
                               cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    seen: list[str] = []  # the distinct answers of /healthz, in order
    try:
        while True:
            if run.poll() is not None:
                raise SystemExit(f"manage.py run exited with {run.returncode}; see {log}")
            answer = health(port)
            if not seen or seen[-1] != answer:
                seen.append(answer)
            if answer.startswith("200"):
                break
            if time.perf_counter() - started > 600:
                raise SystemExit(f"/healthz not 200 after 600 s: {seen}; see {log}")
            time.sleep(POLL)
        ready = time.perf_counter() - started
        times, statuses = [], []
        for q in queries:
            begun = time.perf_counter()
            try:
                status = get(f"http://127.0.0.1:{port}/search?" + urlencode({"q": q}))
            except OSError:  # e.g. the worker was killed mid-request: no answer
                status = 0
            times.append(time.perf_counter() - begun)
            statuses.append(status)
    finally:
        run.send_signal(signal.SIGTERM)
        run.wait(120)
    return {"ready": ready, "seen": seen, "times": times, "statuses": statuses}


def cell(run: dict, i: int) -> str:
    """A search's seconds, and its status when it was not 200 (gunicorn kills a worker
    whose request outlasts its 30 s timeout: a 500, or no answer at all)."""
    status = run["statuses"][i]
    return f"{run['times'][i]:.2f}" + ("" if status == 200 else f" ({status or 'no answer'})")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3, help="restarts per mode")
    parser.add_argument("--workers", type=int, default=2, help="WEB_CONCURRENCY")
    parser.add_argument("--concurrency", type=int, default=2, help="WORKER_CONCURRENCY")
    parser.add_argument("--modes", nargs="+", default=["warm", "cold"])
    parser.add_argument("--records", type=int, default=40,
                        help="abstracts per language published (the first ones)")
    parser.add_argument("--reuse", action="store_true",
                        help="keep the corpus indexed by an earlier run")
    args = parser.parse_args()
    home = os.environ.get("DEFPUB_HOME", "")
    if not home or Path(home).resolve() == (ROOT / "var").resolve():
        raise SystemExit("set DEFPUB_HOME to a home of its own, e.g. /tmp/defpub-warm")
    try:
        bench = api_load.data.build(("test",))
    except FileNotFoundError as error:
        print(f"SKIP: no data at {error}")
        return 0
    for lang in bench.corpus:  # a small collection: warm start does not depend on its size
        bench.corpus[lang] = bench.corpus[lang][:args.records]
        bench.titles[lang] = {i: t for i, t in bench.titles[lang].items() if i < args.records}
    call_command("migrate", verbosity=0)
    if not (args.reuse and Publication.objects.filter(organisation__slug=api_load.ORG_SLUG)
            .exists() and not index_backlog()):
        api_load.reset_database()
        api_load.progress("publishing and indexing")
        count, seconds = api_load.build_corpus(bench)
        api_load.progress(f"indexed {count} publications in {seconds:.0f} s")
    titles = api_load.query_set(bench, SEARCHES - 1)
    queries = [*titles, titles[0]]  # the tenth search repeats the first
    publications = Publication.objects.count()
    connection.close()

    results: dict[str, list[dict]] = {mode: [] for mode in args.modes}
    for n in range(args.runs):
        for mode in args.modes:
            api_load.progress(f"run {n + 1} of {args.runs}: {mode}")
            results[mode].append(one_run(port=api_load.free_port(), queries=queries,
                                         warm=mode == "warm", workers=args.workers,
                                         concurrency=args.concurrency))

    print(f"\n{publications} publications; `manage.py run` with {args.workers} web workers and "
          f"{args.concurrency} worker processes; {args.runs} restarts per mode; seconds.\n")
    print("| mode | run | /healthz answers, in order | to 200 | 1st search | 2nd-9th "
          "(median) | 10th (= 1st query) | 1st / 10th |")
    print("|---|---:|---|---:|---:|---:|---:|---:|")
    for mode, runs in results.items():
        for n, run in enumerate(runs, 1):
            t = run["times"]
            print(f"| {mode} | {n} | {' → '.join(run['seen'])} | {run['ready']:.1f} | "
                  f"{cell(run, 0)} | {statistics.median(t[1:-1]):.2f} | {cell(run, -1)} | "
                  f"{t[0] / t[-1]:.2f} |")
    print("\n| mode | search | " + " | ".join(str(i) for i in range(1, SEARCHES + 1)) + " |")
    print("|---|---|" + "---:|" * SEARCHES)
    for mode, runs in results.items():
        medians = [statistics.median(run["times"][i] for run in runs) for i in range(SEARCHES)]
        print(f"| {mode} | median of {len(runs)} | "
              + " | ".join(f"{m:.2f}" for m in medians) + " |")
    failed = [s for runs in results.values() for run in runs for s in run["statuses"] if s != 200]
    print(f"\nSearches not answered 200: {len(failed)} ({', '.join(map(str, failed)) or 'none'}).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
