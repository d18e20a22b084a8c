"""JSONL filings, one per line (docs/watch.md, shared DESIGN.md):
{"office", "number", "kind"?, "title", "abstract", "claims": ["1. ...", ...], "priority_date",
 "filing_date"?, "publication_date"?, "applicants"?: [..], "ipc"?: [..], "language"?}

`title` and `abstract` are {lang: text} or a plain string (in `language`, default "en").
"""

import datetime
import json

from review.importers.common import FilingData
from review.importers.xmldocs import DocumentError
from search.claims import ClaimSource, split_claims

MAX_LINE_CHARS = 16 * 1024 * 1024


def parse_line(line: str) -> FilingData:
    if len(line) > MAX_LINE_CHARS:
        raise DocumentError("line too long")
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        raise DocumentError(f"not JSON ({error.msg} at column {error.colno})") from error
    except RecursionError as error:
        raise DocumentError("not JSON (nested too deeply)") from error
    if not isinstance(record, dict):
        raise DocumentError("a line must be a JSON object")
    if _has_nul(record, depth=0):
        raise DocumentError("NUL characters are not allowed")
    office, number = _text(record, "office").upper(), _text(record, "number")
    if not office or not number:
        raise DocumentError("office and number are required")
    language = _text(record, "language").lower() or "en"
    data = FilingData(
        office=office,
        number=number,
        kind=_text(record, "kind"),
        application_number=_text(record, "application_number"),
        filing_date=_date(record, "filing_date"),
        publication_date=_date(record, "publication_date"),
        language=language,
        title=_languages(record.get("title"), language, "title"),
        abstract=_languages(record.get("abstract"), language, "abstract"),
        applicants=_strings(record, "applicants"),
        ipc=_strings(record, "ipc"),
        cpc=_strings(record, "cpc"),
        claims=_claims(record.get("claims")),
    )
    priority = _date(record, "priority_date")
    if priority:
        data.priority_claims.append(
            {
                "country": _text(record, "priority_country"),
                "number": _text(record, "priority_number"),
                "date": priority,
            }
        )
    if not data.title:
        raise DocumentError("title is required")
    return data


def _has_nul(value, *, depth: int) -> bool:
    if depth > 50:
        raise DocumentError("nested too deeply")
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(
            _has_nul(k, depth=depth + 1) or _has_nul(v, depth=depth + 1) for k, v in value.items()
        )
    if isinstance(value, list):
        return any(_has_nul(item, depth=depth + 1) for item in value)
    return False


def _text(record: dict, key: str) -> str:
    value = record.get(key)
    if value is None:
        return ""
    if not isinstance(value, str | int):
        raise DocumentError(f"{key} must be a string")
    return str(value).strip()


def _date(record: dict, key: str) -> str | None:
    value = _text(record, key)
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(value[:10]).isoformat()
    except ValueError as error:
        raise DocumentError(f"{key}: {value[:40]!r} is not a date (YYYY-MM-DD)") from error


def _languages(value, language: str, key: str) -> dict:
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        return {language: value}
    if isinstance(value, dict) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        return {k.lower(): v for k, v in value.items() if v.strip()}
    raise DocumentError(f"{key} must be a string or {{lang: text}}")


def _strings(record: dict, key: str) -> list[str]:
    value = record.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise DocumentError(f"{key} must be a list of strings")
    return value


def _claims(value) -> list[ClaimSource]:
    if value is None:
        return []
    if isinstance(value, str):
        return split_claims(value)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise DocumentError("claims must be a list of strings")
    return [ClaimSource(number=None, text=text) for text in value]
