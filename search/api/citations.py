"""Citation exports an examiner can paste: RIS, BibTeX and CSV, for one publication or a
page of search results. Each entry carries the number, titles, date, permanent URL and the
SHA-256 digest, and the WIPO ST.14-style NPL citation (defpub.publications.selectors.citation).

The renderers are DRF renderers chosen by `?format=ris|bibtex|csv` (or the Accept header);
the views hand them a list of `entry()` dicts under "citations".
"""

import csv
import io
import re

from rest_framework.renderers import BaseRenderer

from defpub.models import Publication
from defpub.publications import selectors


def entry(publication: Publication, request=None, **extra) -> dict:
    record = publication.record
    return {
        "number": publication.number,
        "title": record["title"],
        "abstract": record["abstract"],
        "published": publication.published_at.date().isoformat(),
        "organisation": record["organisation"]["name"],
        "ipc": record["ipc"],
        "keywords": record["keywords"],
        "url": selectors.public_url(publication.get_absolute_url(), request),
        "digest": publication.digest,
        "citation": selectors.citation(publication, request),
        **extra,
    }


def _languages(texts: dict) -> list[tuple[str, str]]:
    return [(lang, texts[lang]) for lang in ("en", "zh") if texts.get(lang)]


def ris(entries: list[dict]) -> str:
    """RIS (Research Information Systems) records: one TY … ER block per publication."""
    lines = []
    for item in entries:
        titles = _languages(item["title"])
        lines += ["TY  - RPRT", f"TI  - {_line(titles[0][1])}"]
        lines += [f"TT  - {_line(text)}" for _, text in titles[1:]]
        lines += [f"AU  - {_line(item['organisation'])}", "PB  - DefPub",
                  f"PY  - {item['published'][:4]}", f"DA  - {item['published'].replace('-', '/')}",
                  f"SN  - {item['number']}", "M3  - Defensive publication",
                  f"UR  - {item['url']}", f"LA  - {titles[0][0]}"]
        lines += [f"AB  - {_line(text)}" for _, text in _languages(item["abstract"])[:1]]
        lines += [f"KW  - {code}" for code in item["ipc"]]
        lines += [f"KW  - {_line(word)}" for word in item["keywords"]]
        lines += [f"N1  - SHA-256: {item['digest']}", f"N1  - {_line(item['citation'])}",
                  "ER  - ", ""]
    return "\r\n".join(lines)


def bibtex(entries: list[dict]) -> str:
    blocks = []
    for item in entries:
        titles = _languages(item["title"])
        fields = [
            ("title", _tex(titles[0][1])),
            *((f"title{lang}", _tex(text)) for lang, text in titles[1:]),
            ("author", "{" + _tex(item["organisation"]) + "}"),  # a corporate author
            ("institution", "DefPub"),
            ("type", "Defensive publication"),
            ("number", item["number"]),
            ("year", item["published"][:4]),
            ("date", item["published"]),
            ("url", item["url"]),
            ("language", {"en": "english", "zh": "chinese"}[titles[0][0]]),
            ("keywords", _tex(", ".join(item["ipc"] + item["keywords"]))),
            ("note", f"SHA-256 {item['digest']}"),
        ]
        key = item["number"].replace("-", "")
        body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
        blocks.append(f"@techreport{{{key},\n{body}\n}}\n")
    return "\n".join(blocks)


CSV_COLUMNS = ["rank", "score", "number", "title_en", "title_zh", "published", "organisation",
               "ipc", "url", "sha256", "citation"]


def csv_text(entries: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for item in entries:
        writer.writerow([_cell(value) for value in (
            item.get("rank", ""), item.get("score", ""), item["number"],
            item["title"].get("en", ""), item["title"].get("zh", ""), item["published"],
            item["organisation"], "; ".join(item["ipc"]), item["url"], item["digest"],
            item["citation"],
        )])
    return out.getvalue()


def _line(text: str) -> str:
    return " ".join(str(text).split())


_TEX_SPECIAL = re.compile(r"([\\{}%&$#_^~])")
_TEX_REPLACEMENT = {"\\": r"\textbackslash{}", "^": r"\^{}", "~": r"\~{}"}


def _tex(text: str) -> str:
    return _TEX_SPECIAL.sub(lambda m: _TEX_REPLACEMENT.get(m.group(1), "\\" + m.group(1)),
                            _line(text))


def _cell(value) -> str:
    """Spreadsheets run a cell that starts with = + - @ as a formula; quote such text."""
    text = str(value)
    if isinstance(value, str) and text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


class _CitationRenderer(BaseRenderer):
    charset = "utf-8"
    write = staticmethod(ris)

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if not isinstance(data, dict) or "citations" not in data:
            return b""  # a response without a body (204 to a CORS preflight)
        # An empty body would lose its Content-Type in DRF; a blank line is an empty list.
        return (type(self).write(data["citations"]) or "\r\n").encode(self.charset)


class RISRenderer(_CitationRenderer):
    media_type = "application/x-research-info-systems"
    format = "ris"
    write = staticmethod(ris)


class BibTeXRenderer(_CitationRenderer):
    media_type = "application/x-bibtex"
    format = "bibtex"
    write = staticmethod(bibtex)


class CSVRenderer(_CitationRenderer):
    media_type = "text/csv"
    format = "csv"
    write = staticmethod(csv_text)


CITATION_RENDERERS = [RISRenderer, BibTeXRenderer, CSVRenderer]
