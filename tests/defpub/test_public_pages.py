import hashlib
import io
import json
import re

import pytest
import rfc8785
from PIL import Image

from defpub.models import Publication
from defpub.publication_pdf import publication_pdf_make
from defpub.services.disclosures import (
    attachment_add,
    disclosure_approve,
    disclosure_create,
    disclosure_submit,
)

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
