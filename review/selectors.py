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
