"""Deterministic text features for classic RL: signed feature hashing and token overlap.

Every text becomes a fixed-size ``float32`` vector: its tokens (``memenv.memory.tokenize``:
lowercased words, stop words removed) are hashed with BLAKE2b (stable across processes and
Python versions, unlike ``hash``) into ``dim`` buckets with a sign bit, counted, and the vector
is L2-normalised. Empty texts give the zero vector.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from functools import lru_cache

import numpy as np

from memenv.memory import tokenize

DEFAULT_DIM = 64


@lru_cache(maxsize=1 << 16)
def _bucket(token: str, dim: int) -> tuple[int, float]:
    """The (index, sign) of one token: the first 8 bytes of its BLAKE2b digest."""
    value = int.from_bytes(hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest(), "little")
    return value % dim, (1.0 if (value >> 63) & 1 else -1.0)


@lru_cache(maxsize=1 << 15)
def tokens_of(text: str) -> frozenset[str]:
    """The set of tokens of ``text`` (cached)."""
    return frozenset(tokenize(text))


def _signed_counts(tokens: Iterable[str], dim: int) -> np.ndarray:
    """Signed bucket counts of ``tokens`` (in their order), L2-normalised, read-only."""
    vec = np.zeros(dim, dtype=np.float32)
    for token in tokens:
        index, sign = _bucket(token, dim)
        vec[index] += sign
    norm = float(np.linalg.norm(vec))
    if norm > 0:
        vec /= norm
    vec.flags.writeable = False
    return vec


@lru_cache(maxsize=1 << 15)
def _hashed(text: str, dim: int) -> np.ndarray:
    return _signed_counts(tokenize(text), dim)


@lru_cache(maxsize=1 << 16)
def hash_tokens(tokens: frozenset[str], dim: int = DEFAULT_DIM) -> np.ndarray:
    """The signed hashed vector of a token *set* (each token counted once), L2-normalised,
    read-only; the zero vector for the empty set. Cached per set."""
    return _signed_counts(sorted(tokens), dim)


def hash_text(text: str, dim: int = DEFAULT_DIM) -> np.ndarray:
    """Signed hashed bag of words of ``text``: a read-only, L2-normalised ``(dim,)`` float32."""
    if dim < 1:
        raise ValueError(f"dim must be >= 1, got {dim}")
    return _hashed(text, dim)


@lru_cache(maxsize=1 << 15)
def text_profile(text: str, dim: int = DEFAULT_DIM) -> tuple[np.ndarray, frozenset[str]]:
    """``(hash_text(text, dim), tokens_of(text))`` in one cached look-up (the hot path's)."""
    return hash_text(text, dim), tokens_of(text)


def overlap_row(
    query_tokens: frozenset[str],
    text_tokens: frozenset[str],
    query_vec: np.ndarray,
    text_vec: np.ndarray,
) -> list[float]:
    """:func:`overlap_features` from already-computed token sets and vectors (same values)."""
    common = len(query_tokens & text_tokens)
    union = len(query_tokens) + len(text_tokens) - common
    cosine = float(np.dot(query_vec, text_vec))
    return [
        common / union if union else 0.0,
        common / len(query_tokens) if query_tokens else 0.0,
        0.0 if cosine < 0.0 else 1.0 if cosine > 1.0 else cosine,
    ]


def overlap_features(query: str, text: str, query_vec: np.ndarray, text_vec: np.ndarray) -> list:
    """``[jaccard, containment, cosine]`` of two texts, each in ``[0, 1]`` (cosine clipped).

    ``containment`` is the share of the query's tokens found in ``text``; ``cosine`` is the dot
    product of their hashed vectors.
    """
    q, t = tokens_of(query), tokens_of(text)
    union = len(q | t)
    common = len(q & t)
    jaccard = common / union if union else 0.0
    containment = common / len(q) if q else 0.0
    cosine = float(np.clip(np.dot(query_vec, text_vec), 0.0, 1.0))
    return [jaccard, containment, cosine]


def normalise_scores(scores: list[float], slots: int) -> np.ndarray:
    """Retrieval scores divided by the best one, zero-padded to ``slots`` (all in ``[0, 1]``)."""
    out = np.zeros(slots, dtype=np.float32)
    if scores:
        # plain Python for these few values (numpy's per-call cost dominated); float64
        # division, then float32 on assignment, as the vectorised form computed
        values = [s if s >= 0.0 else 0.0 for s in scores[:slots]]
        top = max(values)
        if top > 0:
            out[: len(values)] = [v / top for v in values]
        else:
            out[: len(values)] = 1.0
    return out


__all__ = [
    "DEFAULT_DIM",
    "hash_text",
    "hash_tokens",
    "normalise_scores",
    "overlap_features",
    "overlap_row",
    "text_profile",
    "tokens_of",
]
