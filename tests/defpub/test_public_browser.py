"""The public pages in a real browser (Debian's chromium, driven by Playwright): no page is
wider than a 390 px phone in English or Chinese, a missing publication gives a translated
404, and the Content-Security-Policy breaks nothing (HTMX, the admin, the API docs)."""

import io
import shutil

import pytest
from PIL import Image

from defpub.filing.services import (
    attachment_add,
    disclosure_approve,
    disclosure_create,
    disclosure_submit,
)
from defpub.models import Publication
from defpub.organisations.models import Role
from search.services import publication_index
from tests.factories import MembershipFactory, UserFactory

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not shutil.which("chromium"), reason="Debian's chromium is not installed"),
]

CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
PHONE = {"width": 390, "height": 844}
# Collected in the page before any of its scripts run; init scripts are not subject to the CSP.
WATCH_CSP = """window.__csp = [];
document.addEventListener('securitypolicyviolation',
  e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"""


@pytest.fixture
def browser():
    """Request it after the fixtures that write to the database: Playwright keeps an event
    loop on this thread, and Django refuses ORM calls while it runs (allowing them anyway
    leaves a connection open that stops the test database from being dropped)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=shutil.which("chromium"),
                                              args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def open_page(browser, live_server, *, language: str, viewport=PHONE):
    context = browser.new_context(viewport=viewport, locale="en-GB")
    context.add_cookies([{"name": "django_language", "value": language,
                          "url": live_server.url}])
    page = context.new_page()
    page.add_init_script(WATCH_CSP)
    page.console_errors = []
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    page.on("pageerror", lambda error: page.console_errors.append(str(error)))
    return page


def violations(page) -> list[str]:
    return page.evaluate("window.__csp") + [
        m for m in page.console_errors if "Content Security Policy" in m]


@pytest.fixture
def published(settings, tmp_path):
    """A bilingual publication with a long title, a figure and a long file name, indexed."""
    settings.MEDIA_ROOT = tmp_path / "media"
    membership = MembershipFactory(role=Role.ADMIN)
    user, organisation = membership.user, membership.organisation
    disclosure = disclosure_create(
        organisation=organisation, by=user,
        title_en="Foldable solar panel with hinge-integrated wiring for unmanned aerial vehicles",
        title_zh="带铰链集成布线的无人机折叠式太阳能电池板",
        abstract_en="A foldable photovoltaic panel whose hinges carry the wiring between the "
                    "panel segments, so that no loose cable crosses a fold.",
        abstract_zh="一种可折叠光伏板，其铰链承载面板段之间的布线，使折叠处没有松散的电缆。",
        features=["hinges that carry the conductors", "panel segments that fold flat"],
        ipc=["H02S 30/20"],
    )
    buffer = io.BytesIO()
    Image.new("RGB", (1600, 400), "teal").save(buffer, "PNG")
    attachment_add(disclosure=disclosure, by=user,
                   name="figure-1-hinge-wiring-cross-section-with-conductor-routing.png",
                   content=buffer.getvalue(), role="figure")
    disclosure_submit(disclosure=disclosure, by=user)
    disclosure_approve(disclosure=disclosure, by=user)
    publication = Publication.objects.get(disclosure=disclosure)
    publication_index(publication_id=publication.pk)
    return publication


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_public_pages_fit_a_390px_phone_and_a_missing_number_is_a_translated_404(
        published, live_server, browser, language):
    page = open_page(browser, live_server, language=language)
    widths = {}
    for path in ["/", "/about", "/p/", f"/p/{published.number}",
                 "/search?q=foldable+solar+panel+hinge+wiring", "/p/DP-1999-999999"]:
        response = page.goto(live_server.url + path)
        assert response.status == (404 if "1999" in path else 200), path
        widths[path] = page.evaluate("document.documentElement.scrollWidth")
        assert not violations(page), (path, violations(page))
        if path.startswith("/search"):
            assert page.locator(f"a[href='/p/{published.number}']").count() >= 1

    assert all(width <= 390 for width in widths.values()), widths
    # the navigation wraps by link, never one character a line
    page.goto(live_server.url + "/")
    nav_link_heights = page.eval_on_selector_all(
        ".site-header nav a", "links => links.map(a => a.getBoundingClientRect().height)")
    assert max(nav_link_heights) < 40, nav_link_heights

    page.goto(live_server.url + "/p/DP-1999-999999")
    heading = page.locator("h1").inner_text()
    assert heading == ("没有这个编号的公开文献" if language == "zh-hans"
                       else "No publication has this number")
    assert page.locator("link[rel=stylesheet]").count() == 1  # styled: the site's stylesheet

    page.goto(live_server.url + f"/p/{published.number}")
    figure = page.locator(".figures figure img")
    assert figure.count() == 1
    assert figure.evaluate("img => img.complete && img.naturalWidth") == 1600
    assert figure.evaluate("img => img.getBoundingClientRect().right") <= 390


def test_htmx_search_runs_under_the_csp_without_violations(published, live_server, browser):
    page = open_page(browser, live_server, language="en", viewport={"width": 1280, "height": 900})
    page.goto(live_server.url + "/search")
    page.fill("#id_q", "foldable solar panel")
    page.wait_for_selector(f"#results a[href='/p/{published.number}']", timeout=20_000)
    assert "q=foldable" in page.url  # htmx pushed the URL: the request went through htmx
    page.locator("#id_q").press("Control+Enter")
    page.wait_for_load_state("networkidle")
    assert not violations(page), violations(page)
    assert not page.console_errors, page.console_errors

    # site.js, not an inline onchange: choosing a language switches the page at once
    with page.expect_navigation():
        page.select_option("#language-select", "zh-hans")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert not violations(page), violations(page)


@pytest.fixture
def people(db):
    """A submitter with a draft, and an operator for the admin."""
    membership = MembershipFactory(role=Role.SUBMITTER)
    draft = disclosure_create(organisation=membership.organisation, by=membership.user,
                              title_en="Draft")
    return membership.user, draft, UserFactory(is_staff=True, is_superuser=True)


def test_filing_autosave_admin_and_api_docs_work_under_the_csp(people, live_server, browser):
    submitter, draft, staff = people
    page = open_page(browser, live_server, language="en", viewport={"width": 1280, "height": 900})
    page.goto(live_server.url + "/accounts/login")
    page.fill("input[name=username]", submitter.username)
    page.fill("input[name=password]", "correct horse battery")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    page.goto(live_server.url + f"/disclosures/{draft.pk}/edit")
    page.fill("#id_title_en", "Draft, renamed in the browser")
    page.wait_for_selector("#autosave-status .ok", timeout=15_000)
    page.reload()
    assert page.input_value("#id_title_en") == "Draft, renamed in the browser"  # it was saved
    assert not violations(page), violations(page)

    admin_page = open_page(browser, live_server, language="en",
                           viewport={"width": 1280, "height": 900})
    admin_page.goto(live_server.url + "/admin/login/")
    admin_page.fill("#id_username", staff.username)
    admin_page.fill("#id_password", "correct horse battery")
    admin_page.locator("input[type=submit]").click()
    admin_page.wait_for_selector("#site-name")
    admin_page.goto(live_server.url + "/admin/defpub/organisation/")
    admin_page.wait_for_selector("#result_list")
    assert not [v for v in violations(admin_page) if v.startswith("script-src")]

    docs = open_page(browser, live_server, language="en", viewport={"width": 1280, "height": 900})
    docs.goto(live_server.url + "/api/docs/")
    docs.wait_for_selector(".swagger-ui .opblock", timeout=20_000)  # rendered from the schema
    assert not violations(docs), violations(docs)
    docs.goto(live_server.url + "/api/redoc/")
    docs.wait_for_selector("redoc .api-content", timeout=20_000)
    # Redoc asks for Google's fonts and a logo on cdn.redoc.ly: the policy blocks third-party
    # loads on purpose (the page renders without them); nothing of ours is blocked.
    ours = [v for v in violations(docs) if "https://" not in v]
    assert not ours, ours
