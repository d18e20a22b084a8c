"""The examiner API under load: GET /api/v1/search through gunicorn, against the bare engine.

    DEFPUB_HOME=/tmp/defpub-apiload .venv/bin/python bench/api_load.py \
        [--requests 200] [--concurrency 1 4 16] [--workers 2] [--threads 1] \
        [--variants production SEARCH_EMBED_THREADS=1 OMP_WAIT_POLICY=passive] [--reuse]

The corpus is the dev and test abstracts of the shared patent pairs
(../shared/data/xling-patents, 238 English and 219 Chinese), each published as one DefPub
publication (with its title where the pairs give one) and indexed by the real pipeline
(search.services.publication_index). Queries are those titles, English and Chinese in turn.

First the bare engine is timed in this process: search.engine.search(q, limit=21), which is
what GET /api/v1/search?limit=20 runs (one row more, to know whether there is a next page),
query embedding included, after a warm-up. Then gunicorn is started the way
`manage.py run` starts it (defpub.wsgi, --workers WEB_CONCURRENCY, sync workers unless
--threads > 1, --graceful-timeout 10, access log on) with the environment run.py gives its
children, and a client in this process sends the same queries to GET /api/v1/search with an
API key whose rate cannot throttle, at each concurrency level (threads, one HTTP connection
per request: gunicorn's sync workers close every connection). Because the machine is
shared and noisy, the ratio to the bare engine comes from a paired pass: each query runs in
this process and then at once over HTTP, so both see the same load. A cheap endpoint,
GET /api/v1/publications/<number>, shows what the API layer itself costs (key check, Redis
quota, usage upsert, rendering). CPU seconds of gunicorn's workers, PostgreSQL, Valkey and
this client are read from /proc around each level. --variants loads the same server again
with other environments (e.g. SEARCH_EMBED_THREADS=1), one after the other in the same run;
each gets its own paired pass against the same in-process engine.

Wipes the database it runs on: use a DEFPUB_HOME of its own.
"""

import argparse
import http.client
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import numpy as np
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench" / "xling")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "defpub.settings.base")

import django  # noqa: E402

django.setup()

import data  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from defpub.examiners.services import api_key_issue  # noqa: E402
from defpub.models import ApiKeyUsage, Disclosure, ExaminerKey, Organisation, Publication  # noqa: E402
from defpub.publications.services import publish_batch  # noqa: E402
from search import engine  # noqa: E402
from search.embedding import get_embedder  # noqa: E402
from search.selectors import index_backlog  # noqa: E402
from search.services import publication_index  # noqa: E402

ORG_SLUG = "bench-api-load"
LIMIT = 20
HOST = "127.0.0.1"
STARTED = time.perf_counter()
PAUSE = 0.1  # seconds between the in-process and the HTTP query of a pair


def progress(message: str) -> None:
    print(f"[{time.perf_counter() - STARTED:6.0f} s] {message}", file=sys.stderr, flush=True)


# -- corpus -----------------------------------------------------------------------------------

def reset_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM defpub_organisation WHERE slug <> %s", [ORG_SLUG])
        if cursor.fetchone()[0]:
            raise SystemExit("this database holds other organisations: run with a DEFPUB_HOME "
                             "of its own, e.g. DEFPUB_HOME=/tmp/defpub-apiload")
        cursor.execute("SET session_replication_role = replica")  # past the append-only triggers
        cursor.execute("TRUNCATE defpub_publication, defpub_disclosure, defpub_ledgernode, "
                       "defpub_ledgercheckpoint, defpub_publicationcounter, defpub_auditevent, "
                       "defpub_organisation, search_passage, search_passagevector, "
                       "search_indexstate, defpub_apikeyusage, defpub_examinerkey CASCADE")
        cursor.execute("SET session_replication_role = DEFAULT")


def build_corpus(bench) -> tuple[int, float]:
    """Publish and index every abstract of the chosen splits; (publications, seconds)."""
    organisation = Organisation.objects.create(slug=ORG_SLUG, name="API load bench")
    disclosures = [
        Disclosure(organisation=organisation, status="approved", external_id=f"{lang}:{i}",
                   **{f"abstract_{lang}": text,
                      f"title_{lang}": bench.titles[lang].get(i, "")})
        for lang in ("en", "zh") for i, text in enumerate(bench.corpus[lang])
    ]
    Disclosure.objects.bulk_create(disclosures)
    publications = publish_batch(disclosures=disclosures)
    started = time.perf_counter()
    for n, publication in enumerate(publications, 1):
        publication_index(publication_id=publication.pk)
        if n % 100 == 0:
            progress(f"indexed {n} of {len(publications)}")
    return len(publications), time.perf_counter() - started


def corpus_summary() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT lang, count(*) FROM search_passage GROUP BY lang ORDER BY lang")
        passages = dict(cursor.fetchall())
    return {"publications": Publication.objects.count(), "passages": passages}


def query_set(bench, count: int) -> list[str]:
    """Titles, English and Chinese in turn."""
    en = [bench.titles["en"][i] for i in sorted(bench.titles["en"])]
    zh = [bench.titles["zh"][i] for i in sorted(bench.titles["zh"])]
    mixed = [q for pair in itertools.zip_longest(en, zh) for q in pair if q]
    return mixed[:count]


# -- the bare engine --------------------------------------------------------------------------

def pct(times: list[float]) -> tuple[float, float]:
    p50, p95 = np.percentile(times, [50, 95])
    return float(p50), float(p95)


def bare_engine(queries: list[str], warmup: int) -> dict:
    embedder = get_embedder()
    for q in queries[:warmup]:
        engine.search(q, limit=LIMIT + 1)
    embed, total, hits = [], [], []
    for q in queries:
        started = time.perf_counter()
        embedder.embed(engine.query_pieces(q), role="query")
        embed.append((time.perf_counter() - started) * 1000)
    meter = CpuMeter(None)
    before = meter.read()
    for q in queries:
        started = time.perf_counter()
        results = engine.search(q, limit=LIMIT + 1)
        total.append((time.perf_counter() - started) * 1000)
        hits.append(len(results))
    after = meter.read()
    cpu = {name: (after[name] - before[name]) / len(queries) * 1000 for name in before}
    return {"search": pct(total), "embed": pct(embed), "results": float(np.mean(hits)),
            "n": len(queries), "cpu": cpu}


# -- gunicorn ---------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def child_env(extra: dict[str, str], *, workers: int) -> dict[str, str]:
    """What `manage.py run` gives its web children (run.py), and `extra`."""
    from defpub.management.commands import run

    env = {**run.embedding_env(run.Command._child_env(), processes=workers), **extra}
    env["DEBUG"] = "0"
    return env


@dataclass
class Server:
    process: subprocess.Popen
    port: int
    log: Path

    def workers(self) -> list[psutil.Process]:
        try:
            return psutil.Process(self.process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []

    def stop(self) -> list[int]:
        """SIGTERM the master (gunicorn's graceful shutdown); pids still alive afterwards."""
        pids = [self.process.pid] + [p.pid for p in self.workers()]
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            left = [pid for pid in pids if psutil.pid_exists(pid)
                    and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE]
            if not left:
                break
            time.sleep(0.2)
        return left


def start_server(workers: int, threads: int, extra: dict[str, str]) -> Server:
    port = free_port()
    log = Path(settings.DEFPUB_HOME) / "run" / "api_load-gunicorn.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", "gunicorn", "-c", "python:defpub.runtime.gunicorn_conf",
            "defpub.wsgi", "--bind", f"{HOST}:{port}",
            "--workers", str(workers), "--access-logfile", "-", "--graceful-timeout", "10"]
    if threads > 1:
        argv += ["--threads", str(threads)]
    with log.open("w") as out:
        process = subprocess.Popen(argv, cwd=ROOT, env=child_env(extra, workers=workers), stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    return Server(process, port, log)


# -- the client -------------------------------------------------------------------------------

@dataclass
class Level:
    server: str
    label: str
    concurrency: int
    n: int
    seconds: float
    times: list[float]
    statuses: dict[int, int]
    cpu: dict[str, float]
    results: float
    samples: list[str] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return sum(c for s, c in self.statuses.items() if s != 200)


ANSWERED = itertools.count()  # responses received with the key, for the usage check


def get(port: int, path: str, key: str) -> tuple[int, bytes, dict]:
    conn = http.client.HTTPConnection(HOST, port, timeout=120)
    try:
        conn.request("GET", path, headers={"Authorization": f"Api-Key {key}",
                                           "Accept": "application/json"})
        response = conn.getresponse()
        next(ANSWERED)
        return response.status, response.read(), dict(response.getheaders())
    finally:
        conn.close()


def search_path(q: str) -> str:
    return "/api/v1/search?" + urlencode({"text": q, "limit": LIMIT})


def wait_ready(server: Server, path: str, key: str, timeout: float = 180) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if server.process.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.process.returncode}; see {server.log}")
        try:
            status, body, _ = get(server.port, path, key)
            if status == 200:
                return time.perf_counter() - started
            progress(f"readiness: {status} {body[:200]!r}")
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"gunicorn not ready after {timeout:.0f} s; see {server.log}")


class CpuMeter:
    """CPU seconds (user + system) of gunicorn's workers, PostgreSQL, Valkey and this client."""

    def __init__(self, server: "Server | None") -> None:
        self.server = server
        home = Path(settings.DEFPUB_HOME)
        self.postmaster = int((home / "postgres" / "postmaster.pid").read_text().split()[0])
        self.valkey = int((home / "valkey" / "valkey.pid").read_text().strip())

    def read(self) -> dict[str, float]:
        def cpu(parent: psutil.Process, *, itself: bool) -> float:
            """The children's CPU, those alive and those the parent has reaped."""
            t = parent.cpu_times()
            total = t.children_user + t.children_system + (t.user + t.system if itself else 0)
            for p in parent.children():
                try:
                    t = p.cpu_times()
                    total += t.user + t.system
                except psutil.NoSuchProcess:  # exited since the parent was read: missed
                    pass
            return total

        me = os.times()
        gunicorn = psutil.Process(self.server.process.pid) if self.server else None
        return {
            "gunicorn": cpu(gunicorn, itself=False) if gunicorn else 0.0,
            "postgres": cpu(psutil.Process(self.postmaster), itself=True),
            "valkey": cpu(psutil.Process(self.valkey), itself=True),
            "client": me.user + me.system,
        }


def fire(server: Server, key: str, paths: list[str], *, requests: int, concurrency: int,
         label: str, meter: CpuMeter, variant: str = "") -> Level:
    counter = itertools.count()
    lock = threading.Lock()
    times: list[float] = []
    statuses: dict[int, int] = {}
    counts: list[int] = []
    samples: list[str] = []

    def worker() -> None:
        while True:
            with lock:
                i = next(counter)
            if i >= requests:
                return
            started = time.perf_counter()
            try:
                status, body, headers = get(server.port, paths[i % len(paths)], key)
            except OSError as error:
                status, body, headers = 0, str(error).encode(), {}
            elapsed = (time.perf_counter() - started) * 1000
            count = None
            if status == 200 and body.startswith(b'{"results"'):
                count = len(json.loads(body)["results"])
            with lock:
                times.append(elapsed)
                statuses[status] = statuses.get(status, 0) + 1
                if count is not None:
                    counts.append(count)
                if status != 200 and len(samples) < 3:
                    samples.append(f"{status} {headers.get('Retry-After', '')} {body[:300]!r}")

    before = meter.read()
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        for future in [pool.submit(worker) for _ in range(concurrency)]:
            future.result()
    seconds = time.perf_counter() - started
    after = meter.read()
    cpu = {name: (after[name] - before[name]) / requests * 1000 for name in before}
    return Level(variant, label, concurrency, requests, seconds, times, statuses, cpu,
                 float(np.mean(counts)) if counts else float("nan"), samples)


def paired(server: Server, key: str, queries: list[str], requests: int) -> dict:
    """Each query in this process, then at once the same query over HTTP (concurrency 1):
    both see the same machine load, so their ratio holds on a noisy machine. A short pause
    between the two lets the other side's OpenMP threads stop spinning first."""
    bare, api, statuses = [], [], {}
    for i in range(requests):
        q = queries[i % len(queries)]
        started = time.perf_counter()
        engine.search(q, limit=LIMIT + 1)
        bare.append((time.perf_counter() - started) * 1000)
        time.sleep(PAUSE)
        started = time.perf_counter()
        status, _body, _headers = get(server.port, search_path(q), key)
        api.append((time.perf_counter() - started) * 1000)
        statuses[status] = statuses.get(status, 0) + 1
        time.sleep(PAUSE)
    return {"bare": bare, "api": api, "statuses": statuses,
            "overhead": pct([a - b for a, b in zip(api, bare, strict=True)])}


def variant_env(variant: str) -> dict[str, str]:
    """'production' -> {}; 'A=1,B=x' -> {'A': '1', 'B': 'x'}."""
    if variant == "production":
        return {}
    return dict(item.split("=", 1) for item in variant.split(","))


def run_variant(args, variant: str, key: str, queries: list[str], numbers: list[str],
                expected: dict[str, list[str]]) -> dict:
    """Start gunicorn with the variant's environment, load it, stop it."""
    progress(f"{variant}: starting gunicorn, {args.workers} workers x {args.threads} threads")
    server = start_server(args.workers, args.threads, variant_env(variant))
    out = {"levels": [], "same": 0, "pair": None, "ready": None, "leftover": []}
    try:
        out["ready"] = wait_ready(server, f"/api/v1/publications/{numbers[0]}", key)
        meter = CpuMeter(server)
        search_paths = [search_path(q) for q in queries]
        cheap_paths = [f"/api/v1/publications/{n}" for n in numbers]
        progress(f"{variant}: warm-up")  # every worker loads the model and jieba's dictionary
        warm = max(args.concurrency)
        fire(server, key, search_paths, requests=max(args.warmup, 2 * warm),
             concurrency=min(warm, args.workers * args.threads * 2), label="warm-up",
             meter=meter)
        for q, numbers_expected in expected.items():
            status, body, _ = get(server.port, search_path(q), key)
            got = [r["number"] for r in json.loads(body)["results"]] if status == 200 else None
            out["same"] += got == numbers_expected
        progress(f"{variant}: paired, in process then over HTTP")
        out["pair"] = paired(server, key, queries, args.paired)
        for concurrency in args.concurrency:
            progress(f"{variant}: search at concurrency {concurrency}")
            out["levels"].append(fire(server, key, search_paths, requests=args.requests,
                                      concurrency=concurrency, label="search", meter=meter,
                                      variant=variant))
        for concurrency in args.cheap_concurrency:
            progress(f"{variant}: publication at concurrency {concurrency}")
            fire(server, key, cheap_paths, requests=min(args.requests, 50),
                 concurrency=concurrency, label="warm-up", meter=meter)
            out["levels"].append(fire(server, key, cheap_paths, requests=args.requests,
                                      concurrency=concurrency, label="publications/<number>",
                                      meter=meter, variant=variant))
    finally:
        progress(f"{variant}: stopping gunicorn")
        out["leftover"] = server.stop()
    return out


# -- report -----------------------------------------------------------------------------------

def report(args, corpus, index_seconds, bare, runs, usage, sent, checked) -> None:
    passages = corpus["passages"]
    print(f"\nCorpus: {corpus['publications']} publications, "
          f"{sum(passages.values())} passages ({', '.join(f'{k} {v}' for k, v in passages.items())})"
          + (f", indexed in {index_seconds:.0f} s" if index_seconds else " (reused)")
          + f"; model {get_embedder().name}.")
    print(f"Queries: {bare['n']} titles, English and Chinese in turn; limit {LIMIT}.")
    print(f"gunicorn: {args.workers} workers x {args.threads} thread(s) "
          f"({'sync' if args.threads == 1 else 'gthread'}); first 200 after "
          + ", ".join(f"{run['ready']:.1f} s ({v})" for v, run in runs.items()) + ".")
    print(f"Load average (1, 5 min) at the end: {os.getloadavg()[0]:.1f}, "
          f"{os.getloadavg()[1]:.1f} (2 cores).")

    print(f"\n### Bare engine against the API at concurrency 1 (after {args.warmup} "
          "warm-up)\n")
    print(f"In process, alone ({bare['n']} queries): engine.search(q, limit=21) "
          f"{bare['search'][0]:.1f} / {bare['search'][1]:.1f} ms p50 / p95, of which query "
          f"embedding {bare['embed'][0]:.1f} / {bare['embed'][1]:.1f} ms; CPU per query "
          f"{bare['cpu']['client']:.1f} ms here and {bare['cpu']['postgres']:.1f} ms in "
          f"postgres; {bare['results']:.1f} results of {LIMIT + 1} asked.\n")
    print(f"Paired ({args.paired} queries per row: in process, then at once over "
          "GET /api/v1/search):\n")
    print("| gunicorn env | bare p50 / p95 ms | API p50 / p95 ms | API / bare p50 | "
          "API / bare p95 | API − bare per query, p50 / p95 ms | statuses |")
    print("|---|---|---|---:|---:|---|---|")
    bases = {}
    for variant, run in runs.items():
        pair = run["pair"]
        b50, b95 = bases[variant] = pct(pair["bare"])
        a50, a95 = pct(pair["api"])
        print(f"| {variant} | {b50:.1f} / {b95:.1f} | {a50:.1f} / {a95:.1f} | "
              f"**{a50 / b50:.2f}×** | **{a95 / b95:.2f}×** | {pair['overhead'][0]:.1f} / "
              f"{pair['overhead'][1]:.1f} | {pair['statuses']} |")

    print(f"\n### Over HTTP ({args.requests} requests per row, after warm-up)\n")
    print("| gunicorn env | endpoint | concurrency | requests/s | p50 ms | p95 ms "
          "| p50 / p95 vs paired bare | non-200 "
          "| CPU ms per request: gunicorn / postgres / valkey / client |")
    print("|---|---|---:|---:|---:|---:|---|---:|---|")
    levels = [level for run in runs.values() for level in run["levels"]]
    for level in levels:
        p50, p95 = pct(level.times)
        b50, b95 = bases[level.server]
        ratio = f"{p50 / b50:.2f}× / {p95 / b95:.2f}×" if level.label == "search" else "–"
        c = level.cpu
        print(f"| {level.server} | {level.label} | {level.concurrency} | "
              f"{level.n / level.seconds:.1f} | {p50:.1f} | {p95:.1f} | {ratio} | "
              f"{level.errors} | {c['gunicorn']:.1f} / {c['postgres']:.1f} / "
              f"{c['valkey']:.2f} / {c['client']:.1f} |")
    for level in levels:
        for sample in level.samples:
            print(f"\n{level.server}, {level.label} at {level.concurrency}: {sample}")
    print("\nMean results per API search response: "
          + ", ".join(f"{x.results:.1f}" for x in levels if x.label == "search") + ".")
    print("API results equal to the in-process engine's (numbers, in order): "
          + ", ".join(f"{run['same']} of {checked} ({v})" for v, run in runs.items()) + ".")
    print(f"Usage rows: {usage} served requests counted for the key; the client received "
          f"{sent} answers with it.")
    left = {v: run["leftover"] for v, run in runs.items() if run["leftover"]}
    print("gunicorn stopped cleanly: " + ("yes, no process left" if not left
                                         else f"NO, pids left: {left}"))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200, help="requests per level")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--cheap-concurrency", type=int, nargs="+", default=[1, 16],
                        help="levels for GET /api/v1/publications/<number>")
    parser.add_argument("--workers", type=int,
                        default=int(os.environ.get("WEB_CONCURRENCY", "2")),
                        help="gunicorn workers (default WEB_CONCURRENCY or 2, as bin/defpub run)")
    parser.add_argument("--threads", type=int, default=1,
                        help="gunicorn threads per worker (run.py sets none: 1, sync workers)")
    parser.add_argument("--variants", nargs="+", default=["production"],
                        help="gunicorn environments to load in turn: 'production' (as run.py) "
                             "or NAME=VALUE[,NAME=VALUE] added to it, e.g. "
                             "SEARCH_EMBED_THREADS=1 OMP_WAIT_POLICY=passive")
    parser.add_argument("--paired", type=int, default=100,
                        help="queries run in process and over HTTP in turn, per variant")
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--splits", nargs="+", default=["dev", "test"])
    parser.add_argument("--reuse", action="store_true",
                        help="keep the corpus indexed by an earlier run")
    args = parser.parse_args()
    home = os.environ.get("DEFPUB_HOME", "")
    if not home or Path(home).resolve() == (ROOT / "var").resolve():
        raise SystemExit("set DEFPUB_HOME to a home of its own, e.g. /tmp/defpub-apiload")
    try:
        bench = data.build(tuple(args.splits))
    except FileNotFoundError as error:
        print(f"SKIP: no data at {error}")
        return 0

    call_command("migrate", verbosity=0)
    index_seconds = 0.0
    if not (args.reuse and Publication.objects.filter(organisation__slug=ORG_SLUG).exists()
            and not index_backlog()):
        reset_database()
        progress("publishing and indexing")
        count, index_seconds = build_corpus(bench)
        progress(f"indexed {count} publications in {index_seconds:.0f} s")
    corpus = corpus_summary()
    queries = query_set(bench, args.queries)
    numbers = list(Publication.objects.order_by("number").values_list("number", flat=True))

    user, _ = get_user_model().objects.get_or_create(username="api-load-bench")
    ExaminerKey.objects.filter(owner=user).delete()
    key, plain = api_key_issue(owner=user, office="Bench office", name="api_load",
                               rate_per_minute=1_000_000)

    progress("bare engine")
    bare = bare_engine(queries, args.warmup)
    expected = {q: [r.number for r in engine.search(q, limit=LIMIT)] for q in queries[:10]}
    connection.close()

    runs = {}
    for variant in args.variants:
        runs[variant] = run_variant(args, variant, plain, queries, numbers, expected)
    sent = next(ANSWERED)
    usage = sum(ApiKeyUsage.objects.filter(key=key).values_list("served", flat=True))
    report(args, corpus, index_seconds, bare, runs, usage, sent, len(expected))
    progress("done")
    levels = [level for run in runs.values() for level in run["levels"]]
    failed = (any(run["leftover"] for run in runs.values())
              or any(level.errors for level in levels)
              or any(set(run["pair"]["statuses"]) != {200} for run in runs.values()))
    return 1 if failed else 0


if __name__ == "__main__":
    from defpub.runtime.db_roles import owner_session

    with owner_session():  # it empties the append-only tables: the owner's right alone
        sys.exit(main())
