"""Retrieval latency (BM25, dense) and bank operation cost at growing bank sizes.

Memory texts come from :class:`ZipfText`: 10-15 word sentences whose words follow a Zipf law over
a vocabulary of common English function words (the top ranks, as in real text) and seeded
pseudo-words. Queries are 5-9 word sentences from the same law.

- BM25: ``MemoryBank(retriever="bm25").top_k(query, 30)`` on a bank of N memories.
- Dense: encoding N memories with MiniLM is too slow on CPU at 100,000, so a pool of
  ``POOL`` distinct texts is encoded once with the real MiniLM model and memory ``i`` gets the
  vector of pool text ``i % POOL`` plus Gaussian noise (std 0.02 per dimension), renormalised. The
  index is a real ``DenseIndex`` whose encoder serves those precomputed vectors.
  ``dense_search`` times ``top_k(query, 30)`` for queries whose vectors are already cached (the
  index part: one float32 matrix-vector product + partial sort); ``dense_query`` times it for
  fresh queries (one real MiniLM encode of the query + the search); ``dense_encode`` is the query
  encode alone. ``dense_ivf_search`` times the same cached queries on an ``IVFDenseIndex``
  (``"dense-ivf"``: exact below 32,768 memories, inverted lists above) holding the same vectors,
  and ``dense_ivf_recall`` is its mean recall@30 against the exact index over those queries.
- Operations: one ADD (new text), UPDATE (new text of a random live memory) and DELETE (random
  live memory) on the BM25 bank at size N, each timed alone, in microseconds.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from memenv.memory import MemoryBank
from memenv_app.bench import part_main, percentile

SIZES = (100, 1_000, 10_000, 100_000)
QUICK_SIZES = (100, 1_000)
K = 30
POOL = 1_000
QUICK_POOL = 64

_FUNCTION_WORDS = (
    "the to and a of i in is that it you for was on my with have but be at so we this "
    "not are just they like do he all she what about can me from an up as or when out "
    "will if had get there one been would your were some really now them go more know"
).split()
_SYLLABLES = (
    "ka lo mi ra ten vel sor dan pri mu hel gor nat zi bel cor fen lu ma ris tor ven "
    "sal qui pan dor lem nir ost pel rud sim tas ul yor"
).split()


class ZipfText:
    """Seeded generator of sentences with Zipf-distributed words (exponent 1.07)."""

    def __init__(self, seed: int = 0, content_words: int = 20_000) -> None:
        rng = np.random.default_rng(seed)
        words: dict[str, None] = dict.fromkeys(_FUNCTION_WORDS)
        while len(words) < len(_FUNCTION_WORDS) + content_words:
            n = int(rng.integers(2, 4))
            words["".join(rng.choice(_SYLLABLES, size=n))] = None
        self.vocab = np.array(list(words))
        ranks = np.arange(1, len(self.vocab) + 1, dtype=np.float64)
        weights = ranks**-1.07
        self.p = weights / weights.sum()
        self.rng = rng

    def sentences(self, n: int, lo: int = 10, hi: int = 15) -> list[str]:
        """``n`` sentences of ``lo``..``hi`` words."""
        lengths = self.rng.integers(lo, hi + 1, size=n)
        words = self.rng.choice(self.vocab, size=int(lengths.sum()), p=self.p).tolist()
        out, at = [], 0
        for length in lengths.tolist():
            out.append(" ".join(words[at : at + length]).capitalize() + ".")
            at += length
        return out


def _stats_ms(seconds: list[float]) -> dict[str, float]:
    ms = [s * 1000 for s in seconds]
    return {"p50": percentile(ms, 50), "p95": percentile(ms, 95), "n": len(ms)}


def _stats_us(seconds: list[float]) -> dict[str, float]:
    us = [s * 1e6 for s in seconds]
    return {"p50": percentile(us, 50), "p95": percentile(us, 95), "n": len(us)}


def _time_each(fn: Any, args: list[Any]) -> list[float]:
    clock = time.perf_counter
    out = []
    for a in args:
        start = clock()
        fn(a)
        out.append(clock() - start)
    return out


def bm25_figures(
    gen: ZipfText, sizes: tuple[int, ...], n_queries: int, n_ops: int
) -> tuple[dict[str, Any], dict[str, Any], dict[str, float]]:
    """BM25 query latency and bank operation cost per size; also bank build seconds."""
    queries = gen.sentences(n_queries, 5, 9)
    texts = gen.sentences(max(sizes) + 2 * n_ops)
    extra = texts[max(sizes) :]
    bank = MemoryBank("bench", max_text_chars=10_000)
    latency: dict[str, Any] = {}
    ops: dict[str, Any] = {}
    build: dict[str, float] = {}
    rng = np.random.default_rng(1)
    filled = 0
    start = time.perf_counter()
    for size in sorted(sizes):
        for text in texts[filled:size]:
            bank.add(text)
        filled = size
        build[str(size)] = time.perf_counter() - start
        for q in queries[:10]:  # warm-up
            bank.top_k(q, K)
        latency[str(size)] = _stats_ms(_time_each(lambda q: bank.top_k(q, K), queries))
        # Operations: each timed alone; the bank stays within n_ops of `size`.
        add_t: list[float] = []
        upd_t: list[float] = []
        del_t: list[float] = []
        per_round = min(n_ops, size // 4)
        while len(add_t) < n_ops:  # rounds of ADD, UPDATE, DELETE: the size stays `size`
            live = [e.id for e in bank.entries()]
            picked = rng.choice(len(live), size=2 * per_round, replace=False).tolist()
            targets = [live[i] for i in picked]
            new = [extra[int(i)] for i in rng.integers(len(extra), size=2 * per_round)]
            add_t += _time_each(lambda t: bank.add(t), new[:per_round])
            pairs = list(zip(targets[:per_round], new[per_round:], strict=True))
            upd_t += _time_each(lambda a: bank.update(a[0], a[1]), pairs)
            del_t += _time_each(lambda i: bank.delete(i), targets[per_round:])
        ops[str(size)] = {
            "add": _stats_us(add_t),
            "update": _stats_us(upd_t),
            "delete": _stats_us(del_t),
        }
    return latency, ops, build


def dense_figures(
    gen: ZipfText, sizes: tuple[int, ...], n_queries: int, pool: int
) -> tuple[dict[str, Any], list[str]]:
    """Dense latencies per size (see the module docstring), or a note when unavailable."""
    from memenv.memory.dense import CachedEncoder, DenseIndex, minilm_encode
    from memenv.memory.dense_ivf import IVFDenseIndex

    try:
        minilm_encode(["warm up"])
    except ImportError as exc:
        return {}, [f"dense retrieval skipped: {exc}"]
    import torch

    notes = [f"dense: torch intra-op threads {torch.get_num_threads()} (library default)"]
    pool_texts = gen.sentences(pool)
    start = time.perf_counter()
    pool_vectors = minilm_encode(pool_texts)
    pool_s = time.perf_counter() - start
    notes.append(
        f"dense: {pool} distinct memory texts encoded with MiniLM in {pool_s:.1f}s "
        f"({pool_s / pool * 1000:.1f} ms/text, batch 64); memory i uses pool vector i % {pool} "
        "+ N(0, 0.02) noise, renormalised"
    )
    rng = np.random.default_rng(2)
    texts = [f"{pool_texts[i % pool]} #{i}" for i in range(max(sizes))]
    vectors: dict[str, np.ndarray] = {}

    def encoder(batch: list[str]) -> np.ndarray:
        known = [vectors.get(t) for t in batch]
        missing = [t for t, v in zip(batch, known, strict=True) if v is None]
        if missing:
            for t, v in zip(missing, minilm_encode(missing), strict=True):
                vectors[t] = v
        return np.stack([vectors[t] for t in batch])

    shared = CachedEncoder(encoder, maxsize=max(sizes) + 4 * n_queries)
    index = DenseIndex(shared)
    ivf = IVFDenseIndex(shared)
    cached_q = gen.sentences(n_queries, 5, 9)
    index.encoder(cached_q)  # the index part alone: query vectors already known
    out: dict[str, Any] = {}
    filled = 0
    batch = 10_000
    for size in sorted(sizes):
        for lo in range(filled, size, batch):
            chunk = np.arange(lo, min(size, lo + batch))
            noisy = pool_vectors[chunk % pool] + rng.normal(0, 0.02, (len(chunk), 384))
            noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
            for i, v in zip(chunk.tolist(), noisy.astype(np.float32), strict=True):
                vectors[texts[i]] = v
            for i in chunk.tolist():
                index.add(f"m{i}", texts[i], order=i)
                ivf.add(f"m{i}", texts[i], order=i)
        filled = size
        for q in cached_q[:5]:
            index.top_k(q, K)
            ivf.top_k(q, K)
        search = _time_each(lambda q: index.top_k(q, K), cached_q)
        ivf_search = _time_each(lambda q: ivf.top_k(q, K), cached_q)
        recall = [
            len({d for d, _ in index.top_k(q, K)} & {d for d, _ in ivf.top_k(q, K)}) / K
            for q in cached_q
        ]
        fresh = gen.sentences(n_queries, 5, 9)
        query = _time_each(lambda q: index.top_k(q, K), fresh)
        enc = _time_each(lambda q: minilm_encode([q]), gen.sentences(n_queries, 5, 9))
        out[str(size)] = {
            "dense_search": _stats_ms(search),
            "dense_ivf_search": _stats_ms(ivf_search),
            "dense_ivf_recall": round(float(np.mean(recall)), 4),
            "dense_ivf_lists": 0 if ivf._centroids is None else len(ivf._centroids),
            "dense_ivf_probes": ivf.probes(),
            "dense_ivf_dims": None if ivf._axes is None else len(ivf._axes),
            "dense_query": _stats_ms(query),
            "dense_encode": _stats_ms(enc),
        }
    return out, notes


def run(quick: bool = False, locomo_path: str | None = None) -> dict[str, Any]:
    """The retrieval part: ``retrieval_ms[size][method]`` and ``bank_op_us[size][op]``."""
    sizes = QUICK_SIZES if quick else SIZES
    gen = ZipfText(seed=0)
    latency, ops, build = bm25_figures(
        gen, sizes, n_queries=50 if quick else 300, n_ops=50 if quick else 200
    )
    dense, notes = dense_figures(
        gen, sizes, n_queries=10 if quick else 50, pool=QUICK_POOL if quick else POOL
    )
    retrieval: dict[str, Any] = {}
    for size in sizes:
        retrieval[str(size)] = {"bm25": latency[str(size)], **dense.get(str(size), {})}
    return {
        "retrieval_ms": retrieval,
        "bank_op_us": ops,
        "retrieval_setup_s": {"bm25_bank_build_cumulative": build},
        "retrieval_k": K,
        "notes": notes,
    }


if __name__ == "__main__":
    part_main("retrieval", run)
