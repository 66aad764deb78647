"""Incremental Okapi BM25 whose scores equal ``rank_bm25.BM25Okapi`` on the same tokens."""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import numpy as np

from memenv.memory.retriever import select_top
from memenv.memory.tokenize import tokenize

_NO_ORDER = int(np.iinfo(np.int64).max)  # order key of a free slot: after every live document
SMALL_SLOTS = 512  # indexes up to this many slots ...
SMALL_POSTINGS = 96  # ... answer queries with up to this many postings in plain Python


def _term_counts(text: str) -> dict[str, int]:
    """The text's distinct tokens with their counts, in first-occurrence order."""
    counts: dict[str, int] = {}
    for token in tokenize(text):
        counts[token] = counts.get(token, 0) + 1
    return counts


@lru_cache(maxsize=1 << 14)
def _query_terms(query: str) -> tuple[tuple[str, int], ...]:
    """:func:`_term_counts` of a query, as a tuple (cached: queries repeat, documents do not)."""
    return tuple(_term_counts(query).items())


class _Mirror:
    """A numpy copy of one term's postings (slots ``intp``, term frequencies ``float64``) for
    the vectorised path of large indexes. Once made it is kept up to date on every change
    (growing by doubling, swap-remove), so a frequent term's postings are not copied per query.
    """

    __slots__ = ("slots", "tfs", "where", "n")

    def __init__(self, postings: dict[int, float]) -> None:
        n = len(postings)
        self.slots = np.empty(max(4, n), dtype=np.intp)
        self.tfs = np.empty(max(4, n), dtype=np.float64)
        self.slots[:n] = list(postings)
        self.tfs[:n] = list(postings.values())
        self.where = {slot: i for i, slot in enumerate(postings)}  # slot -> position
        self.n = n

    def append(self, slot: int, tf: float) -> None:
        if self.n == len(self.slots):
            self.slots = np.concatenate([self.slots, np.empty_like(self.slots)])
            self.tfs = np.concatenate([self.tfs, np.empty_like(self.tfs)])
        self.slots[self.n] = slot
        self.tfs[self.n] = tf
        self.where[slot] = self.n
        self.n += 1

    def remove(self, slot: int) -> None:
        """Swap-remove: the last posting takes the removed one's place."""
        i = self.where.pop(slot)
        self.n -= 1
        last = self.n
        if i != last:
            moved = int(self.slots[last])
            self.slots[i] = moved
            self.tfs[i] = self.tfs[last]
            self.where[moved] = i

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """Views of the live part (read them before the next change)."""
        return self.slots[: self.n], self.tfs[: self.n]


_Part = tuple[str, dict[int, float], float, int]
"""A query term's share of a query: (term, its postings, IDF, count in the query)."""


class BM25Index:
    """Okapi BM25 (``k1``, ``b``, ``epsilon`` as ``rank_bm25.BM25Okapi``) over changing documents.

    Keeps an inverted index term -> postings, per-document lengths, the running total length and,
    for the ``epsilon`` floor, the number of terms per document frequency, so the average IDF over
    the vocabulary is recomputed lazily from a few hundred distinct frequencies. ``add`` and
    ``remove`` cost O(terms of the document); ``top_k`` costs O(postings of the query's terms)
    (plus one O(bank) pass when fewer documents match than ``k`` asks for). Documents matching no
    query term score 0 and still fill the ``k`` results, by order key; like ``rank_bm25``, scores
    can be negative in tiny corpora where every term is frequent.
    """

    def __init__(self, k1: float = 1.5, b: float = 0.75, epsilon: float = 0.25) -> None:
        self.k1 = k1
        self.b = b
        self.epsilon = epsilon
        self._clear()

    def _clear(self) -> None:
        # term -> {slot: term frequency}: plain dicts, because most indexes are small (a
        # speaker's bank) and are scored in Python; large ones query through numpy mirrors
        self._postings: dict[str, dict[int, float]] = {}
        self._mirrors: dict[str, _Mirror] = {}
        self._df_groups: dict[int, int] = {}  # document frequency -> number of terms with it
        self._slot_of: dict[str, int] = {}
        self._ids: list[str | None] = []  # slot -> doc id
        self._terms: list[dict[str, int] | None] = []  # slot -> term counts
        self._doc_len = np.zeros(0, dtype=np.float64)
        self._order = np.zeros(0, dtype=np.int64)
        self._len_list: list[float] = []  # slot -> length, order: Python mirrors for small queries
        self._order_list: list[int] = []
        self._free: list[int] = []
        self._total_len = 0
        self._next_order = 0
        self._avg_idf: float | None = None
        self._idf_by_df: dict[int, float] = {}  # IDF per document frequency, for this n_docs
        self._last_query: tuple[str, tuple[tuple[str, int], ...]] = ("", ())

    # ------------------------------------------------------------------ updates
    def add(self, doc_id: str, text: str, *, order: int | None = None) -> None:
        """Index ``text`` under ``doc_id``; ``order`` breaks score ties (default: add order)."""
        if doc_id in self._slot_of:
            raise ValueError(f"document {doc_id!r} is already indexed")
        last_query, last_terms = self._last_query
        # a manager step ranks the fact, then often ADDs it
        counts = dict(last_terms) if text == last_query else _term_counts(text)
        self._insert(doc_id, counts, self._next_order if order is None else order)

    def _insert(self, doc_id: str, counts: dict[str, int], order: int) -> None:
        slot = self._free.pop() if self._free else self._grow()
        postings_of, mirrors = self._postings, self._mirrors
        mirror = len(self._ids) > SMALL_SLOTS  # large indexes query through the arrays
        regroup = self._regroup
        for term, count in counts.items():
            tf = float(count)
            postings = postings_of.get(term)
            if postings is None:
                postings = postings_of[term] = {}
            regroup(len(postings), len(postings) + 1)
            postings[slot] = tf
            if term in mirrors:
                mirrors[term].append(slot, tf)
            elif mirror:
                mirrors[term] = _Mirror(postings)
        length = sum(counts.values())
        self._slot_of[doc_id] = slot
        self._ids[slot] = doc_id
        self._terms[slot] = counts
        self._doc_len[slot] = length
        self._order[slot] = order
        self._len_list[slot] = float(length)
        self._order_list[slot] = order
        self._total_len += length
        self._next_order = max(self._next_order, order + 1)
        self._avg_idf = None
        self._idf_by_df = {}

    def remove(self, doc_id: str) -> None:
        """Drop ``doc_id``; ``KeyError`` if it is not indexed."""
        slot = self._slot_of.pop(doc_id, None)
        if slot is None:
            raise KeyError(f"document {doc_id!r} is not indexed")
        counts = self._terms[slot]
        assert counts is not None
        postings_of = self._postings
        mirrors, regroup = self._mirrors, self._regroup
        for term in counts:
            postings = postings_of[term]
            df = len(postings)
            regroup(df, df - 1)
            if df > 1:
                del postings[slot]
                if term in mirrors:
                    mirrors[term].remove(slot)
            else:
                del postings_of[term]
                mirrors.pop(term, None)
        self._total_len -= int(self._doc_len[slot])
        self._ids[slot] = None
        self._terms[slot] = None
        self._order[slot] = _NO_ORDER
        self._order_list[slot] = _NO_ORDER
        self._free.append(slot)
        self._avg_idf = None
        self._idf_by_df = {}

    def _regroup(self, old_df: int, new_df: int) -> None:
        """Move one term from document frequency ``old_df`` to ``new_df`` (0: no group)."""
        groups = self._df_groups
        if old_df:
            left = groups[old_df] - 1
            if left:
                groups[old_df] = left
            else:
                del groups[old_df]
        if new_df:
            groups[new_df] = groups.get(new_df, 0) + 1

    def _grow(self) -> int:
        slot = len(self._ids)
        if slot == len(self._doc_len):
            size = max(16, 2 * slot)
            self._doc_len = np.concatenate([self._doc_len, np.zeros(size - slot)])
            self._order = np.concatenate([self._order, np.full(size - slot, _NO_ORDER)])
        self._ids.append(None)
        self._terms.append(None)
        self._len_list.append(0.0)
        self._order_list.append(_NO_ORDER)
        return slot

    # ------------------------------------------------------------------ queries
    def __len__(self) -> int:
        return len(self._slot_of)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._slot_of

    def idf(self, term: str) -> float:
        """The IDF ``rank_bm25`` would give ``term`` (0 for terms outside the vocabulary)."""
        postings = self._postings.get(term)
        if postings is None:
            return 0.0
        return self._idf_of(len(postings), len(self._slot_of))

    def _idf_of(self, df: int, n_docs: int) -> float:
        """The IDF of a term in ``df`` of ``n_docs`` documents (with the ``epsilon`` floor)."""
        value = math.log(n_docs - df + 0.5) - math.log(df + 0.5)
        return self.epsilon * self._average_idf() if value < 0 else value

    def _average_idf(self) -> float:
        if self._avg_idf is None:
            # One pass over the distinct document frequencies; ``fsum`` rounds the exact sum
            # once, so equal document sets give bit-identical values whatever the dict order.
            n_docs, log = len(self._slot_of), math.log
            groups = self._df_groups
            total = math.fsum(
                count * (log(n_docs - df + 0.5) - log(df + 0.5)) for df, count in groups.items()
            )
            self._avg_idf = total / len(self._postings)  # every term is in one group
        return self._avg_idf

    def top_k(self, query: str, k: int) -> list[tuple[str, float]]:
        """The ``min(k, len(self))`` best documents as ``(doc_id, score)``, best first."""
        n_docs = len(self._slot_of)
        if k <= 0 or n_docs == 0:
            return []
        k = min(k, n_docs)
        parts, postings_count = self._query_postings(query)
        if len(self._ids) <= SMALL_SLOTS and postings_count <= SMALL_POSTINGS:
            return self._top_k_small(parts, k)
        cand, scores = self._match_parts(parts)
        positive = scores > 0
        picked = self._pick(cand[positive], scores[positive], k)
        slots, values = [picked[0]], [picked[1]]
        need = k - len(picked[0])
        if need > 0:  # documents scoring exactly 0 (most of them match no query term)
            orders = self._order[: len(self._ids)].copy()
            orders[cand] = _NO_ORDER
            take = min(need, n_docs - len(cand))
            if take > 0:
                zero = np.argpartition(orders, take - 1)[:take]
                slots.append(zero[np.argsort(orders[zero])])
                values.append(np.zeros(take))
                need -= take
        if need > 0:
            negative = scores < 0
            picked = self._pick(cand[negative], scores[negative], need)
            slots.append(picked[0])
            values.append(picked[1])
        ids = self._ids
        return [
            (ids[s], v)
            for s, v in zip(
                np.concatenate(slots).tolist(), np.concatenate(values).tolist(), strict=True
            )
        ]

    def _pick(self, slots: np.ndarray, scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        best = select_top(scores, self._order[slots], k)
        return slots[best], scores[best]

    def _query_postings(self, query: str) -> tuple[list[_Part], int]:
        """``(term, postings, idf, query term count)`` of the query's indexed terms, in query order,
        and the number of postings they hold."""
        parts = []
        count = 0
        postings_of = self._postings
        n_docs = len(self._slot_of)
        idf_of = self._idf_of
        idf_by_df = self._idf_by_df
        terms = _query_terms(query)
        self._last_query = (query, terms)
        for term, qtf in terms:
            postings = postings_of.get(term)
            if postings is None:
                continue
            df = len(postings)
            idf = idf_by_df.get(df)
            if idf is None:
                idf = idf_by_df[df] = idf_of(df, n_docs)
            if idf != 0:
                parts.append((term, postings, idf, qtf))
                count += df
        return parts, count

    def _top_k_small(self, parts: list[_Part], k: int) -> list:
        """:meth:`top_k` in plain Python for a few postings in a small index: the same
        expression per posting and the same summation order as the vectorised path, so the
        scores and the ranking are identical (numpy's per-call cost dominates at this size)."""
        avgdl = self._total_len / len(self._slot_of)
        k1, b = self.k1, self.b
        k1_plus_1, one_minus_b = k1 + 1, 1 - b  # the same floats the vectorised path computes
        lens, orders = self._len_list, self._order_list
        sums: dict[int, float] = {}
        get = sums.get
        for _, postings, idf, qtf in parts:
            if qtf == 1:
                for slot, tf in postings.items():
                    sums[slot] = get(slot, 0.0) + idf * (
                        tf * k1_plus_1 / (tf + k1 * (one_minus_b + b * lens[slot] / avgdl))
                    )
            else:
                for slot, tf in postings.items():
                    norm = tf + k1 * (one_minus_b + b * lens[slot] / avgdl)
                    sums[slot] = get(slot, 0.0) + idf * (tf * k1_plus_1 / norm) * qtf
        positive = sorted([(-v, orders[s], s) for s, v in sums.items() if v > 0])
        ids = self._ids
        if len(positive) >= k:
            return [(ids[s], -v) for v, _, s in positive[:k]]
        # then documents scoring exactly 0 (by order key), then negative ones (best first):
        # one pass over the index, sorted on (negative?, -score, order)
        rest = []
        for s in self._slot_of.values():
            v = get(s, 0.0)
            if v <= 0:
                rest.append((v != 0, -v, orders[s], s))
        rest.sort()
        out = [(ids[s], -v) for v, _, s in positive]
        out.extend((ids[s], -v if negative else 0.0) for negative, v, _, s in rest[: k - len(out)])
        return out

    def _match(self, query: str) -> tuple[np.ndarray, np.ndarray]:
        """Slots with a nonzero score for ``query`` and their scores."""
        return self._match_parts(self._query_postings(query)[0])

    def _match_parts(self, parts: list[_Part]) -> tuple[np.ndarray, np.ndarray]:
        """Slots with a nonzero score and their scores, from :meth:`_query_postings`.

        The postings of all query terms are scored in one vectorised pass (elementwise, so each
        weight is bit-identical to scoring term by term) and summed per document in query-term
        order (``bincount`` adds sequentially), exactly as adding the terms one after another.
        """
        slot_parts: list[np.ndarray] = []
        tf_parts: list[np.ndarray] = []
        idfs: list[float] = []
        qtfs: list[int] = []
        lengths: list[int] = []
        mirrors = self._mirrors
        for term, postings, idf, qtf in parts:
            mirror = mirrors.get(term)
            if mirror is None:
                mirror = mirrors[term] = _Mirror(postings)
            slots, tfs = mirror.arrays()
            slot_parts.append(slots)
            tf_parts.append(tfs)
            idfs.append(idf)
            qtfs.append(qtf)
            lengths.append(len(slots))
        if not slot_parts:
            return np.empty(0, dtype=np.intp), np.empty(0)
        single = len(slot_parts) == 1
        if single:
            slots, tf, idf_of = slot_parts[0], tf_parts[0], idfs[0]
        else:
            slots, tf = np.concatenate(slot_parts), np.concatenate(tf_parts)
            idf_of = np.repeat(np.array(idfs), lengths)
        avgdl = self._total_len / len(self._slot_of)
        k1, b = self.k1, self.b
        # The same expression as rank_bm25, so scores agree to the last few ulps.
        weight = idf_of * (tf * (k1 + 1) / (tf + k1 * (1 - b + b * self._doc_len[slots] / avgdl)))
        if any(q > 1 for q in qtfs):
            weight = weight * (qtfs[0] if single else np.repeat(np.array(qtfs), lengths))
        if single:
            scores = weight
        elif 8 * len(slots) >= len(self._ids):
            dense = np.bincount(slots, weights=weight, minlength=len(self._ids))
            slots = np.flatnonzero(dense)
            return slots, dense[slots]
        else:
            slots, inverse = np.unique(slots, return_inverse=True)
            scores = np.bincount(inverse, weights=weight)
        keep = scores != 0
        return slots[keep], scores[keep]

    # ------------------------------------------------------------------ pickling
    def __getstate__(self) -> dict[str, Any]:
        docs = [
            (doc_id, int(self._order[slot]), self._terms[slot])
            for doc_id, slot in self._slot_of.items()
        ]
        return {
            "k1": self.k1,
            "b": self.b,
            "epsilon": self.epsilon,
            "next_order": self._next_order,
            "docs": docs,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.k1, self.b, self.epsilon = state["k1"], state["b"], state["epsilon"]
        self._clear()
        for doc_id, order, counts in state["docs"]:
            self._insert(doc_id, dict(counts), order)
        self._next_order = state["next_order"]
