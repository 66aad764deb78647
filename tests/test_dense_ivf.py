"""The approximate dense index: exact where it must be, consistent lists, state round trip."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from memenv.memory.dense import CachedEncoder, DenseIndex
from memenv.memory.dense_ivf import IVFDenseIndex, principal_axes, spherical_kmeans
from memenv.memory.retriever import RETRIEVER_NAMES

DIM = 16


class TableEncoder:
    """Picklable encoder: text ``"v<i>"`` -> row ``i`` of a seeded, clustered table."""

    def __init__(self, n: int, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        centres = rng.standard_normal((12, DIM))
        self.table = (
            centres[rng.integers(12, size=n)] + 0.3 * rng.standard_normal((n, DIM))
        ).astype(np.float32)

    def __call__(self, texts: list[str]) -> np.ndarray:
        return self.table[[int(t[1:]) for t in texts]]


def _pair(n: int, **ivf_kwargs) -> tuple[DenseIndex, IVFDenseIndex]:
    encoder = CachedEncoder(TableEncoder(n + 50))
    return DenseIndex(encoder), IVFDenseIndex(encoder, **ivf_kwargs)


def _ids(index: DenseIndex, query: str, k: int = 10) -> list[str]:
    return [doc for doc, _ in index.top_k(query, k)]


def _same(a: list[tuple[str, float]], b: list[tuple[str, float]]) -> None:
    """Same documents in the same order; scores equal up to float32 rounding (a BLAS product's
    last bit can depend on where a row sits in its matrix)."""
    assert [doc for doc, _ in a] == [doc for doc, _ in b]
    np.testing.assert_allclose([s for _, s in a], [s for _, s in b], rtol=0, atol=1e-6)


def _check_lists(index: IVFDenseIndex) -> None:
    """Every live row sits in exactly one list, at the slot the index records, with its vector
    (projected onto the index's axes when it has them)."""
    n = len(index)
    seen = []
    for list_id, size in enumerate(index._list_len):
        for slot in range(size):
            row = int(index._list_rows[list_id][slot])
            assert index._list_of_row[row] == list_id and index._slot_of_row[row] == slot
            expected = index._matrix[row]
            if index._axes is not None:
                expected = index._axes @ expected
            np.testing.assert_array_equal(index._list_vectors[list_id][slot], expected)
            seen.append(row)
    assert sorted(seen) == list(range(n))


def test_registered_by_name() -> None:
    assert "dense-ivf" in RETRIEVER_NAMES


def test_below_min_size_it_is_the_exact_index() -> None:
    exact, ivf = _pair(200, min_size=1000)
    for i in range(200):
        exact.add(f"m{i}", f"v{i}")
        ivf.add(f"m{i}", f"v{i}")
    assert ivf._centroids is None and ivf.probes() == 0
    for q in range(200, 220):
        assert exact.top_k(f"v{q}", 10) == ivf.top_k(f"v{q}", 10)


def test_probing_every_list_is_exact_through_adds_and_removes() -> None:
    rng = np.random.default_rng(3)
    exact, ivf = _pair(600, min_size=64, nprobe=10_000)
    live: list[str] = []
    for i in range(600):
        exact.add(f"m{i}", f"v{i}", order=i)
        ivf.add(f"m{i}", f"v{i}", order=i)
        live.append(f"m{i}")
        if i % 3 == 2:  # remove a random live document now and then
            doc = live.pop(int(rng.integers(len(live))))
            exact.remove(doc)
            ivf.remove(doc)
    assert ivf._centroids is not None and ivf._trained_size >= 128  # retrained after doubling
    _check_lists(ivf)
    for q in range(600, 640):
        _same(exact.top_k(f"v{q}", 25), ivf.top_k(f"v{q}", 25))


def test_reduced_lists_with_every_candidate_reranked_are_exact() -> None:
    rng = np.random.default_rng(4)
    exact, ivf = _pair(600, min_size=64, nprobe=10_000, reduced_dim=6, rerank=10_000)
    live: list[str] = []
    for i in range(600):
        exact.add(f"m{i}", f"v{i}", order=i)
        ivf.add(f"m{i}", f"v{i}", order=i)
        live.append(f"m{i}")
        if i % 3 == 2:
            doc = live.pop(int(rng.integers(len(live))))
            exact.remove(doc)
            ivf.remove(doc)
    assert ivf._axes is not None and ivf._axes.shape == (6, DIM)
    assert ivf._list_vectors[0].shape[1] == 6
    _check_lists(ivf)
    for q in range(600, 640):
        _same(exact.top_k(f"v{q}", 25), ivf.top_k(f"v{q}", 25))


def test_reduced_lists_return_exact_scores_of_their_documents() -> None:
    exact, ivf = _pair(1000, min_size=200, reduced_dim=4, rerank=40)
    for i in range(1000):
        exact.add(f"m{i}", f"v{i}")
        ivf.add(f"m{i}", f"v{i}")
    truth = {q: dict(exact.top_k(f"v{q}", 1000)) for q in range(1000, 1010)}
    for q, scores in truth.items():
        found = ivf.top_k(f"v{q}", 20)
        assert len(found) == 20
        assert [s for _, s in found] == sorted((s for _, s in found), reverse=True)
        for doc, score in found:
            assert score == pytest.approx(scores[doc], abs=1e-6)


@pytest.mark.parametrize("reduced_dim", [None, 8])
def test_default_probes_find_most_neighbours_and_return_k(reduced_dim: int | None) -> None:
    exact, ivf = _pair(4000, min_size=500, reduced_dim=reduced_dim)
    for i in range(4000):
        exact.add(f"m{i}", f"v{i}")
        ivf.add(f"m{i}", f"v{i}")
    lists = len(ivf._centroids)
    assert lists == round(ivf._trained_size**0.5)
    assert 8 <= ivf.probes() < lists
    recalls = []
    for q in range(4000, 4050):
        found = _ids(ivf, f"v{q}", 30)
        assert len(found) == 30 and len(set(found)) == 30
        recalls.append(len(set(found) & set(_ids(exact, f"v{q}", 30))) / 30)
    assert np.mean(recalls) >= 0.8


def test_state_round_trip_answers_the_same() -> None:
    _, ivf = _pair(800, min_size=100)
    for i in range(800):
        ivf.add(f"m{i}", f"v{i}")
    for i in range(0, 800, 7):
        ivf.remove(f"m{i}")
    restored = pickle.loads(pickle.dumps(ivf))
    _check_lists(restored)
    np.testing.assert_array_equal(restored._centroids, ivf._centroids)
    np.testing.assert_array_equal(restored._axes, ivf._axes)
    for q in range(800, 830):
        _same(restored.top_k(f"v{q}", 20), ivf.top_k(f"v{q}", 20))


def test_state_without_axes_keeps_full_vector_lists() -> None:
    """A state saved before the projection existed restores as the index it was built as."""
    exact, ivf = _pair(800, min_size=100, nprobe=10_000)
    for i in range(800):
        exact.add(f"m{i}", f"v{i}")
        ivf.add(f"m{i}", f"v{i}")
    state = ivf.__getstate__()
    for key in ("axes", "reduced_dim", "rerank"):
        del state["ivf"][key]
    restored = IVFDenseIndex.__new__(IVFDenseIndex)
    restored.__setstate__(state)
    assert restored._axes is None and restored._list_vectors[0].shape[1] == DIM
    _check_lists(restored)
    for q in range(800, 820):
        _same(exact.top_k(f"v{q}", 20), restored.top_k(f"v{q}", 20))


def test_principal_axes_are_deterministic_orthonormal_and_leading() -> None:
    table = TableEncoder(2000).table
    first, second = principal_axes(table, 5), principal_axes(table, 5)
    np.testing.assert_array_equal(first, second)
    np.testing.assert_allclose(first @ first.T, np.eye(5), atol=1e-5)
    centred = table - table.mean(axis=0)
    variances = ((centred @ first.T) ** 2).mean(axis=0)
    assert list(variances) == sorted(variances, reverse=True)
    rest = np.linalg.svd(centred, full_matrices=False)[1][5:]
    assert variances[-1] >= (rest[0] ** 2) / len(table) * 0.9


def test_kmeans_is_deterministic_and_unit_norm() -> None:
    table = TableEncoder(500).table
    table /= np.linalg.norm(table, axis=1, keepdims=True)
    first, second = spherical_kmeans(table, 20), spherical_kmeans(table, 20)
    np.testing.assert_array_equal(first, second)
    np.testing.assert_allclose(np.linalg.norm(first, axis=1), 1.0, rtol=1e-5)


@pytest.mark.parametrize(
    "kwargs",
    [{"nprobe": 0}, {"nprobe": 1.5}, {"min_size": 0}, {"reduced_dim": 0}, {"rerank": None}],
)
def test_bad_settings_are_one_clear_error(kwargs: dict) -> None:
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        IVFDenseIndex(CachedEncoder(TableEncoder(4)), **kwargs)
