"""The printed publication (/p/<number>.pdf): real PDF/A bytes, checked with poppler and pypdf."""

import hashlib
import io
import json
import re
import shutil
import subprocess

import pytest
from PIL import Image, ImageDraw
from pypdf import PdfReader
from weasyprint.text.ffi import harfbuzz_subset

from defpub.publications.fonts import cjk_sans_font
from defpub.publications.pdf import (
    STATIC_DIR,
    ConfinedURLFetcher,
    Figure,
    URLRefusedError,
    publication_url_fetcher,
    render_publication_pdf,
)

NUMBER = "DP-2026-000042"
TITLE_EN = "Torque-limited gripper with a magnetorheological clutch"
TITLE_ZH = "带磁流变离合器的限扭夹持器"
ABSTRACT_ZH = "一种机器人夹持器，其驱动轴通过磁流变离合器传递扭矩，从而限制夹持力。"


def png_figure() -> Figure:
    image = Image.new("RGB", (480, 260), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((30, 60, 170, 200), outline="black", width=4)
    draw.rectangle((300, 60, 440, 200), outline="black", width=4)
    draw.line((170, 130, 300, 130), fill="black", width=6)
    draw.ellipse((215, 105, 255, 155), outline="red", width=4)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    content = buffer.getvalue()
    return Figure("fig1-clutch.png", "image/png", content, hashlib.sha256(content).hexdigest())


def svg_figure() -> Figure:
    content = (
        b'<svg xmlns="http://www.w3.org/2000/svg" width="400" height="160" viewBox="0 0 400 160">'
        b'<rect x="10" y="30" width="120" height="100" fill="none" stroke="black"'
        b' stroke-width="3"/>'
        b'<path d="M130 80 H270" stroke="navy" stroke-width="4"/>'
        b'<circle cx="330" cy="80" r="50" fill="none" stroke="black" stroke-width="3"/>'
        b"</svg>"
    )
    return Figure("fig2-layout.svg", "image/svg+xml", content, hashlib.sha256(content).hexdigest())


def sample(*, ledger: dict | None = None, description_en: str | None = None):
    figures = [png_figure(), svg_figure()]
    record = {
        "format": "defpub-record/1",
        "number": NUMBER,
        "published_at": "2026-11-24T23:30:05Z",
        "organisation": {"slug": "acme-robotics", "name": "Acme Robotics Ltd"},
        "title": {"en": TITLE_EN, "zh": TITLE_ZH},
        "abstract": {
            "en": "A robot gripper whose drive shaft transmits torque through a "
            "magnetorheological clutch, so that the gripping force is limited.",
            "zh": ABSTRACT_ZH,
        },
        "description": {
            "en": description_en
            or (
                "## Construction\n\nThe clutch has:\n\n"
                "- a rotor on the drive shaft,\n- a stator coil, and\n- MR fluid in the gap.\n\n"
                "<script>alert('pwned')</script>\n\n"
                "The coil current `I` sets the **slip torque**."
            ),
            "zh": "离合器包括：\n\n1. 转子；\n2. 定子线圈。",
        },
        "technical_field": "Robotics; end effectors",
        "ipc": ["B25J 15/00", "F16D 37/02"],
        "keywords": ["gripper", "magnetorheological", "torque limit"],
        "inventors": ["Ada Example", "王小明"],
        "features": [
            "a drive shaft coupled to the gripper jaws through a magnetorheological clutch",
            "a controller that sets the coil current to limit the transmitted torque",
        ],
        "attachments": [
            {
                "name": figure.name,
                "media_type": figure.media_type,
                "sha256": figure.sha256,
                "size": len(figure.content),
                "role": "figure",
            }
            for figure in figures
        ],
        "corrects": None,
    }
    canonical_json = json.dumps(
        record, ensure_ascii=False, sort_keys=True, separators=(",", ":")
    ).encode()
    digest = hashlib.sha256(canonical_json).hexdigest()
    publication = {
        "number": NUMBER,
        "published_at": record["published_at"],
        "digest": digest,
        "url": f"https://defpub.example.org/p/{NUMBER}",
        "organisation": "Acme Robotics Ltd",
        "corrects": None,
        "ledger": ledger,
    }
    return {
        "publication": publication,
        "record": record,
        "canonical_json": canonical_json,
        "figures": figures,
    }


LEDGER = {
    "leaf_index": 41,
    "tree_size": 57,
    "checkpoint": "defpub.example.org/ledger\n57\nq8rTpl1cMjXg5qv0e8Qn5w0Ug2u0m9Gq1m3a4b5c6d8=\n\n"
    "— defpub.example.org/ledger "
    "Az3m4GQ0aEJ1R1L1sB7hZ3xq9a1W8m4t6y2u0i9o8p7l6k5j4h3g2f1d0s9a8q7w==\n",
    "inclusion_proof": [
        "3q2+7w==" * 5 + "AAAA",
        "ZGVmcHViIGxlZGdlciBwcm9vZiBub2RlIG51bWJlciAy",
    ],
}


@pytest.fixture(scope="module")
def rendered() -> tuple[dict, bytes]:
    inputs = sample()
    return inputs, render_publication_pdf(**inputs)


@pytest.fixture(scope="module")
def pdf_path(rendered, tmp_path_factory):
    if shutil.which("pdftotext") is None or shutil.which("pdfinfo") is None:
        pytest.skip("poppler's pdftotext/pdfinfo are absent: apt-get install poppler-utils")
    path = tmp_path_factory.mktemp("pdf") / "out.pdf"
    path.write_bytes(rendered[1])
    return path


@pytest.fixture(scope="module")
def text(pdf_path) -> str:
    result = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf_path), "-"], capture_output=True, check=True
    )
    return result.stdout.decode("utf-8")


def test_pdf_front_page_carries_number_digest_and_both_titles(rendered, text):
    inputs, pdf = rendered
    digest = inputs["publication"]["digest"]
    assert pdf.startswith(b"%PDF-")
    assert NUMBER in text
    for start in range(0, 64, 8):
        assert digest[start : start + 8] in text
    assert TITLE_EN in text
    # Chinese extracts as real characters only when the CJK font is embedded with glyphs.
    assert TITLE_ZH in re.sub(r"\s+", "", text)
    assert "2026-11-24 23:30:05 UTC" in text
    assert "https://defpub.example.org/p/DP-2026-000042" in text
    assert f"{NUMBER}.json" in text


def test_pdf_numbers_features_and_footers_every_page(rendered, text):
    pages = text.split("\f")
    assert "[1]" in text and "[2]" in text
    assert "magnetorheological clutch" in text
    printed = [page for page in pages if page.strip()]
    assert len(printed) >= 2
    for index, page in enumerate(printed, start=1):
        assert f"page {index} of {len(printed)}" in page
        assert NUMBER in page


def test_user_markdown_script_is_text_not_markup(rendered, text, pdf_path):
    _, pdf = rendered
    assert "<script>alert('pwned')</script>" in text
    info = subprocess.run(["pdfinfo", str(pdf_path)], capture_output=True, text=True, check=True)
    assert re.search(r"^JavaScript:\s+no$", info.stdout, re.MULTILINE)
    assert "rotor on the drive shaft" in text  # the list rendered
    reader = PdfReader(io.BytesIO(pdf))
    root = reader.trailer["/Root"]
    assert "/OpenAction" not in root and "/AA" not in root
    assert "/JavaScript" not in root.get("/Names", {})
    for page in reader.pages:
        for annotation in page.get("/Annots") or []:
            action = annotation.get_object().get("/A") or {}
            assert action.get("/S") != "/JavaScript"


def test_embedded_canonical_json_matches_digest_byte_for_byte(rendered):
    inputs, pdf = rendered
    reader = PdfReader(io.BytesIO(pdf))
    embedded = reader.attachments[f"{NUMBER}.json"]
    assert embedded == [inputs["canonical_json"]]
    assert hashlib.sha256(embedded[0]).hexdigest() == inputs["publication"]["digest"]
    assert f"{NUMBER}.proof.json" not in reader.attachments


def test_pdf_is_identified_as_pdfa_3b_with_metadata(rendered):
    _, pdf = rendered
    reader = PdfReader(io.BytesIO(pdf))
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert re.search(r'pdfaid:part(="|>)3', xmp)
    assert re.search(r'pdfaid:conformance(="|>)B', xmp)
    assert NUMBER in reader.metadata.title and TITLE_EN in reader.metadata.title
    assert reader.metadata.author == "Acme Robotics Ltd"
    assert reader.metadata.creation_date.isoformat().startswith("2026-11-24T23:30:05")


def test_ledger_variant_embeds_the_proof_and_prints_the_checkpoint():
    inputs = sample(ledger=LEDGER)
    pdf = render_publication_pdf(**inputs)
    reader = PdfReader(io.BytesIO(pdf))
    assert json.loads(reader.attachments[f"{NUMBER}.proof.json"][0]) == LEDGER
    assert reader.attachments[f"{NUMBER}.json"] == [inputs["canonical_json"]]
    page_one = reader.pages[0].extract_text()
    assert "Ledger leaf #41 in checkpoint of size 57" in page_one
    assert "defpub.example.org/ledger" in page_one


@pytest.mark.skipif(
    harfbuzz_subset is None,
    reason="libharfbuzz-subset0 is absent: WeasyPrint then subsets fonts with fontTools, "
    "which stamps the time into each font",
)
def test_rendering_is_reproducible(rendered):
    inputs, pdf = rendered
    assert render_publication_pdf(**inputs) == pdf


def test_fetcher_refuses_network_and_files_outside_its_folders(tmp_path):
    fetcher = publication_url_fetcher()
    for url in (
        "http://127.0.0.1:9/x.png",
        "https://example.org/font.otf",
        "ftp://example.org/x",
        "file:///etc/passwd",
        f"{STATIC_DIR.as_uri()}/../../settings/base.py",
        "file://otherhost" + str(STATIC_DIR / "publication_pdf.css"),
    ):
        with pytest.raises(URLRefusedError):
            fetcher.fetch(url)
    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    (allowed / "escape.css").symlink_to(outside)
    confined = ConfinedURLFetcher(allowed_dirs=(allowed,))
    for url in (outside.as_uri(), (allowed / "escape.css").as_uri()):
        with pytest.raises(URLRefusedError):
            confined.fetch(url)


def test_fetcher_serves_data_uris_and_the_files_it_ships():
    fetcher = publication_url_fetcher()
    assert fetcher.fetch("data:text/plain;base64,aGk=").read() == b"hi"
    css = fetcher.fetch((STATIC_DIR / "publication_pdf.css").as_uri())
    assert b"@page" in css.read()
    assert fetcher.fetch(cjk_sans_font().as_uri()).read(4) == b"OTTO"


def test_render_asks_only_for_data_uris_and_shipped_files(monkeypatch):
    hostile_svg = (
        b'<svg xmlns="http://www.w3.org/2000/svg" width="20" height="20">'
        b'<image href="http://127.0.0.1:9/svg-leak.png" width="10" height="10"/></svg>'
    )
    inputs = sample(
        description_en="See ![diagram](http://127.0.0.1:9/leak.png), ![x](/etc/passwd) "
        "and [a link](https://example.org/paper)."
    )
    inputs["figures"].append(Figure("hostile.svg", "image/svg+xml", hostile_svg, "0" * 64))
    asked, allowed = [], []
    real_fetch = ConfinedURLFetcher.fetch

    def spy(self, url, headers=None):
        asked.append(url)
        response = real_fetch(self, url, headers)
        allowed.append(url)
        return response

    monkeypatch.setattr(ConfinedURLFetcher, "fetch", spy)
    pdf = render_publication_pdf(**inputs)

    assert pdf.startswith(b"%PDF-")
    # Markdown images never reach the renderer; an SVG's own reference is asked for and refused.
    assert not any("leak.png" in url and "svg" not in url for url in asked)
    assert "http://127.0.0.1:9/svg-leak.png" in asked
    assert all(url.startswith(("data:", "file:")) for url in allowed)
    assert any(url.endswith("publication_pdf.css") for url in allowed)
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "[image: diagram — http://127.0.0.1:9/leak.png]" in text
    assert "alink<https://example.org/paper>" in re.sub(r"\s+", "", text)  # targets print


def test_both_figures_are_drawn_with_captions(rendered, text):
    _, pdf = rendered
    images = [image for page in PdfReader(io.BytesIO(pdf)).pages for image in page.images]
    assert any(image.image.size == (480, 260) for image in images)
    assert "Figure 1: fig1-clutch.png" in text
    assert "Figure 2: fig2-layout.svg" in text


def test_minimal_chinese_only_record_renders_without_language_labels(tmp_path):
    inputs = sample()
    inputs["record"] = {
        "format": "defpub-record/1",
        "number": NUMBER,
        "published_at": "2026-11-24T23:30:05Z",
        "organisation": {"slug": "acme-robotics", "name": "Acme Robotics Ltd"},
        "title": {"zh": TITLE_ZH},
        "abstract": {"zh": ABSTRACT_ZH},
        "attachments": [],
        "corrects": None,
    }
    inputs["figures"] = []
    inputs["publication"]["corrects"] = "DP-2026-000007"
    pdf = render_publication_pdf(**inputs)
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert TITLE_ZH in re.sub(r"\s+", "", text)
    assert "Corrects DP-2026-000007" in text
    assert "English" not in text and "中文" not in text
    assert "Key technical features" not in text and "Figures" not in text
