"""Uploads are judged by their bytes: real PNG, JPEG, PDF and SVG files made here."""

import hashlib
import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from defpub.filing.uploads import ALLOWED_TYPES, MAX_DISPLAY_NAME, check_upload


def image_bytes(pillow_format: str, size: tuple[int, int] = (64, 48)) -> bytes:
    # Noise, so JPEG data is long enough that cutting it in half really truncates it.
    image = Image.effect_noise(size, 64).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, pillow_format)
    return buffer.getvalue()


PNG = image_bytes("PNG")
JPEG = image_bytes("JPEG")
PDF = image_bytes("PDF")  # Pillow writes a real one-page PDF with an xref table
GIF = image_bytes("GIF")


def svg(body: str, attributes: str = "") -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
        f' width="100" height="100" {attributes}>{body}</svg>'
    ).encode()


SAFE_SVG = svg(
    '<defs><linearGradient id="gradient"><stop offset="0" stop-color="#00f"/></linearGradient>'
    '<circle id="dot" r="3"/></defs>'
    '<rect width="100" height="100" fill="url(#gradient)" style="stroke: url(\'#gradient\')"/>'
    '<use href="#dot"/><use xlink:href="#dot" x="10"/>'
    "<style>rect { fill: url(#gradient); }</style>"
    '<image href="data:image/png;base64,iVBORw0KGgo=" width="1" height="1"/>'
)


def refusal(name: str, content: bytes, **kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        check_upload(name=name, content=content, **kwargs)
    return caught.value


def test_the_four_allowed_types_have_canonical_extensions():
    assert ALLOWED_TYPES == {
        "application/pdf": ".pdf",
        "image/png": ".png",
        "image/jpeg": ".jpg",
        "image/svg+xml": ".svg",
    }


@pytest.mark.parametrize(
    ("name", "content", "media_type", "display_name"),
    [
        ("figure 1.png", PNG, "image/png", "figure 1.png"),
        ("photo.jpg", JPEG, "image/jpeg", "photo.jpg"),
        ("photo.JPEG", JPEG, "image/jpeg", "photo.jpg"),
        ("disclosure.pdf", PDF, "application/pdf", "disclosure.pdf"),
        ("DISCLOSURE.PDF", PDF, "application/pdf", "DISCLOSURE.pdf"),
        ("diagram.svg", SAFE_SVG, "image/svg+xml", "diagram.svg"),
    ],
)
def test_allowed_files_are_accepted_with_their_real_type(name, content, media_type, display_name):
    upload = check_upload(name=name, content=content)
    assert upload.content == content
    assert upload.media_type == media_type
    assert upload.extension == ALLOWED_TYPES[media_type]
    assert upload.sha256 == hashlib.sha256(content).hexdigest()
    assert upload.size == len(content)
    assert upload.display_name == display_name


def test_svg_that_libmagic_calls_text_is_still_recognised():
    content = b'<!-- drawn by hand -->\n<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>'
    assert check_upload(name="hand.svg", content=content).media_type == "image/svg+xml"


def test_display_name_is_nfc_normalised():
    upload = check_upload(name="Cafe\u0301 plan.png", content=PNG)
    assert upload.display_name == "Caf\u00e9 plan.png"


def test_display_name_is_truncated_but_keeps_its_extension():
    upload = check_upload(name="x" * 400 + ".png", content=PNG)
    assert len(upload.display_name) == MAX_DISPLAY_NAME
    assert upload.display_name == "x" * (MAX_DISPLAY_NAME - 4) + ".png"


def test_png_named_as_pdf_is_a_type_mismatch_naming_both():
    error = refusal("report.pdf", PNG)
    assert error.code == "type_mismatch"
    assert error.messages == ["“report.pdf” is named as a PDF but its content is a PNG image."]


@pytest.mark.parametrize(
    ("name", "content"),
    [("photo.png", JPEG), ("figure.svg", PNG), ("figure.exe", PNG), ("doc.jpg", PDF)],
)
def test_extension_must_agree_with_content(name, content):
    assert refusal(name, content).code == "type_mismatch"


def test_name_without_extension_is_refused_with_a_suggestion():
    error = refusal("figure", PNG)
    assert error.code == "type_mismatch"
    assert "“figure.png”" in error.messages[0]


def test_oversize_file_is_refused():
    error = refusal("big.png", PNG, max_bytes=len(PNG) - 1)
    assert error.code == "too_large"
    assert "limit" in error.messages[0]


def test_limit_defaults_to_the_setting(settings):
    settings.DEFPUB_MAX_UPLOAD_BYTES = 10
    assert refusal("big.png", PNG).code == "too_large"
    settings.DEFPUB_MAX_UPLOAD_BYTES = 1024 * 1024
    assert check_upload(name="big.png", content=PNG).size == len(PNG)


def test_limit_is_said_in_megabytes():
    error = refusal("big.png", b"\x00" * (3 * 1024 * 1024), max_bytes=2 * 1024 * 1024)
    assert error.code == "too_large"
    assert error.messages == ["“big.png” is larger than the limit of 2.0\xa0MB."]


def test_image_with_too_many_pixels_is_refused(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)
    assert refusal("huge.png", PNG).code == "too_large"


def test_empty_file_is_refused():
    assert refusal("empty.png", b"").code == "empty"


@pytest.mark.parametrize(
    "name",
    [
        "../x.png",
        "../../etc/passwd.png",
        "a/b.png",
        "a\\b.png",
        "x\x00.png",
        "x\n.png",
        "report\u202egnp.exe.png",
        "..",
        ".",
        "...",
        ".png",
        "",
        "   ",
    ],
)
def test_unsafe_or_empty_names_are_refused_not_cleaned(name):
    error = refusal(name, PNG)
    assert error.code == "bad_name"
    assert not any(char in error.messages[0] for char in "\x00\n\u202e")


def zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "looks_like"),
    [
        ("setup.png", b"MZ\x90\x00" + b"\x00" * 60 + b"PE\x00\x00", "executable"),
        ("archive.pdf", zip_bytes(), "Zip archive"),
        ("page.svg", b"<!DOCTYPE html><html><body><p>hi</p></body></html>", "HTML"),
        ("anim.png", GIF, "GIF image"),
        ("notes.svg", b"just some notes", "text"),
    ],
    ids=["exe", "zip", "html", "gif", "text"],
)
def test_other_types_are_unsupported_and_say_what_they_look_like(name, content, looks_like):
    error = refusal(name, content)
    assert error.code == "unsupported_type"
    assert looks_like in error.messages[0]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("cut.png", PNG[: len(PNG) // 2]),
        ("cut.png", PNG[:-12]),  # only IEND missing
        ("cut.jpg", JPEG[: len(JPEG) // 2]),
        ("cut.pdf", PDF[: len(PDF) // 2]),
        ("bad.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><rect></svg>'),
        ("plain.svg", b"<svg><rect/></svg>"),  # no SVG namespace
    ],
)
def test_damaged_files_are_corrupt(name, content):
    assert refusal(name, content).code == "corrupt"


@pytest.mark.parametrize(
    ("content", "found"),
    [
        (svg("<script>alert(1)</script>"), "script element"),
        (b'<!-- x -->\n<svg xmlns="http://www.w3.org/2000/svg"><script>1</script></svg>', "script"),
        (svg("<foreignObject><div>hi</div></foreignObject>"), "foreignObject"),
        (svg('<rect onclick="alert(1)"/>'), "onclick"),
        (svg("", 'onload="alert(1)"'), "onload"),
        (svg('<a href="https://evil.example/"><rect/></a>'), "evil.example"),
        (svg('<image xlink:href="http://evil.example/x.png"/>'), "evil.example"),
        (svg('<image href="data:image/svg+xml;base64,PHN2Zz4="/>'), "data:image/svg+xml"),
        (svg('<a href="java&#x09;script:alert(1)"><rect/></a>'), "javascript:"),
        (svg('<use href="other.svg#dot"/>'), "use element"),
        (svg('<rect style="fill: url(https://evil.example/p.svg#p)"/>'), "evil.example"),
        (svg('<rect fill="url(https://evil.example/p.svg#p)"/>'), "evil.example"),
        (svg("<style>@import url(#x);</style>"), "@import"),
        (svg("<style>rect { fill: url('http://evil.example/a#b') }</style>"), "evil.example"),
        (svg(r"<style>rect { fill: \75 rl(http://evil.example/a) }</style>"), "evil.example"),
        (svg("<style>svg { background: image-set('http://x/a.png' 1x) }</style>"), "use image-set"),
        (svg("<text>javascript:alert(1)</text>"), "javascript:"),
        (svg('<set attributeName="href" to="https://evil.example/"/>'), "animates a link"),
        (svg('<iframe xmlns="http://www.w3.org/1999/xhtml" src="https://x"/>'), "HTML iframe"),
        (
            b'<?xml-stylesheet href="https://evil.example/a.css"?>'
            b'<svg xmlns="http://www.w3.org/2000/svg"/>',
            "style sheet",
        ),
        (
            b'<?xml version="1.0"?>\n<!DOCTYPE svg SYSTEM "https://evil.example/x.dtd">\n'
            b'<svg xmlns="http://www.w3.org/2000/svg"/>',
            "DOCTYPE",
        ),
        (
            b'<?xml version="1.0"?>\n<!DOCTYPE svg [<!ENTITY a "aaaaaaaa">]>\n'
            b'<svg xmlns="http://www.w3.org/2000/svg"><text>&a;&a;</text></svg>',
            "entities",
        ),
    ],
)
def test_unsafe_svg_is_refused_saying_what_was_found(content, found):
    error = refusal("figure.svg", content)
    assert error.code == "unsafe_svg"
    assert found in error.messages[0]


def test_svg_with_the_standard_w3c_doctype_is_accepted():
    svg = (
        b'<?xml version="1.0" encoding="utf-8" standalone="no"?>\n'
        b'<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN"\n'
        b'  "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n'
        b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        b'<rect width="10" height="10"/></svg>'
    )
    assert check_upload(name="plot.svg", content=svg).media_type == "image/svg+xml"


def test_svg_doctype_with_an_internal_subset_is_still_refused():
    svg = (
        b'<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
        b'"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd" [<!ENTITY x "y">]>'
        b'<svg xmlns="http://www.w3.org/2000/svg">&x;</svg>'
    )
    with pytest.raises(ValidationError) as caught:
        check_upload(name="plot.svg", content=svg)
    assert caught.value.code == "unsafe_svg"


def test_truncated_jpeg_is_refused_even_after_weasyprint_loosened_pillow(monkeypatch):
    from PIL import ImageFile

    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)  # what importing WeasyPrint does
    whole = image_bytes("JPEG")
    with pytest.raises(ValidationError) as caught:
        check_upload(name="cut.jpg", content=whole[: len(whole) * 2 // 3])
    assert caught.value.code == "corrupt"
