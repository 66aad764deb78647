"""Approximate dense retrieval for large banks: an inverted file (IVF) over spherical k-means lists.

Exact dense search reads every stored vector per query; at 100,000 memories that is a 154 MB
float32 matrix-vector product, bound by memory bandwidth (8-16 ms on a 2-core machine), while
below about 20,000 memories the matrix stays in the CPU's cache and the exact product is cheap
(0.3 ms at 10,000). The IVF index groups the vectors into ``sqrt(n)`` lists around k-means
centroids and scores only the vectors of the ``nprobe`` lists whose centroids are most similar
to the query, so a query reads about ``nprobe / sqrt(n)`` of the data. The lists hold the
vectors projected onto the documents' first ``reduced_dim`` principal axes (128 of MiniLM's
384: a third of the bytes per probed vector); the ``rerank`` best of those approximate scores
are rescored exactly from the full vectors, so the returned scores are exact cosines. Results
are approximate: a document in an unprobed list, or one whose projected score misses the
rerank cut, is missed (``memenv bench`` reports recall@30 against the exact index).

Below ``min_size`` documents no lists exist and the search is the exact one of
:class:`~memenv.memory.dense.DenseIndex`, so banks of LoCoMo size rank exactly as with
``"dense"``. Training is deterministic (fixed seed, rows in index order), and the centroids and
list assignments are part of the pickled state, so a restored index probes the same lists as
the one it was saved from (scores are float32 products whose last bit can depend on a row's
place in its matrix, as in the exact index). Which lists exist depends on the index's history
(when it crossed ``min_size`` and each doubling), not only on its current documents.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from memenv.memory.dense import DenseIndex, Encoder
from memenv.memory.retriever import select_top

KMEANS_ITERATIONS = 8
KMEANS_SAMPLE_PER_LIST = 64  # training rows per list (a random subset of the index, seeded)
KMEANS_SEED = 0
PCA_SAMPLE = 16_384  # rows whose covariance gives the projection axes


def principal_axes(vectors: np.ndarray, n_axes: int, seed: int = KMEANS_SEED) -> np.ndarray:
    """The ``n_axes`` leading principal axes (rows, unit length) of ``vectors``: eigenvectors of
    the covariance of a seeded sample of at most ``PCA_SAMPLE`` rows (deterministic).

    Each axis's sign is fixed (its largest entry positive), so the basis does not depend on the
    eigen-solver's sign choice."""
    rng = np.random.default_rng(seed)
    n = len(vectors)
    sample = vectors[np.sort(rng.choice(n, min(n, PCA_SAMPLE), replace=False))].astype(np.float64)
    sample -= sample.mean(axis=0)
    _, eigenvectors = np.linalg.eigh(sample.T @ sample)
    axes = eigenvectors[:, ::-1][:, :n_axes].T
    signs = np.sign(axes[np.arange(len(axes)), np.abs(axes).argmax(axis=1)])
    return np.ascontiguousarray(axes * signs[:, None], dtype=np.float32)


def spherical_kmeans(vectors: np.ndarray, n_lists: int, seed: int = KMEANS_SEED) -> np.ndarray:
    """``n_lists`` unit centroids of unit ``vectors`` (cosine k-means, seeded, deterministic).

    Trains on at most ``KMEANS_SAMPLE_PER_LIST * n_lists`` rows drawn with ``seed``; a list
    left empty by an iteration is re-seeded with the sample row farthest from its centroid.
    """
    rng = np.random.default_rng(seed)
    n = len(vectors)
    sample_size = min(n, KMEANS_SAMPLE_PER_LIST * n_lists)
    sample = vectors[np.sort(rng.choice(n, sample_size, replace=False))]
    centroids = sample[np.sort(rng.choice(sample_size, n_lists, replace=False))].copy()
    for _ in range(KMEANS_ITERATIONS):
        similarity = sample @ centroids.T
        assign = similarity.argmax(axis=1)
        sums = np.zeros_like(centroids)
        np.add.at(sums, assign, sample)
        counts = np.bincount(assign, minlength=n_lists)
        empty = np.flatnonzero(counts == 0)
        if len(empty):
            worst = np.argsort(similarity[np.arange(sample_size), assign], kind="stable")
            sums[empty] = sample[worst[: len(empty)]]
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        centroids = (sums / np.where(norms > 0, norms, 1)).astype(np.float32)
    return centroids


class IVFDenseIndex(DenseIndex):
    """:class:`DenseIndex` with an inverted-file search once it holds ``min_size`` documents.

    ``nprobe`` lists are scored per query (default: an eighth of the lists, at least 8); more
    lists are taken, in centroid order, until they hold at least ``k`` documents. The lists are
    trained when the index first reaches ``min_size`` documents and retrained, on all current
    documents, each time it has doubled since; the list count is ``round(sqrt(n))`` at training
    time. Each list keeps its own contiguous copy of its vectors, projected onto the first
    ``reduced_dim`` principal axes of the documents at training time (``None``, or a
    ``reduced_dim`` at least the vectors' width: full vectors, no projection), so a query's
    product reads only the probed lists' reduced vectors; the ``max(rerank, k)`` best are then
    rescored from the full vectors.
    """

    def __init__(
        self,
        encoder: Encoder | None = None,
        *,
        cache_size: int = 20_000,
        nprobe: int | None = None,
        min_size: int = 32_768,
        reduced_dim: int | None = 128,
        rerank: int = 300,
    ) -> None:
        for name, value, optional in (
            ("nprobe", nprobe, True),
            ("min_size", min_size, False),
            ("reduced_dim", reduced_dim, True),
            ("rerank", rerank, False),
        ):
            if (value is not None or not optional) and (not isinstance(value, int) or value < 1):
                raise ValueError(
                    f"{name} must be a positive int{' or None' if optional else ''}, got {value!r}"
                )
        super().__init__(encoder, cache_size=cache_size)
        self.nprobe = nprobe
        self.min_size = min_size
        self.reduced_dim = reduced_dim
        self.rerank = rerank
        self._reset_lists(None, 0, None)

    # ------------------------------------------------------------------ lists
    def _reset_lists(
        self, centroids: np.ndarray | None, trained_size: int, axes: np.ndarray | None
    ) -> None:
        self._centroids = centroids
        self._trained_size = trained_size
        self._axes = axes  # projection of the list copies (None: full vectors)
        n_lists = 0 if centroids is None else len(centroids)
        self._list_vectors = [np.zeros((0, 0), np.float32) for _ in range(n_lists)]
        self._list_rows = [np.zeros(0, np.int64) for _ in range(n_lists)]
        self._list_len = [0] * n_lists
        self._list_of_row = np.zeros(0, np.int64)  # main row -> list
        self._slot_of_row = np.zeros(0, np.int64)  # main row -> position in its list

    def _place(self, row: int, list_id: int) -> None:
        """Append main row ``row`` to list ``list_id``."""
        size = self._list_len[list_id]
        vectors = self._list_vectors[list_id]
        if size == len(vectors):
            width = self._matrix.shape[1] if self._axes is None else len(self._axes)
            grown = np.zeros((max(16, 2 * size), width), np.float32)
            if size:
                grown[:size] = vectors[:size]
            self._list_vectors[list_id] = vectors = grown
            rows = np.zeros(len(grown), np.int64)
            rows[:size] = self._list_rows[list_id][:size]
            self._list_rows[list_id] = rows
        vectors[size] = self._matrix[row] if self._axes is None else self._axes @ self._matrix[row]
        self._list_rows[list_id][size] = row
        self._list_len[list_id] = size + 1
        if row >= len(self._list_of_row):
            grow = max(16, 2 * len(self._list_of_row), row + 1) - len(self._list_of_row)
            self._list_of_row = np.concatenate([self._list_of_row, np.zeros(grow, np.int64)])
            self._slot_of_row = np.concatenate([self._slot_of_row, np.zeros(grow, np.int64)])
        self._list_of_row[row] = list_id
        self._slot_of_row[row] = size

    def _unplace(self, row: int) -> None:
        """Drop main row ``row`` from its list (the list's last entry fills the gap)."""
        list_id, slot = int(self._list_of_row[row]), int(self._slot_of_row[row])
        last = self._list_len[list_id] - 1
        if slot != last:
            moved = int(self._list_rows[list_id][last])
            self._list_vectors[list_id][slot] = self._list_vectors[list_id][last]
            self._list_rows[list_id][slot] = moved
            self._slot_of_row[moved] = slot
        self._list_len[list_id] = last

    def _train(self) -> None:
        n = len(self._ids)
        n_lists = max(1, round(math.sqrt(n)))
        width = self._matrix.shape[1]
        axes = None
        if self.reduced_dim is not None and self.reduced_dim < width:
            axes = principal_axes(self._matrix[:n], self.reduced_dim)
        self._reset_lists(spherical_kmeans(self._matrix[:n], n_lists), n, axes)
        self._assign_all()

    def _assign_all(self) -> None:
        n = len(self._ids)
        if self._centroids is None or n == 0:
            return
        assign = np.empty(n, np.int64)
        for lo in range(0, n, 8192):  # bounded temporary: 8192 x lists similarities at a time
            hi = min(n, lo + 8192)
            assign[lo:hi] = (self._matrix[lo:hi] @ self._centroids.T).argmax(1)
        for row, list_id in enumerate(assign.tolist()):
            self._place(row, list_id)

    # ------------------------------------------------------------------ index updates
    def _append(self, doc_id: str, vector: np.ndarray, order: int) -> None:
        super()._append(doc_id, vector, order)
        n = len(self._ids)
        if self._centroids is None:
            if n >= self.min_size:
                self._train()
        elif n >= 2 * self._trained_size:
            self._train()
        else:
            self._place(n - 1, int((self._centroids @ vector).argmax()))

    def remove(self, doc_id: str) -> None:
        row = self._row_of.get(doc_id)
        if row is None or self._centroids is None:
            super().remove(doc_id)
            return
        last = len(self._ids) - 1
        self._unplace(row)
        super().remove(doc_id)  # moves main row `last` into `row`
        if row != last:
            list_id, slot = int(self._list_of_row[last]), int(self._slot_of_row[last])
            self._list_rows[list_id][slot] = row
            self._list_of_row[row] = list_id
            self._slot_of_row[row] = slot

    # ------------------------------------------------------------------ search
    def probes(self) -> int:
        """Lists scored per query (before topping up to ``k`` documents)."""
        if self._centroids is None:
            return 0
        n_lists = len(self._centroids)
        return min(n_lists, self.nprobe or max(8, n_lists // 8))

    def top_k(self, query: str, k: int) -> list[tuple[str, float]]:
        n = len(self._ids)
        if self._centroids is None or k <= 0 or n == 0:
            return super().top_k(query, k)
        vector = self.encoder([query])[0]
        reduced = vector if self._axes is None else self._axes @ vector
        centroid_scores = self._centroids @ vector
        ranked = np.argsort(-centroid_scores, kind="stable")
        wanted, held = self.probes(), 0
        scores: list[np.ndarray] = []
        rows: list[np.ndarray] = []
        for taken, list_id in enumerate(ranked.tolist()):
            if taken >= wanted and held >= k:
                break
            size = self._list_len[list_id]
            if size:
                scores.append(self._list_vectors[list_id][:size] @ reduced)
                rows.append(self._list_rows[list_id][:size])
                held += size
        all_scores = np.concatenate(scores)
        all_rows = np.concatenate(rows)
        if self._axes is not None:  # rescore the best approximate candidates exactly
            cut = max(self.rerank, k)
            if len(all_rows) > cut:
                # a set (the exact scores rank them; argpartition is deterministic for the same
                # scores), in row order for the gather below
                best = np.argpartition(all_scores, len(all_scores) - cut)[-cut:]
                all_rows = np.sort(all_rows[best])
            all_scores = self._matrix[all_rows] @ vector
        best = select_top(all_scores, self._order[all_rows], min(k, len(all_rows)))
        return [(self._ids[int(all_rows[i])], float(all_scores[i])) for i in best.tolist()]

    # ------------------------------------------------------------------ state
    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        n = len(self._ids)
        state["ivf"] = {
            "nprobe": self.nprobe,
            "min_size": self.min_size,
            "reduced_dim": self.reduced_dim,
            "rerank": self.rerank,
            "centroids": None if self._centroids is None else self._centroids.copy(),
            "axes": None if self._axes is None else self._axes.copy(),
            "trained_size": self._trained_size,
            "list_of_row": self._list_of_row[:n].copy() if self._centroids is not None else None,
        }
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        ivf = state["ivf"]
        self.nprobe = ivf["nprobe"]
        self.min_size = ivf["min_size"]
        # states saved before the projection existed: full-vector lists, as they were built
        self.reduced_dim = ivf.get("reduced_dim")
        self.rerank = ivf.get("rerank", 300)
        centroids, axes = ivf["centroids"], ivf.get("axes")
        self._reset_lists(
            None if centroids is None else np.array(centroids, np.float32),
            ivf["trained_size"],
            None if axes is None else np.array(axes, np.float32),
        )
        if centroids is not None:
            for row, list_id in enumerate(np.asarray(ivf["list_of_row"]).tolist()):
                self._place(row, int(list_id))
