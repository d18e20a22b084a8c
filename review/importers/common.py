"""What every importer produces: one FilingData per document, before it is saved."""

import datetime
from dataclasses import dataclass, field

from search.claims import ClaimSource

BENEFIT_NAMES = {
    "provisional": "provisional",
    "continuation": "continuation of",
    "continuation-in-part": "continuation-in-part of",
    "division": "division of",
    "continuing-reissue": "continuing reissue of",
    "reissue": "reissue of",
    "substitution": "substitute of",
}


@dataclass
class FilingData:
    office: str
    number: str
    kind: str = ""
    application_number: str = ""
    filing_date: str | None = None
    publication_date: str | None = None
    language: str = ""
    title: dict = field(default_factory=dict)
    abstract: dict = field(default_factory=dict)
    applicants: list = field(default_factory=list)
    ipc: list = field(default_factory=list)
    cpc: list = field(default_factory=list)
    priority_claims: list = field(default_factory=list)  # {"country", "number", "date"}
    benefit_claims: list = field(default_factory=list)  # {"relation", "country", "number", "date"}
    pct: dict = field(default_factory=dict)  # {"number", "date", "publication"?}
    claims: list[ClaimSource] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return " ".join(part for part in (self.office, self.number, self.kind) if part)


def earliest(data: FilingData) -> tuple[str | None, str]:
    """The earliest effective date (the prior-art cut-off) and why: the earliest of the
    filing date, the priority dates, the domestic benefit dates and the PCT filing date.
    On a tie the more basic right wins (priority, then benefit, then PCT, then filing)."""
    candidates = []
    for claim in data.priority_claims:
        if _valid(claim.get("date")):
            reason = f"priority {claim.get('country', '')} {claim.get('number', '')}".replace(
                "  ", " "
            )
            candidates.append((claim["date"], 0, f"{reason.strip()} of {claim['date']}"))
    for claim in data.benefit_claims:
        if _valid(claim.get("date")):
            relation = BENEFIT_NAMES.get(
                claim.get("relation", ""), claim.get("relation", "benefit of")
            )
            who = f"{claim.get('country', '')} {claim.get('number', '')}".strip()
            candidates.append((claim["date"], 1, f"{relation} {who} of {claim['date']}"))
    if _valid(data.pct.get("date")):
        candidates.append(
            (data.pct["date"], 2, f"PCT {data.pct.get('number', '')} of {data.pct['date']}")
        )
    if _valid(data.filing_date):
        candidates.append((data.filing_date, 3, f"filing date {data.filing_date}"))
    if not candidates:
        return None, "no date known"
    date, _rank, reason = min(candidates)
    return date, reason


def _valid(value) -> bool:
    if not isinstance(value, str):
        return False
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        return False
    return True
