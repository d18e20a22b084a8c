"""How a query is cut into the pieces the engine searches (search/engine.py), each labelled.

Numbered claims ("1. A device comprising … 2. The device of claim 1, wherein …", "1.一种…",
"1、一种…") are parsed by the claims parser (search/claims.py, the one review uses) and
searched element by element: the preamble and each limitation of the independent claims,
each piece labelled "claim 1, element 2". Prior art against the independent claims is what
an examiner needs first; dependent claims' limitations are added only while there is room.
Any other text is searched as before: a short query as is, long text cut at sentence ends
into model-sized pieces.
"""

import re
from dataclasses import dataclass, field

from search.chunking import MAX_CHARS, split_long
from search.claims import ClaimSource, parse_claims, references_in
from search.text import detect_lang

MAX_PASTED_CLAIMS = 100  # claims parsed from one query; longer sets are cut there

# A claim starts at the text's start, at a line start, or after a sentence end, with its
# number and "." "．" "、" or ")" (not a decimal point: "1.5 mm").
_CLAIM_START = re.compile(r"(?:^|(?<=[.。．!?！？\n]))\s*(\d{1,4})\s*[.．、)）](?!\d)")
_WORDS = re.compile(r"[^\W\d_]")  # a letter or a Han character: something to search for
# An element that is only the cue the parser split on ("其特征在于：", "wherein:") says nothing.
_CUE_ONLY = re.compile(r"(?i)^\W*(?:wherein|whereby|characteri[sz]ed\s+(?:in\s+that|by)|"
                       r"其特征在于|其中|and|or)?\W*$")


@dataclass(frozen=True)
class Piece:
    """One searched piece of a query; from claims, which claim and elements it is."""

    text: str
    claim: int | None = None
    elements: tuple[int, ...] = ()  # 1-based element numbers within the claim
    lang: str = "en"  # the claim's language, for the label

    @property
    def label(self) -> str:
        """ "claim 1, element 2" (in the claim's language); "" for a piece of plain text."""
        if self.claim is None:
            return ""
        numbers = (str(self.elements[0]) if len(self.elements) == 1
                   else f"{self.elements[0]}–{self.elements[-1]}")
        if self.lang == "zh":
            return f"权利要求{self.claim}，要素{numbers}"
        noun = "element" if len(self.elements) == 1 else "elements"
        return f"claim {self.claim}, {noun} {numbers}"


@dataclass(frozen=True)
class QueryPlan:
    pieces: list[Piece]
    claims: list[int] = field(default_factory=list)  # the claims searched, element by element
    skipped: list[int] = field(default_factory=list)  # independent claims left out (limit)
    limit: int = 0  # the most pieces searched

    @property
    def as_claims(self) -> bool:
        return bool(self.claims)

    @property
    def element_count(self) -> int:
        return sum(len(piece.elements) for piece in self.pieces)


def plan(text: str, *, limit: int) -> QueryPlan:
    """The pieces of a query, at most `limit`: numbered claims by the elements of their
    independent claims (all of the first, then each further claim that fits whole), then of
    the dependent claims that fit whole; any other text as before (sentence_pieces)."""
    independent, dependent = _searchable_claims(text or "")
    if not independent:
        return QueryPlan(pieces=sentence_pieces(text or "", limit=limit), limit=limit)
    first_number, first = independent[0]
    pieces = _grouped(first_number, first, limit=limit)
    searched, skipped = [first_number], []
    for is_independent, claims in ((True, independent[1:]), (False, dependent)):
        for number, elements in claims:
            if len(pieces) + len(elements) <= limit:
                pieces += [Piece(text, number, (element,), lang)
                           for element, text, lang in elements]
                searched.append(number)
            elif is_independent:
                skipped.append(number)
    return QueryPlan(pieces=pieces, claims=sorted(searched), skipped=skipped, limit=limit)


def sentence_pieces(text: str, *, limit: int) -> list[Piece]:
    """A short query as is; long text cut at sentence ends into model-sized pieces."""
    text = " ".join(text.split())
    lang = detect_lang(text)
    if len(text) <= MAX_CHARS[lang]:
        return [Piece(text)]
    return [Piece(text[a:b]) for a, b in split_long(text, lang)][:limit]


def split_pasted_claims(text: str) -> list[ClaimSource]:
    """Claims as pasted into a search box: the text starts with a claim number, and each
    later claim starts with a higher number at a line start or after a sentence end, on
    one line or several, with or without a space after the number. [] when the text does
    not start with a claim number."""
    sources: list[ClaimSource] = []
    starts: list[re.Match] = []
    for match in _CLAIM_START.finditer(text):
        number = int(match.group(1))
        if not starts and (match.start() != 0 or number == 0):
            return []
        if not starts or number > int(starts[-1].group(1)):
            starts.append(match)
            if len(starts) > MAX_PASTED_CLAIMS:
                break
    for index, match in enumerate(starts[:MAX_PASTED_CLAIMS]):
        end = starts[index + 1].start() if index + 1 < len(starts) else len(text)
        sources.append(ClaimSource(number=int(match.group(1)),
                                   text=text[match.end():end].strip()))
    return sources


Searchable = list[tuple[int, list[tuple[int, str, str]]]]


def _searchable_claims(text: str) -> tuple[Searchable, Searchable]:
    """The independent and the dependent claims that have something to search: each claim's
    number and its elements as (element number, text cut to the model's size, language). A
    dependent claim's element that only names its parent ("The device of claim 1,") is left
    out."""
    independent, dependent = [], []
    for claim in parse_claims(split_pasted_claims(text)):
        lang = detect_lang(claim.text)
        elements = []
        for number, element in enumerate(claim.elements, start=1):
            words = " ".join(element.text.split())
            if not _WORDS.search(words) or _CUE_ONLY.match(words):
                continue
            if not claim.independent and len(claim.elements) > 1 and references_in(words)[0]:
                continue
            elements.append((number, words[:MAX_CHARS[detect_lang(words)]], lang))
        if elements:
            (independent if claim.independent else dependent).append((claim.number, elements))
    return independent, dependent


def _grouped(number: int, elements: list[tuple[int, str, str]], *, limit: int) -> list[Piece]:
    """The first claim's elements, neighbours joined when there are more than `limit`, so that
    all of its text is searched."""
    size, extra = divmod(len(elements), limit)
    if not size:
        return [Piece(text, number, (element,), lang) for element, text, lang in elements]
    pieces, start = [], 0
    for group in range(limit):
        end = start + size + (1 if group < extra else 0)
        run = elements[start:end]
        joined = " ".join(text for _, text, _ in run)
        lang = run[0][2]
        pieces.append(Piece(joined[:MAX_CHARS[detect_lang(joined)]], number,
                            tuple(element for element, _, _ in run), lang))
        start = end
    return pieces
