"""Office XML files: split concatenated documents, resolve the DTDs' named entities, parse
safely.

The weekly bulk files concatenate thousands of documents, each with its own `<?xml ...?>`
declaration and DOCTYPE. They are split line by line while streaming, so a file of any size
is read in constant memory. No DTD and no external entity is ever fetched: the parser is
defusedxml's, which refuses entity declarations (billion laughs) and external references.
The named entities the office DTDs define (ISO 8879 sets such as `&deg;`, `&mgr;`,
`&thgr;`) are replaced by their characters before parsing; an unknown one is kept as text
and reported by name.
"""

import codecs
import html.entities
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from django.conf import settings

MAX_DOCUMENT_BYTES = 64 * 1024 * 1024  # one application; the largest real ones are ~20 MB
# (setting WATCH_MAX_DOCUMENT_BYTES overrides it)
MAX_LINE_BYTES = 16 * 1024 * 1024

_GREEK = {  # ISO 8879 ISOgrk1, used by the USPTO and EPO DTDs
    "agr": "α",
    "bgr": "β",
    "ggr": "γ",
    "dgr": "δ",
    "egr": "ε",
    "zgr": "ζ",
    "eegr": "η",
    "thgr": "θ",
    "igr": "ι",
    "kgr": "κ",
    "lgr": "λ",
    "mgr": "μ",
    "ngr": "ν",
    "xgr": "ξ",
    "ogr": "ο",
    "pgr": "π",
    "rgr": "ρ",
    "sgr": "σ",
    "sfgr": "ς",
    "tgr": "τ",
    "ugr": "υ",
    "phgr": "φ",
    "khgr": "χ",
    "psgr": "ψ",
    "ohgr": "ω",
    "Agr": "Α",
    "Bgr": "Β",
    "Ggr": "Γ",
    "Dgr": "Δ",
    "Egr": "Ε",
    "Zgr": "Ζ",
    "EEgr": "Η",
    "THgr": "Θ",
    "Igr": "Ι",
    "Kgr": "Κ",
    "Lgr": "Λ",
    "Mgr": "Μ",
    "Ngr": "Ν",
    "Xgr": "Ξ",
    "Ogr": "Ο",
    "Pgr": "Π",
    "Rgr": "Ρ",
    "Sgr": "Σ",
    "Tgr": "Τ",
    "Ugr": "Υ",
    "PHgr": "Φ",
    "KHgr": "Χ",
    "PSgr": "Ψ",
    "OHgr": "Ω",
}
_BUILTIN = {"amp", "lt", "gt", "quot", "apos"}
ENTITIES = {
    name[:-1]: value
    for name, value in html.entities.html5.items()
    if name.endswith(";") and name[:-1] not in _BUILTIN
}
ENTITIES.update(_GREEK)
_ENTITY_REF = re.compile(r"&([A-Za-z][A-Za-z0-9._-]{0,40});")
_DOCTYPE_SUBSET = re.compile(r"<!DOCTYPE[^\[>]*\[(.*?)\]\s*>", re.DOTALL)


class DocumentError(Exception):
    """A document that cannot be read; `line` is relative to the document's first line."""

    def __init__(self, message: str, *, line: int | None = None):
        super().__init__(message)
        self.line = line


@dataclass
class RawDocument:
    ordinal: int  # 1-based position in the file
    line: int  # line where it starts in the file
    lines: list[bytes] = field(default_factory=list)
    error: str = ""  # set when the document could not even be cut out (too big, junk)

    @property
    def data(self) -> bytes:
        return b"".join(self.lines)


@dataclass
class ParsedDocument:
    root: Element
    warnings: list[str] = field(default_factory=list)


def split_documents(handle) -> Iterator[RawDocument]:
    """Documents of a concatenated XML file, read line by line (a binary handle)."""
    limit = getattr(settings, "WATCH_MAX_DOCUMENT_BYTES", MAX_DOCUMENT_BYTES)
    current: RawDocument | None = None
    size = 0
    ordinal = 0
    junk_line = None
    for line_number, line in enumerate(_lines(handle), start=1):
        if line.lstrip().startswith(b"<?xml") or (
            current is None and line.lstrip().startswith(b"<")
        ):
            if current is not None:
                yield current
            ordinal += 1
            current = RawDocument(ordinal=ordinal, line=line_number, lines=[line])
            size = len(line)
            continue
        if current is None:
            if line.strip() and junk_line is None:
                junk_line = line_number
            continue
        if current.error:
            continue
        size += len(line)
        if size > limit:
            current.error = f"document larger than {limit:,} bytes; skipped"
            current.lines = []
            continue
        current.lines.append(line)
    if current is not None:
        yield current
    if junk_line is not None:
        yield RawDocument(
            ordinal=0, line=junk_line, error="text that is not XML before the first document"
        )


def _lines(handle) -> Iterator[bytes]:
    while True:
        line = handle.readline(MAX_LINE_BYTES)
        if not line:
            return
        yield line


def parse_document(data: bytes) -> ParsedDocument:
    """Parse one document safely; DocumentError on anything it refuses."""
    encoding = _declared_encoding(data)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise DocumentError(f"not {encoding} ({error.reason})", line=line) from error
    if "\x00" in text:
        raise DocumentError(
            "binary data (NUL bytes), not XML", line=text[: text.index("\x00")].count("\n") + 1
        )
    subset = _DOCTYPE_SUBSET.search(text)
    if subset and "<!ENTITY" in subset.group(1):
        line = text[: subset.start()].count("\n") + 1
        raise DocumentError("the document declares its own entities; refused", line=line)
    warnings: list[str] = []
    text = _ENTITY_REF.sub(lambda m: _entity(m, warnings), text)
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text, count=1)  # the text is already decoded
    try:
        root = fromstring(text, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except ParseError as error:
        line = error.position[0] if getattr(error, "position", None) else None
        raise DocumentError(f"malformed XML: {_reason(error)}", line=line) from error
    except DefusedXmlException as error:
        raise DocumentError(f"refused: {error.__class__.__name__}") from error
    return ParsedDocument(root=root, warnings=sorted(set(warnings)))


def _declared_encoding(data: bytes) -> str:
    """The encoding the XML declaration names (UTF-8 when none, or an unknown one)."""
    match = re.match(rb"\s*<\?xml[^>]*encoding\s*=\s*[\"']([A-Za-z0-9._-]{1,40})[\"']", data)
    if not match:
        return "utf-8"
    try:
        return codecs.lookup(match.group(1).decode("ascii")).name
    except LookupError:
        return "utf-8"


def _entity(match: re.Match, warnings: list[str]) -> str:
    name = match.group(1)
    if name in _BUILTIN:
        return match.group(0)
    value = ENTITIES.get(name)
    if value is None:
        warnings.append(f"unknown entity &{name}; kept as text")
        return f"&amp;{name};"
    return value.replace("&", "&amp;").replace("<", "&lt;")


def _reason(error: ParseError) -> str:
    return str(error).split(":")[0] if str(error) else "syntax error"


# Helpers shared by the office parsers.


def text_of(node: Element | None) -> str:
    """All text inside a node, whitespace collapsed."""
    if node is None:
        return ""
    return re.sub(r"\s+", " ", "".join(node.itertext())).strip()


def find_text(node: Element | None, path: str) -> str:
    return text_of(node.find(path)) if node is not None else ""


def xml_date(value: str) -> str | None:
    """'20180104' -> '2018-01-04'; None when it is not a real date."""
    import datetime

    digits = re.sub(r"\D", "", value or "")
    if len(digits) != 8:
        return None
    try:
        return datetime.date(int(digits[:4]), int(digits[4:6]), int(digits[6:])).isoformat()
    except ValueError:
        return None
