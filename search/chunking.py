"""A publication's record cut into passages: title, abstract, each key feature, and the
description's paragraphs, each with its offsets in the field it came from."""

import re
from dataclasses import dataclass

MAX_CHARS = {"en": 1200, "zh": 400}  # about 250 tokens either way; the model reads 256
_PARAGRAPH = re.compile(r"\S(?:.*?\S)?(?=\n\s*\n|\Z)", re.S)
_SENTENCE_END = re.compile(r"(?<=[.!?。！？；;])\s*")


@dataclass(frozen=True)
class Chunk:
    field: str
    lang: str
    ordinal: int
    start: int
    end: int
    text: str


def split_long(text: str, lang: str) -> list[tuple[int, int]]:
    """Split a long paragraph at sentence ends into pieces of at most MAX_CHARS."""
    limit = MAX_CHARS[lang]
    if len(text) <= limit:
        return [(0, len(text))]
    pieces, start = [], 0
    cuts = [m.end() for m in _SENTENCE_END.finditer(text) if 0 < m.end() < len(text)]
    last_cut = 0
    for cut in [*cuts, len(text)]:
        if cut - start > limit and last_cut > start:
            pieces.append((start, last_cut))
            start = last_cut
        while cut - start > limit:  # a sentence longer than the limit: cut it hard
            pieces.append((start, start + limit))
            start += limit
        last_cut = cut
    pieces.append((start, len(text)))
    return [(a, b) for a, b in pieces if text[a:b].strip()]


def chunk_record(record: dict) -> list[Chunk]:
    from search.text import detect_lang

    chunks: list[Chunk] = []
    for field in ("title", "abstract"):
        for lang, text in record.get(field, {}).items():
            chunks += [Chunk(field, lang, 0, a, b, text[a:b]) for a, b in split_long(text, lang)]
    for number, feature in enumerate(record.get("features", []), start=1):
        lang = detect_lang(feature)
        chunks += [Chunk("feature", lang, number, a, b, feature[a:b])
                   for a, b in split_long(feature, lang)]
    for lang, text in record.get("description", {}).items():
        for paragraph, match in enumerate(_PARAGRAPH.finditer(text), start=1):
            base = match.start()
            chunks += [Chunk("description", lang, paragraph, base + a, base + b,
                             text[base + a:base + b])
                       for a, b in split_long(match.group(), lang)]
    return chunks
