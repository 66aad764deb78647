"""Loader of the official LoCoMo file (``locomo10.json``) onto :mod:`memenv.data.records`.

The file is a JSON list with one item per conversation. Known quirks and what this loader does:

- Sessions are the ``session_<N>`` turn lists, sorted numerically. Date keys without turns
  (conv-26 has ``session_20_date_time`` to ``session_35_date_time``) are ignored.
- Some answers are ints (``2022``): stored as strings. Category-5 items carry
  ``adversarial_answer`` and usually no ``answer``: the answer is then ``""``.
- Evidence strings can be malformed. Every ``D<s>:<t>`` inside a string is taken
  ("D8:6; D9:17" and "D9:1 D4:4" give several ids); "D:11:26" is repaired to "D11:26" and
  leading zeros are dropped ("D3:07" -> "D3:7"). ``QA.evidence`` keeps only ids of existing turns,
  ``QA.raw_evidence`` the source strings (a lone string counts as a list of one; non-string
  items are kept as their JSON text); what could not be used is counted by
  :func:`evidence_report`, never raised.
- ``observation`` becomes ``Conversation.facts`` in time order: session number, then the first
  source turn, then source order. A fact's ``dia_id`` may be a string, a comma-joined string or a
  list; ``Fact.source_ids`` holds every well-formed id found there (even of a missing turn, which
  the report counts). Fragments that are no id at all are not kept (a fact left without any id is
  counted too).
- Turn fields ``img_url`` (list or string; several URLs are joined with a space),
  ``blip_caption`` and ``query`` go to ``Turn``; ``re-download`` (a flag of LoCoMo's image fetch
  script) and ``event_summary`` have no record field and are not kept. Texts are kept verbatim.
- The optional ``ideal_operations`` (written by :mod:`memenv.data.synthetic`) parallels the
  observation lists and fills ``Fact.ideal_op`` / ``Fact.ideal_target``.

Any structural problem raises :class:`~memenv.data.errors.DataFormatError` naming the file and the
JSON path of the bad item.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, NoReturn, overload

from memenv.data.errors import DataFormatError, DatasetUnavailableError, json_type_name
from memenv.data.jsonio import read_json
from memenv.data.records import OPERATIONS, QA, Conversation, Fact, Session, Turn
from memenv.data.repairs import undated_sessions, warn_repairs

# "D:11:26" is a typo of "D11:26": the optional colon repairs it.
_ID = re.compile(r"D:?(\d+):(\d+)")
_SEPARATORS = re.compile(r"[\s,;]+")
_SESSION = re.compile(r"session_(\d+)")
_OBSERVATION = re.compile(r"session_(\d+)_observation")
_SUMMARY = re.compile(r"session_(\d+)_summary")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

_MONTHS = {
    name: i
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_DATE_TIME = re.compile(
    r"(?:(\d{1,2}):(\d{2})\s*([ap])\.?\s*m\.?\s+on\s+)?(\d{1,2})\s+([A-Za-z]+)\.?,?\s+(\d{4})",
    re.IGNORECASE,
)


def parse_locomo_datetime(s: str) -> datetime | None:
    """Parse "1:56 pm on 8 May, 2023" (or the date alone, "8 May, 2023"); ``None`` if unparseable.

    Parsed by hand so the result does not depend on the process locale.
    """
    if not isinstance(s, str):
        return None
    m = _DATE_TIME.fullmatch(s.strip())
    if m is None:
        return None
    hour_s, minute_s, ampm, day_s, month_s, year_s = m.groups()
    month = _MONTHS.get(month_s.lower())
    if month is None:
        return None
    hour = minute = 0
    if hour_s is not None:
        hour, minute = int(hour_s), int(minute_s)
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if ampm.lower() == "p" else 0)
    try:
        return datetime(int(year_s), month, int(day_s), hour, minute)
    except ValueError:
        return None


# ---------------------------------------------------------------------------------------------
# Evidence


@dataclass(frozen=True)
class EvidenceScan:
    """Everything found in a list of evidence strings."""

    ids: tuple[str, ...]
    """Ids of existing turns, normalised, without duplicates, in source order."""
    unknown: tuple[str, ...]
    """Well-formed ids of turns that do not exist."""
    unparseable: tuple[str, ...]
    """Fragments holding no id (e.g. "D"), or non-string items as their ``repr``."""
    multi_id: int
    """Source strings holding more than one id ("D8:6; D9:17")."""
    repaired: int
    """Ids that needed a repair ("D:11:26" -> "D11:26", "D3:07" -> "D3:7")."""


def _canonical_number(digits: str) -> str:
    """A run of decimal digits as ``str(int(digits))`` writes it, without ``int``'s limit of
    4,300 digits (a longer run in a file must not raise)."""
    if not digits.isascii():  # ``\d`` also matches other scripts' decimal digits
        digits = "".join(str(unicodedata.decimal(c)) for c in digits)
    return digits.lstrip("0") or "0"


def _dia_id(session: str, turn: str) -> str:
    """The canonical dia_id of a matched session and turn number ("D01:007" -> "D1:7"); the
    common already-canonical ASCII case without conversion."""
    dia_id = f"D{session}:{turn}"
    if session[0] == "0" or turn[0] == "0" or not dia_id.isascii():
        dia_id = f"D{_canonical_number(session)}:{_canonical_number(turn)}"
    return dia_id


def scan_evidence(raw: Iterable[Any], valid_ids: Collection[str]) -> EvidenceScan:
    """Parse evidence strings, keeping a count of every problem."""
    ids: list[str] = []
    unknown: list[str] = []
    unparseable: list[str] = []
    multi_id = repaired = 0
    for item in raw:
        if not isinstance(item, str):
            unparseable.append(repr(item))
            continue
        matches = list(_ID.finditer(item))
        if len(matches) > 1:
            multi_id += 1
        for m in matches:
            dia_id = _dia_id(m[1], m[2])
            if dia_id != m[0]:
                repaired += 1
            if dia_id not in valid_ids:
                unknown.append(dia_id)
            elif dia_id not in ids:
                ids.append(dia_id)
        fragments = [f for f in _SEPARATORS.split(_ID.sub(" ", item)) if f]
        if not matches and not fragments:
            fragments = [item]  # an empty or blank string
        unparseable.extend(fragments)
    return EvidenceScan(tuple(ids), tuple(unknown), tuple(unparseable), multi_id, repaired)


def parse_evidence(raw: list, valid_ids: Collection[str]) -> tuple[tuple[str, ...], list[str]]:
    """Ids of existing turns found in ``raw``, and the fragments that gave none (unparseable
    fragments, then well-formed ids of missing turns)."""
    scan = scan_evidence(raw, valid_ids)
    return scan.ids, [*scan.unparseable, *scan.unknown]


def _turn_key(dia_id: str) -> tuple[int, int] | None:
    m = _ID.fullmatch(dia_id)
    if m is None or len(m[1]) + len(m[2]) > 4000:  # no real turn; int() refuses 4,300 digits
        return None
    return int(m[1]), int(m[2])


# ---------------------------------------------------------------------------------------------
# Report


@dataclass(frozen=True)
class ConversationReport:
    """Evidence and provenance problems of one conversation."""

    conversation: str
    questions: int = 0
    evidence_strings: int = 0
    multi_id: int = 0
    repaired: int = 0
    unparseable: int = 0
    unknown_ids: int = 0
    fact_unknown_ids: int = 0
    """Fact source ids naming a turn that does not exist."""
    facts_without_source: int = 0
    details: tuple[str, ...] = ()
    """One readable line per problem, e.g. ``conv-26/q37: "D8:6; D9:17" holds 2 ids``."""

    COUNTS = (
        "multi_id",
        "repaired",
        "unparseable",
        "unknown_ids",
        "fact_unknown_ids",
        "facts_without_source",
    )

    @property
    def problems(self) -> int:
        return sum(getattr(self, name) for name in self.COUNTS)

    def counts(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.COUNTS} | {"problems": self.problems}


@dataclass(frozen=True)
class LoadReport:
    """Problems per conversation, as counted by :func:`evidence_report`."""

    conversations: tuple[ConversationReport, ...]

    def total(self) -> dict[str, int]:
        keys = (*ConversationReport.COUNTS, "problems")
        return {k: sum(r.counts()[k] for r in self.conversations) for k in keys}

    def with_problems(self) -> tuple[ConversationReport, ...]:
        return tuple(r for r in self.conversations if r.problems)


def conversation_report(conv: Conversation) -> ConversationReport:
    """Re-scan the source evidence strings of ``conv`` and its fact provenance."""
    valid = conv.turn_ids()
    details: list[str] = []
    counts = dict.fromkeys(ConversationReport.COUNTS, 0)
    strings = 0
    for qa in conv.qa:
        strings += len(qa.raw_evidence)
        scan = scan_evidence(qa.raw_evidence, valid)
        counts["multi_id"] += scan.multi_id
        counts["repaired"] += scan.repaired
        counts["unparseable"] += len(scan.unparseable)
        counts["unknown_ids"] += len(scan.unknown)
        if scan.multi_id or scan.repaired or scan.unparseable or scan.unknown:
            raw = ", ".join(json.dumps(r, ensure_ascii=False) for r in qa.raw_evidence)
            details.append(f"{qa.id}: evidence [{raw}] -> {list(scan.ids)}")
    for i, fact in enumerate(conv.facts):
        missing = [s for s in fact.source_ids if s not in valid]
        counts["fact_unknown_ids"] += len(missing)
        if missing:
            details.append(f"{conv.id} fact {i}: source ids of missing turns {missing}")
        if not fact.source_ids:
            counts["facts_without_source"] += 1
            details.append(f"{conv.id} fact {i}: no source id")
    return ConversationReport(
        conversation=conv.id,
        questions=len(conv.qa),
        evidence_strings=strings,
        details=tuple(details),
        **counts,
    )


def evidence_report(conversations: Iterable[Conversation]) -> LoadReport:
    """Count evidence and fact-provenance problems of each conversation (from the records)."""
    return LoadReport(tuple(conversation_report(c) for c in conversations))


# ---------------------------------------------------------------------------------------------
# Parsing


def _child(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    if _IDENT.fullmatch(key):
        return f"{path}.{key}"
    return f"{path}[{json.dumps(key, ensure_ascii=False)}]"


class _Parser:
    """Parses one LoCoMo item; every error names ``source`` and the JSON path."""

    def __init__(self, source: str):
        self.source = source

    def fail(self, path: str, message: str) -> NoReturn:
        raise DataFormatError(self.source, path, message)

    def dict_(self, value: Any, path: str) -> dict:
        if not isinstance(value, dict):
            self.fail(path, f"expected an object, got {json_type_name(value)}")
        return value

    def list_(self, value: Any, path: str) -> list:
        if not isinstance(value, list):
            self.fail(path, f"expected a list, got {json_type_name(value)}")
        return value

    def str_(self, obj: dict, key: str, path: str) -> str:
        if key not in obj:
            self.fail(path, f"missing key {key!r}")
        value = obj[key]
        if not isinstance(value, str):
            self.fail(_child(path, key), f"expected a string, got {json_type_name(value)}")
        return value

    def opt_str(self, obj: dict, key: str, path: str) -> str | None:
        value = obj.get(key)
        if value is not None and not isinstance(value, str):
            self.fail(_child(path, key), f"expected a string, got {json_type_name(value)}")
        return value

    def scalar_text(self, value: Any, path: str) -> str:
        """Answers: strings as they are, numbers as text (2022 -> "2022"), null -> ""."""
        if value is None:
            return ""
        if isinstance(value, str):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        self.fail(path, f"expected a string or a number, got {json_type_name(value)}")

    # -- conversation ------------------------------------------------------------------------

    def item(self, item: Any, index: int) -> Conversation:
        root = f"[{index}]"
        item = self.dict_(item, root)
        conv_id = item.get("sample_id")
        if isinstance(conv_id, int) and not isinstance(conv_id, bool):
            conv_id = str(conv_id)
        if not isinstance(conv_id, str) or not conv_id:
            self.fail(_child(root, "sample_id"), f"expected a non-empty string, got {conv_id!r}")
        if "conversation" not in item:
            self.fail(root, f"item {conv_id!r} has no 'conversation'")
        cpath = _child(root, "conversation")
        conv = self.dict_(item["conversation"], cpath)
        speakers = (self.str_(conv, "speaker_a", cpath), self.str_(conv, "speaker_b", cpath))
        sessions = self.sessions(conv, cpath)
        valid = frozenset(t.dia_id for s in sessions for t in s.turns)
        if "qa" not in item:  # a cut or damaged file, not "no questions" (that is "qa": [])
            self.fail(root, f"item {conv_id!r} has no 'qa' (write \"qa\": [] for none)")
        qa = self.questions(item["qa"], _child(root, "qa"), conv_id, valid)
        facts = self.facts(item, root, speakers, sessions, conv, cpath)
        summaries = self.summaries(item.get("session_summary", {}), root)
        return Conversation(
            id=conv_id,
            speakers=speakers,
            sessions=sessions,
            qa=qa,
            facts=facts,
            session_summaries=summaries,
            dataset="locomo",
        )

    def sessions(self, conv: dict, cpath: str) -> tuple[Session, ...]:
        numbers = sorted(int(m[1]) for k in conv if (m := _SESSION.fullmatch(k)))
        sessions = []
        for n in numbers:
            spath = _child(cpath, f"session_{n}")
            turns = self.list_(conv[f"session_{n}"], spath)
            date_str = self.opt_str(conv, f"session_{n}_date_time", cpath) or ""
            sessions.append(
                Session(
                    index=n,
                    date_time=parse_locomo_datetime(date_str),
                    date_str=date_str,
                    turns=tuple(self.turn(t, _child(spath, i)) for i, t in enumerate(turns)),
                )
            )
        return tuple(sessions)

    def turn(self, raw: Any, path: str) -> Turn:
        d = self.dict_(raw, path)
        return Turn(
            dia_id=self.str_(d, "dia_id", path),
            speaker=self.str_(d, "speaker", path),
            text=self.str_(d, "text", path),
            image_caption=self.opt_str(d, "blip_caption", path),
            image_url=self.image_url(d.get("img_url"), _child(path, "img_url")),
            image_query=self.opt_str(d, "query", path),
        )

    def image_url(self, value: Any, path: str) -> str | None:
        if value is None or isinstance(value, str):
            return value
        urls = self.list_(value, path)
        for i, url in enumerate(urls):
            if not isinstance(url, str):
                self.fail(_child(path, i), f"expected a string, got {json_type_name(url)}")
        return " ".join(urls) if urls else None

    # -- questions ---------------------------------------------------------------------------

    def questions(self, raw: Any, path: str, conv_id: str, valid: frozenset[str]) -> tuple[QA, ...]:
        items = self.list_(raw, path)
        return tuple(
            self.question(q, _child(path, i), f"{conv_id}/q{i}", valid) for i, q in enumerate(items)
        )

    def question(self, raw: Any, path: str, qa_id: str, valid: frozenset[str]) -> QA:
        q = self.dict_(raw, path)
        question = self.str_(q, "question", path)
        category = q.get("category")
        if not isinstance(category, int) or isinstance(category, bool):
            self.fail(_child(path, "category"), f"expected an integer, got {category!r}")
        raw_evidence = self.evidence(q.get("evidence"), _child(path, "evidence"))
        adversarial = None
        if q.get("adversarial_answer") is not None:
            adversarial = self.scalar_text(
                q["adversarial_answer"], _child(path, "adversarial_answer")
            )
        return QA(
            id=qa_id,
            question=question,
            answer=self.scalar_text(q.get("answer"), _child(path, "answer")),
            evidence=parse_evidence(raw_evidence, valid)[0],
            category=category,
            adversarial_answer=adversarial,
            raw_evidence=tuple(raw_evidence),
        )

    def evidence(self, value: Any, path: str) -> list[str]:
        """Source evidence strings; a lone string counts as a list of one, and non-string items
        are kept as their JSON text (the report counts them as unparseable)."""
        if value is None:
            return []
        if isinstance(value, str):
            return [value]
        items = self.list_(value, path)
        return [e if isinstance(e, str) else json.dumps(e, ensure_ascii=False) for e in items]

    # -- facts -------------------------------------------------------------------------------

    def facts(
        self,
        item: dict,
        root: str,
        speakers: tuple[str, str],
        sessions: tuple[Session, ...],
        conv: dict,
        cpath: str,
    ) -> tuple[Fact, ...]:
        if item.get("observation") is None:
            if item.get("ideal_operations") is not None:
                self.fail(_child(root, "ideal_operations"), "given without 'observation'")
            return ()
        opath = _child(root, "observation")
        observation = self.dict_(item["observation"], opath)
        ideal = self.ideal_operations(item.get("ideal_operations"), root, observation)
        dates = {s.index: (s.date_str, s.date_time) for s in sessions}
        keyed: list[tuple[tuple[int, tuple[float, float], int], Fact]] = []
        for key in sorted(observation, key=lambda k: self.observation_index(k, opath)):
            n = self.observation_index(key, opath)
            kpath = _child(opath, key)
            if n in dates:
                date_str, date_time = dates[n]
            else:
                date_str = self.opt_str(conv, f"session_{n}_date_time", cpath) or ""
                date_time = parse_locomo_datetime(date_str)
            for speaker_key, entries in self.dict_(observation[key], kpath).items():
                spath = _child(kpath, speaker_key)
                speaker = self.speaker(speaker_key, speakers, spath)
                ops = ideal.get((key, speaker_key))
                for i, entry in enumerate(self.list_(entries, spath)):
                    epath = _child(spath, i)
                    text, source_ids = self.observation_entry(entry, epath)
                    op, target = ops[i] if ops else (None, None)
                    fact = Fact(
                        text=text,
                        speaker=speaker,
                        session_index=n,
                        date_str=date_str,
                        date_time=date_time,
                        source_ids=source_ids,
                        ideal_op=op,
                        ideal_target=target,
                    )
                    turns = [k for s in source_ids if (k := _turn_key(s))]
                    first = min(turns) if turns else (math.inf, math.inf)
                    keyed.append(((n, first, len(keyed)), fact))
        keyed.sort(key=lambda kf: kf[0])
        return tuple(f for _, f in keyed)

    def observation_index(self, key: str, opath: str) -> int:
        m = _OBSERVATION.fullmatch(key)
        if m is None:
            self.fail(_child(opath, key), "expected a key 'session_<N>_observation'")
        return int(m[1])

    def speaker(self, name: str, speakers: tuple[str, str], path: str) -> str:
        if name in speakers:
            return name
        folded = [s for s in speakers if s.strip().casefold() == name.strip().casefold()]
        if len(folded) == 1:
            return folded[0]
        self.fail(path, f"speaker {name!r} is neither {speakers[0]!r} nor {speakers[1]!r}")

    def observation_entry(self, entry: Any, path: str) -> tuple[str, tuple[str, ...]]:
        pair = self.list_(entry, path)
        if len(pair) != 2:
            self.fail(path, f"expected [fact, dia_id], got {len(pair)} items")
        text, dia = pair
        if not isinstance(text, str):
            self.fail(_child(path, 0), f"expected a string, got {json_type_name(text)}")
        if isinstance(dia, str):
            fragments = [dia]
        elif isinstance(dia, list) and all(isinstance(d, str) for d in dia):
            fragments = dia
        else:
            self.fail(_child(path, 1), f"expected a dia_id string or list, got {dia!r}")
        ids: list[str] = []
        for fragment in fragments:
            for m in _ID.finditer(fragment):
                dia_id = _dia_id(m[1], m[2])
                if dia_id not in ids:
                    ids.append(dia_id)
        return text, tuple(ids)

    def ideal_operations(
        self, raw: Any, root: str, observation: dict
    ) -> dict[tuple[str, str], list[tuple[str, str | None]]]:
        if raw is None:
            return {}
        path = _child(root, "ideal_operations")
        out: dict[tuple[str, str], list[tuple[str, str | None]]] = {}
        for key, per_speaker in self.dict_(raw, path).items():
            kpath = _child(path, key)
            for speaker_key, entries in self.dict_(per_speaker, kpath).items():
                spath = _child(kpath, speaker_key)
                facts = observation.get(key, {})
                if not isinstance(facts, dict) or speaker_key not in facts:
                    self.fail(spath, "no observation list to match")
                entries = self.list_(entries, spath)
                if not isinstance(facts[speaker_key], list) or len(entries) != len(
                    facts[speaker_key]
                ):
                    self.fail(spath, "must have one [op, target] per observation fact")
                out[(key, speaker_key)] = [
                    self.ideal_entry(e, _child(spath, i)) for i, e in enumerate(entries)
                ]
        return out

    def ideal_entry(self, entry: Any, path: str) -> tuple[str, str | None]:
        pair = self.list_(entry, path)
        if len(pair) != 2:
            self.fail(path, f"expected [op, target], got {len(pair)} items")
        op, target = pair
        if op not in OPERATIONS:
            self.fail(_child(path, 0), f"operation must be one of {OPERATIONS}, got {op!r}")
        if target is not None and not isinstance(target, str):
            self.fail(_child(path, 1), f"expected a dia_id string or null, got {target!r}")
        return op, target

    def summaries(self, raw: Any, root: str) -> dict[int, str]:
        path = _child(root, "session_summary")
        out: dict[int, str] = {}
        for key, text in self.dict_(raw if raw is not None else {}, path).items():
            m = _SUMMARY.fullmatch(key)
            if m is None:
                self.fail(_child(path, key), "expected a key 'session_<N>_summary'")
            if not isinstance(text, str):
                self.fail(_child(path, key), f"expected a string, got {json_type_name(text)}")
            out[int(m[1])] = text
        return out


def parse_locomo_item(item: dict, *, source: str = "<memory>", index: int = 0) -> Conversation:
    """Parse one item of the LoCoMo list; errors name ``source`` and ``[index]``."""
    return _Parser(source).item(item, index)


def parse_locomo(data: Any, *, source: str = "<memory>") -> list[Conversation]:
    """Parse the whole LoCoMo list (already decoded from JSON)."""
    parser = _Parser(source)
    if not isinstance(data, list):
        parser.fail("(top level)", f"expected a list of conversations, got {json_type_name(data)}")
    conversations: list[Conversation] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(data):
        conv = parser.item(item, i)
        if conv.id in seen:
            parser.fail(f"[{i}].sample_id", f"duplicate {conv.id!r} (also at [{seen[conv.id]}])")
        seen[conv.id] = i
        conversations.append(conv)
    return conversations


@overload
def load_locomo(path: str | Path, *, report: Literal[False] = False) -> list[Conversation]: ...


@overload
def load_locomo(
    path: str | Path, *, report: Literal[True]
) -> tuple[list[Conversation], LoadReport]: ...


def load_locomo(
    path: str | Path, *, report: bool = False
) -> list[Conversation] | tuple[list[Conversation], LoadReport]:
    """Load a LoCoMo file; with ``report=True`` also return its :class:`LoadReport`."""
    path = Path(path)
    if not path.is_file():
        raise DatasetUnavailableError(f"LoCoMo file not found: {path}")
    data = read_json(path)  # DataFormatError for bad JSON, deep nesting, huge ints, surrogates
    conversations = parse_locomo(data, source=str(path))
    load_report = evidence_report(conversations)
    _warn_repairs(str(path), conversations, load_report)
    if report:
        return conversations, load_report
    return conversations


def _warn_repairs(source: str, conversations: list[Conversation], report: LoadReport) -> None:
    """One warning for what the file needed: evidence repaired or dropped, undated sessions."""
    counts, first = undated_sessions(conversations, "date_time")
    for label, attr in (
        ("evidence ids repaired", "repaired"),
        ("evidence fragments without an id dropped", "unparseable"),
        ("evidence ids of missing turns dropped", "unknown_ids"),
        ("fact source ids of missing turns dropped", "fact_unknown_ids"),
    ):
        for conv in report.conversations:
            counts[label] = counts.get(label, 0) + getattr(conv, attr)
            if getattr(conv, attr) and label not in first:
                first[label] = conv.conversation
    warn_repairs(source, counts, first)
