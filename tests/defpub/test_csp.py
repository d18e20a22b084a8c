"""Issue 14, finding 6: every HTML page carries a Content-Security-Policy that allows no inline
script, and no template holds inline script or style for it to block (the browser checks of
HTMX, the admin and the API docs are in test_public_browser.py)."""

import re

import pytest

from tests.conftest import REPO
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

# Rendered by WeasyPrint into PDF/A, never served to a browser.
NOT_SERVED = {"defpub/publication_pdf.html"}
INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "an inline <script>"),
    (re.compile(r"<style[\s>]", re.I), "a <style> block"),
    (re.compile(r"\sstyle\s*=", re.I), "a style= attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "an on…= handler"),
    (re.compile(r"\shx-on", re.I), "an hx-on handler (htmx would eval it)"),
    (re.compile(r"javascript:", re.I), "a javascript: URL"),
    (re.compile(r"hx-trigger=\"[^\"]*\[", re.I), "an hx-trigger filter (htmx would eval it)"),
]


def test_no_template_holds_inline_script_or_style():
    found = []
    for template in sorted((REPO / "templates").rglob("*.html")):
        name = template.relative_to(REPO / "templates").as_posix()
        if name in NOT_SERVED:
            continue
        source = template.read_text()
        found += [f"{name}: {what}" for pattern, what in INLINE if pattern.search(source)]
    assert not found


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


@pytest.mark.parametrize("path", [
    "/", "/about", "/p/", "/search", "/search?q=solar+panel", "/accounts/login",
    "/accounts/signup", "/p/DP-1999-999999", "/admin/login/",
])
def test_every_public_html_page_has_a_csp_without_inline_script(client, path):
    response = client.get(path)

    assert response["Content-Type"].startswith("text/html")
    directives = policy(response)
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]


def test_signed_in_pages_have_the_csp_too(client):
    member = MembershipFactory()
    client.force_login(member.user)
    for path in ("/dashboard/", f"/orgs/{member.organisation.slug}/", "/accounts/api-keys"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert policy(response)["script-src"] == ["'self'"], path

    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert policy(client.get("/admin/"))["script-src"] == ["'self'"]


def test_api_docs_relax_only_styles_and_load_no_inline_script(client):
    swagger = client.get("/api/docs/")
    redoc = client.get("/api/redoc/")

    for response in (swagger, redoc):
        directives = policy(response)
        assert directives["script-src"] == ["'self'"]
        assert "'unsafe-inline'" in directives["style-src"]
    assert "?script=" in swagger.content.decode()  # Swagger UI's start-up script is a file
    script = client.get("/api/docs/?script=")
    assert script["Content-Type"].startswith("application/javascript")
