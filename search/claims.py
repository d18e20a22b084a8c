"""Claims parser: dependencies and elements, English and Chinese.

`parse_claims` takes the claims of one filing (number, text and, from XML, `claim-ref`
targets and the start offsets of nested `claim-text` blocks) and returns, per claim:
whether it is independent, its parents, its references (an independent claim in another
category that refers to other claims), its elements with offsets, and its problems. It never
raises on any text, and a reference it cannot resolve is reported, never guessed.
"""

import re
from dataclasses import dataclass, field

_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")  # length-preserving

_NUMBER_PREFIX = re.compile(r"^\s*(?:claim\s*)?(\d{1,4})\s*[.．、):]\s*", re.IGNORECASE)
_SEPARATOR = r"(?:,|，|、|;|and/or|and|or|或者|或|和|及)"
_RANGE = r"(?:to|through|thru|-|–|—|~|～|至|到)"
_LIST = rf"\d{{1,4}}(?:(?:\s*(?:{_SEPARATOR}|{_RANGE}))+\s*(?:claims?\s*|权利要求\s*)?\d{{1,4}})*"
_EN_REF = re.compile(rf"\bclaims?\s*({_LIST})", re.IGNORECASE)
_ZH_REF = re.compile(rf"权利要求\s*({_LIST})")
_ALL_PRECEDING = re.compile(
    r"any\s+(?:one\s+)?(?:of\s+the\s+)?(?:preceding|previous|foregoing|above)\s+claims?"
    r"|前述任[一意](?:一)?项?权利要求|前述(?:各|任一)项?权利要求",
    re.IGNORECASE,
)
_RANGE_SPLIT = re.compile(rf"\s*{_RANGE}\s*", re.IGNORECASE)

# Words that show the claim defines a new thing that merely uses the referred claim's
# subject ("A vehicle comprising the display assembly according to claim 1").
_NEW_CATEGORY = re.compile(
    r"\b(?:comprising|comprises|including|includes|having|containing|contains|consisting|"
    r"using|uses|storing|stores|employing|obtained|obtainable|produced|made|prepared|"
    r"manufactured|performing|executing|implementing|carrying|irradiating|use\s+of|"
    r"(?:of|for)\s+(?:manufacturing|producing|making|operating|controlling|preparing|"
    r"assembling|testing|installing))\b"
    r"|包括|包含|含有|具有|采用|使用|利用|应用|设有|装有|存储|执行|实现",
    re.IGNORECASE,
)
_ZH_DEPENDENT_START = re.compile(
    r"^\s*(?:根据|如|按照|依据|依照|按|由|基于)?\s*(?:前述)?\s*(?:任一项?|各项)?权利要求"
)

_EN_CUES = re.compile(
    r"(?<=[:;])\s+(?=\S)|(?<=：|；)"
    r"|(?=\bwherein\b|\bwhereby\b|\bcharacteri[sz]ed\s+in\s+that\b|\bcharacteri[sz]ed\s+by\b)"
    r"|(?=其特征在于)|(?<=，)(?=其中)",
    re.IGNORECASE,
)


@dataclass
class ClaimSource:
    number: int | None
    text: str
    refs: list[int] = field(default_factory=list)  # from claim-ref
    blocks: list[int] = field(default_factory=list)  # start offsets of nested claim-text


@dataclass
class Element:
    text: str
    start: int
    end: int

    def as_dict(self) -> dict:
        return {"text": self.text, "start": self.start, "end": self.end}


@dataclass
class ParsedClaim:
    number: int
    text: str
    independent: bool = True
    parents: list[int] = field(default_factory=list)
    references: list[int] = field(default_factory=list)
    elements: list[Element] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def split_claims(text: str) -> list[ClaimSource]:
    """Pasted claims ("1. A device ... 2. The device of claim 1 ...") into numbered claims."""
    text = text or ""
    starts = [m for m in re.finditer(r"(?:^|\n)\s*(\d{1,4})\s*[.．、)]\s+", text)]
    if not starts:
        return [ClaimSource(number=1, text=text.strip())] if text.strip() else []
    claims = []
    for index, match in enumerate(starts):
        end = starts[index + 1].start() if index + 1 < len(starts) else len(text)
        claims.append(ClaimSource(number=int(match.group(1)), text=text[match.end() : end].strip()))
    return claims


def parse_claims(sources: list[ClaimSource]) -> list[ParsedClaim]:
    """Parse one filing's claims. Never raises; problems are reported per claim."""
    parsed = []
    numbers = set()
    for position, source in enumerate(sources, start=1):
        text, blocks, number = _strip_number(source)
        if number is None or number in numbers:
            number = max(numbers, default=0) + 1 if number in numbers else position
        numbers.add(number)
        parsed.append((ParsedClaim(number=number, text=text), source.refs, blocks))
    for claim, xml_refs, blocks in parsed:
        try:
            _resolve(claim, xml_refs=xml_refs, known=numbers)
            claim.elements = elements_of(claim.text, blocks=blocks)
        except Exception as error:  # noqa: BLE001 - a parser bug must not lose the filing
            claim.problems.append(f"claim {claim.number}: not parsed ({error.__class__.__name__})")
    return [claim for claim, _refs, _blocks in parsed]


def _strip_number(source: ClaimSource) -> tuple[str, list[int], int | None]:
    raw = source.text or ""
    lead = len(raw) - len(raw.lstrip())
    text = raw.strip()
    number = source.number
    match = _NUMBER_PREFIX.match(text)
    cut = 0
    if match and (number is None or int(match.group(1)) == number):
        number = int(match.group(1)) if number is None else number
        cut = match.end()
    text = text[cut:]
    blocks = sorted(
        {max(0, b - lead - cut) for b in source.blocks if 0 < b - lead - cut < len(text)}
    )
    return text, blocks, number


def references_in(text: str) -> tuple[list[int], int | None, bool]:
    """The claim numbers a text refers to, the offset of the first reference, and whether it
    refers to "any preceding claim"."""
    folded = (text or "").translate(_DIGITS)
    found: dict[int, None] = {}  # ordered and deduplicated in linear time (pasted text)
    first = None
    for pattern in (_EN_REF, _ZH_REF):
        for match in pattern.finditer(folded):
            first = match.start() if first is None else min(first, match.start())
            found.update(dict.fromkeys(_expand(match.group(1))))
    preceding = _ALL_PRECEDING.search(folded)
    if preceding:
        first = preceding.start() if first is None else min(first, preceding.start())
    return list(found), first, preceding is not None


def _expand(listing: str) -> list[int]:
    numbers: list[int] = []
    parts = re.split(rf"\s*{_SEPARATOR}\s*", listing, flags=re.IGNORECASE)
    for part in parts:
        ends = [int(n) for n in re.findall(r"\d{1,4}", part)]
        if len(ends) >= 2 and _RANGE_SPLIT.search(part):
            low, high = min(ends[0], ends[-1]), max(ends[0], ends[-1])
            if high - low <= 500:
                numbers.extend(range(low, high + 1))
            else:
                numbers.extend((low, high))
        else:
            numbers.extend(ends)
    return list(dict.fromkeys(numbers))


def _resolve(claim: ParsedClaim, *, xml_refs: list[int], known: set[int]) -> None:
    found, first, preceding = references_in(claim.text)
    refs = list(dict.fromkeys([*found, *xml_refs]))
    if preceding:
        seen = set(refs)
        refs.extend(n for n in sorted(known) if n < claim.number and n not in seen)
    if not refs:
        return
    valid = []
    for ref in refs:
        if ref not in known:
            claim.problems.append(
                f"claim {claim.number} refers to claim {ref}, which does not exist"
            )
        elif ref >= claim.number:
            claim.problems.append(
                f"claim {claim.number} refers to claim {ref}, which is not an earlier claim"
            )
        else:
            valid.append(ref)
    valid.sort()
    if _is_new_category(claim.text, first):
        claim.references = valid
    else:
        claim.independent = False
        claim.parents = valid


def _is_new_category(text: str, first: int | None) -> bool:
    """A claim that refers to another one but claims a thing of another category."""
    head = text[: first if first is not None else len(text)]
    if _ZH_DEPENDENT_START.match(text) and not _NEW_CATEGORY.search(head):
        return False
    return bool(_NEW_CATEGORY.search(head))


def elements_of(text: str, *, blocks: list[int] | None = None) -> list[Element]:
    """The preamble and limitations, with offsets into `text`: from XML nesting when given,
    else from the claim's own punctuation and cue words."""
    cuts = sorted({b for b in (blocks or []) if 0 < b < len(text)})
    if not cuts:
        cuts = sorted({m.start() for m in _EN_CUES.finditer(text) if 0 < m.start() < len(text)})
        cuts = _keep_conjunction_with_previous(text, cuts)
    elements = []
    bounds = [0, *cuts, len(text)]
    for start, end in zip(bounds, bounds[1:], strict=False):
        piece = text[start:end]
        stripped = piece.strip()
        if not stripped:
            continue
        real_start = start + piece.index(stripped)
        elements.append(Element(text=stripped, start=real_start, end=real_start + len(stripped)))
    return elements


def _keep_conjunction_with_previous(text: str, cuts: list[int]) -> list[int]:
    """ "a box; and a lid" -> "a box; and" | "a lid": the conjunction closes the list item."""
    moved = []
    for cut in cuts:
        match = re.match(r"\s*(?:and|or)\b\s*", text[cut:], re.IGNORECASE)
        after = cut + match.end() if match else cut
        if (
            match
            and after < len(text)
            and not re.match(r"(?i)wherein|whereby|characteri", text[cut:])
        ):
            moved.append(after)
        else:
            moved.append(cut)
    return sorted(set(moved))
