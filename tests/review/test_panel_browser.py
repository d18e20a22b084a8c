"""The panel's pages in a real browser (Debian's chromium, driven by Playwright): they fit a
390 px phone in English and Chinese, break no Content-Security-Policy rule, and the status
buttons work through htmx, a refusal (409) included."""

import os
import shutil

import pytest

from review.access import panel_group
from tests.defpub import test_public_browser
from tests.defpub.test_public_browser import WATCH_CSP, open_page, violations
from tests.factories import ClaimFactory, UserFactory
from tests.review.conftest import screened_case

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not shutil.which("chromium"), reason="Debian's chromium is not installed"),
]
browser = test_public_browser.browser  # the fixture: Debian's chromium through Playwright
# Set PANEL_SCREENSHOTS=DIR to keep a picture of every page looked at.
SHOTS = os.environ.get("PANEL_SCREENSHOTS")


@pytest.fixture
def panel_data(db):
    user = UserFactory()
    panel_group().user_set.add(user)
    case = screened_case(number="20260123456")
    case.filing.applicants = ["Ultrasonic Membrane Technologies Incorporated of Somewhere"]
    case.filing.earliest_reason = "priority CN 202510358967.X of 2025-03-01"
    case.filing.save()
    ClaimFactory(filing=case.filing, number=3, text="A method of cleaning a ceramic filter, "
                 "comprising: generating ultrasonic pulses with a piezoelectric transducer; "
                 "and clearing blockages from the pores of the membrane with the pulses.",
                 elements=[{"text": "A method of cleaning a ceramic filter", "start": 0,
                            "end": 37}])
    return user, case


def sign_in(page, live_server, user):
    page.goto(live_server.url + "/accounts/login")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", "correct horse battery")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state("networkidle")


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_panel_pages_fit_a_390px_phone_without_csp_violations(panel_data, live_server, browser,
                                                              language):
    user, case = panel_data
    page = open_page(browser, live_server, language=language)
    sign_in(page, live_server, user)
    widths = {}
    for name, path in [("dashboard", "/review/"), ("case", f"/review/cases/{case.pk}/"),
                       ("filings", "/review/filings/"),
                       ("filing", f"/review/filings/{case.filing_id}/")]:
        response = page.goto(live_server.url + path)
        assert response.status == 200, path
        widths[path] = page.evaluate("document.documentElement.scrollWidth")
        assert not violations(page), (path, violations(page))
        if SHOTS:
            page.screenshot(path=f"{SHOTS}/{name}-{language}.png", full_page=True)
    assert all(width <= 390 for width in widths.values()), widths
    assert page.locator("link[href*='review/panel']").count() == 1


def test_status_buttons_work_through_htmx_and_show_a_refusal(panel_data, live_server, browser):
    user, case = panel_data
    url = f"{live_server.url}/review/cases/{case.pk}/"
    first = open_page(browser, live_server, language="en",
                      viewport={"width": 1280, "height": 900})
    sign_in(first, live_server, user)
    first.goto(url)
    stale = first.context.new_page()  # the same panelist, a second tab left open
    stale.add_init_script(WATCH_CSP)
    stale.console_errors = []
    stale.goto(url)

    first.get_by_role("button", name="Mark as triaged").click()
    first.wait_for_selector("#case-status .badge-case-triaged")
    assert first.url == url  # swapped in place by htmx, no navigation

    stale.get_by_role("button", name="Mark as triaged").click()
    stale.wait_for_selector("#case-status [role=alert]")
    assert "cannot become triaged" in stale.locator("#case-status [role=alert]").inner_text()
    assert not violations(first) and not violations(stale)
    if SHOTS:
        stale.screenshot(path=f"{SHOTS}/refusal.png", full_page=True)
