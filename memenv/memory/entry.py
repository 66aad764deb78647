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
