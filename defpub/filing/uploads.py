"""Checks an uploaded figure or document by its content before anything stores it.

The type comes from the bytes (libmagic), never from the name; the name only has to agree.
SVG is XML a browser may run, so it is parsed and held to a strict allow-list of references.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import warnings
from dataclasses import dataclass
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

import magic
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image

ALLOWED_TYPES: dict[str, str] = {
    "application/pdf": ".pdf",
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/svg+xml": ".svg",
}
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
MAX_DISPLAY_NAME = 150

_EXTENSION_TYPES = {**{ext: media for media, ext in ALLOWED_TYPES.items()}, ".jpeg": "image/jpeg"}
_PILLOW_FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG"}
# libmagic calls some SVGs (leading comment, BOM, UTF-16, a script near the top) text or HTML.
_MAYBE_SVG = {"image/svg+xml", "text/xml", "application/xml", "text/plain", "text/html"}
_SVG_ROOT = "{http://www.w3.org/2000/svg}svg"
_XHTML = "http://www.w3.org/1999/xhtml"
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_SAFE_HREF = re.compile(r"\s*(#|data:image/(png|jpeg)[;,])", re.IGNORECASE)
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
_CSS_ESCAPE = re.compile(r"\\([0-9a-fA-F]{1,6})\s?|\\(.)", re.DOTALL)
_CSS_URL = re.compile(r"url\(\s*['\"]?\s*([^'\")\s]*)", re.IGNORECASE)
_CSS_FORBIDDEN = re.compile(r"@import|(?<!\w)(?:image-set|image|src|expression)\(", re.IGNORECASE)


@dataclass(frozen=True)
class CheckedUpload:
    content: bytes
    media_type: str
    extension: str
    sha256: str
    size: int
    display_name: str


def check_upload(*, name: str, content: bytes, max_bytes: int | None = None) -> CheckedUpload:
    """Return the upload with its real type and a safe display name, or raise ValidationError."""
    if max_bytes is None:
        max_bytes = getattr(settings, "DEFPUB_MAX_UPLOAD_BYTES", DEFAULT_MAX_BYTES)
    name = unicodedata.normalize("NFC", name).strip(" ")
    stem, extension = _split_name(name)
    if not content:
        raise _refuse("empty", name, _("“%(name)s” is empty."))
    if len(content) > max_bytes:
        message = _("“%(name)s” is larger than the limit of %(limit)s.")
        raise _refuse("too_large", name, message, limit=filesizeformat(max_bytes))
    media_type = _detect(name, content)
    canonical = ALLOWED_TYPES[media_type]
    actual = _type_label(media_type)
    if not extension:
        message = _(
            "“%(name)s” has no file extension; its content is %(actual)s, so name it “%(fix)s”."
        )
        raise _refuse("type_mismatch", name, message, actual=actual, fix=stem + canonical)
    if (named_type := _EXTENSION_TYPES.get(extension.lower())) != media_type:
        message = _("“%(name)s” is named as %(named)s but its content is %(actual)s.")
        named = _type_label(named_type) if named_type else _("a %(ext)s file") % {"ext": extension}
        raise _refuse("type_mismatch", name, message, named=named, actual=actual)
    if media_type in _PILLOW_FORMATS:
        _check_image(name, content, _PILLOW_FORMATS[media_type])
    elif media_type == "application/pdf":
        _check_pdf(name, content)
    return CheckedUpload(
        content=content,
        media_type=media_type,
        extension=canonical,
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        display_name=stem[: MAX_DISPLAY_NAME - len(canonical)].rstrip(" .") + canonical,
    )


def _refuse(code: str, name: str, message: str, **params: str) -> ValidationError:
    # The name may be the very thing refused: never echo its control characters.
    shown = "".join("\ufffd" if _is_control(char) else char for char in name)[:200]
    return ValidationError(message, code=code, params={"name": shown, **params})


def _is_control(char: str) -> bool:
    return unicodedata.category(char) in {"Cc", "Cs", "Zl", "Zp"} or char in _BIDI_CONTROLS


def _split_name(name: str) -> tuple[str, str]:
    """(stem, extension with its dot or ""), refusing rather than cleaning a path-like name."""
    if any(_is_control(char) for char in name):
        reason = _("it contains a control character")
    elif "/" in name or "\\" in name:
        reason = _("it contains a path separator")
    elif ".." in name:
        reason = _("it contains “..”")
    else:
        stem, dot, extension = name.rpartition(".")
        stem, extension = (stem, dot + extension) if dot else (name, "")
        if stem.strip(" ."):
            return stem.rstrip(), extension
        reason = _("it has no name before the extension") if name else _("it is empty")
    message = _("“%(name)s” is not an acceptable file name: %(reason)s.")
    raise _refuse("bad_name", name, message, reason=reason)


def _type_label(media_type: str) -> str:
    return {
        "application/pdf": _("a PDF"),
        "image/png": _("a PNG image"),
        "image/jpeg": _("a JPEG image"),
        "image/svg+xml": _("an SVG image"),
    }[media_type]


def _detect(name: str, content: bytes) -> str:
    sniffed = magic.from_buffer(content[:8192], mime=True)
    if sniffed in ALLOWED_TYPES and sniffed != "image/svg+xml":
        return sniffed
    if sniffed in _MAYBE_SVG and _check_svg(name, content, claimed=sniffed == "image/svg+xml"):
        return "image/svg+xml"
    looks_like = re.split(r",| - ", magic.from_buffer(content[:8192]))[0][:60]
    if looks_like in {"", "data"}:
        message = _("“%(name)s” is not a PDF, PNG, JPEG or SVG file.")
    else:
        message = _("“%(name)s” is not a PDF, PNG, JPEG or SVG file; it looks like %(looks_like)s.")
    raise _refuse("unsupported_type", name, message, looks_like=looks_like)


def _check_image(name: str, content: bytes, pillow_format: str) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content), formats=[pillow_format]) as image:
                image.verify()
            if pillow_format == "JPEG":  # verify() checks nothing for JPEG: decode, at 1/8 scale
                # The end-of-image marker is checked by hand: WeasyPrint sets Pillow's global
                # LOAD_TRUNCATED_IMAGES, after which load() accepts a cut-off JPEG.
                if not content.rstrip(b"\0").endswith(b"\xff\xd9"):
                    raise ValueError("no JPEG end-of-image marker")
                with Image.open(io.BytesIO(content), formats=[pillow_format]) as image:
                    image.draft("RGB", (1, 1))
                    image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        message = _("“%(name)s” has too many pixels to process safely.")
        raise _refuse("too_large", name, message) from exc
    except Exception as exc:  # Pillow raises many exception types for damaged data
        message = _("“%(name)s” is damaged or truncated, so it cannot be shown.")
        raise _refuse("corrupt", name, message) from exc


def _check_pdf(name: str, content: bytes) -> None:
    if not content.startswith(b"%PDF-"):
        raise _refuse("corrupt", name, _("“%(name)s” does not start with a PDF header."))
    if b"%%EOF" not in content[-1024:]:
        message = _("“%(name)s” has no PDF end marker; it is probably truncated.")
        raise _refuse("corrupt", name, message)


class _Builder(TreeBuilder):
    """Also records processing instructions, which ElementTree otherwise drops."""

    def __init__(self) -> None:
        super().__init__()
        self.instructions: list[str] = []

    def pi(self, target: str, text: str | None = None) -> Element:
        self.instructions.append(target)
        return super().pi(target, text)


# matplotlib, Graphviz and Inkscape write the W3C's public SVG DOCTYPE; it declares nothing
# itself (no internal subset), so it is blanked out and every other DTD is still refused.
_STANDARD_SVG_DOCTYPE = re.compile(
    rb'<!DOCTYPE\s+svg\s+PUBLIC\s+"-//W3C//DTD SVG 1\.[01]//EN"\s+'
    rb'"http://www\.w3\.org/(?:Graphics/SVG/1\.1/DTD/svg11\.dtd|TR/2001/REC-SVG-20010904/DTD/svg10\.dtd)"\s*>'
)


def _check_svg(name: str, content: bytes, *, claimed: bool) -> bool:
    """False if the content is no SVG at all, so the caller can say what it is; raises if unsafe."""
    builder = _Builder()
    parser = DefusedXMLParser(target=builder, forbid_dtd=True)
    content = _STANDARD_SVG_DOCTYPE.sub(lambda m: b" " * len(m.group()), content, count=1)
    try:
        parser.feed(content)
        root = parser.close()
    except DefusedXmlException:
        if not (claimed or b"<svg" in content):
            return False
        problem = _("it declares a DOCTYPE or entities")
    except ParseError as exc:
        if not claimed:
            return False
        message = _("“%(name)s” is not well-formed SVG: %(error)s.")
        raise _refuse("corrupt", name, message, error=str(exc)) from exc
    else:
        if root.tag != _SVG_ROOT:
            if not claimed:
                return False
            message = _("“%(name)s” has no <svg> root element in the SVG namespace.")
            raise _refuse("corrupt", name, message)
        problem = _svg_problem(root, builder.instructions)
    if problem:
        message = _("“%(name)s” is an unsafe SVG: %(problem)s.")
        raise _refuse("unsafe_svg", name, message, problem=problem)
    return True


def _svg_problem(root: Element, instructions: list[str]) -> str | None:
    if "xml-stylesheet" in (target.lower() for target in instructions):
        return _("it loads an external style sheet")
    for element in root.iter():
        namespace, _brace, tag = element.tag.rpartition("}")
        if tag.lower() in {"script", "handler"}:
            return _("it contains a script element")
        if tag.lower() == "foreignobject":
            return _("it contains a foreignObject element")
        if namespace == "{" + _XHTML:
            return _("it contains an HTML %(tag)s element") % {"tag": tag}
        if tag in {"animate", "set"} and element.get("attributeName", "").endswith("href"):
            return _("it animates a link")
        if tag == "style" and (problem := _css_problem(element.text or "")):
            return problem
        for attribute, value in element.attrib.items():
            local = attribute.rpartition("}")[2]
            if local.lower().startswith("on"):
                return _("it has an event handler attribute (%(attr)s)") % {"attr": local}
            if problem := _css_problem(value):
                return problem
            if local == "href" and not _SAFE_HREF.match(value):
                if tag == "use":
                    return _("it contains a use element that points outside the document")
                return _("it links outside the document (%(url)s)") % {"url": value[:80]}
            if attribute == "{http://www.w3.org/XML/1998/namespace}base":
                return _("it sets xml:base")
        if any(_mentions_javascript(text) for text in (element.text, element.tail)):
            return _("it contains a javascript: URL")
    return None


def _css_problem(css: str) -> str | None:
    """Also used on every attribute value: presentation attributes take url() too."""
    css = _CSS_COMMENT.sub("", css)
    css = _CSS_ESCAPE.sub(lambda m: chr(min(int(m[1], 16), 0x10FFFF)) if m[1] else m[2], css)
    if _mentions_javascript(css):
        return _("it contains a javascript: URL")
    if found := _CSS_FORBIDDEN.search(css):
        return _("its styles use %(what)s") % {"what": found[0].rstrip("(")}
    for target in _CSS_URL.findall(css):
        if not target.startswith("#"):
            return _("its styles load %(url)s from outside the document") % {"url": target[:80]}
    return None


def _mentions_javascript(text: str | None) -> bool:
    return bool(text) and "javascript:" in re.sub(r"[\s\x00-\x1f]", "", text).lower()
