"""Linear-time scanners for untrusted text: code fences, answer markers, lone surrogates.

Regular expressions such as ``\\*{0,2}\\s*answer\\s*:`` or ```` ```\\s*(.*?)``` ```` look harmless
but are quadratic (or worse) in Python's backtracking engine on long runs of whitespace: every
start position inside the run rescans the rest of it. An action string is untrusted input, so the
parsers find their anchors with ``str.find`` (or a regex that starts with a literal) and extend
them by hand; every function here reads each character a bounded number of times.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

FENCE = "```"

# Starts with a literal, so a failed attempt costs O(1) except after "answer", and the "\s*"
# before ":" is bounded by the whitespace run after that one occurrence.
_ANSWER_CORE = re.compile(r"answer\s*+:", re.IGNORECASE)
_AFTER_MARKER = re.compile(r"\s*+\*{0,2}")


def _skip_space(text: str, i: int) -> int:
    n = len(text)
    while i < n and text[i].isspace():
        i += 1
    return i


def _skip_letters(text: str, i: int) -> int:
    n = len(text)
    while i < n and ("a" <= text[i] <= "z" or "A" <= text[i] <= "Z"):
        i += 1
    return i


def fenced_blocks(text: str, tags: tuple[str, ...] | None = None) -> Iterator[str]:
    """The contents of the ```` ``` ```` code blocks of ``text``, in order.

    After the opening fence comes an optional language tag: one of ``tags`` (tried in order), or
    with ``tags=None`` any run of ASCII letters; whitespace after it is not part of the content.
    An opening fence without a closing one ends the scan (no later fence could close either).
    Same blocks as ``re.finditer(r"```(?:tag1|tag2)?\\s*(.*?)```", text, re.DOTALL)``.
    """
    pos = 0
    while (start := text.find(FENCE, pos)) != -1:
        i = start + len(FENCE)
        if tags is None:
            i = _skip_letters(text, i)
        else:
            i += next((len(t) for t in tags if text.startswith(t, i)), 0)
        i = _skip_space(text, i)
        end = text.find(FENCE, i)
        if end == -1:
            return
        yield text[i:end]
        pos = end + len(FENCE)


def last_answer_marker(text: str) -> tuple[int, int] | None:
    """``(start, end)`` of the last ``**Answer:**`` marker in ``text``, or ``None``.

    A marker is ``answer`` (any case), optional whitespace, ``:``, then optional whitespace and at
    most two ``*``; ``start`` is where ``answer`` begins (leading ``**`` and spaces are left in the
    text before it), ``end`` is after the trailing stars.
    """
    last = None
    for match in _ANSWER_CORE.finditer(text):
        last = match
    if last is None:
        return None
    after = _AFTER_MARKER.match(text, last.end())
    return last.start(), after.end() if after else last.end()


def lone_surrogate(text: str) -> int | None:
    """Index of the first lone surrogate (U+D800..U+DFFF) in ``text``, ``None`` if there is none.

    Python strings may hold them (JSON ``"\\ud800"`` decodes to one) but UTF-8 cannot encode
    them, so a text that holds one breaks every later write of it.
    """
    if text.isascii():
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return exc.start
    return None
