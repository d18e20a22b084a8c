"""Writing filings: one pipeline for every format (JSONL, USPTO, EPO, CNIPA XML)."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.db import IntegrityError, transaction
from django.db.models import Q

from defpub.audit.services import audit
from defpub.models import AuditAction
from defpub.queueing import enqueue
from review.importers import cnipa, epo, jsonl, uspto
from review.importers.common import FilingData, earliest
from review.importers.xmldocs import DocumentError, parse_document, split_documents
from review.models import Claim, Filing
from search.claims import parse_claims

FORMATS = ("auto", "jsonl", "uspto", "epo", "cnipa")
_XML_PARSERS = {
    uspto.ROOT: ("uspto", uspto.parse),
    epo.ROOT: ("epo", epo.parse),
    **{root: ("cnipa", cnipa.parse) for root in cnipa.ROOTS},
}


class ImportFailed(Exception):
    """The file as a whole cannot be read (missing, empty, not a known format)."""


@dataclass
class ImportReport:
    documents: int = 0
    created: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)  # "FILE: document N (line L): why"
    warnings: list[str] = field(default_factory=list)
    created_ids: list[int] = field(default_factory=list)  # for screening, later


def filings_import(
    *,
    path: Path,
    fmt: str = "auto",
    progress: Callable[[int], None] | None = None,
    report: ImportReport | None = None,
) -> ImportReport:
    """Import every document of a file; each in its own transaction, so a bad one costs
    only itself. A re-import of the same office, number and kind changes nothing.
    `progress(1)` is called as each document starts; a caller that passes its own empty
    `report` can read the counts so far from it there (feeds show them while they run)."""
    if fmt not in FORMATS:
        raise ImportFailed(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    if not path.is_file():
        raise ImportFailed(f"{path}: no such file")
    if fmt == "auto":
        fmt = detect_format(path)
    report = ImportReport() if report is None else report
    records = _jsonl_records(path) if fmt == "jsonl" else _xml_records(path, fmt)
    for where, data, warnings in records:
        report.documents += 1
        report.warnings.extend(f"{path.name}: {where}: {warning}" for warning in warnings)
        if progress:
            progress(1)
        if isinstance(data, DocumentError):
            report.errors.append(f"{path.name}: {where}: {data}")
            continue
        try:
            filing, created = filing_save(data=data, source=f"{path.name}: {where}")
        except DocumentError as error:
            report.errors.append(f"{path.name}: {where}: {error}")
        else:
            report.created += created
            report.unchanged += not created
            if created:
                report.created_ids.append(filing.pk)
                report.warnings.extend(f"{path.name}: {where}: {p}" for p in filing.problems)
    return report


def detect_format(path: Path) -> str:
    with open(path, "rb") as handle:
        head = handle.read(65536)
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not text:
        raise ImportFailed(f"{path}: the file is empty")
    if text.startswith(b"{"):
        return "jsonl"
    if text.startswith(b"<"):
        return "xml"
    raise ImportFailed(f"{path}: neither JSON lines nor XML (it starts with {text[:16]!r})")


def _xml_records(
    path: Path, fmt: str
) -> Iterator[tuple[str, FilingData | DocumentError, list[str]]]:
    with open(path, "rb") as handle:
        for raw in split_documents(handle):
            where = (
                f"document {raw.ordinal} (line {raw.line})" if raw.ordinal else f"line {raw.line}"
            )
            if raw.error:
                yield where, DocumentError(raw.error), []
                continue
            try:
                parsed = parse_document(raw.data)
                name, parser = _XML_PARSERS.get(parsed.root.tag.rsplit("}", 1)[-1], ("", None))
                if parser is None or (fmt not in ("xml", name)):
                    raise DocumentError(
                        f"<{parsed.root.tag}> is not a {fmt if fmt != 'xml' else 'known'} document"
                    )
                yield where, _guarded(parser, parsed.root), parsed.warnings
            except DocumentError as error:
                if error.line:
                    where = f"document {raw.ordinal} (line {raw.line + error.line - 1})"
                yield where, error, []


def _guarded(parser, root) -> FilingData:
    """An office parser's own bug must cost one document, not the whole weekly file."""
    try:
        return parser(root)
    except DocumentError:
        raise
    except RecursionError as error:
        raise DocumentError("elements nested too deeply") from error
    except Exception as error:  # noqa: BLE001
        raise DocumentError(f"could not be read ({error.__class__.__name__}: {error})") from error


def _check_lengths(data: FilingData) -> None:
    for model_field in Filing._meta.get_fields():
        limit = getattr(model_field, "max_length", None)
        value = getattr(data, model_field.name, None)
        if limit and isinstance(value, str) and len(value) > limit:
            raise DocumentError(f"{model_field.name} longer than {limit} characters")


def _jsonl_records(path: Path) -> Iterator[tuple[str, FilingData | DocumentError, list[str]]]:
    with open(path, "rb") as handle:
        for number, line in enumerate(_bounded_lines(handle), start=1):
            if line is None:
                yield f"line {number}", DocumentError("line too long; skipped"), []
                continue
            if not line.strip():
                continue
            try:
                yield f"line {number}", jsonl.parse_line(line.decode("utf-8")), []
            except UnicodeDecodeError:
                yield f"line {number}", DocumentError("not UTF-8"), []
            except DocumentError as error:
                yield f"line {number}", error, []


def _bounded_lines(handle) -> Iterator[bytes | None]:
    """Lines of at most MAX_LINE_CHARS bytes; None for a longer one (read past, not kept)."""
    limit = jsonl.MAX_LINE_CHARS
    while line := handle.readline(limit + 1):
        if len(line) <= limit or line.endswith(b"\n"):
            yield line
            continue
        while (rest := handle.readline(limit)) and not rest.endswith(b"\n"):
            pass
        yield None


@transaction.atomic
def filing_save(*, data: FilingData, source: str = "") -> tuple[Filing, bool]:
    """Save one filing with its claims, or return the one already there (unchanged)."""
    _check_lengths(data)
    existing = Filing.objects.filter(office=data.office, number=data.number, kind=data.kind).first()
    if existing is not None:
        return existing, False
    earliest_date, reason = earliest(data)
    claims = parse_claims(data.claims)
    try:
        with transaction.atomic():
            filing = Filing.objects.create(
                office=data.office,
                number=data.number,
                kind=data.kind,
                application_number=data.application_number,
                filing_date=data.filing_date,
                publication_date=data.publication_date,
                language=data.language,
                title=data.title,
                abstract=data.abstract,
                applicants=data.applicants,
                ipc=data.ipc,
                cpc=data.cpc,
                priority_claims=data.priority_claims,
                benefit_claims=data.benefit_claims,
                pct=data.pct,
                earliest_date=earliest_date,
                earliest_reason=reason,
                first_version=_first_version(data),
                source=source[:300],
                problems=[*data.warnings, *(p for claim in claims for p in claim.problems)],
            )
    except IntegrityError:  # imported by someone else meanwhile
        return Filing.objects.get(office=data.office, number=data.number, kind=data.kind), False
    Claim.objects.bulk_create(
        Claim(
            filing=filing,
            number=claim.number,
            text=claim.text,
            independent=claim.independent,
            parents=claim.parents,
            references=claim.references,
            elements=[element.as_dict() for element in claim.elements],
            problems=claim.problems,
        )
        for claim in claims
    )
    audit(actor=None, action=AuditAction.FILING_IMPORT, target=filing, source=source[:300])
    return filing, True


def _first_version(data: FilingData) -> Filing | None:
    """An earlier kind of the same application (A1 before A2 or B1): link to its first."""
    same = Q(office=data.office) & (
        Q(application_number=data.application_number)
        if data.application_number
        else Q(number=data.number)
    )
    earlier = Filing.objects.filter(same).order_by("publication_date", "pk").first()
    if earlier is None:
        return None
    return earlier.first_version or earlier


def filing_screen_queue(*, filing: Filing, by=None) -> None:
    """Queue the filing's (re-)screening on the `screening` queue, after the surrounding
    transaction commits, and record who asked. Re-screening replaces candidates only: a
    case's status, reason and notes are the panel's and stay
    (review.cases.case_open_for_screening)."""
    with transaction.atomic():
        audit(actor=by, action=AuditAction.FILING_SCREEN_QUEUED, target=filing,
              filing=filing.label)
        transaction.on_commit(lambda: enqueue("review.screen_filing", filing.pk))
