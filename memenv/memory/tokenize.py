"""The tokeniser shared by BM25 documents and queries."""

from __future__ import annotations

import re

STOP_WORDS: frozenset[str] = frozenset(
    """
    a an the and or but if so of to in on at by for with from as about
    is are was were be been am do did has have had
    it its this that i me my you your he his she her we our they their
    what when where who which how
    """.split()
)
"""Common English function words. Negations ("not", "no") are kept: they change a memory's sense."""

_WORD = re.compile(r"\w+")


def tokenize(text: str) -> list[str]:
    """Lowercased Unicode word tokens of ``text`` without stop words."""
    return [t for t in _WORD.findall(text.lower()) if t not in STOP_WORDS]
