"""The printable copy of a publication (/p/<number>.pdf): PDF/A-3b that carries its own proof.

The canonical JSON is embedded as ``<number>.json`` (and the ledger proof as
``<number>.proof.json``), so a verifier can recompute the digest from the PDF alone.
"""

import base64
import json
import mimetypes
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from django.template.loader import render_to_string
from weasyprint import HTML, Attachment
from weasyprint.urls import URLFetcher, URLFetcherResponse

from defpub.markdown import render_markdown
from defpub.publications.fonts import cjk_sans_font

STATIC_DIR = Path(__file__).resolve().parents[1] / "static" / "defpub"
TEMPLATE = "defpub/publication_pdf.html"
# Image types WeasyPrint draws itself; other attachments are only listed.
INLINE_IMAGE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp", "image/svg+xml"}
LANGUAGE_LABELS = {"en": ("English", "en"), "zh": ("中文", "zh-Hans")}

@dataclass(frozen=True)
class Figure:
    """An image attachment shown inline in the PDF."""

    name: str
    media_type: str
    content: bytes
    sha256: str


class URLRefusedError(ValueError):
    """Raised for any URL the PDF renderer may not fetch."""


class ConfinedURLFetcher(URLFetcher):
    """Fetches ``data:`` URIs and files inside ``allowed_dirs``; refuses everything else.

    User content reaches the renderer, so it must never make the server open a
    network connection or read a file outside the fonts and stylesheets we ship.
    """

    def __init__(self, *, allowed_dirs: tuple[Path, ...]):
        super().__init__(allowed_protocols={"data"}, allow_redirects=False)
        self.allowed_dirs = tuple(Path(folder).resolve() for folder in allowed_dirs)

    def fetch(self, url, headers=None):
        scheme = url.partition(":")[0].lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file":
            parts = urlsplit(url)
            path = Path(url2pathname(parts.path)).resolve()
            inside = any(path.is_relative_to(folder) for folder in self.allowed_dirs)
            if parts.netloc in ("", "localhost") and inside and path.is_file():
                media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return URLFetcherResponse(
                    path.as_uri(), path.read_bytes(), {"Content-Type": media_type}
                )
        raise URLRefusedError(f"the PDF renderer may not fetch {url[:100]!r}")


def publication_url_fetcher() -> ConfinedURLFetcher:
    return ConfinedURLFetcher(allowed_dirs=(STATIC_DIR, cjk_sans_font().parent))


def render_publication_pdf(
    *, publication: dict, record: dict, canonical_json: bytes, figures: list[Figure]
) -> bytes:
    """Render a publication as PDF/A-3b with its canonical JSON (and ledger proof) embedded."""
    number = publication["number"]
    published_at = _utc(publication["published_at"])
    fetcher = publication_url_fetcher()
    html = render_to_string(TEMPLATE, _context(publication, record, figures, published_at))

    def attach(content: bytes, name: str, description: str, relationship: str) -> Attachment:
        return Attachment(
            string=content,
            name=name,
            description=description,
            relationship=relationship,
            created=published_at,
            modified=published_at,
            url_fetcher=fetcher,
        )

    attachments = [
        attach(canonical_json, f"{number}.json", "Canonical record; SHA-256 = digest", "Source")
    ]
    if publication.get("ledger"):
        proof = json.dumps(publication["ledger"], ensure_ascii=False, indent=2, sort_keys=True)
        attachments.append(
            attach(proof.encode(), f"{number}.proof.json", "Ledger inclusion proof", "Supplement")
        )
    document = HTML(string=html, base_url=STATIC_DIR.as_uri() + "/", url_fetcher=fetcher)
    return document.write_pdf(pdf_variant="pdf/a-3b", attachments=attachments)


def _context(publication: dict, record: dict, figures: list[Figure], published_at: datetime):
    digest = publication["digest"]
    titles = _languages(record.get("title"))
    return {
        "publication": publication,
        "record": record,
        "number": publication["number"],
        "published_at": published_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
        "published_at_iso": published_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        # Two lines of four 8-digit groups: easy to read aloud and to compare by eye.
        "digest_lines": [_groups(digest[:32]), _groups(digest[32:])],
        "ledger": publication.get("ledger"),
        # The site's about page, beside the permanent URL (which may sit under a path prefix).
        "verify_url": publication["url"].removesuffix(f"/p/{publication['number']}")
        + "/about#verify",
        "titles": titles,
        "title_text": " / ".join(title["text"] for title in titles),
        "abstracts": _languages(record.get("abstract")),
        "descriptions": [
            {**entry, "html": render_markdown(entry["text"])}
            for entry in _languages(record.get("description"))
        ],
        "technical_fields": _languages(_as_languages(record.get("technical_field"))),
        "figures": [
            _figure(figure) for figure in figures if figure.media_type in INLINE_IMAGE_TYPES
        ],
        "attachments": [
            {**item, "sha256_groups": _groups(item.get("sha256", "")), "size_text": _size(item)}
            for item in record.get("attachments") or []
        ],
        "cjk_font_url": cjk_sans_font().as_uri(),
    }


def _languages(field: dict | None) -> list[dict]:
    """A bilingual field as display entries: English first, then Chinese, then any others."""
    field = field or {}
    order = sorted(field, key=lambda code: (code != "en", code != "zh", code))
    entries = []
    for code in order:
        if field[code]:
            label, html_lang = LANGUAGE_LABELS.get(code, (code, code))
            entries.append({"code": code, "label": label, "lang": html_lang, "text": field[code]})
    return entries


def _as_languages(value) -> dict:
    """A plain string is one text in no stated language."""
    return value if isinstance(value, dict) else {"": value}


def _figure(figure: Figure) -> dict:
    encoded = base64.b64encode(figure.content).decode("ascii")
    return {
        "name": figure.name,
        "src": f"data:{figure.media_type};base64,{encoded}",
        "sha256_prefix": figure.sha256[:16],
    }


def _groups(hex_digest: str) -> str:
    return " ".join(hex_digest[i : i + 8] for i in range(0, len(hex_digest), 8))


def _size(attachment: dict) -> str:
    size = attachment.get("size")
    if size is None:
        return ""
    if size < 1024:
        return f"{size:,} bytes"
    return f"{size / 1024:.1f} KiB" if size < 1024**2 else f"{size / 1024**2:.1f} MiB"


def _utc(timestamp: str | datetime) -> datetime:
    moment = timestamp if isinstance(timestamp, datetime) else datetime.fromisoformat(timestamp)
    if moment.tzinfo is None:
        raise ValueError(f"published_at must carry a time zone: {timestamp!r}")
    return moment.astimezone(UTC)
