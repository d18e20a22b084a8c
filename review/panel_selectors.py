"""Reads for the panel's pages: the dashboard's counts and case list, a case's evidence at a
glance, and the filings list. Every lookup by id answers 404 for an id that is not a case
or filing (out-of-range ids included), never a database error."""

from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Case, Count, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.db.models.functions import Concat, Upper
from django.http import Http404
from django.utils.translation import pgettext_lazy

from review.cases import NEXT, STATUS_LABELS
from review.models import Claim, Filing, ScreeningResult, WatchCase

Status = WatchCase.Status
MAX_ID = 2**63 - 1  # BigAutoField; a larger id is no row, not an overflow
TOP_CANDIDATES = 3  # candidates shown beside a claim's elements
STATUS_ORDER = list(STATUS_LABELS)


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status)


def _by_id(queryset: QuerySet, pk: int):
    if not 0 < pk <= MAX_ID:
        raise Http404
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


# -- the dashboard -----------------------------------------------------------------------------

@dataclass
class CaseCounts:
    statuses: list[tuple[str, str, int]]  # (status, label, cases)
    offices: list[tuple[str, list[int], int]]  # (office, cases per status, total)
    total: int


def case_counts() -> CaseCounts:
    """Cases by office and status (offices alphabetical, statuses in workflow order)."""
    rows = WatchCase.objects.values_list("filing__office", "status").annotate(n=Count("pk"))
    grid: dict[str, dict[str, int]] = {}
    for office, status, n in rows:
        grid.setdefault(office, {})[status] = n
    by_status = {status: sum(cells.get(status, 0) for cells in grid.values())
                 for status in STATUS_ORDER}
    return CaseCounts(
        statuses=[(status, STATUS_LABELS[status], by_status[status]) for status in STATUS_ORDER],
        offices=[(office, [grid[office].get(status, 0) for status in STATUS_ORDER],
                  sum(grid[office].values())) for office in sorted(grid)],
        total=sum(by_status.values()),
    )


def case_offices() -> list[str]:
    return sorted(set(WatchCase.objects.values_list("filing__office", flat=True)))


def cases_for_dashboard(*, status: str | None = None, office: str | None = None) -> QuerySet:
    """Cases, new ones first, then the most recently opened; with what the list shows."""
    cases = WatchCase.objects.select_related("filing").prefetch_related(
        Prefetch("filing__screenings",
                 queryset=ScreeningResult.objects.only("filing_id", "candidates")))
    if status:
        cases = cases.filter(status=status)
    if office:
        cases = cases.filter(filing__office=office)
    first = Case(When(status=Status.NEW, then=Value(0)), default=Value(1),
                 output_field=IntegerField())
    return cases.annotate(new_first=first).order_by("new_first", "-opened_at", "-pk")


def best_candidate(filing: Filing) -> dict | None:
    """The strongest candidate of any of the filing's screened claims: a suspected copy
    first, then the most elements covered, then the score."""
    rows = [row for screening in filing.screenings.all() for row in screening.candidates]
    if not rows:
        return None
    best = max(rows, key=lambda row: (bool(row.get("suspected")), row["coverage"], row["score"]))
    return {"publication": best["publication"], "coverage": best["coverage"],
            "elements": len(best["elements"]), "score": best["score"]}


# -- one case ----------------------------------------------------------------------------------

def case_for_panel(*, pk: int) -> WatchCase:
    return _by_id(WatchCase.objects.select_related("filing"), pk)


def next_statuses(case: WatchCase) -> list[tuple[str, str]]:
    """The statuses a case may move to by a button (dismissal has its own form)."""
    return [(status, STATUS_LABELS[status])
            for status in sorted(NEXT[Status(case.status)], key=STATUS_ORDER.index)]


STRENGTHS = (  # (at least this share of WATCH_ELEMENT_THRESHOLD, key, label)
    (4 / 3, "strong", pgettext_lazy("element match", "strong")),
    (1.0, "discloses", pgettext_lazy("element match", "discloses")),
    (0.5, "weak", pgettext_lazy("element match", "weak")),
)


def strength(score: float | None) -> tuple[str, str]:
    """A readable (key, label) for an element's score; the threshold marks 'discloses'."""
    if score is not None:
        for share, key, label in STRENGTHS:
            if score >= share * settings.WATCH_ELEMENT_THRESHOLD:
                return key, label
    return "none", pgettext_lazy("element match", "no match")


@dataclass
class ClaimEvidence:
    claim: Claim
    screening: ScreeningResult
    elements: list[str]
    candidates: list[dict]  # the top ones, each with its header facts
    rows: list[tuple[int, str, list[dict]]]  # (element number, its text, a cell per candidate)
    pair: dict = field(default_factory=dict)
    earlier_sources: list[dict] = field(default_factory=list)


def _cell(publication: str, element: dict | None) -> dict:
    passage = (element or {}).get("passage") or {}
    score = (element or {}).get("score")
    key, label = strength(score)
    return {"publication": publication, "score": score, "strength": label, "strength_key": key,
            "discloses": bool((element or {}).get("discloses")), "text": passage.get("text", ""),
            "lang": passage.get("lang", ""), "field": passage.get("field", "")}


def _header(row: dict) -> dict:
    return {"publication": row["publication"], "coverage": row["coverage"],
            "elements": len(row["elements"]), "score": row["score"],
            "suspected": bool(row.get("suspected")),
            "published_at": (row.get("published_at") or "")[:10],
            "source": row.get("source", ""), "source_date": row.get("source_date", "")}


def claim_evidence(screening: ScreeningResult, *, top: int = TOP_CANDIDATES) -> ClaimEvidence:
    claim = screening.claim
    texts = [element["text"] for element in claim.elements] or [claim.text]
    candidates = screening.candidates[:top]
    rows = []
    for number, text in enumerate(texts):
        cells = []
        for row in candidates:
            by_element = {element["element"]: element for element in row["elements"]}
            cells.append(_cell(row["publication"], by_element.get(number)))
        rows.append((number + 1, text, cells))
    pair = {}
    if screening.pair:
        covered = screening.pair.get("elements", {})
        pair = {"publications": screening.pair.get("publications", []),
                "coverage": screening.pair.get("coverage", len(covered)),
                "elements": len(texts),
                "by_element": [(int(number) + 1, texts[int(number)] if int(number) < len(texts)
                                else "", publication)
                               for number, publication in sorted(covered.items(),
                                                                 key=lambda kv: int(kv[0]))]}
    return ClaimEvidence(claim=claim, screening=screening, elements=texts,
                         candidates=[_header(row) for row in candidates], rows=rows, pair=pair,
                         earlier_sources=[_header(row) for row in screening.earlier_sources])


def case_evidence(case: WatchCase) -> list[ClaimEvidence]:
    """Per screened independent claim, in claim order, its best evidence at a glance."""
    screenings = (ScreeningResult.objects.filter(filing=case.filing_id)
                  .select_related("claim").order_by("claim__number"))
    return [claim_evidence(screening) for screening in screenings]


# -- filings -----------------------------------------------------------------------------------

def filings_for_panel(*, number: str | None = None, office: str | None = None) -> QuerySet:
    filings = Filing.objects.select_related("watch_case").annotate(
        independent_claims=Count("claims", filter=Q(claims__independent=True)),
        claim_count=Count("claims"))
    if number:  # "20180000016", "US20180000016", "US 20180000016 A1", a part of one
        filings = filings.annotate(full_number=Upper(Concat("office", "number", "kind")))
        filings = filings.filter(full_number__contains="".join(number.split()).upper())
    if office:
        filings = filings.filter(office=office)
    return filings.order_by("-imported_at", "-pk")


def filing_offices() -> list[str]:
    return list(Filing.objects.order_by("office").values_list("office", flat=True).distinct())


def filing_for_panel(*, pk: int) -> Filing:
    return _by_id(Filing.objects.select_related("first_version"), pk)


def filing_case(filing: Filing) -> WatchCase | None:
    return WatchCase.objects.filter(filing=filing).first()


def filing_claims(filing: Filing) -> QuerySet:
    return filing.claims.order_by("number")
