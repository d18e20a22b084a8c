"""Whole claims pasted into the web search, through the real web server (gunicorn): a GET
that long never reaches Django (414), the POSTed form gets a result page at a short URL."""

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request

import pytest

from search.services import publication_index
from tests.search.test_search_page import MEMBRANE, numbers
from tests.search.test_search_page_claims import SAVED_URL, claim_set

pytestmark = pytest.mark.slow


def test_15000_pasted_characters_through_gunicorn_get_a_short_url_with_results(
        api_server, publish):
    membrane = publish(**MEMBRANE)
    publication_index(publication_id=membrane.pk)
    claims = claim_set(15_000)
    browser = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    with browser.open(f"{api_server.url}/search", timeout=60) as form_page:
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"',
                          form_page.read().decode()).group(1)
    with pytest.raises(urllib.error.HTTPError) as too_long:  # what a GET form did
        browser.open(f"{api_server.url}/search?" + urllib.parse.urlencode({"q": claims}),
                     timeout=60)
    body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "q": claims}).encode()
    with browser.open(f"{api_server.url}/search", data=body, timeout=120) as result_page:
        url, html = result_page.geturl(), result_page.read().decode()

    assert too_long.value.code == 414
    path = urllib.parse.urlsplit(url).path
    assert SAVED_URL.match(path) and len(url) < 60  # the redirect was followed
    assert numbers(html)[0] == membrane.number
