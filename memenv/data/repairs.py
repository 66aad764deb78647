"""One warning per loaded file for what a loader accepted but had to repair or leave out.

Loaders keep going on a known, harmless defect (an evidence id written ``D:11:26``, a session
date they cannot parse) rather than refuse a file the paper's numbers were computed on, but the
user should know: :func:`warn_repairs` gives one :class:`DataRepairWarning` per file with a count
per kind of repair and the JSON path of the first instance.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping

from memenv.data.records import Conversation


class DataRepairWarning(UserWarning):
    """A dataset file loaded with repairs (counts and the first place of each kind)."""


def warn_repairs(source: str, counts: Mapping[str, int], first: Mapping[str, str]) -> None:
    """Warn once for ``source`` when any count is positive ("3 unparseable session dates
    (first: [0].conversation.session_3_date_time)")."""
    parts = [
        f"{n} {what}" + (f" (first: {first[what]})" if what in first else "")
        for what, n in counts.items()
        if n
    ]
    if parts:
        warnings.warn(f"{source}: loaded with {'; '.join(parts)}", DataRepairWarning, stacklevel=3)


def undated_sessions(
    conversations: Iterable[Conversation], date_key: str = "date"
) -> tuple[dict[str, int], dict[str, str]]:
    """Counts of sessions without a date and with a date that does not parse (``date_time``
    None), and where the first of each is (``conversation id, session N``)."""
    counts = {"sessions without a date": 0, "sessions with an unparseable date": 0}
    first: dict[str, str] = {}
    for conv in conversations:
        for session in conv.sessions:
            if session.date_time is not None:
                continue
            kind = (
                "sessions with an unparseable date"
                if session.date_str
                else ("sessions without a date")
            )
            counts[kind] += 1
            first.setdefault(kind, f"{conv.id} session {session.index} {date_key}")
    return counts, first
