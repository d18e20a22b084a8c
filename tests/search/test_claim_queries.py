"""Claims pasted into the web search or the API are searched element by element with the
claims parser review uses (search/claims.py), and each passage names the element it answers
(issue 16, "Claims")."""

import re

import pytest

from search import engine
from search.chunking import MAX_CHARS, split_long
from search.text import detect_lang
from tests.search.test_search_page import GEARBOX, numbers

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_quotas")]

ENGLISH = """1. A filter unit comprising: a ceramic membrane whose pores are cleared by ultrasonic
pulses; and a piezoelectric transducer bonded to the housing of the membrane.
2. The filter unit of claim 1, wherein the transducer is driven at 40 kHz.
3. A method of cleaning a filter, comprising backwashing the membrane with pulsed water."""
CHINESE = ("1.一种过滤装置，包括陶瓷膜和超声换能器，其特征在于，所述换能器粘接在膜壳上。"
           "2.根据权利要求1所述的过滤装置，其特征在于，所述膜被反冲洗。"
           "3、一种清洁方法，包括：发出超声脉冲；反冲洗所述膜。")
FULL_WIDTH = ("１．一种热管，包括密封管和烧结吸液芯，其特征在于：吸液芯的孔隙率逐渐降低。\n"
              "２．根据权利要求１所述的热管，其中吸液芯是铜。")
FILTER = dict(
    title_en="Self-cleaning ceramic filter", title_zh="",
    abstract_en="", abstract_zh="",
    features=["The pores of the ceramic membrane are cleared by short ultrasonic pulses.",
              "A piezoelectric transducer is glued to the housing that holds the membrane."],
    description_en="", description_zh="", ipc=["B01D 65/02"],
)
CLAIMS = ("1. A filter unit comprising: a ceramic membrane whose pores are cleared by "
          "ultrasonic pulses; and a piezoelectric transducer bonded to the housing of the "
          "membrane.  2. The filter unit of claim 1, wherein the transducer is driven at 40 kHz.")
HOSTILE = [
    "1. " * 6666 + "1.",  # 20,000 characters of one number
    "1. A device.\n2. The device of claim 7.\n3. The device of claims 9 to 1, 4-.\n"
    "4. 根据权利要求0至所述的装置。5. The device of any preceding claim, wherein",
    "1. 2. 3. 4. 5. 6. 7. 8. 9. 10. 11. 12.",
    "".join(f"{n}. The device of claims 1 to 500, " for n in range(1, 700))[:20_000],
    "1.\n" * 5000,
]


def labels(text: str) -> list[tuple[str, str]]:
    return [(piece.label, piece.text) for piece in engine.query_plan(text).pieces]


def test_english_claims_are_searched_by_the_independent_claims_elements():
    plan = engine.query_plan(ENGLISH)

    assert labels(ENGLISH) == [
        ("claim 1, element 1", "A filter unit comprising:"),
        ("claim 1, element 2",
         "a ceramic membrane whose pores are cleared by ultrasonic pulses; and"),
        ("claim 1, element 3",
         "a piezoelectric transducer bonded to the housing of the membrane."),
        ("claim 3, element 1",
         "A method of cleaning a filter, comprising backwashing the membrane with pulsed water."),
        # a dependent claim while there is room, without "The filter unit of claim 1,"
        ("claim 2, element 2", "wherein the transducer is driven at 40 kHz."),
    ]
    assert plan.as_claims and plan.claims == [1, 2, 3] and plan.skipped == []
    assert plan.element_count == 5
    assert engine.query_pieces(ENGLISH) == [text for _, text in labels(ENGLISH)]


def test_chinese_claims_with_either_numbering_and_full_width_digits_are_labelled_in_chinese():
    assert labels(CHINESE) == [
        ("权利要求1，要素1", "一种过滤装置，包括陶瓷膜和超声换能器，"),
        ("权利要求1，要素2", "其特征在于，所述换能器粘接在膜壳上。"),
        ("权利要求3，要素1", "一种清洁方法，包括："),
        ("权利要求3，要素2", "发出超声脉冲；"),
        ("权利要求3，要素3", "反冲洗所述膜。"),
        ("权利要求2，要素2", "其特征在于，所述膜被反冲洗。"),
    ]
    # "其特征在于：" alone is the cue the parser split on, not something to search for
    assert labels(FULL_WIDTH) == [
        ("权利要求1，要素1", "一种热管，包括密封管和烧结吸液芯，"),
        ("权利要求1，要素3", "吸液芯的孔隙率逐渐降低。"),
        ("权利要求2，要素2", "其中吸液芯是铜。"),
    ]


def test_over_the_limit_the_first_claim_is_kept_whole_then_the_claims_that_fit_whole():
    long_first = "1. A machine comprising: " + "; ".join(
        f"a part number {n}" for n in range(1, 11)) + ".\n2. A tool comprising a blade."
    three = ("1. A cup comprising: a body; a handle; and a lid.\n"
             "5. A saucer comprising: a plate; and a rim.\n"
             "6. The saucer of claim 5, wherein the rim is gilt.\n"
             "9. A kettle comprising: a spout; a base; a switch; and a lamp.")

    grouped = engine.query_plan(long_first)
    fitted = engine.query_plan(three)

    assert len(grouped.pieces) == engine.MAX_PIECES
    assert [p.label for p in grouped.pieces] == [
        "claim 1, elements 1–2", "claim 1, elements 3–4", "claim 1, elements 5–6",
        "claim 1, element 7", "claim 1, element 8", "claim 1, element 9",
        "claim 1, element 10", "claim 1, element 11"]
    assert [e for p in grouped.pieces for e in p.elements] == list(range(1, 12))
    assert "a part number 10" in grouped.pieces[-1].text
    assert grouped.claims == [1] and grouped.skipped == [2]
    assert [p.label for p in fitted.pieces] == [
        "claim 1, element 1", "claim 1, element 2", "claim 1, element 3",
        "claim 1, element 4", "claim 5, element 1", "claim 5, element 2",
        "claim 5, element 3", "claim 6, element 2"]
    assert fitted.claims == [1, 5, 6] and fitted.skipped == [9]


@pytest.mark.parametrize("text", [
    "ultrasonic cleaning of a ceramic membrane",
    "The pump has 3. stages. " * 80,  # long, and a number after a sentence end
    "1.5 mm thick membranes cleaned by ultrasound",  # a decimal, not a claim number
    "The device of claim 1, wherein the lid is glass.",  # no claim number of its own
])
def test_text_that_is_not_numbered_claims_is_cut_as_before(text):
    plan = engine.query_plan(text)

    flat = " ".join(text.split())
    lang = detect_lang(flat)
    before = ([flat] if len(flat) <= MAX_CHARS[lang]
              else [flat[a:b] for a, b in split_long(flat, lang)][:engine.MAX_PIECES])
    assert not plan.as_claims
    assert engine.query_pieces(text) == before
    assert all(piece.label == "" and piece.claim is None for piece in plan.pieces)


def test_each_passage_is_labelled_with_the_element_it_answers_on_the_web(client, indexed):
    publication = indexed(**FILTER)
    indexed(**GEARBOX)

    results = engine.search(CLAIMS)
    page = client.post("/search", {"q": CLAIMS}, follow=True)
    chinese = client.post("/search", {"q": CLAIMS}, HTTP_ACCEPT_LANGUAGE="zh-hans",
                          follow=True)

    first = results[0]
    assert first.number == publication.number
    by_text = {hit.text: hit.piece for hit in first.passages}
    assert by_text[FILTER["features"][0]] == 1  # "a ceramic membrane whose pores are …"
    assert by_text[FILTER["features"][1]] == 2  # "a piezoelectric transducer bonded …"
    html = page.content.decode()
    assert numbers(html)[0] == publication.number
    assert "Searched as claims: 4 elements of claims 1, 2." in html
    assert "dependent claims only while there is room" in html
    why = html.split('<details class="why">', 1)[1].split("</details>", 1)[0]
    assert ("Claim 1, element 2: <q>a ceramic membrane whose pores are cleared by ultrasonic "
            "pulses; and</q>") in why
    assert ("Claim 1, element 3: <q>a piezoelectric transducer bonded to the housing of the "
            "membrane.</q>") in why
    assert "Query piece" not in why
    html = chinese.content.decode()
    assert "按权利要求检索：权利要求1、2的 4 个要素。" in html
    assert "权利要求1，要素3: <q>a piezoelectric transducer" in html


def test_claims_in_chinese_name_their_elements_and_plain_queries_keep_query_pieces(
        client, indexed):
    indexed(**FILTER)

    chinese = client.get("/search", {"q": CHINESE}).content.decode()
    plain = client.get("/search", {"q": "ultrasonic cleaning of a ceramic membrane"})

    assert "Searched as claims: 6 elements of claims 1, 2, 3." in chinese
    assert re.search(r"Claim [13], element \d: <q>", chinese)
    html = plain.content.decode()
    assert "Searched as claims" not in html
    assert "Query piece 1: <q>ultrasonic cleaning of a ceramic membrane</q>" in html


def test_the_api_labels_each_passage_with_its_element(client, indexed):
    publication = indexed(**FILTER)
    indexed(**GEARBOX)

    claims = client.post("/api/v1/search", {"text": CLAIMS}, content_type="application/json",
                         REMOTE_ADDR="10.7.0.1")
    plain = client.get("/api/v1/search", {"text": "ultrasonic ceramic membrane"},
                       REMOTE_ADDR="10.7.0.2")
    similar = client.get(f"/api/v1/publications/{publication.number}/similar",
                         REMOTE_ADDR="10.7.0.3")

    assert claims.status_code == 200
    first = claims.json()["results"][0]
    assert first["number"] == publication.number
    pieces = {p["text"]: p["query_piece"] for p in first["passages"]}
    assert pieces[FILTER["features"][1]] == {
        "index": 2, "label": "claim 1, element 3",
        "text": "a piezoelectric transducer bonded to the housing of the membrane.",
        "claim": 1, "elements": [3]}
    assert pieces[FILTER["features"][0]]["label"] == "claim 1, element 2"
    for passage in first["passages"]:  # the fields there were before are all still there
        assert {"field", "ordinal", "lang", "start", "end", "text", "highlighted",
                "scores"} < set(passage)
    assert plain.status_code == 200
    passage = plain.json()["results"][0]["passages"][0]
    assert passage["query_piece"] == {"index": 0, "label": None,
                                      "text": "ultrasonic ceramic membrane", "claim": None,
                                      "elements": []}
    assert similar.status_code == 200
    assert all("query_piece" not in p for r in similar.json()["results"]
               for p in r["passages"])


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_claims_never_raise_and_give_sane_pieces(client, indexed, text):
    indexed(**FILTER)

    plan = engine.query_plan(text)
    web = client.post("/search", {"q": text}, follow=True)
    api = client.post("/api/v1/search", {"text": text}, content_type="application/json",
                      REMOTE_ADDR="10.7.1.1")

    assert len(text) <= 20_000
    assert 1 <= len(plan.pieces) <= engine.MAX_PIECES
    assert all(0 < len(p.text) <= MAX_CHARS[detect_lang(p.text)] for p in plan.pieces)
    assert web.status_code == 200 and api.status_code == 200
    for result in api.json()["results"]:
        for passage in result["passages"]:
            assert 0 <= passage["query_piece"]["index"] < len(plan.pieces)
