"""Robust parsers for raw LLM outputs used as environment actions.

No input makes these functions raise: whatever cannot be understood comes back with an error
string, and the environments turn that into an invalid (no-op) action.

Manager output follows Mem0's update format, ``{"memory": [{"id", "text", "event",
"old_memory"}]}``. LLMs wrap it in code fences, surround it with prose, use single quotes, leave
trailing commas or drop fields; all of that is tolerated. A compact one-line form is read too:
``ADD``, ``NOOP``, ``UPDATE 2``, ``DELETE 0``, optionally followed by ``: <memory text>`` (the
form small policies emit; no text means "the new fact's text"). Answer-agent output lists the
selected memories and ends with ``**Answer:** <answer>``.

:func:`json_candidates` and :func:`loads_lenient` are the JSON extraction every parser of LLM
output uses (``agents.parsing`` reads extracted facts and judge labels with them).
"""

from __future__ import annotations

import ast
import itertools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from numbers import Integral
from typing import Any

from memenv.data.records import OPERATIONS
from memenv.textscan import fenced_blocks, last_answer_marker

_EVENT_ALIASES = {
    "ADD": "ADD",
    "INSERT": "ADD",
    "CREATE": "ADD",
    "UPDATE": "UPDATE",
    "MODIFY": "UPDATE",
    "EDIT": "UPDATE",
    "DELETE": "DELETE",
    "REMOVE": "DELETE",
    "NONE": "NOOP",
    "NOOP": "NOOP",
    "NO_OP": "NOOP",
    "NO-OP": "NOOP",
    "NOTHING": "NOOP",
    "KEEP": "NOOP",
}

MAX_FENCED_CANDIDATES = 16
"""Code blocks tried as the payload: each costs a parse, and a hostile output may hold 100,000."""
_TRAILING_COMMA = re.compile(r",\s*([}\]])")
_MEMORY_REF = re.compile(r"\[(\d{1,4})\]")


@dataclass(frozen=True)
class ParsedOp:
    """One memory operation read from a raw LLM output."""

    op: str
    """ADD, UPDATE, DELETE or NOOP."""
    target: str | None
    """The local memory id for UPDATE and DELETE (as written by the model), else ``None``."""
    text: str
    error: str = ""
    """Why this operation cannot be applied as written ("" when it is well formed)."""


_COMPACT_OP = re.compile(
    r"(ADD|UPDATE|DELETE|NOOP|NONE)(?:[ \t]+(\d{1,6}))?[ \t]*(?::(.*))?",
    re.IGNORECASE,
)


def json_candidates(raw: str) -> list[str]:
    """Substrings of ``raw`` that may hold a JSON payload, most specific first: fenced blocks
    (at most :data:`MAX_FENCED_CANDIDATES`), the outermost ``{...}`` and ``[...]``, then the
    whole text."""
    candidates = list(itertools.islice(fenced_blocks(raw), MAX_FENCED_CANDIDATES))
    for open_c, close_c in (("{", "}"), ("[", "]")):
        start, end = raw.find(open_c), raw.rfind(close_c)
        if start != -1 and end > start:
            candidates.append(raw[start : end + 1])
    candidates.append(raw)
    return candidates


def loads_lenient(text: str) -> Any:
    """JSON, then JSON without trailing commas, then a Python literal (single quotes).

    ``None`` when none works (or the text is empty or over 200,000 characters).
    """
    text = text.strip()
    if not text or len(text) > 200_000:
        return None
    for attempt in (text, _TRAILING_COMMA.sub(r"\1", text)):
        try:
            return json.loads(attempt)
        except (ValueError, RecursionError):
            pass
    try:
        return ast.literal_eval(_TRAILING_COMMA.sub(r"\1", text))
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None


def _extract_payload(raw: str) -> Any:
    for candidate in json_candidates(raw):
        value = loads_lenient(candidate)
        if isinstance(value, dict | list):
            return value
    return None


def _op_items(payload: Any) -> list[Any] | None:
    """The list of operation objects inside a parsed payload, or None if there is none."""
    if isinstance(payload, list):
        return payload
    if isinstance(payload, dict):
        for key in ("memory", "memories", "operations", "ops", "actions"):
            if isinstance(payload.get(key), list):
                return payload[key]
        if "event" in payload or "op" in payload:
            return [payload]
    return None


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def _parse_op_item(item: Any) -> ParsedOp:
    if not isinstance(item, dict):
        return ParsedOp("NOOP", None, "", error=f"operation is not an object: {str(item)[:60]!r}")
    event_raw = _as_text(item.get("event", item.get("op", ""))).strip().upper()
    op = _EVENT_ALIASES.get(event_raw.replace(" ", "_"))
    if op is None:
        return ParsedOp("NOOP", None, "", error=f"unknown event {event_raw[:30]!r}")
    target = item.get("id")
    target_str = None if target is None else _as_text(target).strip()
    text = _as_text(item.get("text", item.get("memory", ""))).strip()
    if op in ("UPDATE", "DELETE") and not target_str:
        return ParsedOp(op, None, text, error=f"{op} without an 'id'")
    if op in ("ADD", "UPDATE") and not text:
        return ParsedOp(op, target_str, "", error=f"{op} without a 'text'")
    return ParsedOp(op, target_str if op in ("UPDATE", "DELETE") else None, text)


def parse_manager_output(raw: Any) -> tuple[list[ParsedOp], str]:
    """Read Mem0-style memory operations from an LLM output.

    Returns ``(operations, error)``. ``error`` is non-empty when no operation list could be
    found at all; individual malformed operations carry their own ``error``. Items whose event is
    NONE/NOOP are kept so callers can tell "decided to do nothing" from "said nothing".
    """
    if not isinstance(raw, str):
        return [], f"expected a string, got {type(raw).__name__}"
    if not raw.strip():
        return [], "empty output"
    compact = _compact_op(raw)
    if compact is not None:
        return [compact], ""
    items = _op_items(_extract_payload(raw))
    if items is None:
        return [], "no JSON list of memory operations found"
    return [_parse_op_item(item) for item in items], ""


def parse_manager_action(action: Any) -> tuple[list[ParsedOp], str]:
    """Read a MemoryManager action: the manager's text reply (:func:`parse_manager_output`) or
    an action dict ``{"op", "target", "text"}`` (``op`` a name, NONE meaning NOOP, or its index
    in :data:`OPERATIONS`; ``target`` a shown memory id, needed by UPDATE and DELETE).

    Returns ``(operations, error)`` like :func:`parse_manager_output`; never raises."""
    if isinstance(action, str):
        return parse_manager_output(action)
    # exact-type checks first: ABC checks cost a microsecond each and this runs every step
    if type(action) is not dict and not isinstance(action, Mapping):
        return [], f"action must be a dict or a string, got {type(action).__name__}"
    if "op" not in action:
        return [], "an action dict needs an 'op' (and 'target' for UPDATE and DELETE)"
    op = action["op"]
    if type(op) is int and 0 <= op < 4:
        name = OPERATIONS[op]
    elif isinstance(op, str):
        name = op.strip().upper()
        name = "NOOP" if name == "NONE" else name
        if name not in OPERATIONS:
            return [], f"unknown op {op!r}"
    elif isinstance(op, Integral) and not isinstance(op, bool) and 0 <= op < 4:
        name = OPERATIONS[int(op)]
    else:
        return [], f"op must be 0..3 or a name in {OPERATIONS}, got {op!r}"
    text = action.get("text", "")
    if not isinstance(text, str):
        return [], f"text must be a string, got {type(text).__name__}"
    target = action.get("target")
    if type(target) is not int and isinstance(target, Integral) and not isinstance(target, bool):
        target = int(target)
    target_str = None if target is None else str(target)
    if name in ("UPDATE", "DELETE") and target_str is None:
        return [], f"{name} needs a target"
    return [ParsedOp(name, target_str if name in ("UPDATE", "DELETE") else None, text)], ""


def _compact_op(raw: str) -> ParsedOp | None:
    """The compact form ``OP [id][: text]`` on the first non-empty line, or None."""
    line = next((ln for ln in raw.splitlines() if ln.strip()), "").strip()
    match = _COMPACT_OP.fullmatch(line[:10_000])
    if match is None:
        return None
    name, target, text = match.group(1).upper(), match.group(2), (match.group(3) or "").strip()
    op = "NOOP" if name == "NONE" else name
    if op in ("UPDATE", "DELETE") and target is None:
        return ParsedOp(op, None, text, error=f"{op} without a memory id")
    if op in ("ADD", "NOOP") and target is not None:
        return ParsedOp(op, None, text, error=f"{op} takes no memory id, got {target}")
    return ParsedOp(op, target, text)


@dataclass(frozen=True)
class ParsedAnswer:
    """An answer-agent output split into the selected memories and the final answer."""

    answer: str
    selected: tuple[int, ...]
    has_marker: bool
    """Whether the output contained the ``**Answer:**`` marker."""


def parse_answer_output(raw: Any) -> ParsedAnswer:
    """Split ``"...[3] ... [17] ... **Answer:** Paris"`` into memories ``(3, 17)`` and ``"Paris"``.

    The answer is the text after the last marker (its first non-empty line). Without a marker the
    last non-empty line is the answer and nothing counts as selected.
    """
    if not isinstance(raw, str):
        return ParsedAnswer("", (), False)
    marker = last_answer_marker(raw)
    if marker is not None:
        head, tail = raw[: marker[0]], raw[marker[1] :]
        lines = [ln.strip() for ln in tail.splitlines() if ln.strip()]
        answer = lines[0] if lines else ""
        seen: dict[int, None] = {}
        for m in _MEMORY_REF.finditer(head):
            seen.setdefault(int(m.group(1)), None)
        return ParsedAnswer(answer.strip("* "), tuple(seen), True)
    lines = [ln.strip() for ln in raw.splitlines() if ln.strip()]
    return ParsedAnswer(lines[-1] if lines else "", (), False)
