"""Screening a filing's independent claims against DefPub (issue 16, docs/watch.md).

For each independent claim, each element and the claim whole are searched in one engine
call (one model call per claim: search.engine.score_pieces), in both languages, with a
strict cut-off at the filing's earliest effective date. A candidate publication carries,
for every element, its best passage and that passage's score; its coverage is how many
elements score at least WATCH_ELEMENT_THRESHOLD, and its claim score is its best passages'
mean score for the whole claim. A claim is a suspected copy when one publication covers at
least WATCH_COPY_SHARE of its elements and its claim score leads every other's by
WATCH_LEAD (mark_suspects); the filing then gets a watch case (review/cases.py).
Publications after the cut-off that declare an earlier source date are listed apart: the
ledger does not prove that date.
"""

import time
from dataclasses import dataclass, field
from datetime import date
from itertools import combinations

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from defpub.models import Publication
from review.models import Claim, Filing, ScreeningResult
from search import fusion
from search.chunking import MAX_CHARS
from search.embedding import get_embedder
from search.engine import LANGUAGE_OFFSET, Filters, cutoff, query_pieces, score_pieces
from search.text import detect_lang

EXCERPT = 300  # characters of a passage kept in a candidate
WHOLE_PIECES = 2  # pieces of the whole claim searched besides its elements
SAME = 0.01  # scores this close on every element: the same evidence
POLL_SECONDS = 1.0  # how often a Celery run counts its saved results
RESULTS_EVERY = 10  # polls: how often it asks the result backend about every task


@dataclass
class ClaimScreening:
    claim: Claim
    candidates: list[dict] = field(default_factory=list)
    pair: dict = field(default_factory=dict)
    earlier_sources: list[dict] = field(default_factory=list)
    suspected: bool = False


def claim_pieces(claim: Claim) -> tuple[list[str], int]:
    """The claim's elements (each cut to the model's size) then pieces of the whole claim;
    and how many of the pieces are elements."""
    elements = [" ".join(e["text"].split()) for e in claim.elements if e["text"].strip()]
    if not elements:
        elements = [" ".join(claim.text.split())]
    elements = [text[:MAX_CHARS[detect_lang(text)]] for text in elements]
    whole = query_pieces(claim.text)[:WHOLE_PIECES] if len(elements) > 1 else []
    return elements + [p for p in whole if p], len(elements)


def _without_language_offset(pieces, evidence, hits) -> None:
    """The engine lowers cross-language passages a little so that examiners see an equal
    match in their own language first (engine.LANGUAGE_OFFSET); whether a passage discloses
    an element does not depend on its language, and the thresholds are on the scale
    without it."""
    for piece, scores in zip(pieces, evidence, strict=True):
        query_lang = detect_lang(piece)
        for pid in scores:
            scores[pid] -= LANGUAGE_OFFSET.get((query_lang, hits[pid].lang), 0.0)


def screen_claim(claim: Claim, *, before: date | None, limit: int | None = None) -> ClaimScreening:
    """The ranked candidates of one claim (not saved)."""
    limit = limit or settings.WATCH_CANDIDATES
    pieces, n_elements = claim_pieces(claim)
    filters = Filters(before=cutoff(before), date_field="source")
    evidence, owners, hits, _ = score_pieces(pieces, filters)
    _without_language_offset(pieces, evidence, hits)
    ranked = fusion.best_evidence(evidence, owners=owners)[:limit * 3]
    publications = Publication.objects.in_bulk([entry.publication_id for entry in ranked])
    limit_at = cutoff(before)
    proper, late = [], []
    for entry in ranked:
        publication = publications[entry.publication_id]
        row = _candidate(publication, entry.score, evidence[:n_elements], owners)
        row["claim_score"] = _whole_score(publication.pk, evidence[n_elements:], owners)
        if limit_at is None or publication.published_at < limit_at:
            proper.append(row)
        else:  # admitted only by its declared source date
            row["source"] = publication.record.get("source", "")
            row["source_date"] = publication.record.get("source_date", "")
            row["proven"] = False
            late.append(row)
    mark_suspects(proper, n_elements)
    proper.sort(key=lambda row: (-row["suspected"], -row["coverage"], -row["score"]))
    result = ClaimScreening(claim, candidates=proper[:limit], earlier_sources=late[:limit])
    _attach_passages(result.candidates + result.earlier_sources, claim)
    result.pair = best_pair(result.candidates, n_elements)
    result.suspected = any(row["suspected"] for row in result.candidates)
    return result


def mark_suspects(rows: list[dict], n_elements: int) -> None:
    """A candidate is a suspected copy when it covers WATCH_COPY_SHARE of the elements and
    its whole-claim score (its score, for a claim of one element) leads every other
    candidate's by WATCH_LEAD: a copied disclosure stands out from the rest of DefPub as a
    whole, while an application on a crowded topic finds many publications alike. A
    candidate with the same evidence on every element (the same text published twice) is
    not "another". The whole-claim score must also reach WATCH_CLAIM_THRESHOLD: where
    DefPub holds little on a topic, a loosely related publication leads too (chosen on dev
    and train, docs/watch.md)."""
    needed = settings.WATCH_COPY_SHARE * n_elements
    for row in rows:
        others = [other for other in rows if other is not row and not _same(other, row)]
        row["lead"] = round(_whole(row) - max(map(_whole, others), default=0.0), 4)
        row["suspected"] = (row["coverage"] >= needed and row["lead"] >= settings.WATCH_LEAD
                            and _whole(row) >= settings.WATCH_CLAIM_THRESHOLD)


def _whole(row: dict) -> float:
    return row["score"] if row.get("claim_score") is None else row["claim_score"]


def _same(a: dict, b: dict) -> bool:
    pairs = [(x["score"], y["score"]) for x, y in zip(a["elements"], b["elements"],
                                                       strict=True)]
    pairs.append((a.get("claim_score"), b.get("claim_score")))
    return all(x == y or (x is not None and y is not None and abs(x - y) <= SAME)
               for x, y in pairs)


def _candidate(publication, score: float, element_evidence: list[dict[int, float]],
               owners: dict[int, int]) -> dict:
    threshold = settings.WATCH_ELEMENT_THRESHOLD
    elements = []
    for number, scores in enumerate(element_evidence):
        own = [(s, pid) for pid, s in scores.items() if owners[pid] == publication.pk]
        best = max(own, default=None)
        elements.append({"element": number, "score": round(best[0], 4) if best else None,
                         "passage": {"id": best[1]} if best else None,
                         "discloses": bool(best and best[0] >= threshold)})
    return {"publication": publication.number, "publication_id": publication.pk,
            "published_at": publication.published_at.isoformat(), "score": round(score, 4),
            "coverage": sum(e["discloses"] for e in elements), "elements": elements}


def _whole_score(publication_id: int, whole: list[dict[int, float]],
                 owners: dict[int, int]) -> float | None:
    """The publication's best passage score for each piece of the whole claim, averaged
    (None for a claim of one element, which is searched whole)."""
    best = [max((s for pid, s in scores.items() if owners[pid] == publication_id),
                default=min(scores.values(), default=0.0)) for scores in whole]
    return round(sum(best) / len(best), 4) if best else None


def _attach_passages(rows: list[dict], claim: Claim) -> None:
    """Each element's passage with its field, language, offsets and an excerpt."""
    from search.models import Passage

    wanted = {e["passage"]["id"] for row in rows for e in row["elements"] if e["passage"]}
    passages = Passage.objects.in_bulk(wanted)
    texts = [e["text"] for e in claim.elements] or [claim.text]
    for row in rows:
        for element in row["elements"]:
            element["text"] = texts[element["element"]] if element["element"] < len(texts) else ""
            if element["passage"] is None:
                continue
            passage = passages[element["passage"]["id"]]
            element["passage"] = {
                "id": passage.pk, "publication": row["publication"], "field": passage.field,
                "lang": passage.lang, "start": passage.start, "end": passage.end,
                "text": passage.text[:EXCERPT]}


def best_pair(candidates: list[dict], n_elements: int) -> dict:
    """The two candidates that together disclose the most elements, when no single one
    discloses them all (a Y/Y suggestion); {} when a single one does, or no pair adds."""
    if not candidates or max(row["coverage"] for row in candidates) >= n_elements:
        return {}
    best, best_key = {}, (max(row["coverage"] for row in candidates), float("-inf"))
    for a, b in combinations(candidates, 2):
        covered = {}
        for ea, eb in zip(a["elements"], b["elements"], strict=True):
            if ea["discloses"] or eb["discloses"]:
                covered[ea["element"]] = a["publication"] if ea["discloses"] and (
                    not eb["discloses"] or ea["score"] >= eb["score"]) else b["publication"]
        key = (len(covered), a["score"] + b["score"])
        if key > best_key:
            best_key = key
            best = {"publications": [a["publication"], b["publication"]],
                    "coverage": len(covered), "elements": covered}
    return best


def filing_screen(*, filing: Filing) -> list[ClaimScreening]:
    """Screen every independent claim of the filing, save the results (one row per claim,
    replaced on re-screening) and open a watch case for a suspected copy."""
    from review.cases import case_open_for_screening

    results = [screen_claim(claim, before=filing.earliest_date)
               for claim in filing.claims.filter(independent=True)]
    model = get_embedder().name
    with transaction.atomic():
        for result in results:
            ScreeningResult.objects.update_or_create(
                claim=result.claim,
                defaults={"filing": filing, "cutoff": filing.earliest_date, "model": model,
                          "candidates": result.candidates, "pair": result.pair,
                          "earlier_sources": result.earlier_sources,
                          "suspected": result.suspected})
        if any(result.suspected for result in results):
            case_open_for_screening(filing=filing)
    return results


@dataclass
class ScreeningRun:
    filings: int = 0
    claims: int = 0
    suspected: int = 0
    failed: list[str] = field(default_factory=list)


def filings_screen(*, filing_ids: list[int], through_celery: bool = False,
                   progress=None, timeout: float = 3600.0) -> ScreeningRun:
    """Screen many filings, here or as Celery work on the `screening` queue (waiting for
    it); `progress(done, total)` after each filing."""
    run = ScreeningRun()
    if through_celery:
        return _through_celery(filing_ids, run, progress, timeout)
    for done, filing in enumerate(Filing.objects.filter(pk__in=filing_ids).order_by("pk"), 1):
        results = filing_screen(filing=filing)
        _count(run, {"claims": len(results), "suspected": any(r.suspected for r in results)})
        if progress:
            progress(done, len(filing_ids))
    return run


def _count(run: ScreeningRun, outcome: dict) -> None:
    run.filings += 1
    run.claims += outcome["claims"]
    run.suspected += bool(outcome["suspected"])


def _through_celery(filing_ids, run, progress, timeout) -> ScreeningRun:
    """Queue one task per filing and wait; progress counts the filings whose results the
    workers have saved since (from the database), and those with nothing to screen."""
    from defpub.celery import app

    started = timezone.now()
    # By name (review.tasks imports this module): routed to the `screening` queue.
    pending = {app.send_task("review.screen_filing", args=[pk]): pk for pk in filing_ids}
    deadline = time.monotonic() + timeout
    nothing_to_screen, shown, polls = 0, -1, 0
    while pending and time.monotonic() < deadline:
        _pause()
        polls += 1
        done = screened_since(filing_ids, started) + nothing_to_screen
        if polls % RESULTS_EVERY == 0 or done >= len(filing_ids):
            nothing_to_screen += _collect(pending, run)
            done = screened_since(filing_ids, started) + nothing_to_screen
        if progress and (done != shown or not pending):
            shown = done
            progress(len(filing_ids) if not pending else done, len(filing_ids))
    run.failed += [f"filing {pk}: not screened within {timeout:.0f} s"
                   for pk in pending.values()]
    return run


def _collect(pending: dict, run: ScreeningRun) -> int:
    """Count the finished tasks (one round trip each to the result backend) and drop them
    from `pending`; returns how many had no independent claim to screen."""
    nothing = 0
    for result in [r for r in pending if r.ready()]:
        pk = pending.pop(result)
        if result.successful():
            outcome = result.get()
            _count(run, outcome)
            nothing += not outcome["claims"]
        else:
            run.failed.append(f"filing {pk}: {result.result!r}")
    return nothing


def _pause() -> None:
    time.sleep(POLL_SECONDS)


def screened_since(filing_ids: list[int], started) -> int:
    """How many of the filings have screening results saved since `started`."""
    return (ScreeningResult.objects.filter(filing_id__in=filing_ids, screened_at__gte=started)
            .values("filing_id").distinct().count())
