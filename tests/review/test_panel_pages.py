"""The panel's pages (/review/): who may see them, and what the dashboard, a case, the
filings and a filing show, in English and Chinese."""

import re
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from defpub.models import AuditEvent
from defpub.organisations.models import Role
from review import urls as review_urls
from review.models import Feed, WatchCase
from tests.factories import (
    ClaimFactory,
    FilingFactory,
    MembershipFactory,
    UserFactory,
    WatchCaseFactory,
)
from tests.review.conftest import ELEMENTS, PASSAGES, screened_case

pytestmark = pytest.mark.django_db


# -- tenancy: every route, every outsider, GET and POST -------------------------------------

@dataclass
class Route:
    name: str
    kwargs: dict
    data: dict


def routes(case: WatchCase) -> list[Route]:
    filing = {"pk": case.filing_id}
    feed, _ = Feed.objects.get_or_create(path="matrix/ipa.xml",
                                         defaults={"source": "upload", "file_name": "ipa.xml"})
    return [
        Route("dashboard", {}, {}),
        Route("case", {"pk": case.pk}, {}),
        Route("case-status", {"pk": case.pk}, {"status": "triaged"}),
        Route("case-notes", {"pk": case.pk}, {"notes": "a stranger's note"}),
        Route("filings", {}, {}),
        Route("filing", filing, {}),
        Route("filing-open-case", filing, {}),
        Route("filing-rescreen", filing, {"back": "case"}),
        Route("feed-upload", {}, {"fmt": "auto"}),
        Route("feeds", {}, {}),
        Route("feed", {"pk": feed.pk}, {}),
        Route("feed-progress", {"pk": feed.pk}, {}),
    ]


def test_every_panel_url_is_in_the_matrix(case):
    assert {p.name for p in review_urls.urlpatterns} == {r.name for r in routes(case)}


def outsiders():
    admin = MembershipFactory(role=Role.ADMIN).user
    admin.is_staff = False
    return {"anonymous": AnonymousUser(), "signed-in user": UserFactory(), "org admin": admin,
            "org owner": MembershipFactory(role=Role.OWNER).user}


def test_no_one_but_a_panelist_reaches_any_panel_page(client, case):
    before = (AuditEvent.objects.count(), WatchCase.objects.count())
    refused = []
    for who, user in outsiders().items():
        client.logout()
        if user.is_authenticated:
            client.force_login(user)
        for route in routes(case):
            url = reverse(f"review:{route.name}", kwargs=route.kwargs)
            for method in ("get", "post"):
                response = getattr(client, method)(url, route.data)
                if response.status_code != 404:
                    refused.append((who, method, url, response.status_code))
                assert b"Ultrasonic" not in response.content
            # an id that names nothing answers the same 404: no way to probe for cases
            if route.kwargs:
                missing = reverse(f"review:{route.name}", kwargs={"pk": 987654})
                assert client.post(missing, route.data).status_code == 404
    assert not refused
    case.refresh_from_db()
    assert (case.status, case.notes) == ("new", "")
    assert (AuditEvent.objects.count(), WatchCase.objects.count()) == before


def test_the_panel_link_shows_for_panelists_only(client, panelist):
    client.force_login(UserFactory())
    assert b'href="/review/"' not in client.get("/").content
    client.force_login(panelist)
    assert b'href="/review/"' in client.get("/").content


# -- the dashboard -------------------------------------------------------------------------

def test_the_dashboard_counts_cases_by_status_and_office_and_lists_new_ones_first(panel_client):
    newest_triaged = screened_case(office="US", status="triaged")
    us_new = screened_case(office="US")
    ep_new = screened_case(office="EP")
    screened_case(office="EP", status="dismissed")
    WatchCase.objects.filter(pk=newest_triaged.pk).update(opened_at=us_new.opened_at.replace(
        year=2099))

    response = panel_client.get("/review/")

    assert response.status_code == 200
    counts = response.context["counts"]
    assert counts.total == 4
    assert dict((s, n) for s, _label, n in counts.statuses)["new"] == 2
    assert [(office, total) for office, _cells, total in counts.offices] == [("EP", 2), ("US", 2)]
    html = response.content.decode()
    assert "Deadline" in html and "{# feeds" not in html
    order = [int(pk) for pk in re.findall(r'href="/review/cases/(\d+)/"', html)]
    # new cases first (the latest opened first), then the others however recent
    assert order[:3] == [ep_new.pk, us_new.pk, newest_triaged.pk]
    assert "DP-2025-000001" in html and "3 of 3 elements" in html


def test_the_dashboard_filters_by_status_and_office(panel_client):
    us = screened_case(office="US")
    ep = screened_case(office="EP", status="triaged")

    html = panel_client.get("/review/", {"office": "ep"}).content.decode()
    assert f"/review/cases/{ep.pk}/" in html and f"/review/cases/{us.pk}/" not in html
    html = panel_client.get("/review/", {"status": "new"}).content.decode()
    assert f"/review/cases/{us.pk}/" in html and f"/review/cases/{ep.pk}/" not in html


@pytest.mark.parametrize("params", [
    {"status": "nonsense"}, {"office": "' OR 1=1 --"}, {"office": "X" * 100_000},
    {"page": "-1"}, {"page": "9" * 5000}, {"page": "abc"}, {"status": "\x00"},
    {"status": ["triaged", "nonsense"]},
])
def test_garbage_filters_are_ignored_not_an_error(panel_client, case, params):
    response = panel_client.get("/review/", params)

    assert response.status_code == 200
    assert f"/review/cases/{case.pk}/" in response.content.decode()


def test_the_dashboard_pages(panel_client):
    for _ in range(27):
        WatchCaseFactory()
    first = panel_client.get("/review/", {"status": "new"}).content.decode()
    second = panel_client.get("/review/", {"status": "new", "page": 2}).content.decode()
    assert "Page 1 of 2" in first and 'href="?status=new&amp;page=2"' in first
    assert len(re.findall(r'href="/review/cases/\d+/"', first)) == 25
    assert len(re.findall(r'href="/review/cases/\d+/"', second)) == 2


# -- a case --------------------------------------------------------------------------------

def test_the_case_page_shows_each_element_beside_its_passage(panel_client, case):
    response = panel_client.get(f"/review/cases/{case.pk}/")

    assert response.status_code == 200
    html = response.content.decode()
    rows = re.findall(r"<tr>\s*<th scope=\"row\" class=\"element\">(.*?)</tr>", html, re.S)
    assert len(rows) == 3
    for row, element, passage in zip(rows, ELEMENTS, PASSAGES, strict=True):
        assert element in row and passage in row
        assert "DP-2025-000001" in row  # each passage labelled by its publication
    assert 'lang="zh-Hans"' in rows[0] and "Chinese" in rows[0] and "English" in rows[2]
    assert "strong" in rows[0] and "4.80" in rows[0]
    assert 'href="/p/DP-2025-000001"' in html
    assert "3 of 3 elements" in html and "earliest" in html.lower()
    assert "Earlier sources (not proven by the ledger)" in html and "Old catalogue" in html
    earlier = html[html.index("Earlier sources"):]
    assert "DP-2026-000009" in earlier and "DP-2026-000009" not in html[:html.index("Earlier")]


def test_the_case_page_shows_the_pair_suggestion(panel_client):
    case = screened_case()
    screening = case.filing.screenings.get()
    screening.pair = {"publications": ["DP-2025-000001", "DP-2025-000002"], "coverage": 3,
                      "elements": {"0": "DP-2025-000001", "1": "DP-2025-000001",
                                   "2": "DP-2025-000002"}}
    screening.save()

    html = panel_client.get(f"/review/cases/{case.pk}/").content.decode()

    suggestion = html[html.index("Y/Y suggestion"):]
    assert "together disclose 3 of 3 elements" in suggestion
    assert "[2]</span> a ceramic membrane — DP-2025-000001" in suggestion
    assert "[3]</span> a transducer — DP-2025-000002" in suggestion


# -- filings -------------------------------------------------------------------------------

def test_the_filings_list_searches_by_number_and_office(panel_client):
    us = FilingFactory(office="US", number="20180000016")
    ep = FilingFactory(office="EP", number="3782854")

    def listed(**params):
        html = panel_client.get("/review/filings/", params).content.decode()
        return {pk for pk in (us.pk, ep.pk) if f'href="/review/filings/{pk}/"' in html}

    assert listed() == {us.pk, ep.pk}
    assert listed(q="US 20180000016 A1") == {us.pk}
    assert listed(q="3782") == {ep.pk}
    assert listed(office="EP") == {ep.pk}
    assert listed(q="x" * 10_000) == {us.pk, ep.pk}  # too long: ignored, said so
    assert panel_client.get("/review/filings/", {"page": "zz"}).status_code == 200


def test_the_filing_page_shows_claims_and_opens_a_case_by_hand(panel_client, panelist):
    filing = FilingFactory()
    ClaimFactory(filing=filing, number=1)
    ClaimFactory(filing=filing, number=2, independent=False, parents=[1], elements=[],
                 text="The filter of claim 1, wherein the membrane is alumina.")
    html = panel_client.get(f"/review/filings/{filing.pk}/").content.decode()
    assert "independent" in html and "dependent" in html and 'href="#claim-1"' in html
    assert "a ceramic membrane" in html and "Open a watch case" in html

    response = panel_client.post(f"/review/filings/{filing.pk}/open-case")
    again = panel_client.post(f"/review/filings/{filing.pk}/open-case")

    case = WatchCase.objects.get(filing=filing)
    assert response["Location"] == again["Location"] == f"/review/cases/{case.pk}/"
    assert case.opened_by == "panel"
    assert AuditEvent.objects.get(action="watch.case_opened").actor == panelist
    html = panel_client.get(f"/review/filings/{filing.pk}/").content.decode()
    assert f'href="/review/cases/{case.pk}/"' in html and "Open a watch case" not in html


# -- languages -----------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/review/", "/review/filings/", "case", "filing"])
def test_the_pages_speak_chinese(panel_client, case, path):
    path = {"case": f"/review/cases/{case.pk}/",
            "filing": f"/review/filings/{case.filing_id}/"}.get(path, path)

    english = panel_client.get(path, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    chinese = panel_client.get(path, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()

    assert "Office" in english or "Claims" in english or "Status" in english
    assert "专利局" in chinese or "权利要求" in chinese or "状态" in chinese
    assert "Panel</a>" in english and "审查小组</a>" in chinese


def test_the_case_page_in_chinese_labels_statuses_and_strengths(panel_client, case):
    html = panel_client.get(f"/review/cases/{case.pk}/",
                            HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()

    assert "新案件" in html or "新" in html  # the status
    assert "强" in html  # a strong element match
    assert "中文" in html  # a passage's language
    assert "压电超声波自清洁陶瓷过滤膜" in html  # passages as they are, in their language
