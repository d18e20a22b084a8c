import hashlib
import io
import json
import re

import pytest
import rfc8785
from PIL import Image

from defpub.filing.services import (
    attachment_add,
    disclosure_approve,
    disclosure_create,
    disclosure_submit,
)
from defpub.models import Publication
from defpub.publications.documents import publication_pdf_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def publication(org, submitter, admin, settings, tmp_path) -> Publication:
    settings.MEDIA_ROOT = tmp_path / "media"
    disclosure = disclosure_create(
        organisation=org, by=submitter,
        title_en="Graded-porosity heat pipe wick", title_zh="梯度孔隙热管吸液芯",
        abstract_en="A sintered wick whose porosity falls towards the evaporator.",
        features=["a sintered copper wick", "porosity graded along the pipe"],
        ipc=["F28D 15/04"],
    )
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "teal").save(buffer, "PNG")
    attachment_add(disclosure=disclosure, by=submitter, name="fig1.png",
                   content=buffer.getvalue(), role="figure")
    disclosure_submit(disclosure=disclosure, by=submitter)
    disclosure_approve(disclosure=disclosure, by=admin)
    return Publication.objects.get(disclosure=disclosure)


def test_the_page_shows_number_date_digest_features_and_a_st14_citation(client, publication):
    html = client.get(f"/p/{publication.number}").content.decode()

    assert publication.number in html and publication.digest in html
    assert "梯度孔隙热管吸液芯" in html and "Graded-porosity heat pipe wick" in html
    assert "[2]</span> porosity graded along the pipe" in html
    assert (f"DefPub defensive publication {publication.number}, "
            f"{publication.published_at:%d %B %Y}") in html
    assert f"&lt;URL: http://testserver/p/{publication.number}&gt;" in html


def test_json_digest_recomputes_from_the_documented_canonical_form(client, publication):
    response = client.get(f"/p/{publication.number}.json")
    document = json.loads(response.content)

    assert response["Content-Type"].startswith("application/json")
    canonical = rfc8785.dumps(document["record"])
    assert hashlib.sha256(canonical).hexdigest() == document["digest"]["value"]
    assert document["record"]["number"] == publication.number
    figure = document["record"]["attachments"][0]
    download = client.get(document["files"][0]["url"].replace("http://testserver", ""))
    assert hashlib.sha256(b"".join(download.streaming_content)).hexdigest() == figure["sha256"]
    assert download["Content-Disposition"] == 'attachment; filename="fig1.png"'
    assert download["X-Content-Type-Options"] == "nosniff"


def test_numbers_are_case_insensitive_and_unknown_ones_are_404(client, publication):
    assert client.get(f"/p/{publication.number.lower()}").status_code == 200
    assert client.get("/p/DP-1999-000001").status_code == 404
    assert client.get(f"/p/{publication.number}/files/{'0' * 64}").status_code == 404


def test_list_and_atom_feed_show_the_publication(client, publication):
    listing = client.get("/p/").content.decode()
    feed = client.get("/p/feed.atom")

    assert publication.number in listing
    assert feed["Content-Type"].startswith("application/atom+xml")
    assert publication.number in feed.content.decode()
    assert "Graded-porosity heat pipe wick" in feed.content.decode()


def test_pages_render_in_chinese(client, publication):
    html = client.get(f"/p/{publication.number}", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'lang="zh-hans"' in html


def test_the_pdf_is_pdf_a_and_carries_the_record_that_hashes_to_the_digest(client, publication):
    from pypdf import PdfReader

    assert client.get(f"/p/{publication.number}.pdf").status_code == 503  # not made yet
    publication_pdf_make(publication_id=publication.pk)  # what the worker runs after publishing
    response = client.get(f"/p/{publication.number}.pdf")

    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    embedded = reader.attachments[f"{publication.number}.json"][0]
    assert hashlib.sha256(embedded).hexdigest() == publication.digest
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert re.search(r'pdfaid:part(="|>)3', xmp)
    text = "".join(page.extract_text() for page in reader.pages)
    assert publication.number in text
    assert client.get(f"/p/{publication.number}.pdf").content == response.content  # kept


def test_description_markdown_is_rendered_and_sanitised(client, org, submitter, admin):
    disclosure = disclosure_create(
        organisation=org, by=submitter, title_en="Wick", abstract_en="A wick.",
        description_en="## Making it\n1. Sinter **three** grades\n\n<script>alert(1)</script>"
                       "\n\n![x](http://evil.example/x.png)",
    )
    disclosure_submit(disclosure=disclosure, by=submitter)
    disclosure_approve(disclosure=disclosure, by=admin)
    number = Publication.objects.get(disclosure=disclosure).number

    html = client.get(f"/p/{number}").content.decode()

    assert "<h2>Making it</h2>" in html and "<strong>three</strong>" in html
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert "<img" not in html.split('class="description"')[1]


# -- issue 13: public pages a stranger trusts ------------------------------------------------
def test_the_page_shows_figures_with_captions_as_the_pdf_does(client, publication):
    html = client.get(f"/p/{publication.number}").content.decode()
    digest = publication.record["attachments"][0]["sha256"]

    figure = re.search(r'<section class="figures">.*?</section>', html, re.S).group(0)
    assert f'<img src="/p/{publication.number}/files/{digest}"' in figure
    assert f"<figcaption>Figure 1: fig1.png <span class=\"hash\">SHA-256 {digest[:16]}…" in figure
    image = client.get(f"/p/{publication.number}/files/{digest}")
    assert Image.open(io.BytesIO(b"".join(image.streaming_content))).size == (40, 30)


def test_the_citation_comes_in_the_page_language_first_and_in_the_other_one_too(
        client, publication):
    date = publication.published_at.date().isoformat()
    url = f"http://testserver/p/{publication.number}"
    zh = (f"{publication.organisation.name}. 《梯度孔隙热管吸液芯》/"
          f"《Graded-porosity heat pipe wick》[EB/OL]. DefPub 防御性公开, "
          f"{publication.number}, {date} [")
    en = (f"{publication.organisation.name}: “Graded-porosity heat pipe wick” / "
          f"“梯度孔隙热管吸液芯”. DefPub defensive publication {publication.number}, "
          f"{publication.published_at:%d %B %Y} ({date}), [online] [retrieved on ")

    english = client.get(f"/p/{publication.number}").content.decode()
    client.cookies["django_language"] = "zh-hans"
    chinese = client.get(f"/p/{publication.number}").content.decode()

    for html, first, second in ((english, en, zh), (chinese, zh, en)):
        assert html.index(first) < html.index(second)
        assert html.index('id="citation-text"') < html.index(first)
    assert f"{url}. SHA-256: {publication.digest}." in chinese
    assert f"&lt;URL: {url}&gt;. SHA-256 {publication.digest}." in english
    assert "<h3>引用格式</h3>" in chinese and "<h3>Cite as</h3>" in english


def test_the_api_citation_is_unchanged_english_without_a_retrieval_date(client, publication):
    document = client.get(f"/api/v1/publications/{publication.number}").json()

    assert document["citation"].startswith(f"{publication.organisation.name}: “Graded")
    assert "[online]. Retrieved from the Internet" in document["citation"]


def test_a_mistyped_number_gives_a_styled_404_in_the_page_language(client, publication):
    client.cookies["django_language"] = "zh-hans"
    response = client.get("/p/DP-1999-999999")
    html = response.content.decode()

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert "没有这个编号的公开文献" in html and "Not Found" not in html
    assert 'href="/static/defpub/site.css"' in html and 'lang="zh-hans"' in html
    assert '<a href="/p/">全部公开文献</a>' in html


def test_hostile_paths_get_an_escaped_404_and_machine_routes_keep_problem_json(client):
    response = client.get("/p/<script>alert(1)</script>" + "9" * 5000)
    assert response.status_code == 404
    assert "<script>alert" not in response.content.decode()
    assert "<code class=\"number\">&lt;script&gt;alert(1)&lt;</code>" in response.content.decode()

    for path in ("/api/v1/publications/DP-1999-999999", "/ledger/proof/DP-1999-999999",
                 "/api/v1/nothing-here"):
        machine = client.get(path)
        assert machine.status_code == 404, path
        assert machine["Content-Type"] == "application/problem+json", path


def test_a_server_error_page_is_styled_translated_and_needs_no_context(client, settings):
    from django.test import Client
    from django.urls import clear_url_caches, path

    def broken(request):
        raise RuntimeError("injected fault")

    # A failing context processor too: the 500 page must not depend on any of them.
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "OPTIONS": {
        **settings.TEMPLATES[0]["OPTIONS"],
        "context_processors": [*settings.TEMPLATES[0]["OPTIONS"]["context_processors"],
                               "tests.defpub.test_public_pages.failing_context"]}}]
    settings.ROOT_URLCONF = type("urls", (), {
        "urlpatterns": [path("broken", broken)],
        "handler500": "defpub.views.server_error"})
    clear_url_caches()
    try:
        browser = Client(raise_request_exception=False)
        browser.cookies["django_language"] = "zh-hans"
        response = browser.get("/broken")
    finally:
        clear_url_caches()

    html = response.content.decode()
    assert response.status_code == 500
    assert "我们这边出了故障" in html and 'href="/static/defpub/site.css"' in html


def failing_context(request):
    raise RuntimeError("a context processor that fails")


def test_home_is_for_the_public(client):
    html = client.get("/").content.decode()

    for link in ('href="/p/"', 'href="/p/feed.atom"', 'href="/about"', 'href="/about#verify"'):
        assert link in html, link
    assert "/healthz" not in html and "/admin/" not in html
    assert '<link rel="icon" href="/static/defpub/favicon.svg"' in html


def test_about_explains_the_ledger_verification_and_citation_in_both_languages(client):
    english = client.get("/about").content.decode()
    client.cookies["django_language"] = "zh-hans"
    chinese = client.get("/about").content.decode()

    for html in (english, chinese):
        for anchor in ('id="what"', 'id="ledger"', 'id="verify"', 'id="cite"'):
            assert anchor in html
        assert "python -m defpub.verify" in html
    assert "What the ledger proves" in english and "账本证明什么" in chinese
    assert client.post("/about").status_code == 405


def test_favicon_is_served_at_the_root_and_as_static_svg(client):
    icon = client.get("/favicon.ico")
    svg = client.get("/static/defpub/favicon.svg")

    assert icon.status_code == 200 and icon["Content-Type"] == "image/x-icon"
    assert Image.open(io.BytesIO(icon.content)).format == "ICO"
    assert svg.status_code == 200 and b"<svg" in b"".join(svg.streaming_content)
    assert client.post("/favicon.ico").status_code == 405


def test_the_pdf_how_to_verify_link_points_to_a_page_that_exists(client, publication,
                                                                 settings):
    from pypdf import PdfReader

    from defpub.publications.documents import publication_pdf_make

    settings.DEFPUB_PUBLIC_URL = "http://testserver"  # the stored PDF's links are absolute
    publication_pdf_make(publication_id=publication.pk)  # what the worker does after publishing
    pdf = PdfReader(io.BytesIO(client.get(f"/p/{publication.number}.pdf").content))
    links = [annotation.get_object()["/A"]["/URI"]
             for page in pdf.pages for annotation in page.get("/Annots") or []
             if "/A" in annotation.get_object() and "/URI" in annotation.get_object()["/A"]]
    verify = sorted({link for link in links if "verify" in link})  # one link, maybe two lines

    assert verify == ["http://testserver/about#verify"]
    page = client.get(verify[0].removeprefix("http://testserver").split("#")[0])
    assert page.status_code == 200 and 'id="verify"' in page.content.decode()


def test_the_publication_page_has_the_csp_and_its_files_keep_their_sandbox(client, publication):
    page = client.get(f"/p/{publication.number}")
    digest = publication.record["attachments"][0]["sha256"]
    download = client.get(f"/p/{publication.number}/files/{digest}")

    directives = dict(part.strip().split(" ", 1)
                      for part in page["Content-Security-Policy"].split(";") if part.strip())
    assert directives["script-src"] == "'self'"  # (the directives come in any order)
    assert "unsafe-inline" not in page["Content-Security-Policy"]
    assert download["Content-Security-Policy"] == "default-src 'none'; sandbox"
