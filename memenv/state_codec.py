"""JSON for plain object graphs (containers, registered dataclasses, memory banks), safe to read.

Reading a pickle runs whatever code the file names, so caches a user could be handed (the bank
cache of ``memenv eval``) use this format instead. Decoding builds only plain containers, memory
banks and the classes registered with :func:`state_type`; it sets their declared attributes and
calls no constructor, ``__setstate__`` or import, so a planted file can give wrong data (caught
as an error) but cannot run code.

Shared and cyclic references are kept: the first occurrence of a mutable object gets an
``"@id"``, later ones are ``{"@ref": id}``. A :class:`~memenv.memory.MemoryBank` is stored as its
snapshot and settings and rebuilt with the retriever the reader names.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from typing import Any, TypeVar

from memenv.memory import MemoryBank
from memenv.memory.entry import BankSnapshot, ChangeRecord, MemoryEntry

T = TypeVar("T")

_TYPES: dict[str, tuple[type, tuple[str, ...], dict[str, Any]]] = {}
"""name -> (class, attributes stored, attributes reset to a value instead of stored)."""
_BUILTIN_CLASSES: dict[str, type] = {"dict": dict, "list": list, "set": set}


class StateFormatError(ValueError):
    """A state file does not decode to the objects it claims to hold."""


def _name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def state_type(
    cls: type[T] | None = None,
    *,
    attrs: tuple[str, ...] | None = None,
    reset: dict[str, Any] | None = None,
) -> Any:
    """Class decorator: allow instances of ``cls`` in encoded state.

    ``attrs``: the instance attributes to store (default: the dataclass fields). ``reset``:
    attributes that are not stored but set to the given value on decoding (a live model handle,
    say).
    """

    def register(klass: type[T]) -> type[T]:
        names = attrs
        if names is None:
            if not dataclasses.is_dataclass(klass):
                raise TypeError(f"{klass.__name__}: pass attrs= for a class that is no dataclass")
            names = tuple(f.name for f in dataclasses.fields(klass))
        kept = tuple(n for n in names if n not in (reset or {}))
        _TYPES[_name(klass)] = (klass, kept, dict(reset or {}))
        return klass

    return register if cls is None else register(cls)


for _cls in (MemoryEntry, ChangeRecord, BankSnapshot):
    state_type(_cls)


# ------------------------------------------------------------------------------------- encoding
def encode_state(obj: Any) -> Any:
    """A JSON-ready value for ``obj``; TypeError naming the first object it cannot encode."""
    memo: dict[int, int] = {}
    keep: list[Any] = []  # keeps encoded objects alive so their id()s stay unique

    def enc(x: Any, where: str) -> Any:
        if x is None or isinstance(x, bool | int | str):
            return x
        if isinstance(x, float):
            return x if x == x and x not in (float("inf"), float("-inf")) else {"@float": repr(x)}
        if isinstance(x, tuple) and not hasattr(x, "_fields"):
            return {"@tuple": [enc(v, f"{where}[{i}]") for i, v in enumerate(x)]}
        if isinstance(x, frozenset):
            return {"@frozenset": [enc(v, f"{where}{{}}") for v in x]}
        if isinstance(x, type):
            name = _name(x)
            if x in _BUILTIN_CLASSES.values():
                return {"@class": x.__name__}
            if name in _TYPES:
                return {"@class": name}
            raise TypeError(f"{where}: class {name} is not registered with state_type")
        if id(x) in memo:
            return {"@ref": memo[id(x)]}
        memo[id(x)] = len(memo)
        keep.append(x)
        out: dict[str, Any] = {"@id": memo[id(x)]}
        if type(x) is list:
            out["@list"] = [enc(v, f"{where}[{i}]") for i, v in enumerate(x)]
        elif type(x) is dict:
            out["@dict"] = [
                [enc(k, f"{where}.key"), enc(v, f"{where}[{k!r}]")] for k, v in x.items()
            ]
        elif type(x) is set:
            out["@set"] = [enc(v, f"{where}{{}}") for v in x]
        elif type(x) is deque:
            out["@deque"] = [enc(v, f"{where}[{i}]") for i, v in enumerate(x)]
            out["maxlen"] = x.maxlen
        elif type(x) is MemoryBank:
            out["@bank"] = {
                "capacity": x.capacity,
                "max_text_chars": x.max_text_chars,
                "snapshot": enc(x.snapshot(), f"{where}.snapshot"),
            }
        elif _name(type(x)) in _TYPES:
            _, names, _ = _TYPES[_name(type(x))]
            out["@type"] = _name(type(x))
            out["@attrs"] = {n: enc(getattr(x, n), f"{where}.{n}") for n in names}
        else:
            raise TypeError(f"{where}: cannot encode a {type(x).__name__} (not registered)")
        return out

    return enc(obj, "$")


# ------------------------------------------------------------------------------------- decoding
def decode_state(data: Any, *, retriever: str = "bm25") -> Any:
    """The objects :func:`encode_state` encoded; banks get a new ``retriever`` (by name).

    Raises :class:`StateFormatError` (naming the JSON path) on anything else.
    """
    objects: dict[int, Any] = {}

    def fail(where: str, why: str) -> Any:
        raise StateFormatError(f"{where}: {why}")

    def items(value: Any, where: str) -> list[Any]:
        return value if isinstance(value, list) else fail(where, "expected a list")

    def register(node: dict[str, Any], obj: Any, where: str) -> Any:
        key = node.get("@id")
        if not isinstance(key, int) or isinstance(key, bool) or key in objects:
            fail(where, f"bad or repeated @id {key!r}")
        objects[key] = obj
        return obj

    def dec(x: Any, where: str) -> Any:
        if x is None or isinstance(x, bool | int | float | str):
            return x
        if isinstance(x, list):
            fail(where, "a bare list (lists are encoded as @list objects)")
        if not isinstance(x, dict):
            fail(where, f"unexpected {type(x).__name__}")
        if "@ref" in x:
            ref = x["@ref"]
            if not isinstance(ref, int) or ref not in objects:
                fail(where, f"reference to unknown object {ref!r}")
            return objects[ref]
        if "@float" in x:
            if x["@float"] not in ("nan", "inf", "-inf"):
                fail(where, f"bad float {x['@float']!r}")
            return float(x["@float"])
        if "@tuple" in x:
            return tuple(dec(v, f"{where}[{i}]") for i, v in enumerate(items(x["@tuple"], where)))
        if "@frozenset" in x:
            return frozenset(dec(v, where) for v in items(x["@frozenset"], where))
        if "@class" in x:
            name = x["@class"]
            if name in _BUILTIN_CLASSES:
                return _BUILTIN_CLASSES[name]
            if name in _TYPES:
                return _TYPES[name][0]
            fail(where, f"class {name!r} is not registered")
        if "@list" in x:
            out_list: list[Any] = register(x, [], where)
            out_list.extend(dec(v, f"{where}[{i}]") for i, v in enumerate(items(x["@list"], where)))
            return out_list
        if "@dict" in x:
            out_dict: dict[Any, Any] = register(x, {}, where)
            for pair in items(x["@dict"], where):
                if not isinstance(pair, list) or len(pair) != 2:
                    fail(where, "a dict item is not a [key, value] pair")
                key = dec(pair[0], f"{where}.key")
                try:
                    out_dict[key] = dec(pair[1], f"{where}[{key!r}]")
                except TypeError:
                    fail(where, f"unhashable key {key!r}")
            return out_dict
        if "@set" in x:
            out_set: set[Any] = register(x, set(), where)
            try:
                out_set.update(dec(v, where) for v in items(x["@set"], where))
            except TypeError:
                fail(where, "unhashable set item")
            return out_set
        if "@deque" in x:
            maxlen = x.get("maxlen")
            if maxlen is not None and (not isinstance(maxlen, int) or maxlen < 0):
                fail(where, f"bad deque maxlen {maxlen!r}")
            out_deque: deque[Any] = register(x, deque(maxlen=maxlen), where)
            out_deque.extend(
                dec(v, f"{where}[{i}]") for i, v in enumerate(items(x["@deque"], where))
            )
            return out_deque
        if "@bank" in x:
            return dec_bank(x, where)
        if "@type" in x:
            return dec_object(x, where)
        return fail(where, f"unknown node with keys {sorted(x)[:5]}")

    def dec_bank(node: dict[str, Any], where: str) -> MemoryBank:
        spec = node["@bank"]
        if not isinstance(spec, dict):
            fail(where, "@bank is not an object")
        snapshot = dec(spec.get("snapshot"), f"{where}.snapshot")
        if not isinstance(snapshot, BankSnapshot):
            fail(where, "a bank without a snapshot")
        why = _snapshot_fault(snapshot)
        if why:
            fail(f"{where}.snapshot", why)
        try:
            bank = MemoryBank(
                snapshot.owner,
                capacity=spec.get("capacity"),
                max_text_chars=spec.get("max_text_chars"),
                retriever=retriever,
            )
            bank.restore(snapshot)
        except (TypeError, ValueError, AttributeError) as exc:
            fail(where, f"not a valid bank: {exc}")
        return register(node, bank, where)

    def dec_object(node: dict[str, Any], where: str) -> Any:
        name = node["@type"]
        if name not in _TYPES:
            fail(where, f"type {name!r} is not registered")
        cls, names, reset = _TYPES[name]
        attrs = node.get("@attrs")
        if not isinstance(attrs, dict) or set(attrs) != set(names):
            fail(where, f"{name} needs exactly the attributes {sorted(names)}")
        obj = register(node, cls.__new__(cls), where)
        for attr in names:
            object.__setattr__(obj, attr, dec(attrs[attr], f"{where}.{attr}"))
        for attr, value in reset.items():
            object.__setattr__(obj, attr, value)
        return obj

    try:
        return dec(data, "$")
    except RecursionError:
        raise StateFormatError("$: nested too deeply") from None


def _snapshot_fault(snap: BankSnapshot) -> str:
    """What is wrong with a decoded snapshot's field types ("" if nothing): a bank restored from
    it must behave like one built by the code."""

    def strs(values: Any) -> bool:
        return isinstance(values, tuple) and all(isinstance(v, str) for v in values)

    def count(value: Any) -> bool:
        return isinstance(value, int) and not isinstance(value, bool) and value >= 0

    if not isinstance(snap.owner, str) or not count(snap.next_id):
        return "bad owner or next_id"
    if not isinstance(snap.entries, dict) or not isinstance(snap.history, tuple):
        return "entries must be an object and history a tuple"
    for key, e in snap.entries.items():
        if not isinstance(e, MemoryEntry) or e.id != key:
            return f"entry {key!r} is not a memory with that id"
        texts = (e.id, e.text, e.owner, e.timestamp)
        if not all(isinstance(t, str) for t in texts) or not strs(e.provenance):
            return f"entry {key!r} has fields of the wrong type"
        if not (count(e.created_step) and count(e.updated_step)):
            return f"entry {key!r} has bad steps"
    if not all(isinstance(r, ChangeRecord) for r in snap.history):
        return "history holds something other than change records"
    return ""


def decode_as(data: Any, kind: type[T], **kwargs: Any) -> T:
    """:func:`decode_state`, checking that the result is a ``kind``."""
    value = decode_state(data, **kwargs)
    if not isinstance(value, kind):
        raise StateFormatError(f"$: expected a {kind.__name__}, got {type(value).__name__}")
    return value


__all__: list[str] = ["StateFormatError", "decode_as", "decode_state", "encode_state", "state_type"]
