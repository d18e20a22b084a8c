"""Indexing throughput end to end (publish -> searchable) for one Celery worker, against the
embedding model's own throughput on the same passages, in one run.

    DEFPUB_HOME=/tmp/defpub-throughput .venv/bin/python bench/indexing_throughput.py [--records 40]

Records are bilingual (English title and ~90-word abstract, Chinese title and ~150-character
abstract, three features), like the bulk-import benchmark's. A real worker process
(`celery worker -c 1`, as `manage.py run` starts it) indexes them after one warm-up record,
so model loading is not counted; the clock runs from the publishing commit until
index_status reports an empty backlog.
"""

import argparse
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "defpub.settings.base")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as `manage.py run` sets for its children

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from import_disclosures import record  # noqa: E402

from defpub.management.commands.run import embedding_env  # noqa: E402
from defpub.models import Disclosure, Organisation  # noqa: E402
from defpub.publications.services import publish_batch  # noqa: E402
from search.chunking import chunk_record  # noqa: E402
from search.embedding import english_model, get_embedder  # noqa: E402
from search.selectors import index_backlog  # noqa: E402


def disclosures(organisation, count: int, rng) -> list[Disclosure]:
    made = []
    for _ in range(count):
        r = record(rng.randrange(10**9), rng)
        made.append(Disclosure(
            organisation=organisation, status="approved",
            title_en=r["title"]["en"], title_zh=r["title"]["zh"],
            abstract_en=r["abstract"]["en"], abstract_zh=r["abstract"]["zh"][:150],
            features=r["features"][:3], ipc=r["ipc"]))
    return Disclosure.objects.bulk_create(made)


def wait_until_indexed(timeout: float = 1800) -> float:
    started = time.perf_counter()
    while index_backlog() and time.perf_counter() - started < timeout:
        time.sleep(0.2)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=40)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    rng = random.Random(11)
    organisation = Organisation.objects.create(slug=f"throughput-{int(time.time())}",
                                               name="Throughput")
    db = settings.DATABASES["default"]
    env = {**embedding_env(dict(os.environ), processes=1), "DATABASE_URL": f"postgres://{db['USER']}@"
           f"{quote(db['HOST'], safe='')}/{db['NAME']}", "REDIS_URL": settings.REDIS_URL}
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "defpub.celery", "worker", "-c", "1",
         "--without-gossip", "--without-mingle", "--loglevel", "WARNING"],
        cwd=ROOT, env=env, start_new_session=True)
    try:
        publish_batch(disclosures=disclosures(organisation, 1, rng))  # warm-up: loads the model
        wait_until_indexed()
        batch = disclosures(organisation, args.records, rng)
        chunks = [chunk for d in batch for chunk in chunk_record({
            "title": d.text("title"), "abstract": d.text("abstract"), "features": d.features})]
        texts = [chunk.text for chunk in chunks]
        publications = publish_batch(disclosures=batch)
        elapsed = wait_until_indexed()
    finally:
        os.killpg(worker.pid, 15)
        worker.wait(60)
    # What the worker must embed: every passage with the main model, and the English ones
    # with the English model too (search/services.py).
    work = [(get_embedder(), texts)]
    if english_model():
        work.append((get_embedder(english_model()),
                     [c.text for c in chunks if c.lang == "en"]))
    model_seconds = 0.0
    for embedder, wanted in work:
        embedder.embed(wanted[:8])  # warm-up
        started = time.perf_counter()
        embedder.embed(wanted)
        model_seconds += time.perf_counter() - started
    end_to_end = len(texts) / elapsed
    model = len(texts) / model_seconds
    names = " + ".join(f"{e.name} ({len(w)} passages)" for e, w in work)
    print(f"\nindexing throughput, {len(publications)} records, {len(texts)} passages, "
          f"models {names}, one worker")
    print("| measure | passages/s |\n|---|---:|")
    print(f"| the models alone (embed, batch 32) | {model:.1f} |")
    print(f"| end to end: publish -> searchable, one worker | {end_to_end:.1f} |")
    print(f"\nend to end / model = {end_to_end / model:.2f} (target >= 0.80)")


if __name__ == "__main__":
    main()
