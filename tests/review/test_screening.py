import json
from datetime import UTC, date, datetime

import pytest
from django.core.management import call_command

from defpub.models import AuditEvent
from review.cases import case_set_status
from review.models import ScreeningResult, WatchCase
from review.screening import best_pair

pytestmark = pytest.mark.django_db

# A Chinese-only disclosure; the application below paraphrases it in English.
MEMBRANE_ZH = dict(
    title_en="", abstract_en="", title_zh="压电超声波自清洁陶瓷过滤膜",
    abstract_zh="压电换能器产生超声波脉冲，清除陶瓷过滤膜孔隙中的堵塞物。",
    features=["陶瓷过滤膜具有多个孔隙", "压电换能器与过滤膜耦合并产生超声波脉冲",
              "超声波脉冲清除孔隙中的堵塞物"], keywords=[], ipc=["B01D 65/02"])
NOISE = [
    dict(title_en="Sintered copper wick for a heat pipe", title_zh="", abstract_zh="",
         abstract_en="A heat pipe whose sintered copper wick is graded in porosity.",
         features=["a copper wick sintered with graded porosity"], keywords=[]),
    dict(title_en="Antibacterial coating with silver nanoparticles",
         title_zh="含银纳米颗粒的抗菌涂层",
         abstract_en="A paint whose silver nanoparticles kill bacteria on door handles.",
         abstract_zh="一种含银纳米颗粒的涂料，可杀灭门把手上的细菌。", features=[], keywords=[]),
    dict(title_en="", abstract_en="", title_zh="可折叠自行车车架",
         abstract_zh="一种自行车车架，其铰链可使车架折叠成一半大小。", features=[], keywords=[]),
]
COPY = {
    "office": "US", "number": "20260100001", "kind": "A1", "language": "en",
    "title": "Self-cleaning ceramic filter", "abstract": "A filter cleaned by ultrasound.",
    "priority_date": "2026-03-01", "filing_date": "2026-09-01",
    "claims": ["1. A self-cleaning filter, comprising: a ceramic filter membrane having a "
               "plurality of pores; a piezoelectric transducer coupled to the membrane that "
               "generates ultrasonic pulses; wherein the ultrasonic pulses clear blockages "
               "from the pores.",
               "2. The filter of claim 1, wherein the membrane is alumina."],
}
CONTROL = {
    "office": "US", "number": "20260100002", "kind": "A1", "language": "en",
    "title": "Saddle", "abstract": "A bicycle saddle.", "priority_date": "2026-03-01",
    "claims": ["1. A saddle for a racing bicycle, comprising: a gel-filled cushion; a "
               "leather cover stitched over the cushion; wherein two carbon fibre rails "
               "are clamped to the seat post."],
}
BEFORE = datetime(2025, 1, 1, tzinfo=UTC)


def _import(tmp_path, *filings, screen=True):
    path = tmp_path / "filings.jsonl"
    path.write_text("\n".join(json.dumps(f) for f in filings), encoding="utf-8")
    call_command("import_filings", str(path), *(["--screen"] if screen else []))


def _cases(capsys) -> list[dict]:
    capsys.readouterr()
    call_command("watch_cases", "--json")
    return json.loads(capsys.readouterr().out)


@pytest.fixture
def corpus(indexed):
    for fields in NOISE:
        indexed(at=BEFORE, **fields)
    return indexed(at=BEFORE, **MEMBRANE_ZH)


def test_a_paraphrase_of_a_chinese_disclosure_opens_a_case_with_element_evidence(
        corpus, tmp_path, capsys):
    _import(tmp_path, COPY, CONTROL)

    cases = _cases(capsys)
    assert [case["number"] for case in cases] == ["20260100001"]  # the control opens none
    case = cases[0]
    assert case["status"] == "new" and case["filing"] == "US 20260100001 A1"
    best = case["candidates"][0]
    assert best["publication"] == corpus.number
    assert best["coverage"] == best["elements"] == 4  # the preamble and three limitations
    for element in best["element_passages"]:
        passage = element["passage"]
        assert passage["publication"] == corpus.number and passage["lang"] == "zh"
        assert passage["text"] and passage["end"] > passage["start"] >= 0
    assert [claim["claim"] for claim in case["claims"]] == [1]  # independent claims only
    assert AuditEvent.objects.filter(action="watch.case_opened").count() == 1


def test_a_publication_on_or_after_the_earliest_date_is_never_a_candidate(
        indexed, tmp_path, capsys):
    on_the_day = indexed(at=datetime(2026, 3, 1, tzinfo=UTC), **MEMBRANE_ZH)
    later = indexed(at=datetime(2026, 4, 1, tzinfo=UTC), **MEMBRANE_ZH)
    old_source = indexed(at=datetime(2026, 5, 1, tzinfo=UTC), source="Old catalogue",
                         source_date=date(1990, 1, 1), **MEMBRANE_ZH)
    for fields in NOISE:
        indexed(at=BEFORE, **fields)
    _import(tmp_path, COPY)

    result = ScreeningResult.objects.get(claim__number=1)
    numbers = {row["publication"] for row in result.candidates}
    assert not numbers & {on_the_day.number, later.number, old_source.number}
    # listed apart: an earlier source that the ledger does not prove
    assert [row["publication"] for row in result.earlier_sources] == [old_source.number]
    assert result.earlier_sources[0]["source_date"] == "1990-01-01"
    assert result.earlier_sources[0]["proven"] is False
    assert not WatchCase.objects.exists()  # no prior art before the cut-off


def test_rescreening_keeps_the_case_and_the_panels_decision(corpus, tmp_path, capsys):
    _import(tmp_path, COPY)
    case = WatchCase.objects.get()
    case_set_status(case=case, status="triaged", actor=None, notes="looks like a copy")

    call_command("screen_filings", "--all")
    call_command("screen_filings", "20260100001")

    case = WatchCase.objects.get()
    assert (case.status, case.notes) == ("triaged", "looks like a copy")
    assert ScreeningResult.objects.count() == 1
    assert AuditEvent.objects.filter(action="watch.case_opened").count() == 1
    assert _cases(capsys)[0]["status"] == "triaged"


def test_watch_cases_json_shape(corpus, tmp_path, capsys):
    _import(tmp_path, COPY)
    case = _cases(capsys)[0]
    assert {"id", "number", "status", "candidates", "claims"} <= set(case)
    candidate = case["candidates"][0]
    assert {"publication", "coverage", "score", "element_passages"} <= set(candidate)
    assert {"element", "text", "score", "passage", "discloses"} <= set(
        candidate["element_passages"][0])
    assert {"id", "publication", "field", "lang", "start", "end", "text"} <= set(
        candidate["element_passages"][0]["passage"])


def test_the_best_pair_covers_what_no_single_publication_does():
    def row(number, discloses, score):
        return {"publication": number, "score": score, "coverage": sum(discloses),
                "elements": [{"element": i, "discloses": d, "score": 3.0 if d else 0.0}
                             for i, d in enumerate(discloses)]}

    a, b, c = row("A", [1, 1, 0, 0], 2.0), row("B", [0, 0, 1, 1], 1.0), row("C", [1, 0, 1, 0], 3)
    pair = best_pair([a, b, c], 4)
    assert pair["publications"] == ["A", "B"] and pair["coverage"] == 4
    assert pair["elements"] == {0: "A", 1: "A", 2: "B", 3: "B"}
    assert best_pair([row("D", [1, 1], 1.0)], 2) == {}  # one publication covers all


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_screening_runs_as_celery_work_on_its_own_queue(corpus, tmp_path, capsys,
                                                        celery_worker):
    from defpub.celery import app

    assert app.amqp.router.route({}, "review.screen_filing")["queue"].name == "screening"
    _import(tmp_path, COPY, CONTROL, screen=False)
    capsys.readouterr()

    call_command("screen_filings", "--all", "--celery", "--timeout", "300")

    captured = capsys.readouterr()
    assert "screened 2/2" in captured.err
    assert "2 filing(s) screened: 2 independent claim(s), 1 suspected" in captured.out
    assert list(WatchCase.objects.values_list("filing__number", flat=True)) == ["20260100001"]


def test_a_claims_elements_are_embedded_in_one_model_call(corpus, tmp_path, monkeypatch):
    from search.embedding import get_embedder

    embedder, calls = get_embedder(), []
    real = embedder.embed

    def counted(texts, **kwargs):
        calls.append(len(texts))
        return real(texts, **kwargs)

    monkeypatch.setattr(embedder, "embed", counted)
    _import(tmp_path, COPY)
    assert calls == [5]  # one call: four elements and the claim whole


def test_celery_progress_is_read_from_the_database(corpus, tmp_path, capsys, monkeypatch):
    """`screen_filings --celery` counts what the workers have saved, before the result
    backend reports a single task done (a stand-in broker: each poll, the "worker" screens
    the next filing; the backend reports them all at the end)."""
    from defpub.celery import app
    from review import screening
    from review.tasks import screen_filing_task

    _import(tmp_path, COPY, CONTROL, screen=False)
    queued, saved, reported = [], [], {}

    class Pending:
        def __init__(self, pk):
            self.pk = pk
            queued.append(pk)

        def ready(self):
            return self.pk in reported

        def successful(self):
            return True

        def get(self):
            return reported[self.pk]

    def worker_step():
        if len(saved) < len(queued):
            pk = queued[len(saved)]
            saved.append((pk, screen_filing_task(pk)))
        else:
            reported.update(saved)

    monkeypatch.setattr(app, "send_task", lambda name, args: Pending(*args))
    monkeypatch.setattr(screening, "_pause", worker_step)
    capsys.readouterr()

    call_command("screen_filings", "--all", "--celery")

    err = capsys.readouterr().err.splitlines()
    assert [line.split(" (")[0] for line in err] == ["screened 1/2", "screened 2/2"]
    assert "an hour" in err[0] and "min left" in err[0]
    assert WatchCase.objects.count() == 1


def test_a_suspect_leads_on_the_whole_claim_and_a_duplicate_is_not_another(settings):
    from review.screening import mark_suspects

    settings.WATCH_ELEMENT_THRESHOLD, settings.WATCH_COPY_SHARE = 1.75, 0.6
    settings.WATCH_LEAD, settings.WATCH_CLAIM_THRESHOLD = 1.5, 3.0

    def row(number, scores, claim_score):
        return {"publication": number, "score": sum(scores) / len(scores),
                "claim_score": claim_score, "coverage": sum(s >= 1.75 for s in scores),
                "elements": [{"element": i, "score": s} for i, s in enumerate(scores)]}

    copy, twin = row("A", [4.0, 3.0, 2.0], 5.0), row("B", [4.0, 3.0, 2.0], 5.0)
    crowd = row("C", [3.5, 3.0, 2.5], 3.2)  # as good on the elements, not on the whole
    mark_suspects([copy, twin, crowd], 3)
    assert copy["suspected"] and twin["suspected"] and copy["lead"] == 1.8
    assert not crowd["suspected"]

    close = row("D", [3.0, 3.0, 2.0], 4.0)  # another publication within WATCH_LEAD
    mark_suspects([copy, close], 3)
    assert not copy["suspected"] and copy["lead"] == 1.0

    alone = row("E", [3.0, 3.0, 2.0], 2.5)  # leads, but matches the whole claim loosely
    mark_suspects([alone, row("F", [0.5, 0.2, 0.1], 0.3)], 3)
    assert alone["lead"] == 2.2 and not alone["suspected"]
