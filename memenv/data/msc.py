"""MSC-Self-Instruct loader (MemGPT's version of Multi-Session Chat): JSONL onto memenv records.

Each non-blank line is ONE :class:`Conversation` between ``"Speaker 1"`` and ``"Speaker 2"``
(dataset ``"msc"``). Two layouts are read: the published one, where the turns of
``previous_dialogs`` carry only ``text``, and one where every turn also has its speaker ``id``.

- id: ``msc-{i}``, ``i`` the 0-based index of the conversation among the non-blank lines (error
  messages give the 1-based physical line number instead).
- sessions: ``previous_dialogs`` in file order, then the current ``dialog``, numbered 1..n.
- turns: turn ``t`` of session ``s`` gets dia_id ``D{s}:{t}``; the speaker is the turn's ``id``
  when it has one, else it follows from the position as ParlAI's MSC teacher assigns it: even
  positions (0, 2, ...) are Speaker 1, odd ones Speaker 2.
- dates: MSC has no absolute dates, only gaps. ``previous_dialogs[k]``'s ``time_num`` and
  ``time_unit`` are read as the time that passed between that session and the NEXT one (the last
  entry's gap leads to the current dialog), as in ParlAI's MSC task. The current session is
  placed at :data:`MSC_ANCHOR` (2023-01-01 12:00) and each earlier session the sum of the gaps
  after it before that. Units (singular or plural, any case): minutes, hours, days, weeks, months
  (30 days), years (365 days). ``date_str`` is ``"%Y-%m-%d %H:%M"``. When a gap is missing
  (``time_num`` or ``time_unit`` absent or null) the distance to the anchor is unknown, so that
  session and every earlier one get ``date_time`` None and ``date_str`` ``""``.
- ``metadata``: every other field, verbatim: the top-level keys other than ``previous_dialogs``
  and ``dialog`` (``personas``, ``init_personas``, ``personas_update*``, ``metadata``,
  ``self_instruct``, ``summary_speaker_*``, ...) and, under ``"previous_dialogs"``, one object
  per previous session with its keys other than ``dialog`` (``time_num``, ``time_unit``,
  ``time_back``, ``personas``, ...).
- one QA: id ``msc-{i}/q0``, question ``self_instruct.B``, answer ``self_instruct.A`` (numbers
  become strings), dataset ``"msc"`` (plain token F1 / EM, no LoCoMo category rules), category 1,
  category_name ``"self-instruct"``. Evidence is empty because the
  dataset marks none, so evidence-based rewards (the manager's ``"recall"`` reward) give no signal
  on MSC; answer-based rewards work.
- personas: ``facts`` stay empty (persona sentences are not dialogue turns with provenance, and
  a partial fact list would replace the raw-turn stream). The two persona lists are kept in
  ``session_summaries[0]`` (key 0: the background before session 1) in the format written by
  :func:`format_personas`; :func:`msc_personas` reads them back.

Blank lines are skipped; a malformed line raises :class:`DataFormatError` naming the file, the
line and the JSON path, e.g. ``msc.jsonl: line 4: previous_dialogs[1].dialog[2]: missing 'text'``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from os import PathLike
from pathlib import Path
from typing import Any

from memenv.data.errors import DataFormatError, DatasetUnavailableError, json_type_name
from memenv.data.jsonio import loads
from memenv.data.records import QA, Conversation, Session, Turn
from memenv.data.repairs import undated_sessions, warn_repairs

SPEAKERS: tuple[str, str] = ("Speaker 1", "Speaker 2")
MSC_ANCHOR = datetime(2023, 1, 1, 12, 0)
"""Date given to the current (last) session of every conversation."""
DATE_FORMAT = "%Y-%m-%d %H:%M"
CATEGORY = 1
CATEGORY_NAME = "self-instruct"
PERSONA_KEY = 0
"""``session_summaries`` key holding the personas."""

_UNITS: dict[str, timedelta] = {
    "minute": timedelta(minutes=1),
    "hour": timedelta(hours=1),
    "day": timedelta(days=1),
    "week": timedelta(weeks=1),
    "month": timedelta(days=30),
    "year": timedelta(days=365),
}


def load_msc(path: str | PathLike[str]) -> list[Conversation]:
    """Load an MSC-Self-Instruct JSONL file: one conversation per non-blank line, in file order."""
    file = Path(path)
    if not file.is_file():
        raise DatasetUnavailableError(
            f"MSC-Self-Instruct file not found: {file}. Get the JSONL file of MemGPT's "
            "MSC-Self-Instruct data set and pass its path as data_path."
        )
    source = file.name
    conversations: list[Conversation] = []
    try:
        with file.open(encoding="utf-8-sig") as fh:
            for lineno, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                obj = loads(line, source, f"line {lineno}")  # also deep nesting, huge ints, ...
                reader = _LineReader(source, lineno)
                conversations.append(reader.conversation(obj, len(conversations)))
    except UnicodeDecodeError as exc:
        raise DataFormatError(source, "", f"not UTF-8 text ({exc.reason})") from None
    warn_repairs(source, *undated_sessions(conversations, "gap (time_num, time_unit)"))
    return conversations


def format_personas(personas: tuple[tuple[str, ...], tuple[str, ...]]) -> str:
    """The personas as stored in ``session_summaries[0]``: a header per speaker, one ``- ``
    line per sentence (newlines inside a sentence become spaces)."""
    lines = []
    for speaker, sentences in zip(SPEAKERS, personas, strict=True):
        lines.append(f"{speaker} persona:")
        lines.extend("- " + " ".join(s.splitlines()) for s in sentences)
    return "\n".join(lines)


def msc_personas(conversation: Conversation) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The persona sentences of Speaker 1 and Speaker 2 (empty when the line had none)."""
    found: dict[str, list[str]] = {s: [] for s in SPEAKERS}
    current: list[str] | None = None
    for line in conversation.session_summaries.get(PERSONA_KEY, "").splitlines():
        if line.endswith(" persona:") and line[: -len(" persona:")] in found:
            current = found[line[: -len(" persona:")]]
        elif line.startswith("- ") and current is not None:
            current.append(line[2:])
    return tuple(found[SPEAKERS[0]]), tuple(found[SPEAKERS[1]])


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class _LineReader:
    """Validating conversion of one JSONL line."""

    def __init__(self, source: str, lineno: int):
        self.source = source
        self.line = f"line {lineno}"

    def fail(self, where: str, message: str) -> DataFormatError:
        return DataFormatError(
            self.source, f"{self.line}: {where}" if where else self.line, message
        )

    def field(self, obj: dict, key: str, where: str, kind: type, *, optional: bool = False) -> Any:
        if key not in obj or (optional and obj[key] is None):
            if optional:
                return None
            raise self.fail(where, f"missing {key!r}")
        value = obj[key]
        if not isinstance(value, kind) or isinstance(value, bool):
            raise self.fail(
                _join(where, key), f"expected {kind.__name__}, got {json_type_name(value)}"
            )
        return value

    def conversation(self, obj: Any, index: int) -> Conversation:
        if not isinstance(obj, dict):
            raise self.fail("", f"expected a JSON object, got {json_type_name(obj)}")
        conv_id = f"msc-{index}"
        previous = self.field(obj, "previous_dialogs", "", list)
        raw_sessions: list[tuple[str, list]] = []
        gaps: list[timedelta | None] = []
        for k, prev in enumerate(previous):
            at = f"previous_dialogs[{k}]"
            if not isinstance(prev, dict):
                raise self.fail(at, f"expected an object, got {json_type_name(prev)}")
            raw_sessions.append((_join(at, "dialog"), self.field(prev, "dialog", at, list)))
            gaps.append(self.gap(prev, at))
        raw_sessions.append(("dialog", self.field(obj, "dialog", "", list)))

        dates = _session_dates(gaps)
        sessions = tuple(
            Session(
                index=s,
                date_time=date,
                date_str=date.strftime(DATE_FORMAT) if date else "",
                turns=self.turns(raw, at, s),
            )
            for s, ((at, raw), date) in enumerate(zip(raw_sessions, dates, strict=True), start=1)
        )
        summaries = {}
        personas = self.personas(obj)
        if personas is not None:
            summaries[PERSONA_KEY] = format_personas(personas)
        metadata = {k: v for k, v in obj.items() if k not in ("previous_dialogs", "dialog")}
        metadata["previous_dialogs"] = [
            {k: v for k, v in prev.items() if k != "dialog"} for prev in previous
        ]
        return Conversation(
            id=conv_id,
            speakers=SPEAKERS,
            sessions=sessions,
            qa=(self.qa(obj, conv_id),),
            session_summaries=summaries,
            dataset="msc",
            metadata=metadata,
        )

    def gap(self, prev: dict, at: str) -> timedelta | None:
        """The time from this session to the next, or None when the line does not say."""
        num = prev.get("time_num")
        unit = prev.get("time_unit")
        if num is None or unit is None:
            return None
        if not _is_number(num) or num < 0:
            raise self.fail(_join(at, "time_num"), f"expected a number >= 0, got {num!r}")
        if not isinstance(unit, str):
            raise self.fail(_join(at, "time_unit"), f"expected str, got {json_type_name(unit)}")
        step = _UNITS.get(unit.strip().lower().removesuffix("s"))
        if step is None:
            known = ", ".join(u + "s" for u in _UNITS)
            raise self.fail(_join(at, "time_unit"), f"unknown unit {unit!r} (known: {known})")
        try:
            return num * step
        except OverflowError:
            raise self.fail(_join(at, "time_num"), f"gap too large: {num!r} {unit}") from None

    def turns(self, raw: list, where: str, session: int) -> tuple[Turn, ...]:
        turns = []
        for t, turn in enumerate(raw, start=1):
            at = f"{where}[{t - 1}]"
            if not isinstance(turn, dict):
                raise self.fail(at, f"expected an object, got {json_type_name(turn)}")
            if "id" in turn:
                speaker = self.field(turn, "id", at, str)
            else:  # the published layout: speakers alternate, Speaker 1 first (ParlAI's MSC)
                speaker = SPEAKERS[(t - 1) % 2]
            if speaker not in SPEAKERS:
                raise self.fail(
                    _join(at, "id"), f"expected 'Speaker 1' or 'Speaker 2', got {speaker!r}"
                )
            text = self.field(turn, "text", at, str)
            turns.append(Turn(dia_id=f"D{session}:{t}", speaker=speaker, text=text))
        return tuple(turns)

    def personas(self, obj: dict) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
        raw = self.field(obj, "personas", "", list, optional=True)
        if raw is None:
            return None
        if len(raw) != 2:
            raise self.fail("personas", f"expected 2 persona lists, got {len(raw)}")
        out = []
        for p, sentences in enumerate(raw):
            if not isinstance(sentences, list):
                raise self.fail(
                    f"personas[{p}]", f"expected array, got {json_type_name(sentences)}"
                )
            for j, sentence in enumerate(sentences):
                if not isinstance(sentence, str):
                    raise self.fail(
                        f"personas[{p}][{j}]", f"expected str, got {json_type_name(sentence)}"
                    )
            out.append(tuple(sentences))
        return out[0], out[1]

    def qa(self, obj: dict, conv_id: str) -> QA:
        instruct = self.field(obj, "self_instruct", "", dict)
        question = self.field(instruct, "B", "self_instruct", str)
        if "A" not in instruct:
            raise self.fail("self_instruct", "missing 'A'")
        answer = instruct["A"]
        if _is_number(answer):
            answer = str(answer)
        elif not isinstance(answer, str):
            raise self.fail("self_instruct.A", f"expected str, got {json_type_name(answer)}")
        return QA(
            id=f"{conv_id}/q0",
            question=question,
            answer=answer,
            evidence=(),
            category=CATEGORY,
            category_name=CATEGORY_NAME,
            dataset="msc",
        )


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _session_dates(gaps: list[timedelta | None]) -> list[datetime | None]:
    """Dates of the n = len(gaps) + 1 sessions, walking back from the anchor."""
    dates: list[datetime | None] = [MSC_ANCHOR]
    for gap in reversed(gaps):
        later = dates[-1]
        try:
            dates.append(later - gap if later is not None and gap is not None else None)
        except OverflowError:  # before year 1: as unknown as a missing gap
            dates.append(None)
    return dates[::-1]
