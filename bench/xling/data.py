"""Build retrieval tasks from shared/data/xling-patents (label-0 pairs = same patent, two languages).

Files: pairs_{title_abstract,abstract}_{train,dev,test}.csv with columns sentence_A, sentence_B, label.
In the title_abstract files each side is "title|abstract"; in the abstract files, abstract only.

Language is decided by script: a side with a real share of CJK ideographs is Chinese ("zh"); a side
written mostly in another script (Thai) is "other"; a Latin side with Vietnamese-only letters (ă, ơ,
ư, đ, and the stacked tone marks) is Vietnamese ("vi"); both are ignored; the rest is English ("en").

A document is one abstract (titles are never part of a document, so the monolingual tasks are not
trivial). Documents are de-duplicated by (language, abstract text), so a patent that appears in both
file families is one document. The corpus of a language is every document of that language in the
chosen splits, from every row (label 0 or 1, any language pair).

Tasks (queries -> the relevant document):
  en2zh-title  English title -> the Chinese abstract of the same patent   (title_abstract files)
  en2zh-sent   first sentence of the English abstract -> Chinese abstract (abstract files, no titles)
  zh2en-title / zh2en-sent   the reverse direction
  zh2zh-title  Chinese title -> its own Chinese abstract
  en2en-title  English title -> its own English abstract
"""

from __future__ import annotations

import csv
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "xling-patents"
SPLITS = ("train", "dev", "test")

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff]")
# letters that occur in Vietnamese but not in English patent text
_VIET = re.compile(r"[ăâđêôơưĂÂĐÊÔƠƯ\u1ea0-\u1ef9]")


def data_dir() -> Path:
    return Path(os.environ.get("XLING_DATA", DEFAULT_DATA))


def lang_of(text: str) -> str:
    cjk = len(_CJK.findall(text))
    latin = len(_LATIN.findall(text))
    other = sum(ch.isalpha() for ch in text) - cjk - latin  # Thai, Cyrillic, ...
    if cjk and cjk >= 0.2 * (cjk + latin):
        return "zh"
    if other > latin:
        return "other"  # was counted as English before: Thai abstracts in the corpus
    if _VIET.search(text):
        return "vi"
    return "en"


def _clean(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


def first_sentence(text: str, lang: str) -> str:
    text = _clean(text)
    if lang == "zh":
        m = re.search(r"[。；！？]", text)
        s = text[: m.start()] if m else text
    else:
        m = re.search(r"(?<!\b[A-Za-z])[.;](\s|$)", text)
        s = text[: m.start()] if m else text
    return s[:300]


@dataclass
class Task:
    name: str
    query_lang: str
    doc_lang: str
    queries: list[str] = field(default_factory=list)
    relevant: list[int] = field(default_factory=list)  # index into corpus[doc_lang]


@dataclass
class Bench:
    splits: tuple[str, ...]
    corpus: dict[str, list[str]]  # lang -> abstracts
    titles: dict[str, dict[int, str]]  # lang -> doc index -> title (when known)
    tasks: dict[str, Task]


def _read(path: Path):
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            yield row["sentence_A"], row["sentence_B"], float(row["label"])


def build(splits=("test",), root: Path | None = None, exclude=()) -> Bench:
    """The tasks of `splits`; with `exclude` (e.g. the split weights were tuned on), every
    query that also occurs in those splits is dropped, so the figures are held out."""
    root = root or data_dir()
    if not root.is_dir():
        raise FileNotFoundError(root)
    corpus = {"en": [], "zh": []}
    index = {"en": {}, "zh": {}}
    titles = {"en": {}, "zh": {}}

    def doc_id(lang, abstract, title=None):
        key = _clean(abstract)
        i = index[lang].get(key)
        if i is None:
            i = index[lang][key] = len(corpus[lang])
            corpus[lang].append(key)
        if title:
            titles[lang].setdefault(i, _clean(title))
        return i

    pairs = []  # (family, [(lang, title, abstract, doc)], label)
    for split in splits:
        for family in ("title_abstract", "abstract"):
            path = root / f"pairs_{family}_{split}.csv"
            if not path.exists():
                continue
            for a, b, label in _read(path):
                sides = []
                for s in (a, b):
                    lang = lang_of(s)
                    if family == "title_abstract" and "|" in s:
                        title, abstract = s.split("|", 1)
                    else:
                        title, abstract = None, s
                    doc = doc_id(lang, abstract, title) if lang in corpus else None
                    sides.append((lang, title, abstract, doc))
                pairs.append((family, sides, label))

    tasks = {}

    def task(name, ql, dl):
        return tasks.setdefault(name, Task(name, ql, dl))

    seen = set()
    for family, sides, label in pairs:
        if label != 0:
            continue
        langs = {s[0] for s in sides}
        if langs != {"en", "zh"}:
            continue
        for q, d in (sides, sides[::-1]):
            ql, qt, qa, _ = q
            dl, _, _, ddoc = d
            if family == "title_abstract" and qt:
                name, text = f"{ql}2{dl}-title", _clean(qt)
            else:
                name, text = f"{ql}2{dl}-sent", first_sentence(qa, ql)
            if (name, text, ddoc) in seen:
                continue
            seen.add((name, text, ddoc))
            t = task(name, ql, dl)
            t.queries.append(text)
            t.relevant.append(ddoc)
    for lang in ("zh", "en"):
        t = task(f"{lang}2{lang}-title", lang, lang)
        for i, title in sorted(titles[lang].items()):
            t.queries.append(title)
            t.relevant.append(i)
    order = ["en2zh-title", "en2zh-sent", "zh2en-title", "zh2en-sent", "zh2zh-title", "en2en-title"]
    tasks = {k: tasks[k] for k in order if k in tasks and tasks[k].queries}
    if exclude:
        held = build(tuple(exclude), root)
        for name, t in tasks.items():
            seen_there = set(held.tasks[name].queries) if name in held.tasks else set()
            kept = [(q, r) for q, r in zip(t.queries, t.relevant, strict=True)
                    if q not in seen_there]
            t.queries, t.relevant = [q for q, _ in kept], [r for _, r in kept]
        tasks = {k: t for k, t in tasks.items() if t.queries}
    return Bench(tuple(splits), corpus, titles, tasks)


if __name__ == "__main__":
    import sys

    args = sys.argv[1:]
    exclude = tuple(args[args.index("--exclude") + 1:]) if "--exclude" in args else ()
    splits = tuple(args[:args.index("--exclude")] if exclude else args) or ("test",)
    b = build(splits, exclude=exclude)
    print("splits", b.splits, {k: len(v) for k, v in b.corpus.items()})
    for t in b.tasks.values():
        print(f"{t.name:12s} queries={len(t.queries):4d} corpus={len(b.corpus[t.doc_lang])}")
        print("   e.g.", t.queries[0][:90], "->", b.corpus[t.doc_lang][t.relevant[0]][:60])
