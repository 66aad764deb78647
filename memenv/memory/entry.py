"""Immutable records of the memory bank: entries, operation results, history, snapshots."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MemoryEntry:
    """One memory of one speaker's bank."""

    id: str
    text: str
    owner: str
    timestamp: str
    """Session date of the last write (free text, as the dataset gives it)."""
    provenance: tuple[str, ...]
    """Source dia_ids; the first is the one the memory was created from."""
    created_step: int
    updated_step: int

    def __hash__(self) -> int:
        # Entries key the reward caches (a question's retrieved memories, looked up at every
        # step): the hash of the seven fields is computed once per object. It stays out of
        # pickles (__getstate__), as string hashes differ between processes.
        cached = self.__dict__.get("_hash")
        if cached is None:
            cached = hash(
                (
                    self.id,
                    self.text,
                    self.owner,
                    self.timestamp,
                    self.provenance,
                    self.created_step,
                    self.updated_step,
                )
            )
            object.__setattr__(self, "_hash", cached)
        return cached

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state.pop("_hash", None)
        return state


@dataclass(frozen=True)
class OpResult:
    """The outcome of one bank operation; ``reason`` says why it was rejected ("" if ``ok``)."""

    ok: bool
    op: str
    entry_id: str | None
    reason: str = ""


@dataclass(frozen=True)
class ChangeRecord:
    """One applied operation in a bank's history (NOOPs included, rejections not)."""

    op: str
    entry_id: str | None
    old_text: str | None
    new_text: str | None
    step: int


@dataclass(frozen=True)
class BankSnapshot:
    """A bank's state at one moment; ``MemoryBank.restore`` brings the bank back to it.

    Holds the (immutable) entries by reference, so taking one is a shallow O(n) copy. Picklable;
    compares by value (not hashable). Treat ``entries`` as read-only.
    """

    owner: str
    entries: dict[str, MemoryEntry]
    next_id: int
    history: tuple[ChangeRecord, ...]
