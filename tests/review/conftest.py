"""Review's test data: the publishing fixtures, panelists, and screened watch cases shaped
as review.screening stores them."""

import pytest

from review.access import panel_group
from review.models import WatchCase
from tests.factories import (
    ClaimFactory,
    FilingFactory,
    ScreeningResultFactory,
    UserFactory,
    WatchCaseFactory,
)
from tests.search.conftest import indexed, publish  # noqa: F401  (the publishing fixtures)

ELEMENTS = ["A filter comprising", "a ceramic membrane", "a transducer"]
PASSAGES = ["压电超声波自清洁陶瓷过滤膜", "陶瓷过滤膜具有多个孔隙",
            "A piezo transducer shakes the membrane."]


def candidate(number: str, *, scores=(4.8, 4.1, 3.2), langs=("zh", "zh", "en"), texts=PASSAGES,
              suspected=True) -> dict:
    """A candidate as review.screening stores it."""
    elements = [
        {"element": i, "score": score, "discloses": score >= 3.0, "text": ELEMENTS[i],
         "passage": {"id": 100 + i, "publication": number, "field": "abstract", "lang": lang,
                     "start": 0, "end": len(text), "text": text}}
        for i, (score, lang, text) in enumerate(zip(scores, langs, texts, strict=True))]
    return {"publication": number, "publication_id": 1, "published_at": "2025-01-01T00:00:00+00:00",
            "score": round(sum(scores) / len(scores), 4),
            "coverage": sum(e["discloses"] for e in elements), "elements": elements,
            "lead": 1.5, "suspected": suspected}


def screened_case(*, office="US", status="new", number=None) -> WatchCase:
    filing = FilingFactory(office=office, **({"number": number} if number else {}),
                           title={"en": "Ultrasonic filter cleaning", "zh": "超声波过滤器清洁"})
    claim = ClaimFactory(filing=filing, number=1)
    ClaimFactory(filing=filing, number=2, independent=False, parents=[1], elements=[],
                 text="The filter of claim 1, wherein the membrane is alumina.")
    weak = candidate("DP-2025-000002", scores=(3.5, 1.0, 0.5), suspected=False)
    ScreeningResultFactory(
        claim=claim, suspected=True, model="test-model",
        candidates=[candidate("DP-2025-000001"), weak],
        pair={}, earlier_sources=[{**candidate("DP-2026-000009", suspected=False),
                                   "source": "Old catalogue", "source_date": "1990-01-01",
                                   "proven": False}])
    case = WatchCaseFactory(filing=filing, opened_by="screening")
    if status != "new":
        WatchCase.objects.filter(pk=case.pk).update(status=status)
        case.refresh_from_db()
    return case


@pytest.fixture
def panelist():
    user = UserFactory()
    panel_group().user_set.add(user)
    return user


@pytest.fixture
def panel_client(client, panelist):
    client.force_login(panelist)
    return client


@pytest.fixture
def case():
    """A new case on a screened filing: one independent claim of three elements, two
    candidates and an earlier source."""
    return screened_case()
