import re
from datetime import UTC, datetime, timedelta

import pytest

from search.services import publication_index

pytestmark = pytest.mark.django_db

MEMBRANE = dict(
    title_en="Ultrasonic self-cleaning ceramic filter membrane",
    title_zh="",
    abstract_en="A ceramic membrane whose pores are cleared by ultrasonic pulses.",
    abstract_zh="",
    features=[],
    description_en="",
    description_zh="",
)
HEAT_PIPE = dict(
    title_en="",
    title_zh="梯度孔隙热管吸液芯",
    abstract_en="",
    abstract_zh="一种烧结铜吸液芯，其孔隙率从冷凝段向蒸发段逐渐降低。",
    features=[],
    description_en="",
    description_zh="",
    ipc=["F28D 15/04"],
)
GEARBOX = dict(
    title_en="Helical gearbox with oil-mist lubrication",
    title_zh="",
    abstract_en="A gearbox whose helical gears are lubricated by an oil mist.",
    abstract_zh="",
    features=[],
    description_en="",
    description_zh="",
    ipc=["F16H 57/04"],
)


def numbers(html: str) -> list[str]:
    return re.findall(r'<a class="number" href="/p/(DP-\d{4}-\d{6})"', html)


@pytest.mark.parametrize(("language", "html_lang"), [("en", "en"), ("zh-hans", "zh-hans")])
def test_the_empty_page_explains_what_can_be_searched(client, language, html_lang):
    response = client.get("/search", HTTP_ACCEPT_LANGUAGE=language)

    html = response.content.decode()
    assert response.status_code == 200
    assert f'<html lang="{html_lang}">' in html
    assert 'class="search-help"' in html and "中文" in html
    assert '<textarea name="q"' in html and 'type="date"' in html
    assert 'hx-trigger="input changed delay:350ms, search' in html
    assert 'class="search-hit"' not in html


def test_a_query_finds_a_publication_with_highlights_and_htmx_gets_the_fragment(client, indexed):
    description = "## Background\nFouled membranes are cleaned by **ultrasonic** pulses."
    membrane = indexed(**{**MEMBRANE, "description_en": description}, ipc=["B01D 65/02"])
    indexed(**GEARBOX)

    page = client.get("/search", {"q": "ultrasonic cleaning of filter membranes"})
    fragment = client.get("/search", {"q": "ultrasonic membrane"}, HTTP_HX_REQUEST="true")
    restore = client.get(
        "/search",
        {"q": "ultrasonic membrane"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_HISTORY_RESTORE_REQUEST="true",
    )

    html = page.content.decode()
    assert page.status_code == 200
    assert numbers(html)[0] == membrane.number
    assert f'href="/p/{membrane.number}"' in html
    assert "<mark>ultrasonic</mark>" in html.lower()
    assert "Ultrasonic self-cleaning ceramic filter membrane" in html
    assert "B01D 65/02" in html and f"/search?like={membrane.number}" in html
    assert not re.search(r"fused|dense|lexical|\d\.\d{3}", html)  # no raw scores by default
    assert '<details class="why">' in html
    assert "Title" in html and "English" in html  # where each passage comes from
    assert "Description ¶1" in html and "Fouled <mark>membranes</mark>" in html
    assert "## Background" not in html and "**" not in html  # Markdown marks left out
    body = fragment.content.decode()
    assert fragment.status_code == 200 and "<html" not in body
    assert numbers(body)[0] == membrane.number
    assert fragment["HX-Push-Url"] == "/search?q=ultrasonic+membrane"
    assert "HX-Request" in fragment["Vary"]
    assert "<html" in restore.content.decode()  # htmx's history restore needs the whole page


def test_a_chinese_query_finds_the_chinese_publication(client, indexed):
    heat_pipe = indexed(**HEAT_PIPE)

    html = client.get("/search", {"q": "热管吸液芯"}).content.decode()

    assert numbers(html)[0] == heat_pipe.number
    assert "<mark>热管</mark>" in html and "梯度孔隙热管吸液芯" in html


def test_before_excludes_a_later_publication_and_stays_in_the_form(client, publish):
    early = publish(**MEMBRANE, at=datetime(2025, 3, 1, tzinfo=UTC))
    late = publish(**MEMBRANE, at=datetime(2025, 3, 20, tzinfo=UTC))
    for publication in (early, late):
        publication_index(publication_id=publication.pk)

    html = client.get("/search", {"q": "ceramic membrane", "before": "2025-03-20"}).content.decode()

    assert numbers(html) == [early.number]
    assert 'value="2025-03-20"' in html


def test_filters_by_classification_and_language(client, indexed):
    membrane = indexed(**MEMBRANE, ipc=["B01D 65/02"])
    gearbox = indexed(**GEARBOX)

    by_ipc = client.get("/search", {"q": "membrane gearbox", "ipc": "f16h"}).content.decode()
    chinese = client.get("/search", {"q": "membrane", "lang": "zh"}).content.decode()

    assert numbers(by_ipc) == [gearbox.number]
    assert 'value="f16h"' in by_ipc  # kept as typed
    assert membrane.number not in numbers(chinese)


@pytest.mark.parametrize("headers", [{}, {"HTTP_HX_REQUEST": "true"}])
def test_bad_input_shows_field_errors_not_a_server_error(client, headers):
    bad_date = client.get("/search", {"q": "pump", "before": "2025-13-45"}, **headers)
    bad_ipc = client.get("/search", {"q": "pump", "ipc": "H04L%'; --"}, **headers)
    too_long = client.get("/search", {"q": "x" * 20_001}, **headers)

    for response in (bad_date, bad_ipc, too_long):
        assert response.status_code in (200, 400)
    assert "Enter a date as YYYY-MM-DD" in bad_date.content.decode()
    assert "Use only letters, digits, spaces" in bad_ipc.content.decode()
    long_html = too_long.content.decode()
    assert "The query has 20,001 characters; the limit is 20,000." in long_html
    assert 'id="q_errors"' in long_html  # next to the query box (out of band for htmx)


def test_more_like_this_shows_similar_publications_but_not_the_publication(client, indexed):
    first = indexed(**MEMBRANE)
    second = indexed(**{**MEMBRANE, "title_en": "Ceramic filter membrane cleaned by ultrasound"})

    response = client.get("/search", {"like": first.number.lower()})
    unknown = client.get("/search", {"like": "DP-1999-000001"})
    unknown_htmx = client.get("/search", {"like": "DP-1999-000001"}, HTTP_HX_REQUEST="true")
    malformed = client.get("/search", {"like": "nonsense"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "Publications like" in html and f'href="/p/{first.number}"' in html
    assert second.number in numbers(html) and first.number not in numbers(html)
    assert unknown.status_code == 404
    assert "There is no publication DP-1999-000001" in unknown.content.decode()
    assert unknown_htmx.status_code == 200  # htmx would not swap a 404 in
    assert "There is no publication DP-1999-000001" in unknown_htmx.content.decode()
    assert malformed.status_code == 200
    assert "not a publication number" in malformed.content.decode()


def test_pagination_keeps_the_filters_and_shows_the_rest_on_page_two(client, publish):
    start = datetime(2025, 1, 1, tzinfo=UTC)
    publications = [publish(**MEMBRANE, at=start + timedelta(days=i)) for i in range(25)]
    for publication in publications:
        publication_index(publication_id=publication.pk)
    query = {"q": "ceramic membrane", "before": "2026-01-01"}

    first = client.get("/search", query).content.decode()
    second = client.get("/search", {**query, "page": "2"}).content.decode()

    assert len(numbers(first)) == 20
    assert 'rel="next"' in first and "before=2026-01-01" in first and 'rel="prev"' not in first
    assert len(numbers(second)) == 5 and 'rel="prev"' in second and 'rel="next"' not in second
    assert set(numbers(first)) | set(numbers(second)) == {p.number for p in publications}


def test_a_result_page_links_to_citation_exports_of_the_same_search(client, indexed):
    membrane = indexed(**MEMBRANE, ipc=["B01D 65/02"])
    indexed(**GEARBOX)

    html = client.get("/search", {"q": "ceramic membrane", "ipc": "B01D"}).content.decode()
    ris_url = re.search(r'<a href="(/search/export\.ris\?[^"]+)">RIS</a>', html).group(1)
    ris = client.get(ris_url.replace("&amp;", "&"), REMOTE_ADDR="10.3.0.1").content.decode()

    assert "ipc=B01D" in ris_url
    assert f"SN  - {membrane.number}" in ris
    assert "Helical gearbox" not in ris  # the IPC filter came along
