"""LongMemEval loader (Wu et al., 2024): the S, M and oracle JSON files onto memenv records.

The file is a JSON list of items; each item becomes ONE :class:`Conversation` between ``"user"``
and ``"assistant"`` (id = ``question_id``, dataset ``"longmemeval"``) holding the item's haystack
and its single question. Every field of the item is kept:

- sessions keep the file's order and are numbered 1..n; ``source_id`` is the item's
  ``haystack_session_ids`` entry, ``date_str`` the haystack date verbatim
  (``"2023/05/30 (Tue) 23:40"``) and ``date_time`` its parse (``None`` if unparseable);
- turn ``t`` of session ``s`` gets dia_id ``D{s}:{t}`` (both 1-based), its role as speaker, its
  content as text and its ``has_answer`` mark (``None`` when absent);
- the QA: id = question_id, the answer as a string (an int such as 3 becomes ``"3"``), the
  ``question_date`` string, dataset ``"longmemeval"``, category from
  :data:`LONGMEMEVAL_CATEGORIES` and category_name the question_type, for every item.
  Abstention items (``_abs`` in the id, LongMemEval's own test) keep their question_type and
  get ``abstention=True``; LongMemEval scores them in their type's bucket and in a separate
  abstention bucket;
- evidence: LongMemEval's official retrieval targets, the USER turns marked
  ``has_answer: true`` inside sessions whose id contains ``"answer"`` (a marked turn in a filler
  session or on the assistant side is not a target). ``wide_evidence`` is the wider set: every
  turn marked ``has_answer``, or, when an item marks none, every turn of the sessions named in
  ``answer_session_ids``. ``raw_evidence`` is ``answer_session_ids`` verbatim;
- ``facts`` stay empty: LongMemEval has no extracted facts, so environments stream raw turns.

Malformed items raise :class:`DataFormatError` naming the file and the JSON path, e.g.
``longmemeval_s.json: [3].haystack_sessions[2][5]: missing 'content'``. The real S file is about
270 MB: it is parsed once with ``json.load`` and every item is converted in linear time.
"""

from __future__ import annotations

import re
from datetime import datetime
from os import PathLike
from pathlib import Path
from typing import Any

from memenv.data.errors import DataFormatError, DatasetUnavailableError, json_type_name
from memenv.data.jsonio import read_json
from memenv.data.records import QA, Conversation, Session, Turn
from memenv.data.repairs import undated_sessions, warn_repairs

LONGMEMEVAL_CATEGORIES: dict[str, int] = {
    "single-session-user": 1,
    "single-session-assistant": 2,
    "single-session-preference": 3,
    "multi-session": 4,
    "knowledge-update": 5,
    "temporal-reasoning": 6,
}
"""question_type -> category, in the order of the paper's abilities (information extraction,
multi-session reasoning, knowledge updates, temporal reasoning). Abstention is a flag
(:attr:`QA.abstention`), not a category."""

ABSTENTION_MARK = "_abs"
"""An item is an abstention question when its question_id contains this (LongMemEval's test)."""
SPEAKERS: tuple[str, str] = ("user", "assistant")

# Possessive "\s*+": three adjacent plain "\s*" backtrack cubically on a run of spaces.
_DATE_RE = re.compile(
    r"^\s*+(\d{4})/(\d{1,2})/(\d{1,2})\s*+(?:\([^)]*\))?\s*+(?:(\d{1,2}):(\d{2}))?\s*+$"
)


def parse_longmemeval_date(text: str) -> datetime | None:
    """Parse ``"2023/05/30 (Tue) 23:40"`` (weekday and time optional); ``None`` if it fails."""
    match = _DATE_RE.match(text)
    if match is None:
        return None
    year, month, day, hour, minute = match.groups()
    try:
        return datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0))
    except ValueError:
        return None


def load_longmemeval(path: str | PathLike[str]) -> list[Conversation]:
    """Load a LongMemEval S / M / oracle file: one conversation per item, in file order."""
    file = Path(path)
    reader = _Reader(file.name)
    data = reader.read(file)
    if not isinstance(data, list):
        raise DataFormatError(
            reader.source, "", f"expected a JSON list of items, got {json_type_name(data)}"
        )
    conversations: list[Conversation] = []
    first_at: dict[str, int] = {}
    for i, item in enumerate(data):
        conv = reader.conversation(item, f"[{i}]")
        if conv.id in first_at:
            raise DataFormatError(
                reader.source,
                f"[{i}].question_id",
                f"duplicate id {conv.id!r} (first at [{first_at[conv.id]}])",
            )
        first_at[conv.id] = i
        conversations.append(conv)
    warn_repairs(reader.source, *undated_sessions(conversations, "haystack date"))
    return conversations


class _Reader:
    """Validating conversion of one file's items; ``source`` names the file in errors."""

    def __init__(self, source: str):
        self.source = source

    def fail(self, where: str, message: str) -> DataFormatError:
        return DataFormatError(self.source, where, message)

    def read(self, file: Path) -> Any:
        if not file.is_file():
            raise DatasetUnavailableError(
                f"LongMemEval file not found: {file}. Download longmemeval_s.json, "
                "longmemeval_m.json or longmemeval_oracle.json from the LongMemEval release "
                "and pass its path as data_path."
            )
        return read_json(file, self.source)  # bad JSON, deep nesting, huge ints, surrogates

    def field(self, obj: dict, key: str, where: str, kind: type, *, optional: bool = False) -> Any:
        """``obj[key]`` checked to be a ``kind`` (never a bool standing in for a number)."""
        if key not in obj:
            if optional:
                return None
            raise self.fail(where, f"missing {key!r}")
        value = obj[key]
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            raise self.fail(
                f"{where}.{key}", f"expected {kind.__name__}, got {json_type_name(value)}"
            )
        return value

    def str_list(self, obj: dict, key: str, where: str, *, optional: bool = False) -> list[str]:
        values = self.field(obj, key, where, list, optional=optional)
        if values is None:
            return []
        for j, value in enumerate(values):
            if not isinstance(value, str):
                raise self.fail(f"{where}.{key}[{j}]", f"expected str, got {json_type_name(value)}")
        return values

    def answer(self, item: dict, where: str) -> str:
        if "answer" not in item:
            raise self.fail(where, "missing 'answer'")
        value = item["answer"]
        if isinstance(value, str):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        raise self.fail(f"{where}.answer", f"expected str or number, got {json_type_name(value)}")

    def conversation(self, item: Any, where: str) -> Conversation:
        if not isinstance(item, dict):
            raise self.fail(where, f"expected an object, got {json_type_name(item)}")
        qid = self.field(item, "question_id", where, str)
        qtype = self.field(item, "question_type", where, str)
        if qtype not in LONGMEMEVAL_CATEGORIES:
            known = ", ".join(LONGMEMEVAL_CATEGORIES)
            raise self.fail(f"{where}.question_type", f"unknown type {qtype!r} (known: {known})")
        question = self.field(item, "question", where, str)
        answer = self.answer(item, where)
        question_date = self.field(item, "question_date", where, str, optional=True)
        session_ids = self.str_list(item, "haystack_session_ids", where)
        dates = self.str_list(item, "haystack_dates", where)
        raw_sessions = self.field(item, "haystack_sessions", where, list)
        if not len(session_ids) == len(dates) == len(raw_sessions):
            raise self.fail(
                where,
                "haystack_session_ids, haystack_dates and haystack_sessions differ in length "
                f"({len(session_ids)}, {len(dates)}, {len(raw_sessions)})",
            )
        answer_ids = self.str_list(item, "answer_session_ids", where, optional=True)

        sessions: list[Session] = []
        for s, (raw, date, sid) in enumerate(
            zip(raw_sessions, dates, session_ids, strict=True), start=1
        ):
            turns = self.turns(raw, f"{where}.haystack_sessions[{s - 1}]", s)
            sessions.append(Session(s, parse_longmemeval_date(date), date, turns, source_id=sid))

        targets = tuple(
            turn.dia_id
            for session in sessions
            if "answer" in (session.source_id or "")
            for turn in session.turns
            if turn.speaker == "user" and turn.has_answer
        )
        wide = tuple(t.dia_id for session in sessions for t in session.turns if t.has_answer)
        if not wide:
            wanted = set(answer_ids)
            wide = tuple(
                turn.dia_id
                for session in sessions
                if session.source_id in wanted
                for turn in session.turns
            )

        qa = QA(
            id=qid,
            question=question,
            answer=answer,
            evidence=targets,
            category=LONGMEMEVAL_CATEGORIES[qtype],
            question_date=question_date,
            raw_evidence=tuple(answer_ids),
            category_name=qtype,
            dataset="longmemeval",
            abstention=ABSTENTION_MARK in qid,
            wide_evidence=wide,
        )
        return Conversation(
            id=qid, speakers=SPEAKERS, sessions=tuple(sessions), qa=(qa,), dataset="longmemeval"
        )

    def turns(self, raw: Any, where: str, session: int) -> tuple[Turn, ...]:
        """The turns of one session."""
        if not isinstance(raw, list):
            raise self.fail(where, f"expected a list of turns, got {json_type_name(raw)}")
        turns = []
        for t, turn in enumerate(raw, start=1):
            at = f"{where}[{t - 1}]"
            if not isinstance(turn, dict):
                raise self.fail(at, f"expected an object, got {json_type_name(turn)}")
            role = self.field(turn, "role", at, str)
            if role not in SPEAKERS:
                raise self.fail(f"{at}.role", f"expected 'user' or 'assistant', got {role!r}")
            text = self.field(turn, "content", at, str)
            has_answer = self.field(turn, "has_answer", at, bool, optional=True)
            turns.append(
                Turn(dia_id=f"D{session}:{t}", speaker=role, text=text, has_answer=has_answer)
            )
        return tuple(turns)
