"""Screening quality and throughput: are copies of published disclosures caught, and are
unrelated applications left alone?

    DEFPUB_HOME=/tmp/defpub-watch .venv/bin/python bench/watch_quality.py [--train]
        [--background 400] [--analyse]

Data: the label-0 English-Chinese patent pairs of ../shared/data/xling-patents. In the dev
and test splits, each patent becomes an English "application": one independent claim whose
elements are its English abstract's sentences (at most MAX_ELEMENTS). By a seeded shuffle,
half of them are copies: their Chinese abstract is published in DefPub before the
application's earliest date; the other half are controls: their twin is not published.
Train patents' Chinese abstracts (--background of them) are published beside them as
distractors; with --train they are screened too, each a copy and also a simulated control
(its twin left out of its candidates). Every application is screened by the real service
(review.screening), in one database, with the configured embedding model.

A control whose disclosure is published under another key (the data holds a few patents
twice: duplicates()) is left out, and a copy's twin's duplicate counts as its disclosure.
The thresholds (WATCH_ELEMENT_THRESHOLD, WATCH_COPY_SHARE, WATCH_LEAD) are chosen on dev
and the train split's simulated controls: the most copies caught with their copied
disclosure first while flagging at most MAX_FALSE_ALARMS of each set's controls. The
figures on test are then reported with their counts: copies caught (a case opens), copied
disclosure first (it is the top candidate of a case), controls flagged. --analyse
re-chooses from the last run's saved candidates ($DEFPUB_HOME/watch-candidates.json).
"""

import argparse
import json
import os
import random
import re
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench"), str(ROOT / "bench" / "xling")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "defpub.settings.base")

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402
import time_machine  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from search_mixed import cache_path, load_cache, patents, use_cache  # noqa: E402
from search_quality import reset_database  # noqa: E402

from defpub.models import Disclosure, Organisation  # noqa: E402
from defpub.publications.services import publish_batch  # noqa: E402
from review.models import Claim, Filing  # noqa: E402
from review.screening import filing_screen, mark_suspects, screen_claim  # noqa: E402
from search import services  # noqa: E402
from search.embedding import get_embedder  # noqa: E402

# A bench database is emptied past its triggers (search_quality.reset_database), which
# takes the tables' owner, not the application's role.
connection.settings_dict["USER"] = "postgres"

MAX_ELEMENTS = 6
KEPT = 20  # candidates kept per application for the analysis
MAX_FALSE_ALARMS = 0.10
DUPLICATE = 0.5  # share of word trigrams: the same disclosure (duplicates())
PUBLISHED_AT = datetime(2025, 1, 1, tzinfo=UTC)
EARLIEST = date(2026, 1, 1)
THRESHOLDS = [x / 4 for x in range(4, 21)]  # 1.0 .. 5.0
SHARES = [0.34, 0.5, 0.6, 0.67, 0.75, 0.8, 1.0]
LEADS = [x / 4 for x in range(13)]  # 0 .. 3.0


def elements_of(abstract: str) -> list[str]:
    """The abstract's sentences (and the data's ",  " clause breaks) as claim elements."""
    parts = [p.strip(" ,.;") for p in re.split(r"(?<=[.;])\s+|,\s{2,}", abstract)]
    parts = [p for p in parts if len(p) >= 15]
    if len(parts) > MAX_ELEMENTS:
        parts = parts[:MAX_ELEMENTS - 1] + [", ".join(parts[MAX_ELEMENTS - 1:])]
    return parts


def reset_review() -> None:
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE review_watchcase, review_screeningresult, review_claim, "
                       "review_filing CASCADE")


def publish(abstracts: list[tuple[str, str]]) -> dict[str, str]:
    """Publish and index Chinese abstracts; returns publication number -> key."""
    organisation = Organisation.objects.create(slug="watch", name="Watch bench")
    disclosures = [Disclosure(organisation=organisation, status="approved", external_id=key,
                              abstract_zh=text) for key, text in abstracts]
    Disclosure.objects.bulk_create(disclosures)
    with time_machine.travel(PUBLISHED_AT, tick=False):
        published = publish_batch(disclosures=disclosures)
    for i, publication in enumerate(published, 1):
        services.publication_index(publication_id=publication.pk)
        if i % 100 == 0:
            print(f"indexed {i}/{len(published)}", file=sys.stderr)
    services.rebuild_term_stats()
    return {p.number: p.disclosure.external_id for p in published}


def application(key: str, abstract: str) -> Filing:
    filing = Filing.objects.create(office="US", number=key, kind="A1", language="en",
                                   earliest_date=EARLIEST, earliest_reason="bench")
    elements, text, cursor = [], "", 0
    for part in elements_of(abstract):
        text += ("; " if text else "") + part
        start = text.index(part, cursor)
        elements.append({"text": part, "start": start, "end": start + len(part)})
        cursor = start + len(part)
    Claim.objects.create(filing=filing, number=1, text=text, independent=True,
                         elements=elements)
    return filing


def candidates_of(filing: Filing, keys: dict[str, str]) -> list[dict]:
    """The claim's candidates with their raw element scores (thresholds applied later)."""
    claim = filing.claims.get()
    result = screen_claim(claim, before=filing.earliest_date, limit=KEPT)
    return [{"key": keys.get(row["publication"]), "score": row["score"],
             "claim_score": row["claim_score"],
             "elements": [e["score"] for e in row["elements"]]} for row in result.candidates]


def verdict(candidates: list[dict], threshold: float, share: float,
            lead: float) -> tuple[bool, str | None]:
    """(a case opens, the key of its top candidate) at these thresholds, as
    review.screening.mark_suspects decides and screen_claim orders the candidates."""
    if not candidates:
        return False, None
    rows = with_leads(candidates)
    needed = share * len(candidates[0]["elements"])
    flagged = []
    for row in rows:
        coverage = sum(s is not None and s >= threshold for s in row["scores"])
        whole = row["score"] if row["claim_score"] is None else row["claim_score"]
        if (coverage >= needed and row["lead"] >= lead
                and whole >= settings.WATCH_CLAIM_THRESHOLD):
            flagged.append((-coverage, -row["score"], row["key"]))
    return bool(flagged), min(flagged)[2] if flagged else None


def with_leads(candidates: list[dict], memo: dict = {}) -> list[dict]:  # noqa: B006
    """The candidates with their leads (mark_suspects's; they do not depend on the
    thresholds), computed once per list."""
    if id(candidates) not in memo:
        rows = [{**row, "scores": row["elements"], "coverage": 0,
                 "elements": [{"score": s} for s in row["elements"]]} for row in candidates]
        mark_suspects(rows, len(candidates[0]["elements"]))
        memo[id(candidates)] = (candidates, rows)  # the list is kept, so its id stays its own
    return memo[id(candidates)][1]


def shingles(text: str) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", text.lower())
    return {tuple(words[i:i + 3]) for i in range(len(words) - 2)}


def duplicates(apps: dict, published: dict[str, str]) -> dict[str, set[str]]:
    """Application key -> the published patents (other than its twin) whose English abstract
    shares at least DUPLICATE of its word trigrams: the same disclosure under another key
    (the data holds a few patents twice, across splits)."""
    sets = {key: shingles(text) for key, text in published.items()}
    found = {}
    for app in (app for split in apps.values() for app in split):
        own = shingles(app["abstract"]["en"])
        found[app["key"]] = {key for key, other in sets.items() if key != app["key"] and
                             len(own & other) >= DUPLICATE * max(1, len(own | other))}
    return found


def labelled(apps: list[dict], dupes: dict[str, set[str]],
             simulate: bool = False) -> list[tuple[list[dict], bool, set[str]]]:
    """(candidates, is a copy, the keys that count as its copied disclosure). A control whose
    disclosure is published under another key is no control: left out. With `simulate`,
    each copy also serves as a control with its twin left out of the candidates."""
    out = []
    for app in apps:
        twins = {app["key"]} | dupes.get(app["key"], set())
        if app["copy"]:
            out.append((app["candidates"], True, twins))
        elif not dupes.get(app["key"]):
            out.append((app["candidates"], False, set()))
        if simulate and app["copy"] and not dupes.get(app["key"]):
            out.append(([c for c in app["candidates"] if c["key"] != app["key"]], False,
                        set()))
    return out


def figures(items: list[tuple], threshold: float, share: float, lead: float) -> dict:
    copies = [item for item in items if item[1]]
    controls = [item for item in items if not item[1]]
    caught = first = flagged = 0
    for candidates, _, twins in copies:
        suspected, top = verdict(candidates, threshold, share, lead)
        caught += suspected
        first += suspected and top in twins
    for candidates, _, _ in controls:
        flagged += verdict(candidates, threshold, share, lead)[0]
    return {"copies": len(copies), "caught": caught, "first": first,
            "controls": len(controls), "flagged": flagged}


def choose(sets: list[list[tuple]]) -> tuple[tuple[float, float, float], list[dict]]:
    """The most copies caught with their disclosure first over the sets, at most
    MAX_FALSE_ALARMS of each set's controls flagged; ties to fewer flagged, then the
    stricter threshold and lead."""
    best = None
    for threshold in THRESHOLDS:
        for share in SHARES:
            for lead in LEADS:
                found = [figures(items, threshold, share, lead) for items in sets]
                allowed = all(f["flagged"] <= MAX_FALSE_ALARMS * f["controls"] for f in found)
                key = (allowed, sum(f["first"] for f in found),
                       -sum(f["flagged"] for f in found), threshold, lead)
                if best is None or key > best[0]:
                    best = (key, (threshold, share, lead), found)
    return best[1], best[2]


def split_apps(split: str, seed: int) -> list[dict]:
    chosen = patents((split,))
    random.Random(seed).shuffle(chosen)
    return [{"key": f"{split}-{i}", "abstract": p.abstract, "copy": i % 2 == 0}
            for i, p in enumerate(chosen) if elements_of(p.abstract["en"])]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--background", type=int, default=400)
    parser.add_argument("--train", action="store_true",
                        help="also screen the train split's applications (their twins are "
                             "the background; a control is simulated by leaving it out)")
    parser.add_argument("--analyse", action="store_true",
                        help="choose the thresholds again from the last run's candidates")
    parser.add_argument("--throughput", type=int, default=0,
                        help="also time filing_screen on this many applications")
    args = parser.parse_args()
    dump = Path(os.environ.get("DEFPUB_HOME", ROOT / "var")) / "watch-candidates.json"
    if args.analyse:
        print(json.dumps(analysed(json.loads(dump.read_text())), indent=2))
        return 0
    reset_database()
    reset_review()
    apps = {split: split_apps(split, 20261206) for split in ("dev", "test")}
    background = patents(("train",))[:args.background]
    published = [(a["key"], a["abstract"]["zh"]) for split in apps.values()
                 for a in split if a["copy"]]
    published += [(f"train-{i}", p.abstract["zh"]) for i, p in enumerate(background)]
    if args.train:
        apps["train"] = [{"key": f"train-{i}", "abstract": p.abstract, "copy": True}
                         for i, p in enumerate(background) if elements_of(p.abstract["en"])]
    print(f"publishing {len(published)} Chinese abstracts", file=sys.stderr)
    cache = load_cache()
    use_cache(cache)
    keys = publish(published)
    np.savez(cache_path(), **cache)
    started = time.perf_counter()
    screened = 0
    for split_list in list(apps.values()):
        for app in split_list:
            app["candidates"] = candidates_of(application(app["key"], app["abstract"]["en"]),
                                              keys)
            screened += 1
            if screened % 20 == 0:
                print(f"screened {screened}", file=sys.stderr)
    elapsed = time.perf_counter() - started
    texts = {a["key"]: a["abstract"]["en"] for split in apps.values() for a in split}
    texts |= {f"train-{i}": p.abstract["en"] for i, p in enumerate(background)}
    apps["published"] = {key: texts[key] for key in keys.values()}
    dump.write_text(json.dumps(apps, ensure_ascii=False))  # for --analyse
    results = {"model": get_embedder().name, "publications": len(published),
               **analysed(apps), "screened": screened, "seconds": round(elapsed, 1),
               "per_hour": round(3600 * screened / elapsed)}
    if args.throughput:
        results["throughput"] = throughput(apps, args.throughput)
    print(json.dumps(results, indent=2))
    return 0


def analysed(dump: dict) -> dict:
    """Thresholds chosen on dev (and the train split's simulated controls, when screened);
    then the test split's figures, with controls whose disclosure is published under another
    key left out, and with the raw labels."""
    apps = {split: dump[split] for split in ("dev", "test", "train") if split in dump}
    dupes = duplicates(apps, dump["published"])
    sets = {"dev": labelled(apps["dev"], dupes)}
    if "train" in apps:
        sets["train (simulated controls)"] = labelled(apps["train"], dupes, simulate=True)
    (threshold, share, lead), chosen_on = choose(list(sets.values()))
    raw = [(app["candidates"], app["copy"], {app["key"]}) for app in apps["test"]]
    return {"threshold": threshold, "share": share, "lead": lead,
            **dict(zip(sets, chosen_on, strict=True)),
            "test": figures(labelled(apps["test"], dupes), threshold, share, lead),
            "test (raw labels)": figures(raw, threshold, share, lead),
            "duplicates": {key: sorted(found) for key, found in dupes.items() if found}}


def throughput(apps: dict, n: int) -> dict:
    """filing_screen (search, save, case) on n applications, as the worker runs it."""
    filings = list(Filing.objects.order_by("pk")[:n])
    started = time.perf_counter()
    for filing in filings:
        filing_screen(filing=filing)
    elapsed = time.perf_counter() - started
    return {"applications": len(filings), "seconds": round(elapsed, 1),
            "per_hour": round(3600 * len(filings) / elapsed)}


if __name__ == "__main__":
    sys.exit(main())
