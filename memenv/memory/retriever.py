"""The retriever protocol every memory index implements, its factory, and shared ranking."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

RETRIEVER_NAMES: tuple[str, ...] = ("bm25", "dense", "dense-ivf")


@runtime_checkable
class Retriever(Protocol):
    """An incremental text index over documents with string ids.

    Ranking is by score, best first; equal scores are ordered by the documents' ``order`` keys
    (ascending), so results are deterministic. ``add`` of a present id raises ``ValueError`` and
    ``remove`` of an absent one ``KeyError``: the caller (``MemoryBank``) validates first. An
    update is ``remove`` then ``add`` of one document, never a re-index.
    """

    def add(self, doc_id: str, text: str, *, order: int | None = None) -> None:
        """Index ``text`` under ``doc_id``; ``order`` is the tie-break key (default: add order)."""
        ...

    def remove(self, doc_id: str) -> None:
        """Drop ``doc_id`` from the index."""
        ...

    def top_k(self, query: str, k: int) -> list[tuple[str, float]]:
        """The ``min(k, len(self))`` best documents for ``query`` as ``(doc_id, score)``."""
        ...

    def __len__(self) -> int: ...

    def __contains__(self, doc_id: object) -> bool: ...


def make_retriever(name: str) -> Retriever:
    """A new empty retriever by name: ``"bm25"``, ``"dense"`` (exact) or ``"dense-ivf"``
    (approximate from 32,768 documents, see :mod:`memenv.memory.dense_ivf`)."""
    # Imported here: both index modules import this one.
    if name == "bm25":
        from memenv.memory.bm25 import BM25Index

        return BM25Index()
    if name == "dense":
        from memenv.memory.dense import DenseIndex

        return DenseIndex()
    if name == "dense-ivf":
        from memenv.memory.dense_ivf import IVFDenseIndex

        return IVFDenseIndex()
    raise ValueError(f"unknown retriever {name!r}; choose one of: {', '.join(RETRIEVER_NAMES)}")


def select_top(scores: np.ndarray, orders: np.ndarray, k: int) -> np.ndarray:
    """Positions of the ``k`` best items, by score descending then order key ascending."""
    n = len(scores)
    if k <= 0 or n == 0:
        return np.empty(0, dtype=np.intp)
    if k < n:
        # Everything above the k-th best score is in; the ties at that score are cut by order key.
        threshold = np.partition(scores, n - k)[n - k]
        above = np.flatnonzero(scores > threshold)
        tied = np.flatnonzero(scores == threshold)
        need = k - len(above)
        if need < len(tied):
            tied = tied[np.argpartition(orders[tied], need - 1)[:need]]
        chosen = np.concatenate([above, tied])
    else:
        chosen = np.arange(n)
    return chosen[np.lexsort((orders[chosen], -scores[chosen]))]
