"""Language of a text by its script, and the tokens lexical search indexes and queries."""

import re

import jieba

jieba.setLogLevel(60)  # its INFO lines on first use are noise in every process

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def detect_lang(text: str) -> str:
    """'zh' when Han characters are at least a fifth of the letters, else 'en'."""
    han = len(_HAN.findall(text))
    latin = sum(len(w) for w in _LATIN_WORD.findall(text))
    return "zh" if han and han * 5 >= latin else "en"


def chinese_terms(text: str) -> list[str]:
    """Search-mode segmentation (jieba cut_for_search): words and their sub-words, no
    punctuation or spaces, so '过滤膜' also matches '过滤' and '膜'."""
    return [t for t in jieba.cut_for_search(text) if t.strip() and (_HAN.search(t) or t.isalnum())]


def segmented(text: str) -> str:
    """Chinese text as space-separated terms, for PostgreSQL's `simple` configuration."""
    return " ".join(chinese_terms(text))
