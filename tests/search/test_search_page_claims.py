"""The web search as examiners use it (issue 13): whole claims pasted in and answered with a
short permanent URL, results explained without raw scores, only meaningful words marked, and
a record's declared source date shown and usable as a filter."""

import importlib
import re
from datetime import UTC, date, datetime

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client
from django.utils import translation

from search import engine
from search.explain import explanation
from search.forms import SearchForm
from search.highlight import mark
from search.models import Passage, PassageVector, SavedQuery
from search.services import publication_index
from tests.search.test_search_page import GEARBOX, HEAT_PIPE, MEMBRANE, numbers

pytestmark = pytest.mark.django_db

SAVED_URL = re.compile(r"^/search/q/[0-9a-z]{12}$")
CLAIM = ("{n}. A filter unit comprising a ceramic membrane whose pores are cleared by "
         "ultrasonic pulses from a transducer bonded to the membrane housing, wherein the "
         "pulse frequency is between {low} and {high} kHz and the membrane is backwashed. ")


def claim_set(length: int) -> str:
    """Numbered claims about the ultrasonic membrane, `length` characters long."""
    claims, n = [], 1
    while sum(map(len, claims)) < length:
        claims.append(CLAIM.format(n=n, low=20 + n, high=40 + n))
        n += 1
    return "".join(claims)[:length]


def test_pasted_claims_of_15000_characters_get_a_short_url_and_a_result_page(client, indexed):
    membrane = indexed(**MEMBRANE)
    indexed(**GEARBOX)
    claims = claim_set(15_000)

    posted = client.post("/search", {"q": claims})
    again = client.post("/search", {"q": claims})  # the same claims: the same saved query
    filtered = client.post("/search", {"q": claims, "ipc": "b01d"})
    htmx = client.post("/search", {"q": claims}, HTTP_HX_REQUEST="true")
    page = client.get(posted["Location"])
    later = client.get(posted["Location"], {"page": "2"})

    assert len(claims) == 15_000
    assert posted.status_code == 302 and SAVED_URL.match(posted["Location"])
    assert again["Location"] == posted["Location"]
    assert SAVED_URL.match(filtered["Location"]) and filtered["Location"] != posted["Location"]
    assert SavedQuery.objects.count() == 2
    html = page.content.decode()
    assert page.status_code == 200 and page["X-Robots-Tag"] == "noindex"
    assert numbers(html)[0] == membrane.number
    assert claims[:200] in html  # the form shows the saved claims, to refine them
    assert htmx.status_code == 200 and "<html" not in htmx.content.decode()
    assert htmx["HX-Push-Url"] == posted["Location"]
    assert membrane.number in numbers(htmx.content.decode())
    assert later.status_code == 200 and "No more results." in later.content.decode()
    assert f'href="{posted["Location"]}" rel="prev"' in later.content.decode()


def test_a_short_posted_query_goes_to_its_plain_url_and_saves_nothing(client, indexed):
    membrane = indexed(**MEMBRANE)

    posted = client.post("/search", {"q": "ultrasonic membrane", "ipc": "b01d", "lang": "",
                                     "before": "2027-01-01", "date_field": "source"})
    page = client.get(posted["Location"])

    assert posted.status_code == 302
    assert posted["Location"] == ("/search?q=ultrasonic+membrane&before=2027-01-01&ipc=B01D"
                                  "&date_field=source")
    assert SavedQuery.objects.count() == 0
    assert numbers(page.content.decode()) == [membrane.number]
    assert '<option value="source" selected>' in page.content.decode()


@pytest.mark.parametrize(("language", "message"), [
    ("en", "There is no saved search at this address."),
    ("zh-hans", "此地址没有保存的检索"),
])
def test_an_unknown_or_malformed_saved_query_is_a_404(client, language, message):
    unknown = client.get("/search/q/zzzzzzzzzzzz", HTTP_ACCEPT_LANGUAGE=language)
    unknown_htmx = client.get("/search/q/zzzzzzzzzzzz", HTTP_HX_REQUEST="true")
    malformed = client.get("/search/q/" + "A%27;--" * 300)

    assert unknown.status_code == 404 and message in unknown.content.decode()
    assert unknown_htmx.status_code == 200  # htmx would not swap a 404 in
    assert "There is no saved search" in unknown_htmx.content.decode()
    assert malformed.status_code == 404


@pytest.mark.parametrize("headers", [{}, {"HTTP_HX_REQUEST": "true"}])
def test_hostile_posts_get_form_errors_and_save_nothing(client, headers):
    huge = client.post("/search", {"q": "膜" * 20_001}, **headers)
    huge_zh = client.post("/search", {"q": "x" * 100_000}, HTTP_ACCEPT_LANGUAGE="zh-hans",
                          **headers)
    bad_field = client.post("/search", {"q": "pump", "date_field": "priority"}, **headers)
    bad_date = client.post("/search", {"q": "pump", "before": "2025-13-45"}, **headers)
    bad_ipc = client.post("/search", {"q": "pump", "ipc": "H04L%'; --"}, **headers)
    wrong_method = client.put("/search", "q=pump", content_type="application/x-www-form-urlencoded")

    for response in (huge, huge_zh, bad_field, bad_date, bad_ipc):
        assert response.status_code == 200
    assert "The query has 20,001 characters; the limit is 20,000." in huge.content.decode()
    assert "100,000" in huge_zh.content.decode() and "20,000" in huge_zh.content.decode()
    assert "The query has" not in huge_zh.content.decode()  # said in Chinese
    assert "Select a valid choice" in bad_field.content.decode()
    assert "Enter a date as YYYY-MM-DD" in bad_date.content.decode()
    assert "Use only letters, digits, spaces" in bad_ipc.content.decode()
    assert wrong_method.status_code == 405
    assert SavedQuery.objects.count() == 0


def test_a_post_without_the_csrf_token_is_refused(indexed):
    strict = Client(enforce_csrf_checks=True)

    response = strict.post("/search", {"q": claim_set(5_000)})

    assert response.status_code == 403
    assert SavedQuery.objects.count() == 0


def test_the_why_disclosure_shows_what_the_engine_found_and_no_raw_scores(client, indexed):
    indexed(**MEMBRANE)
    indexed(**{**MEMBRANE, "title_en": "Ultrasonic backwash of a ceramic membrane",
               "title_zh": "陶瓷膜的超声反冲洗"})
    query = "ultrasonic cleaning of a ceramic membrane"

    html = client.get("/search", {"q": query}).content.decode()
    results = engine.search(query, limit=20)

    hits = re.findall(r'<li class="search-hit">.*?</li>\s*(?=<li class="search-hit">|</ol>)',
                      html, re.S)
    assert [r.number for r in results] == numbers(html) and len(hits) == len(results)
    for result, hit in zip(results, hits, strict=True):
        assert not re.search(r"fused|dense|lexical", hit)
        why = hit.split('<details class="why">', 1)[1]
        assert "<summary>Why this result</summary>" in why
        assert f"Query piece 1: <q>{query}</q>" in why
        assert why.count("<li>") == len(result.passages)  # each shown passage, explained
        found = set().union(*(p.found_by for p in result.passages))
        for name in ("semantic", "keyword", "translation"):
            assert (f"retriever-{name}" in why) == (name in found)
        if result.matched_lang:
            assert "Best match in" in why


def test_the_why_disclosure_names_the_retrievers_and_pieces_in_chinese(indexed):
    publication = indexed(**HEAT_PIPE)
    passage = Passage.objects.filter(publication=publication, field="abstract").get()
    hit = engine.PassageHit(id=passage.pk, field="abstract", lang="zh", ordinal=0,
                            text=passage.text, start=0, end=len(passage.text),
                            found_by={"translation", "semantic"}, piece=1)
    result = engine.Result(number=publication.number, title=publication.record["title"],
                           published_at=publication.published_at, organisation="Org",
                           ipc=[], fused=0.5, dense=0.9, lexical=3.0, passages=[hit],
                           matched_lang="zh")
    pieces = ["first claim about a heat pipe", "second claim about a sintered wick"]

    with translation.override("zh-hans"):
        html = render_to_string("search/_results.html", {
            "form": SearchForm(), "results": [(result, explanation(result=result,
                                                                   pieces=pieces))],
            "first": 1, "last": 1, "exports": {}})

    assert "为何命中" in html and "最佳匹配在中文文本中" in html
    assert "检索片段 2: <q>second claim about a sintered wick</q>" in html
    assert html.index("retriever-semantic") < html.index("retriever-translation")
    assert "语义检索" in html and "翻译后的查询词" in html
    assert "retriever-keyword" not in html


def test_stop_words_are_not_highlighted_in_english_or_chinese(client, indexed):
    indexed(**MEMBRANE)
    indexed(**HEAT_PIPE)

    english = client.get("/search", {"q": "the cleaning of a ceramic membrane is with pulses"})
    chinese = client.get("/search", {"q": "一种梯度孔隙的热管吸液芯，所述吸液芯是烧结铜"})

    html = english.content.decode().lower()
    assert "<mark>ceramic</mark>" in html and "<mark>membrane</mark>" in html
    for word in ("the", "of", "a", "is", "with"):
        assert f"<mark>{word}</mark>" not in html
    html = chinese.content.decode()
    assert "<mark>热管</mark>" in html and "<mark>烧结</mark>" in html
    for word in ("一种", "所述", "的", "是"):
        assert f"<mark>{word}</mark>" not in html
    assert mark("A pump and a valve for the tank", ["pump and valve for the tank"], "en") == (
        "A <mark>pump</mark> and a <mark>valve</mark> for the <mark>tank</mark>")
    assert mark("一种泵和阀门，所述泵在水箱中", ["一种泵和阀门所述水箱"], "zh") == (
        "一种泵和<mark>阀门</mark>，所述泵在<mark>水箱</mark>中")


@pytest.mark.parametrize(("language", "says"), [
    ("en", "the ledger proves only the DefPub date"),
    ("zh-hans", "账本只证明 DefPub 日期"),
])
def test_a_declared_source_and_its_date_are_shown_beside_the_defpub_date(
        client, indexed, language, says):
    indexed(**MEMBRANE, source="Bhavaprakasha, ch. 3", source_date=date(1600, 1, 1))

    html = client.get("/search", {"q": "ceramic membrane"},
                      HTTP_ACCEPT_LANGUAGE=language).content.decode()

    assert "Bhavaprakasha, ch. 3" in html and '<time datetime="1600-01-01">' in html
    assert says in html
    assert '<time datetime="2026-06-01T00:00:00+00:00">2026-06-01</time>' in html


def test_the_date_filter_applies_to_the_declared_source_date_on_request(client, publish):
    old_source = publish(**MEMBRANE, source="Old catalogue", source_date=date(1600, 1, 1),
                         at=datetime(2026, 6, 1, tzinfo=UTC))
    no_source = publish(**MEMBRANE, at=datetime(2025, 3, 1, tzinfo=UTC))
    recent_source = publish(**MEMBRANE, source="Trade fair", source_date=date(2010, 5, 5),
                            at=datetime(2026, 6, 1, tzinfo=UTC))
    for publication in (old_source, no_source, recent_source):
        publication_index(publication_id=publication.pk)

    def found(**params) -> set[str]:
        html = client.get("/search", {"q": "ceramic membrane", **params}).content.decode()
        return set(numbers(html))

    assert found(before="2000-01-01") == set()  # by default: the DefPub date
    assert found(before="2000-01-01", date_field="source") == {old_source.number}
    assert found(before="2025-06-01") == {no_source.number}
    assert found(before="2025-06-01", date_field="source") == {
        old_source.number, no_source.number, recent_source.number}
    assert found(before="2010-05-05", date_field="source") == {old_source.number}
    assert set(PassageVector.objects.filter(publication=old_source)
               .values_list("source_date", flat=True)) == {date(1600, 1, 1)}
    assert set(Passage.objects.filter(publication=no_source)
               .values_list("source_date", flat=True)) == {None}


def test_the_migration_copies_source_dates_to_passages_indexed_before_it(indexed):
    old_source = indexed(**MEMBRANE, source_date=date(1600, 1, 1))
    no_source = indexed(**MEMBRANE)
    Passage.objects.update(source_date=None)  # as indexed before the column existed
    PassageVector.objects.update(source_date=None)
    migration = importlib.import_module("search.migrations.0006_saved_query_source_date")

    with connection.cursor() as cursor:
        for statement in migration.BACKFILL:
            cursor.execute(statement)

    for rows in (Passage.objects, PassageVector.objects):
        assert set(rows.filter(publication=old_source)
                   .values_list("source_date", flat=True)) == {date(1600, 1, 1)}
        assert set(rows.filter(publication=no_source)
                   .values_list("source_date", flat=True)) == {None}
