"""One quota for one person, however they come (issue 14, findings 1-3; issue 13, exports).

The web search page, its citation exports and the API spend the same quota: a key's, a
signed-in user's, or an address's. Through Django's test client against the real database
and Valkey; tests/search/test_quotas_live.py has the same through gunicorn."""

import logging

import pytest
from django.test import RequestFactory

from defpub.client_address import client_address
from defpub.examiners.services import api_key_issue, api_key_revoke
from defpub.models import ApiKeyUsage
from tests.factories import UserFactory
from tests.search.test_api import GEARBOX, PROBLEM

pytestmark = pytest.mark.django_db

HTML = "text/html; charset=utf-8"
WINDOW = 3600  # searches are slow on a busy machine: a minute could end in mid-test


@pytest.fixture(autouse=True)
def long_window(settings):
    settings.API_RATE_WINDOW = WINDOW


@pytest.fixture
def gearbox(indexed):
    return indexed(**GEARBOX)


def anonymous_left(client, address: str, number: str) -> int:
    """What the API says is left of an address's quota, after this request too."""
    response = client.get(f"/api/v1/publications/{number}", REMOTE_ADDR=address)
    return int(response["RateLimit"].split("r=")[1].split(";")[0])


# -- the caller's address --------------------------------------------------------------------
@pytest.mark.parametrize(("proxies", "forwarded", "expected"), [
    (0, "10.9.0.7", "192.0.2.1"),  # no trusted proxy: the header is anybody's to write
    (0, "", "192.0.2.1"),
    (1, "10.9.0.7, 198.51.100.4", "198.51.100.4"),  # the hop our proxy appended
    (2, "10.9.0.7, 198.51.100.4, 203.0.113.9", "198.51.100.4"),
    (2, "198.51.100.4", "198.51.100.4"),  # fewer hops than proxies: DRF's rule, leftmost
    (1, "not-an-address", "192.0.2.1"),  # a proxy that wrote junk: the peer
    (1, "::ffff:198.51.100.4", "198.51.100.4"),
])
def test_the_callers_address_comes_from_x_forwarded_for_only_behind_trusted_proxies(
        settings, proxies, forwarded, expected):
    settings.NUM_PROXIES = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.1",
                                   HTTP_X_FORWARDED_FOR=forwarded)

    assert client_address(request) == expected


def test_a_spoofed_x_forwarded_for_does_not_escape_the_api_quota(client, gearbox):
    statuses = [client.get(f"/api/v1/publications/{gearbox.number}", REMOTE_ADDR="10.2.0.1",
                           HTTP_X_FORWARDED_FOR=f"10.9.0.{n}").status_code for n in range(40)]

    assert statuses == [200] * 30 + [429] * 10


def test_an_ipv6_caller_is_counted_by_its_64(client, gearbox, settings):
    settings.API_RATE_ANONYMOUS = 3
    statuses = [client.get(f"/api/v1/publications/{gearbox.number}",
                           REMOTE_ADDR=f"2001:db8:1:2::{n:x}").status_code for n in range(4)]
    other = client.get(f"/api/v1/publications/{gearbox.number}", REMOTE_ADDR="2001:db8:1:3::1")

    assert statuses == [200, 200, 200, 429]
    assert other.status_code == 200


# -- the web search page ---------------------------------------------------------------------
def test_40_anonymous_web_searches_get_429_with_a_translated_page_after_the_quota(
        client, gearbox):
    answers = [client.get("/search", {"q": f"gearbox oil {n}"}, REMOTE_ADDR="10.3.0.1",
                          HTTP_ACCEPT_LANGUAGE="zh-hans" if n % 2 else "en")
               for n in range(40)]

    assert [a.status_code for a in answers] == [200] * 30 + [429] * 10
    assert gearbox.number in answers[0].content.decode()
    assert answers[0]["RateLimit-Policy"] == '"anonymous";q=30;w=3600'
    assert answers[29]["RateLimit"].startswith('"anonymous";r=0;t=')
    english, chinese = answers[38], answers[39]
    for refused in (english, chinese):
        assert refused["Content-Type"] == HTML
        assert 1 <= int(refused["Retry-After"]) <= WINDOW
        assert refused["RateLimit"].startswith('"anonymous";r=0;t=')
        assert 'class="site-header"' in refused.content.decode()  # the base template
    assert "Too many searches" in english.content.decode()
    assert '<html lang="zh-hans">' in chinese.content.decode()
    assert "检索次数过多" in chinese.content.decode()


def test_the_empty_search_form_costs_nothing(client, gearbox):
    for _ in range(35):
        assert client.get("/search", REMOTE_ADDR="10.3.0.2").status_code == 200

    assert anonymous_left(client, "10.3.0.2", gearbox.number) == 29


def test_the_web_search_and_the_api_share_an_addresss_quota(client, gearbox):
    for _ in range(29):
        client.get(f"/api/v1/publications/{gearbox.number}", REMOTE_ADDR="10.3.0.3")

    last = client.get("/search", {"q": "gearbox"}, REMOTE_ADDR="10.3.0.3")
    refused = client.get("/search", {"q": "gearbox"}, REMOTE_ADDR="10.3.0.3")
    htmx = client.get("/search", {"q": "gearbox"}, REMOTE_ADDR="10.3.0.3", HTTP_HX_REQUEST="true")

    assert last.status_code == 200
    assert refused.status_code == 429
    # htmx swaps no 4xx answer: it is sent to the whole page, which says why.
    assert htmx.status_code == 429
    assert htmx["HX-Redirect"] == "/search/quota?next=%2Fsearch%3Fq%3Dgearbox"
    page = client.get(htmx["HX-Redirect"], REMOTE_ADDR="10.3.0.3")
    assert page.status_code == 429 and "Too many searches" in page.content.decode()
    assert 'href="/search?q=gearbox"' in page.content.decode()  # try again


def test_the_quota_page_costs_nothing_and_sends_back_only_to_this_site(client, gearbox):
    back = client.get("/search/quota", {"next": "/search?q=gearbox"}, REMOTE_ADDR="10.3.0.5")
    away = client.get("/search/quota", {"next": "https://evil.example/"},
                      REMOTE_ADDR="10.3.0.5")

    assert back.status_code == 302 and back["Location"] == "/search?q=gearbox"
    assert away.status_code == 302 and away["Location"] == "/search"
    assert anonymous_left(client, "10.3.0.5", gearbox.number) == 29


def test_a_signed_in_users_web_searches_spend_their_own_quota(client, gearbox):
    client.force_login(UserFactory())
    answers = [client.get("/search", {"q": "gearbox"}, REMOTE_ADDR="10.3.0.4")
               for _ in range(35)]

    assert {a.status_code for a in answers} == {200}
    assert answers[-1]["RateLimit-Policy"] == '"user";q=600;w=3600'
    assert anonymous_left(client, "10.3.0.4", gearbox.number) == 29


# -- the search page's exports ---------------------------------------------------------------
def test_the_search_pages_export_links_are_the_webs_own(client, gearbox):
    html = client.get("/search", {"q": "gearbox", "ipc": "f16h"}).content.decode()

    for fmt in ("ris", "bibtex", "csv"):
        assert f'href="/search/export.{fmt}?q=gearbox&amp;ipc=F16H"' in html
    assert "/api/v1/" not in html


def test_a_signed_in_users_web_exports_beyond_the_anonymous_rate_still_succeed(client,
                                                                             gearbox):
    client.force_login(UserFactory())
    answers = [client.get(f"/search/export.{fmt}", {"q": "gearbox"}, REMOTE_ADDR="10.4.0.1")
               for fmt in ("ris", "bibtex", "csv") * 14]

    assert [a.status_code for a in answers] == [200] * 42
    ris, bibtex, csv = answers[:3]
    assert ris["Content-Type"] == "application/x-research-info-systems; charset=utf-8"
    assert ris["Content-Disposition"] == 'attachment; filename="defpub-results.ris"'
    assert f"SN  - {gearbox.number}" in ris.content.decode()
    assert f"number = {{{gearbox.number}}}" in bibtex.content.decode()
    assert csv.content.decode().startswith("rank,score,number,")
    assert answers[-1]["RateLimit"].startswith('"user";r=558;t=')
    # The visitor's address was not spent: the office's anonymous users keep their quota.
    assert anonymous_left(client, "10.4.0.1", gearbox.number) == 29


def test_a_signed_in_user_with_a_key_spends_the_keys_quota_on_the_web(client, gearbox):
    user = UserFactory()
    row, key = api_key_issue(owner=user, office="EPO", name="desk", rate_per_minute=5)
    client.force_login(user)
    web = [client.get("/search/export.csv", {"q": "gearbox"}) for _ in range(3)]
    web += [client.get("/search", {"q": "gearbox"})]
    api = client.get(f"/api/v1/publications/{gearbox.number}",
                     HTTP_AUTHORIZATION=f"Api-Key {key}")
    over = client.get("/search/export.csv", {"q": "gearbox"})

    assert [r.status_code for r in web] == [200] * 4
    assert web[0]["RateLimit-Policy"] == '"key";q=5;w=3600'
    assert api.status_code == 200 and api["RateLimit"].startswith('"key";r=0;')
    assert over.status_code == 429 and over["Content-Type"] == HTML
    assert "Your API key allows 5 searches in 3600 seconds" in over.content.decode()
    usage = ApiKeyUsage.objects.get(key=row)
    assert (usage.served, usage.refused) == (5, 1)

    api_key_revoke(key=row, by=user)  # a revoked key is not spent: the user's own quota is
    assert client.get("/search", {"q": "gearbox"})["RateLimit-Policy"] == '"user";q=600;w=3600'


@pytest.mark.parametrize(("language", "title"), [("en", "Too many searches"),
                                                 ("zh-hans", "检索次数过多")])
def test_anonymous_exports_refused_for_quota_get_a_translated_page(client, gearbox, language,
                                                                   title):
    for _ in range(30):
        client.get(f"/api/v1/publications/{gearbox.number}", REMOTE_ADDR="10.4.0.2")

    refused = client.get("/search/export.ris", {"q": "gearbox"}, REMOTE_ADDR="10.4.0.2",
                         HTTP_ACCEPT_LANGUAGE=language)

    html = refused.content.decode()
    assert refused.status_code == 429
    assert refused["Content-Type"] == HTML
    assert "Content-Disposition" not in refused
    assert 1 <= int(refused["Retry-After"]) <= WINDOW
    assert f'<html lang="{language}">' in html and title in html
    assert 'href="/accounts/login"' in html  # how to get a quota of one's own


@pytest.mark.parametrize("url", [
    "/search/export.pdf?q=gearbox",
    "/search/export.ris",
    "/search/export.ris?q=",
    "/search/export.ris?q=gearbox&before=yesterday",
    "/search/export.ris?q=gearbox&ipc=%3Cscript%3E",
    "/search/export.csv?like=DP-20-1",
    "/search/export.csv?q=" + "x" * 20_001,
    "/search/export.ris?lang=xx&q=gearbox",
    "/search/export.bibtex?q=%00%ff",
])
def test_odd_export_requests_get_a_clear_400_page(client, gearbox, url):
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert response.status_code == 400
    assert response["Content-Type"] == HTML
    assert 'role="alert"' in response.content.decode()


def test_an_export_like_an_unknown_publication_is_404(client, gearbox):
    assert client.get("/search/export.ris", {"like": "DP-1999-000001"}).status_code == 404
    assert client.get("/search/export.ris", {"saved": "nosuchkey"}).status_code == 404
    like = client.get("/search/export.ris", {"like": gearbox.number})
    assert like.status_code == 200 and gearbox.number not in like.content.decode()


# -- failed key checks -----------------------------------------------------------------------
def test_100_bad_keys_get_429_before_the_end_and_spend_the_anonymous_quota(client, gearbox,
                                                                           caplog):
    url = f"/api/v1/publications/{gearbox.number}"
    with caplog.at_level(logging.WARNING, logger="defpub.examiners.quotas"):
        answers = [client.get(url, REMOTE_ADDR="10.5.0.1",
                              HTTP_AUTHORIZATION=f"Api-Key guess{n}.secret{n}")
                   for n in range(100)]

    statuses = [a.status_code for a in answers]
    assert statuses == [401] * 30 + [429] * 70
    assert answers[0]["RateLimit"].startswith('"anonymous";r=29;')
    assert answers[-1]["Content-Type"] == PROBLEM and int(answers[-1]["Retry-After"]) >= 1
    assert client.get(url, REMOTE_ADDR="10.5.0.1").status_code == 429  # spent by them
    refused = [r for r in caplog.records if "API key refused" in r.getMessage()]
    assert len(refused) == 100 and "ip:10.5.0.1" in refused[0].getMessage()


def test_a_malformed_or_revoked_key_counts_like_a_wrong_one(client, gearbox, settings):
    settings.API_RATE_ANONYMOUS = 2
    row, key = api_key_issue(owner=UserFactory(), office="EPO", name="old")
    api_key_revoke(key=row, by=row.owner)
    url = f"/api/v1/publications/{gearbox.number}"

    statuses = [client.get(url, REMOTE_ADDR="10.5.0.2", HTTP_AUTHORIZATION=header).status_code
                for header in ("Bearer x", f"Api-Key {key}", f"Api-Key {key}")]

    assert statuses == [401, 401, 429]


def test_a_good_key_is_served_from_an_address_whose_quota_bad_keys_spent(client, gearbox, key):
    url = f"/api/v1/publications/{gearbox.number}"
    for n in range(31):
        client.get(url, REMOTE_ADDR="10.5.0.3", HTTP_AUTHORIZATION=f"Api-Key bad{n}.x")

    good = client.get(url, REMOTE_ADDR="10.5.0.3", HTTP_AUTHORIZATION=f"Api-Key {key}")

    assert good.status_code == 200 and good["RateLimit-Policy"].startswith('"key"')


@pytest.fixture
def key():
    _row, plain = api_key_issue(owner=UserFactory(), office="EPO", name="tests")
    return plain
