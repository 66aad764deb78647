"""One speaker's memory bank: validated ADD / UPDATE / DELETE / NOOP, history, snapshots."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator
from typing import Any

from memenv.memory.entry import BankSnapshot, ChangeRecord, MemoryEntry, OpResult
from memenv.memory.retriever import Retriever, make_retriever
from memenv.textscan import lone_surrogate


def _order(entry_id: str) -> int:
    """The creation index behind an id ("m12" -> 12): the retriever's tie-break key."""
    return int(entry_id[1:])


BANK_FULL = "bank is full"
"""How a rejected ADD's reason starts when the bank is at capacity."""


class MemoryBank:
    """The memories of one speaker, with a retriever kept in step with every change.

    Operations never raise on bad input: they return an ``OpResult`` with ``ok=False`` and a
    ``reason`` (unknown id, text not a string, empty, longer than ``max_text_chars`` or holding a
    lone surrogate, ADD at ``capacity``...). Ids are ``"m0"``, ``"m1"``, ... from a counter that
    deleted ids never return to; texts are stored stripped. UPDATE keeps the entry's place in the
    insertion order. ``history`` logs every applied operation, NOOPs included (rejected ones are
    only returned).

    ``snapshot()`` / ``restore()`` save and bring back everything: entries, order, id counter,
    history and so retrieval results; a restore touches the retriever only for entries that
    differ. ``retriever`` is a name of ``RETRIEVER_NAMES`` (``"bm25"``, ``"dense"``,
    ``"dense-ivf"``) or an empty ``Retriever`` instance.
    """

    _version: int = 0  # class default: banks pickled before the counter existed read 0

    def __init__(
        self,
        owner: str,
        *,
        capacity: int | None = None,
        max_text_chars: int = 2000,
        retriever: str | Retriever = "bm25",
    ) -> None:
        if not isinstance(owner, str):
            raise TypeError(f"owner must be a str, got {type(owner).__name__}")
        if capacity is not None and (not isinstance(capacity, int) or capacity < 0):
            raise ValueError(f"capacity must be None or an int >= 0, got {capacity!r}")
        if not isinstance(max_text_chars, int) or max_text_chars < 1:
            raise ValueError(f"max_text_chars must be an int >= 1, got {max_text_chars!r}")
        if isinstance(retriever, str):
            retriever = make_retriever(retriever)
        elif len(retriever):
            raise ValueError("a retriever instance given to MemoryBank must be empty")
        self.owner = owner
        self.capacity = capacity
        self.max_text_chars = max_text_chars
        self._retriever = retriever
        self._entries: dict[str, MemoryEntry] = {}
        self._next_id = 0
        self._history: list[ChangeRecord] = []
        self._by_source: dict[str, dict[str, None]] = {}  # dia_id -> ids of entries citing it
        self._version = 0  # bumped on every change of an entry: retrieval results may differ

    # ------------------------------------------------------------------ operations
    def add(
        self, text: Any, *, timestamp: Any = "", provenance: Any = (), step: int = 0
    ) -> OpResult:
        """Store a new memory; its id is the next ``"m<n>"``."""
        sources = _as_ids(provenance)
        why = self._check_text(text) or _check_timestamp(timestamp)
        if not why and sources is None:
            why = f"provenance must be an iterable of dia_id strings, got {provenance!r}"
        if not why and self.capacity is not None and len(self._entries) >= self.capacity:
            why = f"{BANK_FULL}: {len(self._entries)} memories, capacity {self.capacity}"
        if why:
            return OpResult(False, "ADD", None, why)
        assert sources is not None
        entry_id = f"m{self._next_id}"
        self._next_id += 1
        text = text.strip()
        entry = MemoryEntry(entry_id, text, self.owner, timestamp, _merge((), sources), step, step)
        self._replace(None, entry)
        self._entries[entry_id] = entry
        self._history.append(ChangeRecord("ADD", entry_id, None, text, step))
        return OpResult(True, "ADD", entry_id)

    def update(
        self,
        entry_id: Any,
        text: Any,
        *,
        timestamp: Any = None,
        provenance: Any = (),
        step: int = 0,
    ) -> OpResult:
        """Replace a memory's text; new provenance ids are appended, the timestamp replaced if
        given (``None`` keeps it)."""
        sources = _as_ids(provenance)
        old = self._entries.get(entry_id) if isinstance(entry_id, str) else None
        why = (
            self._check_id(entry_id)
            or self._check_text(text)
            or (None if timestamp is None else _check_timestamp(timestamp))
        )
        if not why and sources is None:
            why = f"provenance must be an iterable of dia_id strings, got {provenance!r}"
        if why:
            return OpResult(False, "UPDATE", entry_id if isinstance(entry_id, str) else None, why)
        assert old is not None and sources is not None
        new = MemoryEntry(
            old.id,
            text.strip(),
            self.owner,
            old.timestamp if timestamp is None else timestamp,
            _merge(old.provenance, sources),
            old.created_step,
            step,
        )
        self._replace(old, new)
        self._entries[old.id] = new  # same key: the entry keeps its place
        self._history.append(ChangeRecord("UPDATE", old.id, old.text, new.text, step))
        return OpResult(True, "UPDATE", old.id)

    def delete(self, entry_id: Any, *, step: int = 0) -> OpResult:
        """Remove a memory; its id is never given out again."""
        why = self._check_id(entry_id)
        if why:
            return OpResult(False, "DELETE", entry_id if isinstance(entry_id, str) else None, why)
        old = self._entries.pop(entry_id)
        self._replace(old, None)
        self._history.append(ChangeRecord("DELETE", old.id, old.text, None, step))
        return OpResult(True, "DELETE", old.id)

    def noop(self, *, step: int = 0) -> OpResult:
        """Change nothing (logged in ``history`` so it is a full record of decisions)."""
        self._history.append(ChangeRecord("NOOP", None, None, None, step))
        return OpResult(True, "NOOP", None)

    def _check_text(self, text: Any) -> str | None:
        if not isinstance(text, str):
            return f"text must be a str, got {type(text).__name__}"
        stripped = text.strip()
        if not stripped:
            return "text is empty"
        if len(stripped) > self.max_text_chars:
            return (
                f"text is {len(stripped)} characters long, over the limit of {self.max_text_chars}"
            )
        return _check_encodable("text", stripped)

    def _check_id(self, entry_id: Any) -> str | None:
        if isinstance(entry_id, str) and entry_id in self._entries:
            return None
        return f"no memory with id {entry_id!r} in {self.owner!r}'s bank"

    def _replace(self, old: MemoryEntry | None, new: MemoryEntry | None) -> None:
        """Bring the retriever and the provenance index from ``old`` to ``new`` (same id)."""
        self._version += 1
        same_text = old is not None and new is not None and old.text == new.text
        if old is not None:
            if not same_text:
                self._retriever.remove(old.id)
            for source in old.provenance:
                cited = self._by_source[source]
                del cited[old.id]
                if not cited:
                    del self._by_source[source]
        if new is not None:
            if not same_text:
                self._retriever.add(new.id, new.text, order=_order(new.id))
            for source in new.provenance:
                self._by_source.setdefault(source, {})[new.id] = None

    # ------------------------------------------------------------------ reading
    @property
    def retriever(self) -> Retriever:
        """The index behind ``top_k`` (read it; change the bank only through its operations)."""
        return self._retriever

    @property
    def version(self) -> int:
        """A counter that changes whenever an entry does (ADD, UPDATE, DELETE, a restore that
        changes entries): equal versions of one bank object give equal ``top_k`` results."""
        return self._version

    @property
    def history(self) -> list[ChangeRecord]:
        """Every applied operation in order (read-only by convention)."""
        return self._history

    @property
    def next_id(self) -> str:
        """The id the next ADD will get."""
        return f"m{self._next_id}"

    def entries(self) -> list[MemoryEntry]:
        """All memories in insertion (creation) order."""
        return list(self._entries.values())

    def get(self, entry_id: str) -> MemoryEntry | None:
        return self._entries.get(entry_id)

    def find_by_provenance(self, dia_id: str) -> list[MemoryEntry]:
        """Memories citing ``dia_id`` among their sources, in insertion order."""
        cited = self._by_source.get(dia_id, {})
        return [self._entries[i] for i in sorted(cited, key=_order)]

    def citing(self, dia_id: str) -> list[MemoryEntry]:
        """Memories citing ``dia_id`` among their sources, in no particular order (cheaper than
        :meth:`find_by_provenance`)."""
        cited = self._by_source.get(dia_id)
        if not cited:
            return []
        entries = self._entries
        return [entries[i] for i in cited]

    def top_k(self, query: str, k: int) -> list[tuple[MemoryEntry, float]]:
        """The ``min(k, len(self))`` memories best matching ``query``, with scores, best first;
        equal scores in insertion order."""
        if not isinstance(query, str):
            raise TypeError(f"query must be a str, got {type(query).__name__}")
        if k <= 0 or not self._entries:
            return []
        return [(self._entries[i], score) for i, score in self._retriever.top_k(query, k)]

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, entry_id: object) -> bool:
        return entry_id in self._entries

    def __iter__(self) -> Iterator[MemoryEntry]:
        return iter(list(self._entries.values()))

    def __repr__(self) -> str:
        kind = type(self._retriever).__name__
        return f"MemoryBank(owner={self.owner!r}, {len(self)} memories, retriever={kind})"

    # ------------------------------------------------------------------ state
    def snapshot(self) -> BankSnapshot:
        """The bank's state now (a shallow copy: entries are immutable)."""
        return BankSnapshot(self.owner, dict(self._entries), self._next_id, tuple(self._history))

    def restore(self, snapshot: BankSnapshot) -> None:
        """Return to ``snapshot`` exactly; only entries that differ touch the retriever."""
        if not isinstance(snapshot, BankSnapshot):
            raise TypeError(f"expected a BankSnapshot, got {type(snapshot).__name__}")
        if snapshot.owner != self.owner:
            raise ValueError(f"snapshot of {snapshot.owner!r}'s bank given to {self.owner!r}'s")
        target = snapshot.entries
        for entry_id, old in self._entries.items():
            new = target.get(entry_id)
            if new is not old and new != old:
                self._replace(old, new)
        for entry_id, new in target.items():
            if entry_id not in self._entries:
                self._replace(None, new)
        self._entries = dict(target)
        self._next_id = snapshot.next_id
        self._history = list(snapshot.history)

    def copy(self) -> MemoryBank:
        """An independent deep copy (its own retriever)."""
        return copy.deepcopy(self)


def _check_timestamp(timestamp: Any) -> str | None:
    if isinstance(timestamp, str):
        return _check_encodable("timestamp", timestamp)
    return f"timestamp must be a str, got {type(timestamp).__name__}"


def _check_encodable(field: str, text: str) -> str | None:
    """A reason when ``text`` holds a lone surrogate: it would reach observations and files."""
    at = lone_surrogate(text)
    if at is None:
        return None
    return f"{field} holds a lone surrogate U+{ord(text[at]):04X} at {at} (not valid Unicode)"


def _as_ids(provenance: Any) -> tuple[str, ...] | None:
    """Provenance as a tuple of dia_ids (one string counts as one id); ``None`` if unusable."""
    if type(provenance) is tuple and all(type(i) is str for i in provenance):
        return provenance  # the environments' case, without the ABC check below
    if isinstance(provenance, str):
        return (provenance,)
    if not isinstance(provenance, Iterable) or isinstance(provenance, bytes | dict):
        return None
    ids = tuple(provenance)
    return ids if all(isinstance(i, str) for i in ids) else None


def _merge(old: tuple[str, ...], new: tuple[str, ...]) -> tuple[str, ...]:
    """``old`` then the ids of ``new`` not yet present, order kept (the creator stays first)."""
    merged = dict.fromkeys(old)
    merged.update(dict.fromkeys(new))
    return tuple(merged)
