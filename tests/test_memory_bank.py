"""MemoryBank: operations, rejections, ids, history, provenance, retrieval and snapshots."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

from memenv.memory import (
    BankSnapshot,
    BM25Index,
    ChangeRecord,
    MemoryBank,
    MemoryEntry,
    OpResult,
    Retriever,
)


class CountingRetriever:
    """A BM25 index that counts the add/remove calls it receives."""

    def __init__(self) -> None:
        self.inner = BM25Index()
        self.adds = 0
        self.removes = 0

    def add(self, doc_id: str, text: str, *, order: int | None = None) -> None:
        self.adds += 1
        self.inner.add(doc_id, text, order=order)

    def remove(self, doc_id: str) -> None:
        self.removes += 1
        self.inner.remove(doc_id)

    def top_k(self, query: str, k: int) -> list[tuple[str, float]]:
        return self.inner.top_k(query, k)

    def __len__(self) -> int:
        return len(self.inner)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self.inner


WORDS = "coffee tea hiking paris dog cat guitar painting job school sister beach book".split()


def random_ops(bank: MemoryBank, rng: np.random.Generator, n: int, step0: int = 0) -> None:
    """Apply ``n`` random operations (some of them invalid) to ``bank``."""
    for step in range(step0, step0 + n):
        text = " ".join(rng.choice(WORDS, size=int(rng.integers(1, 6))))
        source = f"D{int(rng.integers(1, 6))}:{int(rng.integers(1, 20))}"
        ids = [e.id for e in bank.entries()] or ["m999"]
        r = rng.random()
        if r < 0.45:
            bank.add(text, timestamp=f"day {step}", provenance=[source], step=step)
        elif r < 0.7:
            bank.update(str(rng.choice(ids)), text, provenance=[source], step=step)
        elif r < 0.85:
            bank.delete(str(rng.choice(ids)), step=step)
        elif r < 0.92:
            bank.noop(step=step)
        else:
            bank.add("   ", step=step)  # rejected


def state(bank: MemoryBank) -> tuple:
    """Everything observable about a bank, retrieval included."""
    queries = ["coffee", "paris dog", "sister painting beach", "unknownword", ""]
    return (
        bank.entries(),
        bank.next_id,
        list(bank.history),
        [[(e.id, s) for e, s in bank.top_k(q, 7)] for q in queries],
        {w: [e.id for e in bank.find_by_provenance(w)] for w in ("D1:1", "D2:3", "D3:5")},
    )


# ---------------------------------------------------------------------- operations
def test_add_creates_entry():
    bank = MemoryBank("Caroline")
    result = bank.add(
        "  Caroline went to a support group \n",
        timestamp="8 May, 2023",
        provenance=["D1:3"],
        step=4,
    )
    assert result == OpResult(True, "ADD", "m0", "")
    assert bank.get("m0") == MemoryEntry(
        "m0", "Caroline went to a support group", "Caroline", "8 May, 2023", ("D1:3",), 4, 4
    )
    assert len(bank) == 1 and "m0" in bank and "m1" not in bank
    assert list(bank) == bank.entries()


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (None, "text must be a str, got NoneType"),
        (5, "text must be a str, got int"),
        (b"bytes", "text must be a str, got bytes"),
        ("", "text is empty"),
        ("  \n\t ", "text is empty"),
        ("x" * 11, "11 characters long, over the limit of 10"),
    ],
)
def test_add_rejections(text, fragment):
    bank = MemoryBank("A", max_text_chars=10)
    result = bank.add(text)
    assert not result.ok and result.op == "ADD" and result.entry_id is None
    assert fragment in result.reason
    assert len(bank) == 0 and bank.history == [] and bank.next_id == "m0"


def test_add_at_limit_and_bad_metadata():
    bank = MemoryBank("A", max_text_chars=10)
    assert bank.add("x" * 10).ok
    bad_time = bank.add("hello", timestamp=20230508)
    assert not bad_time.ok and "timestamp must be a str, got int" in bad_time.reason
    bad_source = bank.add("hello", provenance=[1, 2])
    assert not bad_source.ok and "provenance" in bad_source.reason
    assert bank.add("hello", provenance="D1:1").ok  # one string is one dia_id
    assert bank.get("m1").provenance == ("D1:1",)


def test_capacity():
    bank = MemoryBank("A", capacity=2)
    assert bank.add("one").ok and bank.add("two").ok
    full = bank.add("three")
    assert not full.ok and "capacity 2" in full.reason and "2 memories" in full.reason
    assert bank.update("m0", "one again").ok  # updates are allowed when full
    assert bank.delete("m1").ok
    assert bank.add("three").entry_id == "m2"
    assert not MemoryBank("B", capacity=0).add("x").ok


def test_update_replaces_text_keeps_place_and_merges_provenance():
    bank = MemoryBank("A")
    bank.add("likes tea", timestamp="1 May", provenance=["D1:1", "D1:2"], step=1)
    bank.add("has a dog", step=2)
    result = bank.update("m0", "likes coffee", provenance=["D1:2", "D3:4", "D3:4", "D2:1"], step=7)
    assert result == OpResult(True, "UPDATE", "m0", "")
    entry = bank.get("m0")
    assert entry.text == "likes coffee"
    assert entry.provenance == ("D1:1", "D1:2", "D3:4", "D2:1")  # creator first, order kept
    assert entry.timestamp == "1 May"  # not given: kept
    assert (entry.created_step, entry.updated_step) == (1, 7)
    assert [e.id for e in bank.entries()] == ["m0", "m1"]
    for text in ("went hiking", "sister lives in Paris", "plays guitar"):
        bank.add(text)
    assert bank.top_k("coffee", 1)[0][0].id == "m0"
    bank.update("m0", "likes green tea", timestamp="9 June")
    assert bank.get("m0").timestamp == "9 June"
    # Retrieval follows the new text.
    assert all(score == 0 for _, score in bank.top_k("coffee", 5))
    assert bank.top_k("green", 1)[0][0].id == "m0"


@pytest.mark.parametrize(
    ("entry_id", "text", "fragment"),
    [
        ("m9", "new text", "no memory with id 'm9'"),
        ("m1", "new text", "no memory with id 'm1'"),  # deleted
        (0, "new text", "no memory with id 0"),
        (None, "new text", "no memory with id None"),
        ("m0", "", "text is empty"),
        ("m0", ["list"], "text must be a str, got list"),
        ("m0", "y" * 21, "21 characters long, over the limit of 20"),
    ],
)
def test_update_rejections(entry_id, text, fragment):
    bank = MemoryBank("A", max_text_chars=20)
    bank.add("keep me")
    bank.add("delete me")
    bank.delete("m1")
    before = (bank.entries(), len(bank.history))
    result = bank.update(entry_id, text)
    assert not result.ok and result.op == "UPDATE" and fragment in result.reason
    assert result.entry_id == (entry_id if isinstance(entry_id, str) else None)
    assert (bank.entries(), len(bank.history)) == before


def test_delete_and_rejections():
    bank = MemoryBank("A")
    bank.add("likes tea", provenance=["D1:1"])
    bank.add("likes cake")
    assert bank.delete("m0", step=3) == OpResult(True, "DELETE", "m0", "")
    assert "m0" not in bank and bank.get("m0") is None
    assert bank.find_by_provenance("D1:1") == []
    assert [e.id for e, _ in bank.top_k("tea", 5)] == ["m1"]
    again = bank.delete("m0")
    assert not again.ok and "no memory with id 'm0'" in again.reason
    assert not bank.delete(3).ok and not bank.delete("m7").ok
    assert bank.history[-1] == ChangeRecord("DELETE", "m0", "likes tea", None, 3)


def test_noop_is_logged():
    bank = MemoryBank("A")
    assert bank.noop(step=2) == OpResult(True, "NOOP", None, "")
    assert bank.history == [ChangeRecord("NOOP", None, None, None, 2)]
    assert len(bank) == 0


def test_ids_never_reused():
    bank = MemoryBank("A")
    for text in ("a1", "b2", "c3"):
        bank.add(text)
    bank.delete("m2")
    bank.delete("m0")
    assert bank.next_id == "m3"
    assert bank.add("d4").entry_id == "m3"
    bank.add("")  # a rejection does not use up an id
    assert bank.add("e5").entry_id == "m4"
    assert [e.id for e in bank.entries()] == ["m1", "m3", "m4"]


def test_history_log():
    bank = MemoryBank("A")
    bank.add("likes tea", step=0)
    bank.update("m0", "likes coffee", step=1)
    bank.noop(step=2)
    bank.update("m5", "nothing", step=3)  # rejected: not logged
    bank.delete("m0", step=4)
    assert bank.history == [
        ChangeRecord("ADD", "m0", None, "likes tea", 0),
        ChangeRecord("UPDATE", "m0", "likes tea", "likes coffee", 1),
        ChangeRecord("NOOP", None, None, None, 2),
        ChangeRecord("DELETE", "m0", "likes coffee", None, 4),
    ]


def test_find_by_provenance():
    bank = MemoryBank("A")
    bank.add("one", provenance=["D1:1"])
    bank.add("two", provenance=["D1:2"])
    bank.add("three", provenance=["D1:1", "D1:3"])
    bank.update("m1", "two again", provenance=["D1:1"])
    assert [e.id for e in bank.find_by_provenance("D1:1")] == ["m0", "m1", "m2"]
    assert [e.id for e in bank.find_by_provenance("D1:2")] == ["m1"]
    bank.delete("m0")
    assert [e.id for e in bank.find_by_provenance("D1:1")] == ["m1", "m2"]
    assert bank.find_by_provenance("D9:9") == []


# ---------------------------------------------------------------------- retrieval
def test_top_k_edges():
    bank = MemoryBank("A")
    assert bank.top_k("anything", 5) == []
    bank.add("Caroline likes hiking in the mountains")
    bank.add("Caroline adopted a dog")
    bank.add("Melanie paints sunsets")
    assert bank.top_k("dog", 0) == [] and bank.top_k("dog", -3) == []
    everything = bank.top_k("dog", 50)
    assert len(everything) == 3 and everything[0][0].id == "m1"
    scores = [s for _, s in everything]
    assert scores == sorted(scores, reverse=True)
    with pytest.raises(TypeError):
        bank.top_k(None, 3)


def test_top_k_ties_follow_insertion_order():
    bank = MemoryBank("A")
    for i in range(6):
        bank.add(f"filler number{i} text{i}")
    for _ in range(3):
        bank.add("red apple")  # m6, m7, m8 score the same
    bank.update("m6", "apple red")  # re-indexed, same tokens: must stay first among equals
    ranked = bank.top_k("apple", 3)
    assert [e.id for e, _ in ranked] == ["m6", "m7", "m8"]
    assert len({s for _, s in ranked}) == 1
    # Zero-score entries come in insertion order too.
    assert [e.id for e, _ in bank.top_k("unrelated", 4)] == ["m0", "m1", "m2", "m3"]
    assert [e.id for e, _ in bank.top_k("apple", 5)][3:] == ["m0", "m1"]


# ---------------------------------------------------------------------- snapshots
def test_snapshot_restore_reproduces_state_and_future():
    rng = np.random.default_rng(7)
    bank = MemoryBank("A")
    random_ops(bank, rng, 60)
    snap = bank.snapshot()
    expected = state(bank)
    random_ops(bank, rng, 80, step0=60)
    assert state(bank) != expected
    bank.restore(snap)
    assert state(bank) == expected

    # The same operations after two restores give the same ids and the same bank.
    futures = []
    for _ in range(2):
        bank.restore(snap)
        results = []
        ops_rng = np.random.default_rng(99)
        for step in range(30):
            results.append(bank.add(f"note {step} coffee", step=step))
            random_ops(bank, ops_rng, 1, step0=step)
        futures.append((results, state(bank)))
    assert futures[0] == futures[1]
    assert futures[0][0][0].entry_id == expected[1]


def test_restore_older_then_newer_snapshot():
    rng = np.random.default_rng(3)
    bank = MemoryBank("A")
    random_ops(bank, rng, 20)
    old = bank.snapshot()
    old_state = state(bank)
    random_ops(bank, rng, 20, step0=20)
    new = bank.snapshot()
    new_state = state(bank)
    bank.restore(old)
    random_ops(bank, rng, 25, step0=20)  # a different branch overwrites the newer history
    bank.restore(new)
    assert state(bank) == new_state
    bank.restore(old)
    assert state(bank) == old_state


def test_restore_touches_only_changed_entries():
    retriever = CountingRetriever()
    bank = MemoryBank("A", retriever=retriever)
    for i in range(50):
        bank.add(f"memory number {i} about topic{i % 7}", provenance=[f"D1:{i}"])
    snap = bank.snapshot()
    retriever.adds = retriever.removes = 0
    bank.restore(snap)  # nothing changed
    assert (retriever.adds, retriever.removes) == (0, 0)

    bank.add("new one")  # removed again by restore
    bank.add("new two")  # removed again by restore
    bank.delete("m3")  # added back
    bank.update("m10", "changed text")  # removed and added back
    bank.update("m11", "memory number 11 about topic4", provenance=["D9:9"])  # same text
    bank.noop()
    retriever.adds = retriever.removes = 0
    bank.restore(snap)
    assert retriever.removes == 3  # new one, new two, m10's new text
    assert retriever.adds == 2  # m3, m10's old text
    assert len(retriever) == len(bank) == 50
    assert bank.get("m11").provenance == ("D1:11",)
    assert [e.id for e in bank.find_by_provenance("D9:9")] == []


def test_restore_from_unpickled_snapshot_and_errors():
    rng = np.random.default_rng(5)
    bank = MemoryBank("A")
    random_ops(bank, rng, 40)
    snap = pickle.loads(pickle.dumps(bank.snapshot()))  # entries no longer identical objects
    assert isinstance(snap, BankSnapshot)
    expected = state(bank)
    random_ops(bank, rng, 40, step0=40)
    bank.restore(snap)
    assert state(bank) == expected
    with pytest.raises(ValueError, match="'B'"):
        MemoryBank("B").restore(snap)
    with pytest.raises(TypeError):
        bank.restore(expected)


def test_pickle_deepcopy_and_copy():
    rng = np.random.default_rng(11)
    bank = MemoryBank("A", capacity=30, max_text_chars=100)
    random_ops(bank, rng, 70)
    expected = state(bank)
    for clone in (pickle.loads(pickle.dumps(bank)), copy.deepcopy(bank), bank.copy()):
        assert state(clone) == expected
        assert (clone.owner, clone.capacity, clone.max_text_chars) == ("A", 30, 100)
        clone.add("only in the clone")
        random_ops(clone, rng, 10, step0=70)
        assert state(bank) == expected
    # A snapshot restores onto an unpickled bank.
    snap = bank.snapshot()
    random_ops(bank, rng, 10, step0=70)
    other = pickle.loads(pickle.dumps(bank))
    other.restore(snap)
    assert state(other) == expected


def test_constructor_validation():
    with pytest.raises(ValueError, match="bm25, dense"):
        MemoryBank("A", retriever="tfidf")
    with pytest.raises(ValueError):
        MemoryBank("A", capacity=-1)
    with pytest.raises(ValueError):
        MemoryBank("A", max_text_chars=0)
    busy = BM25Index()
    busy.add("x", "text")
    with pytest.raises(ValueError, match="empty"):
        MemoryBank("A", retriever=busy)
    bank = MemoryBank("A", retriever=CountingRetriever())
    assert isinstance(bank.retriever, Retriever)
    assert "MemoryBank(owner='A'" in repr(bank)


def test_entry_hash_is_cached_equal_for_equal_entries_and_left_out_of_pickles():
    a = MemoryEntry("m1", "Caroline paints.", "Caroline", "8 May 2023", ("D1:3",), 1, 2)
    b = MemoryEntry("m1", "Caroline paints.", "Caroline", "8 May 2023", ("D1:3",), 1, 2)
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    assert hash(a) == hash(("m1", "Caroline paints.", "Caroline", "8 May 2023", ("D1:3",), 1, 2))
    assert "_hash" in a.__dict__  # computed once, kept on the object
    for twin in (pickle.loads(pickle.dumps(a)), copy.deepcopy(a)):
        # string hashes differ between processes: a copy recomputes its own
        assert "_hash" not in twin.__dict__ and twin == a and hash(twin) == hash(a)
    changed = MemoryEntry("m1", "Caroline paints.", "Caroline", "8 May 2023", ("D1:3",), 1, 3)
    assert changed != a and {a: 1}.get(changed) is None
