"""Reading filings."""

from django.db.models import Q, QuerySet
from django.db.models.functions import Concat, Upper

from review.models import Filing


def filings_by_number(*, numbers: list[str] | None = None) -> QuerySet[Filing]:
    """Filings, optionally by number: '20180000016', 'US20180000016', 'US 20180000016 A1'."""
    filings = Filing.objects.prefetch_related("claims").order_by("office", "number", "kind")
    if not numbers:
        return filings
    wanted = [number.replace(" ", "").upper() for number in numbers]
    filings = filings.annotate(
        with_office=Upper(Concat("office", "number")),
        with_kind=Upper(Concat("office", "number", "kind")),
    )
    return filings.filter(
        Q(number__in=wanted) | Q(with_office__in=wanted) | Q(with_kind__in=wanted)
    )


def filing_as_json(filing: Filing) -> dict:
    return {
        "office": filing.office,
        "number": filing.number,
        "kind": filing.kind,
        "application_number": filing.application_number,
        "title": filing.title,
        "abstract": filing.abstract,
        "language": filing.language,
        "applicants": filing.applicants,
        "ipc": filing.ipc,
        "cpc": filing.cpc,
        "filing_date": _iso(filing.filing_date),
        "publication_date": _iso(filing.publication_date),
        "priority_claims": filing.priority_claims,
        "benefit_claims": filing.benefit_claims,
        "pct": filing.pct,
        "earliest_date": _iso(filing.earliest_date),
        "earliest_reason": filing.earliest_reason,
        "first_version": filing.first_version.label if filing.first_version_id else None,
        "problems": filing.problems,
        "claims": [
            {
                "number": claim.number,
                "independent": claim.independent,
                "parents": claim.parents,
                "references": claim.references,
                "elements": [element["text"] for element in claim.elements],
                "element_offsets": [
                    [element["start"], element["end"]] for element in claim.elements
                ],
                "text": claim.text,
            }
            for claim in filing.claims.all()
        ],
    }


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def open_cases() -> QuerySet:
    from review.models import WatchCase

    closed = (WatchCase.Status.DISMISSED, WatchCase.Status.OUTCOME_RECORDED)
    return (WatchCase.objects.exclude(status__in=closed).select_related("filing")
            .prefetch_related("filing__screenings__claim").order_by("opened_at", "pk"))


def case_as_json(case) -> dict:
    """A case with, per screened independent claim, its ranked candidates (publication,
    coverage, element-to-passage map)."""
    filing = case.filing
    claims = []
    for screening in sorted(filing.screenings.all(), key=lambda s: s.claim.number):
        claims.append({
            "claim": screening.claim.number, "suspected": screening.suspected,
            "cutoff": screening.cutoff.isoformat() if screening.cutoff else None,
            "candidates": [_candidate_json(row) for row in screening.candidates],
            "pair": screening.pair, "earlier_sources": [
                {**_candidate_json(row), "source": row.get("source", ""),
                 "source_date": row.get("source_date", ""), "proven": False}
                for row in screening.earlier_sources]})
    best = [c for claim in claims for c in claim["candidates"]]
    best.sort(key=lambda c: (-c["coverage"], -c["score"]))
    return {"id": case.pk, "filing": filing.label, "number": filing.number,
            "office": filing.office, "kind": filing.kind, "status": case.status,
            "opened_by": case.opened_by, "opened_at": case.opened_at.isoformat(),
            "earliest_date": filing.earliest_date.isoformat() if filing.earliest_date else None,
            "candidates": best, "claims": claims}


def _candidate_json(row: dict) -> dict:
    return {"publication": row["publication"], "score": row["score"],
            "coverage": row["coverage"], "elements": len(row["elements"]),
            "lead": row.get("lead"), "suspected": row.get("suspected", False),
            "published_at": row["published_at"],
            "element_passages": [
                {"element": e["element"], "text": e.get("text", ""), "score": e["score"],
                 "discloses": e["discloses"], "passage": e["passage"]}
                for e in row["elements"]]}
