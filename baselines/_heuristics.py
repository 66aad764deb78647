"""Shared text heuristics of the rule-based memory systems (Mem0, Zep, A-Mem, MemoryOS).

A fact or memory is read as (subject, attribute classes, content tokens, value tokens):

- subject: a named person at the start ("Caroline ..."), or an owner's relative or pet
  ("Lucas's sister Nora ..." -> ``"lucas's sister"``); otherwise the speaker;
- attribute classes: keyword-table classes (city, job, employer, pet, partner, hobby, food, car,
  sibling, language, instrument); a class is single-valued when a person has one value at a time;
- value tokens: the content tokens left after removing the subject, the generic attribute words
  ("lives", "works", "named"), time words and change cues ("now", "having") - what
  distinguishes one value of an attribute from another ("Denver", "violin", "engaged").
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from memenv.data.records import OPERATIONS
from memenv.memory import MemoryBank, MemoryEntry
from memenv.memory.tokenize import tokenize
from memenv.parsing import ParsedOp, parse_manager_output
from memenv.state_codec import state_type

EXTRA_STOP = frozenset("s not no also very really just".split())
"""Dropped from content tokens (the possessive "'s" leaves a lone "s")."""

# class -> (pattern, single-valued)
ATTRIBUTES: dict[str, tuple[str, bool]] = {
    "city": (
        r"lives? in|living in|lived in|based in|moved (?:to|from|back)|relocated|city|hometown"
        r"|resides",
        True,
    ),
    "job": (
        r"works? as|worked as|working as|profession|job|career|retrained|occupation",
        True,
    ),
    "employer": (
        r"works? (?:at|for)|worked (?:at|for)|working (?:at|for)|employed|employer|company"
        r"|between jobs",
        True,
    ),
    "pet": (
        r"pet|dog|cat|puppy|kitten|parrot|rabbit|hamster|turtle|guinea pig|goldfish",
        False,
    ),
    "partner": (
        r"dating|engaged|married|partner|boyfriend|girlfriend|husband|wife|fianc[eé]e?"
        r"|broke up|split up|single|relationship",
        True,
    ),
    "hobby": (r"enjoys?|hobby|hobbies|took up|taken up|been into|gave up|passion", False),
    "food": (r"food|dish|cuisine|favou?rite meal", True),
    "car": (
        r"car|drives?|honda|toyota|tesla|subaru|ford|mazda|volkswagen|kia|jeep|volvo|bmw|audi"
        r"|nissan|hyundai|chevrolet",
        True,
    ),
    "sibling": (r"sister|brother|sibling", False),
    "language": (
        r"language|fluent|speaks?|korean|japanese|dutch|french|spanish|german|italian"
        r"|portuguese|mandarin|chinese|arabic|russian|hindi|swedish|greek|turkish",
        False,
    ),
    "instrument": (
        r"instrument|guitar|piano|violin|cello|drums|ukulele|saxophone|flute|trumpet|harp"
        r"|plays? the|playing the",
        False,
    ),
}
_ATTR_RE = {name: re.compile(rf"\b(?:{pat})\b", re.I) for name, (pat, _) in ATTRIBUTES.items()}
SINGLE_VALUED = frozenset(name for name, (_, single) in ATTRIBUTES.items() if single)

NEUTRAL = frozenset(
    """
    lives live living lived based city moved move relocated resides hometown
    works work worked working job jobs profession career employed company joined
    has own owns owned named called pet enjoys enjoy hobby hobbies took up taken into
    favourite favorite food dish loves love more than any other
    learning learn learned play plays playing lessons takes take
    drives drive car now currently still these days having previously after before
    since replacing replaced switched instead new
    """.split()
)
"""Generic attribute words: they say which attribute, not which value."""

TIME_WORDS = frozenset(
    """
    january february march april may june july august september october november december
    week month year day today yesterday ago last morning monday tuesday wednesday thursday
    friday saturday sunday recently
    """.split()
)

CANCEL_RE = re.compile(
    r"\b(?:no longer|not anymore|(?:doesn't|does not|isn't|is not|don't)\b[^.]*\banymore"
    r"|stopped|gave up|given up|quit|passed away|died|broke up|split up|sold|moved out of"
    r"|lost (?:his|her|their)|rehomed|got rid of|left)\b",
    re.I,
)
CANCEL_WORDS = frozenset(
    "longer anymore stopped gave given quit passed away died broke split sold lost rehomed got "
    "rid left out".split()
)
_PARTICIPLE = re.compile(r"\b(?:having|after|before)\s+(?:\w+\s+){0,1}$", re.I)
"""A cancellation verb right after "having"/"after" tells the past of an update ("having left
X"), not a cancellation."""

REPLACE_RE = re.compile(r"\b(?:now|instead|replacing|replaced|switched|swapped|traded)\b", re.I)
RELATIONS = frozenset(
    """
    sister brother mother mom father dad son daughter kids kid children wife husband partner
    boyfriend girlfriend friend friends grandmother grandma grandfather grandpa aunt uncle
    cousin dog cat puppy kitten parrot rabbit hamster turtle pet family
    """.split()
)
_LEADING_NAME = re.compile(r"^\s*([A-Z][\w-]*)(?:'s\s+(\w+))?")


def content_tokens(text: str) -> list[str]:
    """BM25's tokens of ``text`` without a few extra function words."""
    return [t for t in tokenize(text) if t not in EXTRA_STOP]


def jaccard(a: Iterable[str], b: Iterable[str]) -> float:
    sa, sb = set(a), set(b)
    return len(sa & sb) / len(sa | sb) if sa or sb else 0.0


def subject_of(text: str, speaker: str) -> str:
    """Who ``text`` is about: ``"caroline"``, ``"lucas's sister"``; the speaker by default."""
    m = _LEADING_NAME.match(text)
    if m is None:
        return speaker.lower()
    name, rel = m.group(1), m.group(2)
    if rel and rel.lower() in RELATIONS:
        return f"{name.lower()}'s {rel.lower()}"
    if name.lower() in {"the", "a", "an", "i", "she", "he", "they", "it", "this", "that"}:
        return speaker.lower()
    return name.lower()


def attributes_of(text: str) -> frozenset[str]:
    return frozenset(name for name, rx in _ATTR_RE.items() if rx.search(text))


def is_cancellation(text: str) -> bool:
    """Does ``text`` say that something stopped being true ("no longer", "gave up", "sold")?"""
    for m in CANCEL_RE.finditer(text):
        if not _PARTICIPLE.search(text[: m.start()]):
            return True
    return False


def _subject_tokens(subject: str) -> set[str]:
    return set(content_tokens(subject))


def _is_time_token(tok: str) -> bool:
    return tok in TIME_WORDS or tok.isdigit()


@dataclass(frozen=True)
class Reading:
    """A fact or memory as the heuristics see it."""

    text: str
    subject: str
    attributes: frozenset[str]
    tokens: frozenset[str]
    values: frozenset[str]
    cancels: bool
    replaces: bool


def read(text: str, speaker: str) -> Reading:
    subject = subject_of(text, speaker)
    tokens = frozenset(content_tokens(text))
    drop = _subject_tokens(subject) | _subject_tokens(speaker)
    values = frozenset(
        t
        for t in tokens
        if t not in drop and t not in NEUTRAL and t not in CANCEL_WORDS and not _is_time_token(t)
    )
    return Reading(
        text,
        subject,
        attributes_of(text),
        tokens,
        values,
        is_cancellation(text),
        bool(REPLACE_RE.search(text)),
    )


_CLAUSE_SPLIT = re.compile(r"(?<=[.;])\s+|,\s+|\s+and\s+")


def merge_texts(new: str, old: str, speaker: str) -> str:
    """The new statement plus the clauses of ``old`` about other attributes (kept, since the new
    fact does not contradict them); clauses on the new fact's attributes are dropped."""
    new_attrs = attributes_of(new)
    new_tokens = set(content_tokens(new))
    kept = []
    for clause in _CLAUSE_SPLIT.split(old.strip()):
        clause = clause.strip().rstrip(".;")
        attrs = attributes_of(clause)
        if not attrs or attrs & new_attrs:
            continue
        if set(content_tokens(clause)) <= new_tokens:
            continue
        kept.append(clause)
    base = new.strip().rstrip(".")
    return f"{base}; {'; '.join(kept)}." if kept else f"{base}."


def day_of(date_str: str) -> str:
    """The day part of a LoCoMo session date ("1:56 pm on 8 May, 2023" -> "8 May, 2023")."""
    head, sep, tail = date_str.rpartition(" on ")
    return tail.strip() if sep else date_str.strip()


@dataclass(frozen=True)
class Decision:
    """What a manager policy reads from one MemoryManager observation and its info."""

    fact: str
    speaker: str
    date: str
    shown: list[MemoryEntry]
    scores: list[float]
    conversation_id: str | None


def decision_of(observation: Mapping[str, str], info: Mapping[str, Any]) -> Decision | None:
    """The decision to make, or ``None`` after the last fact (every field is empty then)."""
    if not observation.get("fact") and not observation.get("speaker"):
        return None
    return Decision(
        observation.get("fact", ""),
        observation.get("speaker", ""),
        observation.get("date", ""),
        list(info.get("shown_memories", ())),
        list(info.get("shown_scores", ())),
        info.get("conversation_id"),
    )


def ops_action(ops: Sequence[ParsedOp]) -> dict[str, Any] | str:
    """One operation as the env's dict action; several as one Mem0-style JSON string."""
    if not ops:
        return {"op": 3, "target": 0, "text": ""}
    if len(ops) == 1:
        op = ops[0]
        index = OPERATIONS.index(op.op)
        target = int(op.target) if op.target is not None else 0
        return {"op": index, "target": target, "text": op.text}
    items = []
    for op in ops:
        item: dict[str, str] = {"event": "NONE" if op.op == "NOOP" else op.op}
        if op.target is not None:
            item["id"] = str(op.target)
        if op.text:
            item["text"] = op.text
        items.append(item)
    return json.dumps({"memory": items})


def action_ops(action: Any) -> list[str]:
    """The operation names an action carries (dict or Mem0-style JSON string)."""
    if isinstance(action, str):
        ops, _ = parse_manager_output(action)
        return [op.op for op in ops]
    op = action.get("op", 3)
    return [op if isinstance(op, str) else OPERATIONS[int(op)]]


def primary_op(action: Any) -> str:
    """The operation an action mainly makes: its first one (the one about the new fact; the
    multi-operation actions of these baselines put housekeeping after it)."""
    names = action_ops(action)
    return names[0] if names else "NOOP"


def clip(text: str, limit: int = 1900) -> str:
    """Keep texts under the bank's default 2000-character limit so ADD never fails."""
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


# -- per-bank state shared by a policy (writes) and a retrieve_fn (reads) -------------------------
T = TypeVar("T")


def bank_signature(bank: MemoryBank) -> tuple:
    """What identifies a bank's content (owner, ids, creating dia_ids and steps), so that a copy
    of a bank built by a policy finds that policy's state."""
    return (
        bank.owner,
        tuple((e.id, e.provenance[:1], e.created_step) for e in bank.entries()),
    )


@state_type
@dataclass
class BankRecord(Generic[T]):
    conversation_id: str
    speaker: str
    bank: MemoryBank
    data: T


@state_type(attrs=("factory", "records"))
class BankRegistry(Generic[T]):
    """System-side state per built bank (one per conversation and speaker and episode).

    Policies call :meth:`for_bank` with the live bank of their environment (a fresh episode has
    fresh bank objects, so it gets a fresh record); ``retrieve_fn`` calls :meth:`find` with the
    bank it is given: the same object, or failing that a bank with the same content signature
    (a copy), latest record first.
    """

    def __init__(self, factory: Callable[[], T]):
        self.factory = factory
        self.records: list[BankRecord[T]] = []

    def for_bank(self, conversation_id: str, speaker: str, bank: MemoryBank) -> T:
        for record in reversed(self.records):
            if record.bank is bank:
                return record.data
        record = BankRecord(conversation_id, speaker, bank, self.factory())
        self.records.append(record)
        return record.data

    def find(self, bank: MemoryBank) -> T | None:
        for record in reversed(self.records):
            if record.bank is bank:
                return record.data
        signature = bank_signature(bank)
        for record in reversed(self.records):
            if record.bank.owner == bank.owner and bank_signature(record.bank) == signature:
                return record.data
        return None

    def by_conversation(self, conversation_id: str) -> dict[str, T]:
        """The latest state of each speaker's bank built for ``conversation_id``."""
        out: dict[str, T] = {}
        for record in self.records:
            if record.conversation_id == conversation_id:
                out[record.speaker] = record.data
        return out
