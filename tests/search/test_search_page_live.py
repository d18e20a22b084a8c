"""Whole claims pasted into the web search, through the real web server (gunicorn): a GET
that long never reaches Django (414), the POSTed form gets a result page at a short URL."""

import re
import urllib.error
import urllib.parse
import urllib.request

import pytest

from search.services import publication_index
from tests.search.test_search_page import MEMBRANE, numbers
from tests.search.test_search_page_claims import SAVED_URL, claim_set

pytestmark = pytest.mark.slow


@pytest.fixture
def patient_workers(monkeypatch):
    """A fresh worker loads the models on its first search: on a busy machine that outlasts
    gunicorn's 30 s worker timeout, which is not what this test is about."""
    monkeypatch.setenv("GUNICORN_CMD_ARGS", "--timeout 600")


def test_15000_pasted_characters_through_gunicorn_get_a_short_url_with_results(
        patient_workers, api_server, publish):
    membrane = publish(**MEMBRANE)
    publication_index(publication_id=membrane.pk)
    claims = claim_set(15_000)

    with urllib.request.urlopen(f"{api_server.url}/search", timeout=60) as form_page:
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"',
                          form_page.read().decode()).group(1)
        # (sent by hand: the test server's cookie is marked Secure, and this is plain HTTP)
        cookie = re.search(r"csrftoken=[^;]+", form_page.headers["Set-Cookie"]).group()
    body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "q": claims}).encode()
    post = urllib.request.Request(f"{api_server.url}/search", data=body,
                                  headers={"Cookie": cookie})
    with urllib.request.urlopen(post, timeout=600) as result_page:
        url, html = result_page.geturl(), result_page.read().decode()

    path = urllib.parse.urlsplit(url).path
    assert SAVED_URL.match(path) and len(url) < 60  # the redirect was followed
    assert numbers(html)[0] == membrane.number
