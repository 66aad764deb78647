"""Dates in memories: parse session timestamps, find explicit dates, resolve relative ones.

Answers are formatted like LoCoMo's gold answers: ``"7 May 2023"`` (a day), ``"May 2023"`` (a
month), ``"2022"`` (a year), or an anchored phrase such as ``"the week before 9 June 2023"``
when the memory only says "last week".
"""

from __future__ import annotations

import re
from datetime import date, timedelta

MONTHS = (
    "january february march april may june july august september october november december"
).split()
_MONTH_RE = (
    "|".join(m.capitalize() for m in MONTHS) + "|" + "|".join(m[:3].capitalize() for m in MONTHS)
)
WEEKDAYS = "monday tuesday wednesday thursday friday saturday sunday".split()
NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
}

_DAY_MONTH_YEAR = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)? ({_MONTH_RE})\.?,? (\d{{4}})\b")
_MONTH_DAY_YEAR = re.compile(rf"\b({_MONTH_RE})\.? (\d{{1,2}})(?:st|nd|rd|th)?,? (\d{{4}})\b")
_ISO = re.compile(r"\b(\d{4})[/-](\d{1,2})[/-](\d{1,2})\b")
_MONTH_YEAR = re.compile(rf"\b({_MONTH_RE}),? (\d{{4}})\b")
_YEAR = re.compile(r"\b(?:in|since|of|from|during) ((?:19|20)\d{2})\b")
_ANCHORED = re.compile(
    r"\b((?:the |a few |two |three |\d+ )?(?:day|days|week|weeks|weekend|weekends|month|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday) (?:before|after|of) "
    rf"(?:\d{{1,2}} (?:{_MONTH_RE}),? \d{{4}}))",
    re.IGNORECASE,
)


def fmt_day(d: date) -> str:
    return f"{d.day} {MONTHS[d.month - 1].capitalize()} {d.year}"


def fmt_month(year: int, month: int) -> str:
    return f"{MONTHS[month - 1].capitalize()} {year}"


def _month_index(name: str) -> int:
    return MONTHS.index(next(m for m in MONTHS if m.startswith(name.lower()[:3])))


def _make(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_timestamp(text: str) -> date | None:
    """The date of a session timestamp such as ``"1:56 pm on 8 May, 2023"`` (None if none)."""
    if m := _DAY_MONTH_YEAR.search(text):
        return _make(int(m[3]), _month_index(m[2]) + 1, int(m[1]))
    if m := _MONTH_DAY_YEAR.search(text):
        return _make(int(m[3]), _month_index(m[1]) + 1, int(m[2]))
    if m := _ISO.search(text):
        return _make(int(m[1]), int(m[2]), int(m[3]))
    return None


def explicit_date(text: str) -> str | None:
    """The first date written out in ``text``, normalised ("May 8, 2023" -> "8 May 2023")."""
    if m := _ANCHORED.search(text):
        phrase = m[1]
        return phrase[0].lower() + phrase[1:]
    if m := _DAY_MONTH_YEAR.search(text):
        d = _make(int(m[3]), _month_index(m[2]) + 1, int(m[1]))
        return fmt_day(d) if d else None
    if m := _MONTH_DAY_YEAR.search(text):
        d = _make(int(m[3]), _month_index(m[1]) + 1, int(m[2]))
        return fmt_day(d) if d else None
    if m := _MONTH_YEAR.search(text):
        return fmt_month(int(m[2]), _month_index(m[1]) + 1)
    if m := _YEAR.search(text):
        return m[1]
    return None


def _shift_month(d: date, months: int) -> tuple[int, int]:
    index = d.year * 12 + d.month - 1 + months
    return index // 12, index % 12 + 1


_NUM = r"(a|an|one|two|three|four|five|six|seven|eight|nine|ten|a few|a couple of|\d+)"
_RELATIVE: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\byesterday\b|\blast night\b"), "yesterday"),
    (re.compile(r"\b(today|this morning|tonight|this evening)\b"), "today"),
    (re.compile(r"\blast weekend\b|\bover the weekend\b|\bthis past weekend\b"), "weekend"),
    (re.compile(rf"\blast ({'|'.join(WEEKDAYS)})\b"), "weekday"),
    (re.compile(r"\blast week\b|\bthe week before\b|\bthe other week\b"), "week"),
    (re.compile(r"\blast month\b"), "last_month"),
    (re.compile(r"\bthis month\b"), "this_month"),
    (re.compile(r"\bnext month\b"), "next_month"),
    (re.compile(r"\blast year\b"), "last_year"),
    (re.compile(r"\bthis year\b"), "this_year"),
    (re.compile(r"\bnext year\b"), "next_year"),
    (re.compile(rf"\b{_NUM} (day|week|weekend|month|year)s? ago\b"), "ago"),
    (re.compile(r"\brecently\b"), "recently"),
]


def _count(word: str) -> int | None:
    word = word.lower()
    if word.isdigit():
        return int(word)
    return NUMBER_WORDS.get(word)


def resolve_relative(text: str, anchor: date) -> str | None:
    """Resolve the first relative time expression of ``text`` against the session date.

    "yesterday" -> the day before; "last week" -> "the week before <anchor>" (LoCoMo's gold
    wording); "last Friday" -> "the Friday before <anchor>"; "last month" -> "April 2023";
    "last year" -> "2022"; "two weeks ago" -> "two weeks before <anchor>"; "a few days ago" ->
    "a few days before <anchor>"; "recently" -> the day before (what LoCoMo's gold usually says).
    """
    low = text.lower()
    hits = [(m.start(), kind, m) for pattern, kind in _RELATIVE if (m := pattern.search(low))]
    if not hits:
        return None
    _, kind, m = min(hits, key=lambda h: h[0])
    day = fmt_day(anchor)
    if kind in ("yesterday", "recently"):
        return fmt_day(anchor - timedelta(days=1))
    if kind == "today":
        return day
    if kind == "weekend":
        return f"the weekend before {day}"
    if kind == "weekday":
        return f"the {m[1].capitalize()} before {day}"
    if kind == "week":
        return f"the week before {day}"
    if kind in ("last_month", "this_month", "next_month"):
        shift = {"last_month": -1, "this_month": 0, "next_month": 1}[kind]
        return fmt_month(*_shift_month(anchor, shift))
    if kind in ("last_year", "this_year", "next_year"):
        return str(anchor.year + {"last_year": -1, "this_year": 0, "next_year": 1}[kind])
    # "<n> <unit>s ago"
    amount, unit = m[1], m[2]
    n = _count(amount)
    if unit == "year" and n is not None:
        return str(anchor.year - n)
    if unit == "month" and n is not None:
        return fmt_month(*_shift_month(anchor, -n))
    if unit == "day" and n is not None and amount not in ("a few", "a couple of"):
        return fmt_day(anchor - timedelta(days=n))
    plural = unit if n == 1 else unit + "s"
    return f"{amount} {plural} before {day}"


def memory_date(text: str, timestamp: str) -> tuple[str | None, bool]:
    """(the date a memory's event happened, whether the memory states it).

    An explicit date in the text wins, then a relative expression resolved against the
    timestamp; otherwise the day before the session (most LoCoMo events are told the next day)
    with ``False``.
    """
    if found := explicit_date(text):
        return found, True
    anchor = parse_timestamp(timestamp)
    if anchor is None:
        return None, False
    if found := resolve_relative(text, anchor):
        return found, True
    return fmt_day(anchor - timedelta(days=1)), False
