"""What the API answers to what it cannot take: bodies nested too deep, numbers too long,
bytes that are not UTF-8, bodies too large, URLs too long for a GET, parameters given twice.
Each is a 4xx problem+json the schema documents, never a 500 or a web server's bare page."""

import json
import urllib.error
import urllib.request

import pytest

from defpub.machine_api import MAX_URI_BYTES
from search.api.serializers import MAX_GET_TEXT

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_quotas")]
PROBLEM = "application/problem+json"
NESTED = '{"text": "gearbox", "ipc": ' + "[" * 100_000 + "]" * 100_000 + "}"


def post(client, body: str | bytes, content_type: str = "application/json"):
    return client.post("/api/v1/search", body, content_type=content_type,
                       REMOTE_ADDR="10.2.0.1")


@pytest.mark.parametrize(("body", "says"), [
    (NESTED, "levels deep"),  # was a RecursionError: 500
    ('{"text": "gearbox", "ipc": ' + "[" * 21 + "]" * 21 + "}", "levels deep"),
    ('{"text": "gearbox", "limit": 1e999999}', "too large"),
    ('{"text": "gearbox", "limit": ' + "9" * 100_000 + "}", "longer than"),
    ('{"text": "gearbox", "limit": NaN}', "not JSON"),
    (b'{"text": "gear\xff\xfebox"}', "UTF-8"),
    ('{"text": "gearbox"', "not valid JSON"),
])
def test_a_bad_json_body_is_a_400_problem_saying_what_is_wrong(client, body, says):
    response = post(client, body)

    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    assert says in response.json()["detail"]


def test_a_body_over_a_mebibyte_is_a_413_and_a_form_is_a_415(client):
    large = post(client, json.dumps({"text": "gearbox", "pad": "x" * 1_100_000}))
    form = post(client, "text=gearbox", content_type="application/x-www-form-urlencoded")

    assert large.status_code == 413 and large["Content-Type"] == PROBLEM
    assert form.status_code == 415 and form["Content-Type"] == PROBLEM


def test_a_get_too_long_for_a_url_is_a_414_problem_pointing_to_post(client):
    response = client.get("/api/v1/search", {"text": "claim " * 2_000}, REMOTE_ADDR="10.2.0.2")

    assert response.status_code == 414
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == 414 and "POST /api/v1/search" in body["detail"]


def test_any_get_within_the_parameters_limits_fits_in_the_url(client, indexed):
    from tests.search.test_api import GEARBOX

    indexed(**GEARBOX)
    widest = "😀" * MAX_GET_TEXT  # 12 bytes a character once percent-encoded
    response = client.get("/api/v1/search", {
        "text": widest, "ipc": "////////////////", "lang": "zh", "limit": "100",
        "before": "2030-01-01", "format": "bibtex"}, REMOTE_ADDR="10.2.0.3")
    longer = client.get("/api/v1/search", {"text": "a" * (MAX_GET_TEXT + 1)},
                        REMOTE_ADDR="10.2.0.3")

    assert response.status_code == 200
    assert longer.status_code == 400 and "POST" in longer.json()["errors"]["text"][0]


def test_a_parameter_given_twice_is_refused_not_half_read(client):
    response = client.get("/api/v1/search?text=gearbox&limit=500&limit=5",
                          REMOTE_ADDR="10.2.0.4")
    formats = client.get("/api/v1/search?text=gearbox&format=ris&format=json",
                         REMOTE_ADDR="10.2.0.4")

    assert response.status_code == 400 and "once" in response.json()["errors"]["limit"][0]
    assert formats.status_code == 400 and "once" in formats.json()["errors"]["format"][0]


def call(url: str, data: bytes | None = None) -> tuple[int, str, dict]:
    request = urllib.request.Request(url, data=data,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.headers["Content-Type"], json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], json.load(error)


@pytest.mark.slow
def test_through_the_web_server_long_gets_and_deep_bodies_get_problems(api_server):
    from urllib.parse import quote

    claims = quote("一种烧结铜吸液芯，其孔隙率从冷凝段向蒸发段逐渐降低。" * 400)  # ~100 kB URL
    english = quote("A gearbox whose helical gears are lubricated by an oil mist. " * 170)

    long_chinese = call(f"{api_server.url}/api/v1/search?text={claims}")
    long_english = call(f"{api_server.url}/api/v1/search?text={english}")
    deep = call(f"{api_server.url}/api/v1/search", NESTED.encode())

    for status, content_type, body in (long_chinese, long_english):
        assert (status, content_type) == (414, PROBLEM), body
        assert body["status"] == 414 and "POST" in body["detail"]
    assert len(english) > MAX_URI_BYTES
    assert deep[:2] == (400, PROBLEM) and "levels deep" in deep[2]["detail"]
