"""DefPub's own engine on the cross-language patent pairs, against BM25 and plain MiniLM,
all in one run.

    DEFPUB_HOME=/tmp/defpub-quality .venv/bin/python bench/search_quality.py [--splits test]

Each abstract of the shared pairs (../shared/data/xling-patents) is published as a
DefPub publication with that abstract only (no title, so title queries cannot match
themselves) and indexed by the real pipeline (search.services.publication_index). Every
query then goes through search.engine.search(query, lang=<the task's document language>,
limit=10), exactly what the API and the web page run. The baselines are computed in the
same run by bench/xling/methods.py: BM25 (rank-bm25; jieba cut_for_search for Chinese) and
all-MiniLM-L6-v2 with exact cosine. Nothing is tuned on this data.

Besides the pairs' tasks, three exact-term tasks ask for what examiners also type: one word
that a single abstract of the corpus holds (a part number, a compound, a rare technical
term), whose answer is that abstract (en-exact, zh-exact, and en2zh-exact for codes and
acronyms in Chinese abstracts typed as English queries; see exact_term_tasks).
"""

import argparse
import os
import random
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench" / "xling")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "defpub.settings.base")

import django  # noqa: E402

django.setup()

import data  # noqa: E402
import methods  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from defpub.models import Disclosure, Organisation, Publication  # noqa: E402
from defpub.publications.services import publish_batch  # noqa: E402
from search.engine import search  # noqa: E402
from search.services import publication_index  # noqa: E402
from search.translate import written_alike  # noqa: E402


def reset_database() -> None:
    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:  # a bench database: empty it past the triggers
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("TRUNCATE defpub_publication, defpub_disclosure, defpub_ledgernode, "
                       "defpub_ledgercheckpoint, defpub_publicationcounter, defpub_auditevent, "
                       "defpub_organisation, search_passage, search_passagevector, "
                       "search_indexstate CASCADE")
        cursor.execute("SET session_replication_role = DEFAULT")


def load(bench) -> dict[str, str]:
    """Publish and index every abstract; returns publication number -> 'lang:index'."""
    organisation = Organisation.objects.create(slug="xling", name="Shared patent pairs")
    disclosures = [
        Disclosure(organisation=organisation, status="approved", external_id=f"{lang}:{i}",
                   **{f"abstract_{lang}": text})
        for lang in ("en", "zh") for i, text in enumerate(bench.corpus[lang])
    ]
    Disclosure.objects.bulk_create(disclosures)
    publications = publish_batch(disclosures=disclosures)
    started = time.perf_counter()
    for publication in publications:
        publication_index(publication_id=publication.pk)
    print(f"indexed {len(publications)} publications in {time.perf_counter() - started:.0f} s")
    return {p.number: p.disclosure.external_id for p in publications}


EXACT_QUERIES = 60  # per language
_EN_WORD = re.compile(r"[a-z0-9]{4,}")


def exact_term_tasks(bench, *, exclude_corpus=None, seed: int = 20261203) -> list:
    """Tasks of one-word queries, each a word that exactly one abstract of a language holds,
    by its plain text and by the index (its lexeme's document frequency is 1), so BM25 and
    DefPub agree on the single right answer: en-exact and zh-exact, and en2zh-exact, a
    code or acronym that one Chinese abstract holds, typed as an English query. A
    word is drawn for up to EXACT_QUERIES abstracts per task (seeded); abstracts also in
    `exclude_corpus` (the tuning split's) are left out."""
    rng, tasks = random.Random(seed), []
    for name, query_lang, lang in (("en-exact", "en", "en"), ("zh-exact", "zh", "zh"),
                                   ("en2zh-exact", "en", "zh")):
        docs = bench.corpus[lang]
        skip = set(exclude_corpus[lang]) if exclude_corpus else set()
        if name == "en-exact":
            words = [set(_EN_WORD.findall(doc.lower())) for doc in docs]
        elif name == "zh-exact":
            words = [{w for w in methods._jb().lcut(doc)
                      if len(w) >= 2 and methods._HAS_WORD.search(w)} for doc in docs]
        else:
            words = [set(written_alike(doc)) for doc in docs]
        holders: dict[str, int] = {}
        for doc_words in words:
            for word in doc_words:
                holders[word] = holders.get(word, 0) + 1
        candidates = sorted({w for w, n in holders.items() if n == 1
                             and (lang == "en" or sum(w in doc for doc in docs) == 1)})
        unique = {word for word, lexemes in index_terms(candidates, lang).items()
                  if len(lexemes) == 1 and lexemes[0][1] == 1}
        task = data.Task(name, query_lang, lang)
        order = [i for i in range(len(docs)) if docs[i] not in skip]
        rng.shuffle(order)
        for i in order:
            mine = sorted(words[i] & unique)
            if mine:
                task.queries.append(rng.choice(mine))
                task.relevant.append(i)
            if len(task.queries) == EXACT_QUERIES:
                break
        tasks.append(task)
    return tasks


def index_terms(words: list[str], lang: str) -> dict[str, list[tuple[str, int]]]:
    """Each word's lexemes as the index has them, with their document frequencies: English
    words through the `english` configuration, Chinese words as one lexeme each."""
    with connection.cursor() as cursor:
        if lang == "en":
            cursor.execute("SELECT w, array(SELECT lexeme FROM unnest(to_tsvector('english', w)))"
                           " FROM unnest(%s::text[]) w", [words])
            lexemes = dict(cursor.fetchall())
        else:
            lexemes = {word: [word.lower()] for word in words}
        wanted = sorted({lexeme for found in lexemes.values() for lexeme in found})
        cursor.execute("SELECT lexeme, df FROM search_termstat WHERE lang = %s "
                       "AND lexeme = ANY(%s)", [lang, wanted])
        df = dict(cursor.fetchall())
    return {word: [(x, df.get(x, 0)) for x in found] for word, found in lexemes.items()}


def defpub_metrics(task, keys: dict[str, str]) -> dict[str, float]:
    hits1 = hits10 = reciprocal = 0.0
    for query, relevant in zip(task.queries, task.relevant, strict=True):
        numbers = [r.number for r in search(query, lang=task.doc_lang, limit=10)]
        ranked = [keys[n] for n in numbers]
        target = f"{task.doc_lang}:{relevant}"
        if target in ranked:
            rank = ranked.index(target) + 1
            hits1 += rank == 1
            hits10 += 1
            reciprocal += 1 / rank
    n = len(task.queries)
    return {"r@1": hits1 / n, "r@10": hits10 / n, "mrr@10": reciprocal / n}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--splits", nargs="+", default=["train", "dev", "test"])
    parser.add_argument("--exclude", nargs="*", default=[],
                        help="drop queries that also occur in these splits (the tuning split)")
    parser.add_argument("--reuse", action="store_true",
                        help="keep the corpus indexed by the last run with the same splits")
    args = parser.parse_args()
    try:
        bench = data.build(tuple(args.splits), exclude=tuple(args.exclude))
    except FileNotFoundError as error:
        print(f"SKIP: no data at {error}")
        return 0
    if args.reuse and Publication.objects.exists():
        keys = {p.number: p.disclosure.external_id
                for p in Publication.objects.select_related("disclosure")}
    else:
        reset_database()
        keys = load(bench)
    excluded = data.build(tuple(args.exclude)).corpus if args.exclude else None
    for task in exact_term_tasks(bench, exclude_corpus=excluded):
        bench.tasks[task.name] = task
    minilm = methods.MiniLM()
    rows: dict[str, dict[str, dict]] = {"bm25": {}, "minilm": {}, "defpub": {}}
    for task in bench.tasks.values():
        docs = bench.corpus[task.doc_lang]
        rows["bm25"][task.name] = methods.metrics(
            methods.bm25_scores(task.queries, task.query_lang, docs, task.doc_lang),
            task.relevant)
        rows["minilm"][task.name] = methods.metrics(
            methods.dense_scores(minilm, task.queries, docs), task.relevant)
        rows["defpub"][task.name] = defpub_metrics(task, keys)
    tasks = list(bench.tasks.values())
    held_out = f" (queries also in {'+'.join(args.exclude)} dropped)" if args.exclude else ""
    print(f"\nsplits {'+'.join(args.splits)}{held_out}: {len(bench.corpus['en'])} English and "
          f"{len(bench.corpus['zh'])} Chinese abstracts; cells: recall@1 / recall@10 / MRR@10\n")
    print("| method | " + " | ".join(f"{t.name} (n={len(t.queries)})" for t in tasks) + " |")
    print("|---|" + "---|" * len(tasks))
    for method, by_task in rows.items():
        cells = [f"{by_task[t.name]['r@1']:.3f} / {by_task[t.name]['r@10']:.3f} / "
                 f"{by_task[t.name]['mrr@10']:.3f}" for t in tasks]
        print(f"| {method} | " + " | ".join(cells) + " |")
    for metric in ("r@1", "r@10", "mrr@10"):
        behind = [t.name for t in tasks if rows["defpub"][t.name][metric]
                  < max(rows["bm25"][t.name][metric], rows["minilm"][t.name][metric])]
        print(f"\nDefPub's {metric} below the better baseline's on: {', '.join(behind) or 'none'}")
    return 0


if __name__ == "__main__":
    from defpub.runtime.db_roles import owner_session

    with owner_session():  # it empties the append-only tables: the owner's right alone
        sys.exit(main())
