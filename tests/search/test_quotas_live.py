"""Quotas through the real web server (gunicorn) on loopback, as the probe of issue 14 met
them: a spoofed X-Forwarded-For, the web search page, and a flood of guessed keys."""

import urllib.error
import urllib.request

import pytest

from tests.search.test_api import GEARBOX

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def long_window(settings):
    settings.API_RATE_WINDOW = 3600  # a busy machine must not end the window in mid-test


@pytest.fixture
def one_proxy(settings):
    """The live server believes one proxy stands in front of it (ask for it before
    api_server, which passes the setting on)."""
    settings.NUM_PROXIES = 1


def get(url: str, **headers) -> tuple[int, dict, str]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def test_a_spoofed_x_forwarded_for_does_not_escape_the_anonymous_quota(api_server, publish):
    url = f"{api_server.url}/api/v1/publications/{publish(**GEARBOX).number}"

    answers = [get(url, **{"X-Forwarded-For": f"10.9.0.{n}"}) for n in range(40)]
    page = get(f"{api_server.url}/search?q=gearbox", **{"X-Forwarded-For": "10.9.0.99",
                                                        "Accept-Language": "zh-hans"})

    assert [status for status, _, _ in answers] == [200] * 30 + [429] * 10
    # The web search spends the same quota of the same address (the socket's peer).
    status, headers, html = page
    assert status == 429 and headers["Content-Type"] == "text/html; charset=utf-8"
    assert "检索次数过多" in html and int(headers["Retry-After"]) >= 1


def test_behind_one_proxy_the_hop_it_appended_is_the_caller(one_proxy, api_server, publish):
    url = f"{api_server.url}/api/v1/publications/{publish(**GEARBOX).number}"

    # The caller writes whatever it likes on the left; the proxy appends what it saw.
    answers = [get(url, **{"X-Forwarded-For": f"6.6.6.{n}, 198.51.100.1"}) for n in range(31)]
    page = get(f"{api_server.url}/search?q=gearbox",
               **{"X-Forwarded-For": "7.7.7.7, 198.51.100.1"})
    neighbour = get(url, **{"X-Forwarded-For": "6.6.6.1, 198.51.100.2"})

    assert [status for status, _, _ in answers] == [200] * 30 + [429]
    assert page[0] == 429 and "Too many searches" in page[2]
    assert neighbour[0] == 200 and neighbour[1]["RateLimit"].startswith('"anonymous";r=29;')


def test_100_bad_keys_get_429_before_the_end_and_spend_the_anonymous_quota(api_server,
                                                                           publish):
    url = f"{api_server.url}/api/v1/publications/{publish(**GEARBOX).number}"

    statuses = [get(url, Authorization=f"Api-Key guess{n}.secret")[0] for n in range(100)]
    anonymous = get(url)

    assert statuses == [401] * 30 + [429] * 70
    assert anonymous[0] == 429
