"""LongMemEval loader (Wu et al., 2024): the S, M and oracle JSON files onto memenv records.

The file is a JSON list of items; each item becomes ONE :class:`Conversation` between ``"user"``
and ``"assistant"`` (id = ``question_id``, dataset ``"longmemeval"``) holding the item's haystack
and its single question:

- sessions keep the file's order and are numbered 1..n; ``date_str`` is the haystack date
  verbatim (``"2023/05/30 (Tue) 23:40"``) and ``date_time`` its parse (``None`` if unparseable);
- turn ``t`` of session ``s`` gets dia_id ``D{s}:{t}`` (both 1-based) and its role as speaker;
- the QA: id = question_id, the answer as a string (an int such as 3 becomes ``"3"``), the
  ``question_date`` string, category from :data:`LONGMEMEVAL_CATEGORIES` and category_name the
  question_type. Abstention items (ids ending in ``_abs``) get category 7 and category_name
  ``"abstention"`` whatever their question_type;
- evidence: the dia_ids of the turns marked ``has_answer: true``. When an item marks none, it is
  every turn of the sessions named in ``answer_session_ids`` (ids absent from the haystack are
  skipped). ``raw_evidence`` is ``answer_session_ids`` verbatim;
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
multi-session reasoning, knowledge updates, temporal reasoning); abstention is 7."""

ABSTENTION_CATEGORY = 7
ABSTENTION_NAME = "abstention"
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
        marked: list[str] = []
        for s, (raw, date) in enumerate(zip(raw_sessions, dates, strict=True), start=1):
            turns = self.turns(raw, f"{where}.haystack_sessions[{s - 1}]", s, marked)
            sessions.append(Session(s, parse_longmemeval_date(date), date, turns))

        if marked:
            evidence = tuple(marked)
        else:
            wanted = set(answer_ids)
            evidence = tuple(
                turn.dia_id
                for session, sid in zip(sessions, session_ids, strict=True)
                if sid in wanted
                for turn in session.turns
            )

        abstention = qid.endswith("_abs")
        qa = QA(
            id=qid,
            question=question,
            answer=answer,
            evidence=evidence,
            category=ABSTENTION_CATEGORY if abstention else LONGMEMEVAL_CATEGORIES[qtype],
            question_date=question_date,
            raw_evidence=tuple(answer_ids),
            category_name=ABSTENTION_NAME if abstention else qtype,
        )
        return Conversation(
            id=qid, speakers=SPEAKERS, sessions=tuple(sessions), qa=(qa,), dataset="longmemeval"
        )

    def turns(self, raw: Any, where: str, session: int, marked: list[str]) -> tuple[Turn, ...]:
        """The turns of one session; appends the dia_ids marked ``has_answer`` to ``marked``."""
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
            dia_id = f"D{session}:{t}"
            if self.field(turn, "has_answer", at, bool, optional=True):
                marked.append(dia_id)
            turns.append(Turn(dia_id=dia_id, speaker=role, text=text))
        return tuple(turns)
