"""Query terms marked in a passage, as safe HTML."""

import re

from django.utils.html import escape

from search.text import chinese_terms

STOP = frozenset({"the", "a", "an", "and", "or", "of", "to", "in", "on", "for", "with", "by",
                  "from", "at", "as", "is", "are", "be", "this", "that", "which", "wherein",
                  "said", "comprising", "claim", "claims", "one"})
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9-]{2,}")


def _patterns(pieces: list[str]) -> list[str]:
    patterns: set[str] = set()
    for piece in pieces:
        for word in _WORD.findall(piece):
            if word.lower() not in STOP:
                stem = word.lower()[: max(4, len(word) - 3)]  # crude stem: "filters" ~ "filtering"
                patterns.add(re.escape(stem) + r"[a-z0-9-]*")
        patterns.update(re.escape(term) for term in chinese_terms(piece) if len(term) >= 2)
    return sorted(patterns, key=len, reverse=True)


def mark(text: str, pieces: list[str], lang: str) -> str:
    patterns = _patterns(pieces)
    if not patterns:
        return escape(text)
    boundary = r"\b" if lang == "en" else ""
    regex = re.compile(boundary + "(?:" + "|".join(patterns) + ")", re.IGNORECASE)
    out, last = [], 0
    for match in regex.finditer(text):
        out.append(escape(text[last:match.start()]))
        out.append(f"<mark>{escape(match.group())}</mark>")
        last = match.end()
    out.append(escape(text[last:]))
    return "".join(out)
