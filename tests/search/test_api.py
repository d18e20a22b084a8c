"""The examiner API, through Django's test client against the real database and Valkey."""

import csv
import hashlib
import io
import json
from datetime import UTC, datetime
from unittest import mock

import pytest
import redis
import rfc8785

from defpub.examiners.services import api_key_issue, api_key_revoke
from defpub.models import ApiKeyUsage
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_quotas")]

HEAT_PIPE = dict(
    title_en="", title_zh="梯度孔隙热管吸液芯", abstract_en="",
    abstract_zh="一种烧结铜吸液芯，其孔隙率从冷凝段向蒸发段逐渐降低。",
    features=[], description_en="", description_zh="", ipc=["F28D 15/04"],
)
GEARBOX = dict(
    title_en="Helical gearbox with oil-mist lubrication", title_zh="",
    abstract_en="A gearbox whose helical gears are lubricated by an oil mist.", abstract_zh="",
    features=[], description_en="", description_zh="", ipc=["F16H 57/04"],
)
PROBLEM = "application/problem+json"


@pytest.fixture
def key():
    """An examiner's plain API key (the database holds only its hash)."""
    _row, plain = api_key_issue(owner=UserFactory(), office="EPO", name="tests")
    return plain


def test_an_english_query_finds_a_chinese_publication_with_passages_and_scores(client,
                                                                                indexed):
    heat_pipe = indexed(**HEAT_PIPE)
    indexed(**GEARBOX)

    response = client.get("/api/v1/search",
                          {"text": "sintered copper wick with a porosity gradient"},
                          REMOTE_ADDR="10.1.0.1")

    body = response.json()
    assert response.status_code == 200
    first = body["results"][0]
    assert first["number"] == heat_pipe.number
    assert first["rank"] == 1
    assert first["title"] == {"zh": "梯度孔隙热管吸液芯"}
    assert first["url"].endswith(f"/p/{heat_pipe.number}")
    assert first["published_at"].endswith("Z")
    assert first["scores"]["fused"] > 0 and first["scores"]["dense"] is not None
    passage = first["passages"][0]
    assert passage["lang"] == "zh"
    assert passage["end"] - passage["start"] == len(passage["text"])
    assert "<mark>" in "".join(p["highlighted"] for p in first["passages"])
    assert response["RateLimit-Policy"].startswith('"anonymous";q=')


def test_post_takes_whole_claims_and_the_before_cut_off_is_strict(client, publish, indexed):
    early = indexed(**GEARBOX, at=datetime(2024, 5, 1, tzinfo=UTC))
    indexed(**{**GEARBOX, "title_en": "Helical gearbox, improved"},
            at=datetime(2025, 5, 1, tzinfo=UTC))
    claims = ("1. A gearbox comprising helical gears, wherein the gears are lubricated by an "
              "oil mist produced by a nozzle. " * 40)

    response = client.post("/api/v1/search", {"text": claims, "before": "2025-05-01"},
                           content_type="application/json", REMOTE_ADDR="10.1.0.2")

    assert response.status_code == 200
    assert [r["number"] for r in response.json()["results"]] == [early.number]


def test_bad_parameters_get_a_problem_naming_each_field(client):
    response = client.get("/api/v1/search", {"limit": "500", "before": "yesterday",
                                             "ipc": "H04L%"}, REMOTE_ADDR="10.1.0.3")

    body = response.json()
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    assert body["status"] == 400 and body["title"] == "Bad Request"
    assert set(body["errors"]) == {"text", "limit", "before", "ipc"}


@pytest.mark.parametrize("payload", ['{"text": ', '["a list"]', '{"text": "\\ud800"}'])
def test_a_malformed_body_is_a_400_problem(client, payload):
    response = client.post("/api/v1/search", payload, content_type="application/json",
                           REMOTE_ADDR="10.1.0.4")

    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM


def test_the_cursor_pages_through_results_and_belongs_to_its_query(client, indexed):
    for n in range(3):
        indexed(**{**GEARBOX, "title_en": f"Helical gearbox with oil-mist lubrication {n}"})
    query = {"text": "helical gearbox oil mist", "limit": 2}

    first = client.get("/api/v1/search", query, REMOTE_ADDR="10.1.0.5").json()
    second = client.get(first["next"], REMOTE_ADDR="10.1.0.5").json()
    other = client.get("/api/v1/search", {**query, "text": "gearbox",
                                          "cursor": first["next_cursor"]},
                       REMOTE_ADDR="10.1.0.5")
    forged = client.get("/api/v1/search", {**query, "cursor": "abc:def"},
                        REMOTE_ADDR="10.1.0.5")

    numbers = [r["number"] for r in first["results"] + second["results"]]
    assert len(numbers) == 3 and len(set(numbers)) == 3
    assert [r["rank"] for r in second["results"]] == [3]
    assert second["next_cursor"] is None and second["next"] is None
    # A cursor names a page; one from another query, or made up, names none (DRF's own
    # CursorPagination answers 404 too), and the schema cannot tell a made-up one apart.
    assert other.status_code == 404 and "another query" in other.json()["detail"]
    assert forged.status_code == 404 and forged["Content-Type"] == PROBLEM


def test_a_publication_comes_with_its_record_digest_proof_and_citation(client, publish):
    publication = publish(**GEARBOX)

    response = client.get(f"/api/v1/publications/{publication.number.lower()}",
                          REMOTE_ADDR="10.1.0.6")

    body = response.json()
    assert response.status_code == 200
    assert body["number"] == publication.number
    assert body["digest"]["value"] == hashlib.sha256(rfc8785.dumps(body["record"])).hexdigest()
    assert body["ledger"]["leaf_index"] == publication.leaf_index
    assert publication.number in body["citation"] and body["digest"]["value"] in body["citation"]


def test_similar_leaves_the_publication_out_and_unknown_numbers_are_404_problems(client,
                                                                                indexed):
    gearbox = indexed(**GEARBOX)
    twin = indexed(**{**GEARBOX, "title_en": "Oil-mist lubricated helical gear train"})

    similar = client.get(f"/api/v1/publications/{gearbox.number}/similar",
                         REMOTE_ADDR="10.1.0.7")
    missing = client.get("/api/v1/publications/DP-1999-000001/similar", REMOTE_ADDR="10.1.0.7")

    numbers = [r["number"] for r in similar.json()["results"]]
    assert numbers[0] == twin.number and gearbox.number not in numbers
    assert missing.status_code == 404 and missing["Content-Type"] == PROBLEM


def test_citations_export_as_ris_bibtex_and_csv(client, publish, indexed):
    publication = publish(**{**GEARBOX, "title_en": "=HYPERLINK(\"x\") gearbox {50%}"})
    indexed(**HEAT_PIPE)

    ris = client.get(f"/api/v1/publications/{publication.number}", {"format": "ris"},
                     REMOTE_ADDR="10.1.0.8")
    bib = client.get(f"/api/v1/publications/{publication.number}", {"format": "bibtex"},
                     REMOTE_ADDR="10.1.0.8")
    results = client.get("/api/v1/search", {"text": "热管", "format": "csv"},
                         REMOTE_ADDR="10.1.0.8")

    assert ris["Content-Type"].startswith("application/x-research-info-systems")
    lines = ris.content.decode().split("\r\n")
    assert lines[0] == "TY  - RPRT" and f"SN  - {publication.number}" in lines
    assert f"N1  - SHA-256: {publication.digest}" in lines and "ER  - " in lines
    assert any(line.startswith("UR  - http") and publication.number in line for line in lines)
    text = bib.content.decode()
    assert text.startswith(f"@techreport{{{publication.number.replace('-', '')},")
    assert r"\{50\%\}" in text and f"number = {{{publication.number}}}" in text
    rows = list(csv.DictReader(io.StringIO(results.content.decode())))
    assert results["Content-Disposition"] == 'attachment; filename="defpub-results.csv"'
    assert rows[0]["rank"] == "1" and rows[0]["title_zh"] == "梯度孔隙热管吸液芯"
    assert len(rows[0]["sha256"]) == 64


def test_a_spreadsheet_formula_in_a_title_is_quoted_in_csv(client, publish):
    publication = publish(**{**GEARBOX, "title_en": "=HYPERLINK(\"http://x\")"})

    response = client.get(f"/api/v1/publications/{publication.number}", {"format": "csv"},
                          REMOTE_ADDR="10.1.0.9")

    row = next(csv.DictReader(io.StringIO(response.content.decode())))
    assert row["title_en"] == "'=HYPERLINK(\"http://x\")"


def test_an_unknown_format_is_a_400_problem_not_a_404(client, publish):
    publication = publish(**GEARBOX)

    response = client.get(f"/api/v1/publications/{publication.number}", {"format": "xml"},
                          REMOTE_ADDR="10.1.0.10")

    assert response.status_code == 400 and response["Content-Type"] == PROBLEM
    assert "ris" in response.json()["errors"]["format"][0]


@pytest.mark.parametrize(("method", "path", "status"), [
    ("get", "/api/v1/nothing-here", 404),
    ("delete", "/api/v1/search", 405),
    ("post", "/api/v1/publications/DP-2026-000001", 405),
])
def test_errors_on_the_api_are_problems_never_html(client, method, path, status):
    response = getattr(client, method)(path, REMOTE_ADDR="10.1.0.11")

    assert response.status_code == status
    assert response["Content-Type"] == PROBLEM
    assert response.json()["status"] == status


def test_a_crash_is_a_500_problem(client):
    client.raise_request_exception = False
    with mock.patch("search.engine.search", side_effect=RuntimeError("injected fault")):
        response = client.get("/api/v1/search", {"text": "gearbox"}, REMOTE_ADDR="10.1.0.12")

    assert response.status_code == 500
    assert response["Content-Type"] == PROBLEM
    assert "injected" not in response.content.decode()


def test_a_key_gets_its_own_quota_and_its_use_is_counted(client, key, publish):
    publication = publish(**GEARBOX)

    for _ in range(3):
        response = client.get(f"/api/v1/publications/{publication.number}",
                              HTTP_AUTHORIZATION=f"Api-Key {key}")

    assert response.status_code == 200
    assert response["RateLimit-Policy"] == '"key";q=600;w=60'
    assert response["RateLimit"].startswith('"key";r=597;t=')
    usage = ApiKeyUsage.objects.get()
    assert (usage.served, usage.refused) == (3, 0)


def test_a_key_over_its_limit_gets_429_with_retry_after(client, publish):
    row, key = api_key_issue(owner=UserFactory(), office="CNIPA", name="small",
                             rate_per_minute=2)
    publication = publish(**GEARBOX)

    statuses = [client.get(f"/api/v1/publications/{publication.number}",
                           HTTP_AUTHORIZATION=f"Api-Key {key}") for _ in range(3)]

    assert [r.status_code for r in statuses] == [200, 200, 429]
    refused = statuses[-1]
    assert refused["Content-Type"] == PROBLEM
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert refused["RateLimit"].startswith('"key";r=0;')
    usage = ApiKeyUsage.objects.get(key=row)
    assert (usage.served, usage.refused) == (2, 1)


def test_anonymous_callers_are_limited_per_address(client, settings, publish):
    settings.API_RATE_ANONYMOUS = 2
    publication = publish(**GEARBOX)
    url = f"/api/v1/publications/{publication.number}"

    first = [client.get(url, REMOTE_ADDR="10.2.0.1").status_code for _ in range(3)]
    other = client.get(url, REMOTE_ADDR="10.2.0.2").status_code

    assert first == [200, 200, 429]
    assert other == 200


@pytest.mark.parametrize("header", ["Api-Key nope.nope", "Bearer abc", "Api-Key "])
def test_a_wrong_key_is_refused_with_401_not_served_anonymously(client, header):
    response = client.get("/api/v1/search", {"text": "gearbox"}, HTTP_AUTHORIZATION=header)

    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM
    assert response["WWW-Authenticate"].startswith("Api-Key")


def test_a_revoked_key_is_refused_on_its_next_request(client, publish):
    row, key = api_key_issue(owner=UserFactory(), office="USPTO", name="soon revoked")
    publication = publish(**GEARBOX)
    url = f"/api/v1/publications/{publication.number}"
    before = client.get(url, HTTP_AUTHORIZATION=f"Api-Key {key}")

    api_key_revoke(key=row, by=row.owner)
    after = client.get(url, HTTP_AUTHORIZATION=f"Api-Key {key}")

    assert before.status_code == 200
    assert after.status_code == 401
    assert json.loads(after.content)["detail"] == "This API key is unknown or was revoked."


def test_when_the_quota_counter_is_down_the_api_still_serves(client, publish):
    publication = publish(**GEARBOX)
    broken = mock.Mock(side_effect=redis.ConnectionError("injected: Valkey is down"))

    with mock.patch("defpub.examiners.quotas._script", return_value=broken):
        response = client.get(f"/api/v1/publications/{publication.number}",
                              REMOTE_ADDR="10.1.0.13")

    assert response.status_code == 200
    assert "RateLimit" not in response


def test_text_longer_than_the_limit_is_refused_even_with_surrounding_spaces(client):
    response = client.post("/api/v1/search", {"text": "\t" + "a" * 20_000},
                           content_type="application/json", REMOTE_ADDR="10.1.0.14")

    assert response.status_code == 400 and "text" in response.json()["errors"]
