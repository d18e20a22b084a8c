"""Ledger cost against log size: appending a leaf and producing proofs, up to 1M leaves.

    DEFPUB_HOME=/tmp/defpub-bench .venv/bin/python bench/ledger.py [--max 1000000]

The tree is grown in stages (1k, 10k, 100k, 1M leaves): each stage computes its new nodes
in memory and COPYs them into defpub_ledgernode. At each stage it times, over 200 runs, an
append (the real LedgerAppender, rolled back) and inclusion and consistency proofs read
through the real PostgresNodeStore, and counts the SQL queries each one makes.
"""

import argparse
import hashlib
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "defpub.settings.base")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from defpub.ledger import merkle  # noqa: E402
from defpub.ledger.store import (  # noqa: E402
    LedgerAppender,
    ledger_consistency_proof,
    ledger_inclusion_proof,
    ledger_root,
)

RUNS = 200


class Rollback(Exception):
    pass


def grow(store: merkle.MemoryNodeStore, start: int, end: int) -> None:
    for i in range(start, end):
        merkle.append(store, i, merkle.leaf_hash(hashlib.sha256(str(i).encode()).digest()))
    new = [(lvl, idx, h) for (lvl, idx), h in store.nodes.items() if (idx + 1) << lvl > start]
    with connection.cursor() as cursor, cursor.copy(
        "COPY defpub_ledgernode (level, index, hash) FROM STDIN"
    ) as copy:
        for row in new:
            copy.write_row(row)


def timed(fn) -> tuple[float, float, int]:
    times, queries = [], 0
    for _ in range(RUNS):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            fn()
            times.append((time.perf_counter() - started) * 1000)
        queries = len(captured)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95)], queries


def append_once() -> None:
    try:
        with transaction.atomic():
            appender = LedgerAppender()
            appender.append(os.urandom(64))
            appender.flush()
            raise Rollback
    except Rollback:
        pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--max", type=int, default=1_000_000)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")  # empty the bench table
        cursor.execute("TRUNCATE defpub_ledgernode")
        cursor.execute("SET session_replication_role = DEFAULT")
    rng = random.Random(1)
    memory = merkle.MemoryNodeStore()
    rows, size = [], 0
    stage = 1_000
    while stage <= args.max:
        started = time.perf_counter()
        grow(memory, size, stage)
        build = time.perf_counter() - started
        size = stage
        assert ledger_root(size)[1] == merkle.root(memory, size)
        append = timed(append_once)
        inclusion = timed(lambda n=size: ledger_inclusion_proof(rng.randrange(n), n))
        consistency = timed(lambda n=size: ledger_consistency_proof(rng.randrange(1, n), n))
        rows.append((size, build, append, inclusion, consistency))
        stage *= 10
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_total_relation_size('defpub_ledgernode')")
        table_bytes = cursor.fetchone()[0]

    print(f"\nledger costs, {RUNS} runs per cell (ms: median / p95; q = SQL queries per call)")
    print("| leaves | append | inclusion proof | consistency proof | stage build (s) |")
    print("|---:|---|---|---|---:|")
    for size, build, append, inclusion, consistency in rows:
        cells = [f"{m:.2f} / {p:.2f} ({q} q)" for m, p, q in (append, inclusion, consistency)]
        print(f"| {size:,} | {' | '.join(cells)} | {build:.1f} |")
    print(f"\ndefpub_ledgernode at {size:,} leaves: {table_bytes / 2**20:.0f} MiB "
          f"({table_bytes / size:.0f} bytes per leaf, indexes included)")


if __name__ == "__main__":
    from defpub.runtime.db_roles import owner_session

    with owner_session():  # it empties the append-only tables: the owner's right alone
        main()
