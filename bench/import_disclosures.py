"""Bulk import throughput: records per minute, drafts and --publish, without indexing.

    .venv/bin/python bench/import_disclosures.py [--records 10000]

Generates bilingual records of realistic size (title, 600-character abstract in both
languages, 4 features, IPC codes), imports them into a throw-away organisation through the
same code path as `manage.py import_disclosures`, and prints a table.
"""

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "defpub.settings.base")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

WORDS = ["membrane", "pump", "valve", "sensor", "rotor", "coating", "polymer", "lattice",
         "enzyme", "catalyst", "bearing", "antenna", "filter", "channel", "electrode"]
HANZI = "膜泵阀传感器转子涂层聚合物晶格酶催化剂轴承天线过滤通道电极基板"


def record(i: int, rng: random.Random) -> dict:
    en = " ".join(rng.choice(WORDS) for _ in range(90))
    zh = "".join(rng.choice(HANZI) for _ in range(300))
    return {
        "external_id": f"bench-{i}",
        "title": {"en": f"{rng.choice(WORDS).title()} assembly {i}", "zh": f"{zh[:12]}装置{i}"},
        "abstract": {"en": en, "zh": zh},
        "ipc": [f"B01D {rng.randint(1, 70)}/{rng.randint(0, 99):02d}"],
        "keywords": rng.sample(WORDS, 3),
        "features": [" ".join(rng.sample(WORDS, 6)) for _ in range(4)],
    }


def timed_import(path: Path, slug: str, *extra: str) -> float:
    started = time.perf_counter()
    call_command("import_disclosures", str(path), "--org", slug, "--create-org",
                 "--no-progress", *extra, stdout=open(os.devnull, "w"))  # noqa: SIM115
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=10_000)
    args = parser.parse_args()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.jsonl"
        with path.open("w", encoding="utf-8") as handle:
            for i in range(args.records):
                handle.write(json.dumps(record(i, rng), ensure_ascii=False) + "\n")
        suffix = str(int(time.time()))
        rows = [
            ("drafts", timed_import(path, f"bench-drafts-{suffix}")),
            ("--publish", timed_import(path, f"bench-publish-{suffix}", "--publish")),
            ("again (all present)", timed_import(path, f"bench-publish-{suffix}")),
        ]
    print(f"\nimport_disclosures, {args.records} records")
    print("| mode | seconds | records/minute |\n|---|---:|---:|")
    for mode, seconds in rows:
        print(f"| {mode} | {seconds:.1f} | {args.records / seconds * 60:,.0f} |")


if __name__ == "__main__":
    main()
