"""Query terms marked in a passage, as safe HTML: only words that carry meaning, in English
and Chinese (function words and claim boilerplate are never marked)."""

import re

from django.utils.html import escape

from search.text import chinese_terms

# English function words, and the words every claim repeats.
_ENGLISH = """
a about above after again against all also an and any are as at be because been before
being below between both but by can could did do does doing down during each either else
etc few for from further had has have having here how however i if in into is it its itself
just least less may might more most much must my no nor not now of off on once one only or
other our out over own per same shall she should so some such than that the their them then
there these they this those through thus to too under until up upon use used using very via
was we were what when where whereby wherein whether which while who whom whose why will
with within without would yet you your
claim claims claimed comprise comprises comprising consisting include includes including
said according characterised characterized wherein method
"""
# Chinese function words and claim boilerplate ("一种", "所述", "其特征在于" ...). Single
# characters are never marked anyway (see _patterns); they are listed for completeness.
_CHINESE = """
的 了 和 是 在 及 与 或 其 该 并 且 被 将 把 对 从 由 为 以 于 于是 中 上 下 内 至 等 之 个 种
一 一个 一种 一些 所 所述 所述的 上述 下述 该等 其中 其特征 特征在于 其特征在于 在于 包括
包含 具有 含有 用于 用来 通过 进行 以及 及其 并且 或者 以便 使得 使 根据 如 如下 如权利要求
权利要求 方法 其他 其它 多个 至少 以上 以下 之间 之一 可以 能够 这 这种 那
"""
STOP, STOP_ZH = frozenset(_ENGLISH.split()), frozenset(_CHINESE.split())
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9-]{2,}")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def _patterns(pieces: list[str]) -> list[str]:
    patterns: set[str] = set()
    for piece in pieces:
        for word in _WORD.findall(piece):
            if word.lower() not in STOP:
                stem = word.lower()[: max(4, len(word) - 3)]  # crude stem: "filters" ~ "filtering"
                patterns.add(re.escape(stem) + r"[a-z0-9-]*")
        # Han terms only: Latin words were handled above, stop words and all.
        patterns.update(re.escape(term) for term in chinese_terms(piece)
                        if len(term) >= 2 and _HAN.search(term) and term not in STOP_ZH)
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
