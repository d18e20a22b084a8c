"""A publication cited as non-patent literature, in English or in Chinese (docs/citing.md).

English follows WIPO ST.14 for documents retrieved online. Chinese follows the same order
of elements, written as Chinese examiners write them (GB/T 7714-2015 for electronic
resources: [EB/OL], a bracketed date of retrieval, the URL; titles in 《》).
Everything comes from the immutable record, the number and the digest.
"""

from datetime import date

LANGUAGES = ("en", "zh")


def citation_text(*, record: dict, number: str, digest: str, url: str, language: str = "en",
                  retrieved: date | None = None) -> str:
    """The citation in `language` ("en" or "zh"); `retrieved` adds the date of retrieval."""
    published = date.fromisoformat(record["published_at"][:10])
    organisation = record["organisation"]["name"]
    if language == "zh":
        titles = "/".join(f"《{title}》" for title in _titles(record, first="zh"))
        on = f" [{retrieved.isoformat()}]" if retrieved else ""
        return (f"{organisation}. {titles}[EB/OL]. DefPub 防御性公开, {number}, "
                f"{published.isoformat()}{on}. {url}. SHA-256: {digest}.")
    titles = " / ".join(f"“{title}”" for title in _titles(record, first="en"))
    on = f" [retrieved on {retrieved.isoformat()}]" if retrieved else ""
    return (f"{organisation}: {titles}. DefPub defensive publication {number}, "
            f"{published:%d %B %Y} ({published.isoformat()}), [online]{on}. "
            f"Retrieved from the Internet: <URL: {url}>. SHA-256 {digest}.")


def _titles(record: dict, *, first: str) -> list[str]:
    """The record's titles, the citation's own language first."""
    titles = record.get("title") or {}
    order = sorted(titles, key=lambda code: code != first)
    return [titles[code] for code in order if titles[code]]
