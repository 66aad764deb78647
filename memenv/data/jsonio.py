"""The one JSON reader of the dataset loaders: strict about what a data file may hold.

``json`` accepts things no dataset has and that break later in confusing ways: nesting deep
enough to exhaust the stack (a ``RecursionError``), integers of thousands of digits (Python
refuses to convert them, naming no file), ``NaN`` and ``Infinity`` (an answer "nan"), and
JSON-escaped lone surrogates (``"\\ud800"``: a ``str`` that cannot be written as UTF-8, which
stops every later write of a result row). Here each of them is a
:class:`~memenv.data.errors.DataFormatError` naming the file and the JSON path of the value.

The checks cost one pass over the decoded containers (scalars are not visited unless the text
holds a surrogate escape), about a tenth of a loader's conversion time.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

from memenv.data.errors import DataFormatError

MAX_DEPTH = 64
"""Deepest nesting of arrays/objects a data file may have (LoCoMo needs 4, LongMemEval 4)."""
MAX_INT_DIGITS = 40
"""Longest integer literal accepted (ids and counts need far fewer digits)."""

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# A surrogate escape (\uD800-\uDFFF) anywhere: only then are strings checked one by one.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{},:]|[^\s\[\]{},:"]+')


class _Rejected:
    """What a parse hook returns for a literal that is not allowed; the walk reports it."""

    __slots__ = ("why",)

    def __init__(self, why: str):
        self.why = why


def _parse_int(text: str) -> Any:
    digits = len(text.lstrip("-"))
    if digits > MAX_INT_DIGITS:
        return _Rejected(f"an integer of {digits} digits (at most {MAX_INT_DIGITS})")
    return int(text)


def _parse_float(text: str) -> Any:
    value = float(text)
    if not math.isfinite(value):
        return _Rejected(f"a number out of range ({text[:30]})")
    return value


def _parse_constant(name: str) -> Any:
    return _Rejected(f"{name}, which is not JSON")


def _child(path: str, key: Any) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    if _IDENT.fullmatch(key):
        return f"{path}.{key}" if path else key
    return f"{path}[{json.dumps(key)}]"


def _join(where: str, path: str) -> str:
    if len(path) > 120:  # a path 64 levels deep: its start says where
        path = path[:100] + "..."
    if where and path:
        return f"{where}: {path}"
    return where or path


def _surrogate_at(text: str) -> str | None:
    """A description of the first lone surrogate in ``text``, ``None`` if it has none."""
    if text.isascii():
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return f"a lone surrogate U+{ord(text[exc.start]):04X} at character {exc.start}"
    return None


def check_value(value: Any, source: str, where: str = "", *, strings: bool = True) -> None:
    """Raise :class:`DataFormatError` for the first value :func:`loads` does not accept
    (rejected literals, nesting over :data:`MAX_DEPTH`; lone surrogates when ``strings``)."""
    # Iterative, with (node, depth, parent index, key) records so a path is built only on error.
    trail: list[tuple[int, Any]] = []  # (parent record index, key)
    stack: list[tuple[Any, int, int]] = [(value, 0, -1)]

    def path_of(record: int) -> str:
        keys = []
        while record >= 0:
            parent, key = trail[record]
            keys.append(key)
            record = parent
        out = ""
        for key in reversed(keys):
            out = _child(out, key)
        return out

    def fail(record: int, why: str) -> None:
        raise DataFormatError(source, _join(where, path_of(record)), why)

    def scalar(item: Any, record: int) -> None:
        if type(item) is _Rejected:
            fail(record, item.why)
        if strings and type(item) is str and (why := _surrogate_at(item)):
            fail(record, why)

    scalar(value, -1)
    while stack:
        node, depth, record = stack.pop()
        kind = type(node)
        if kind is not dict and kind is not list:
            continue
        if depth >= MAX_DEPTH:
            fail(record, f"nested more than {MAX_DEPTH} levels deep")
        items = node.items() if kind is dict else enumerate(node)
        for key, item in items:
            sub = type(item)
            if sub is dict or sub is list:
                trail.append((record, key))
                stack.append((item, depth + 1, len(trail) - 1))
            elif sub is _Rejected or (strings and sub is str):
                trail.append((record, key))
                scalar(item, len(trail) - 1)
            if strings and kind is dict and (why := _surrogate_at(key)):
                trail.append((record, key))
                fail(len(trail) - 1, f"a key with {why}")


def _deep_path(text: str) -> str:
    """The JSON path where ``text`` first nests deeper than :data:`MAX_DEPTH` (text scan; only
    for documents too deep for the decoder)."""
    frames: list[list[Any]] = []  # ["[", index] or ["{", key, expecting_key]
    for match in _TOKEN.finditer(text):
        token = match.group()
        first = token[0]
        if first in "[{":
            if len(frames) >= MAX_DEPTH:
                break
            frames.append(["[", 0] if first == "[" else ["{", None, True])
        elif first in "]}":
            if frames:
                frames.pop()
        elif first == "," and frames:
            if frames[-1][0] == "[":
                frames[-1][1] += 1
            else:
                frames[-1][2] = True
        elif first == ":" and frames and frames[-1][0] == "{":
            frames[-1][2] = False
        elif first == '"' and frames and frames[-1][0] == "{" and frames[-1][2]:
            try:
                frames[-1][1] = json.loads(token)
            except ValueError:
                frames[-1][1] = token
    path = ""
    for frame in frames:
        key = frame[1]
        path = _child(path, key if key is not None else "?")
    return path


def loads(text: str, source: str, where: str = "") -> Any:
    """Decode one JSON document from ``text`` (read from ``source``), with the checks above.

    ``where`` prefixes the paths in errors (e.g. ``"line 3"`` for a JSONL line).
    """
    try:
        value = json.loads(
            text,
            parse_int=_parse_int,
            parse_float=_parse_float,
            parse_constant=_parse_constant,
        )
    except json.JSONDecodeError as exc:
        if not where:
            at = f"line {exc.lineno} column {exc.colno}"
            raise DataFormatError(source, at, f"invalid JSON: {exc.msg}") from None
        column = f"column {exc.colno}" if exc.lineno == 1 else f"character {exc.pos}"
        raise DataFormatError(source, where, f"invalid JSON: {exc.msg} ({column})") from None
    except RecursionError:
        raise DataFormatError(
            source, _join(where, _deep_path(text)), f"nested more than {MAX_DEPTH} levels deep"
        ) from None
    check_value(value, source, where, strings=bool(_SURROGATE_ESCAPE.search(text)))
    return value


def read_text(path: str | Path, source: str | None = None) -> str:
    """A data file's text (UTF-8, with or without a byte-order mark), or DataFormatError."""
    file = Path(path)
    name = str(file) if source is None else source
    try:
        return file.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataFormatError(
            name, "", f"not UTF-8 text ({exc.reason} at byte {exc.start})"
        ) from None


def read_json(path: str | Path, source: str | None = None) -> Any:
    """Decode a JSON data file with :func:`loads`; ``source`` names it in errors (default:
    the path as given)."""
    name = str(path) if source is None else source
    return loads(read_text(path, name), name)


__all__ = ["MAX_DEPTH", "MAX_INT_DIGITS", "check_value", "loads", "read_json", "read_text"]
