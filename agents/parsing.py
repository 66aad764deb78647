"""Parsers for the LLM outputs memenv.parsing does not cover: extracted facts and judge labels.

Like memenv.parsing (whose JSON extraction they reuse), no input makes them raise: what cannot
be read gives an empty result.
"""

from __future__ import annotations

import re
from typing import Any

from memenv.parsing import json_candidates, loads_lenient

_LABEL = re.compile(r"\b(CORRECT|WRONG|INCORRECT)\b", re.IGNORECASE)
# The bullet and one space; the item is the rest of the line, stripped. (A single pattern ending
# in "\s+(.*\S)\s*$" backtracks quadratically on a bullet followed by a run of spaces.)
_BULLET = re.compile(r"\s*+(?:[-*\u2022]|\d{1,3}[.)])\s")


def _payloads(raw: str) -> list[Any]:
    """Parsed JSON-ish values found in ``raw``: fenced blocks, the outermost {...}/[...], all."""
    values = []
    for candidate in json_candidates(raw):
        value = loads_lenient(candidate)
        if isinstance(value, dict | list):
            values.append(value)
    return values


def _fact_text(item: Any) -> str:
    if isinstance(item, str):
        return item.strip()
    if isinstance(item, dict):
        for key in ("fact", "text", "memory", "content"):
            if isinstance(item.get(key), str):
                return item[key].strip()
    return ""


def parse_facts(raw: Any) -> list[str]:
    """Facts from ``{"facts": [...]}``, a bare JSON list, or (last resort) a bulleted list.

    Items may be strings or objects with a ``fact``/``text`` field; blanks and duplicates are
    dropped, order kept.
    """
    if not isinstance(raw, str) or not raw.strip():
        return []
    items: list[Any] | None = None
    for value in _payloads(raw):
        if isinstance(value, dict):
            for key in ("facts", "fact", "memories", "items"):
                if isinstance(value.get(key), list):
                    items = value[key]
                    break
        elif isinstance(value, list):
            items = value
        if items is not None:
            break
    if items is None:
        items = [line[m.end() :].strip() for line in raw.splitlines() if (m := _BULLET.match(line))]
    facts: dict[str, None] = {}
    for item in items:
        text = _fact_text(item)
        if text:
            facts.setdefault(text, None)
    return list(facts)


def _label_value(label: Any) -> bool | None:
    if isinstance(label, bool):
        return label
    if not isinstance(label, str):
        return None
    word = label.strip().strip(".!\"'*").upper()
    if word == "CORRECT":
        return True
    if word in ("WRONG", "INCORRECT"):
        return False
    return None


def parse_judge_label(raw: Any) -> bool | None:
    """True for CORRECT, False for WRONG/INCORRECT, None when the output names neither.

    Reads ``{"label": ...}`` (code fences, single quotes and case tolerated), else the last
    CORRECT/WRONG word in the text.
    """
    if not isinstance(raw, str):
        return None
    for value in _payloads(raw):
        if isinstance(value, dict):
            for key in ("label", "LABEL", "Label", "verdict", "grade"):
                if key in value:
                    verdict = _label_value(value[key])
                    if verdict is not None:
                        return verdict
    words = _LABEL.findall(raw)
    return _label_value(words[-1]) if words else None
