"""The two compact tier-1 prompt formats, rendered from environment observations.

Tier 1 is a small model pretrained from scratch, so its prompts are short plain text without a
chat template or instructions. Both renderers are pure functions of the observation fields of
``MemoryManagerEnv`` and ``AnswerAgentEnv``, so an observation renders the same way in the
pretraining corpus, in SFT and in RL.

Manager (completion: one line ``" ADD"``, ``" NOOP"``, ``" UPDATE 0"``, ``" DELETE 1"`` or
``" UPDATE 0: <new text>"``, then end-of-sequence)::

    fact: Maya moved to Lisbon.
    memories:
    0: Maya lives in Austin.
    1: Maya works as a nurse.
    action:

Answer (completion: the short answer, then end-of-sequence)::

    question: Where does Maya live?
    date: 19 April 2023
    memories of Maya:
    0: (5 January 2023) Maya lives in Austin.
    memories of Tom:
    30: (3 February 2023) Tom has a dog named Rex.
    answer:
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

MANAGER_OPS: tuple[str, ...] = ("ADD", "UPDATE", "DELETE", "NOOP")
"""Operations of the compact manager action, in the environments' ``op`` order."""

_DATE = re.compile(r"(\d{1,2}) ([A-Z][a-z]+),? (\d{4})")
_MEMORY_LINE = re.compile(r"^\[(\d+)\] (?:\(([^()]*)\) )?(.*)$")
_ACTION = re.compile(r"^\s*(ADD|UPDATE|DELETE|NOOP)(?:\s+(\d{1,3}))?(?:\s*:\s*(.*\S))?\s*$")


def short_date(text: str) -> str:
    """``"3:36 pm on 5 January, 2023"`` -> ``"5 January 2023"``; other strings unchanged."""
    match = _DATE.search(text)
    return f"{match.group(1)} {match.group(2)} {match.group(3)}" if match else text.strip()


def one_line(text: str) -> str:
    """Whitespace (newlines included) collapsed to single spaces."""
    return " ".join(text.split())


def manager_prompt(fact: str, memories: Sequence[str]) -> str:
    """The manager decision: the new fact, the shown memories with local ids, ``action:``."""
    listed = "".join(f"{i}: {one_line(m)}\n" for i, m in enumerate(memories)) or "(none)\n"
    return f"fact: {one_line(fact)}\nmemories:\n{listed}action:"


def render_manager_prompt(observation: Mapping[str, str]) -> str:
    """:func:`manager_prompt` of a ``MemoryManagerEnv`` observation (``fact``, ``memories``).

    ``memories`` is the observation's JSON list ``[{"id": "0", "text": ...}, ...]``; the local
    ids of the prompt are the positions in that list, which are the ids the environment shows.
    """
    try:
        fact, raw = observation["fact"], observation["memories"]
    except KeyError as exc:
        raise ValueError(f"manager observation lacks the field {exc.args[0]!r}") from None
    try:
        items = json.loads(raw) if raw else []
    except json.JSONDecodeError as exc:
        raise ValueError(f"manager observation 'memories' is not JSON: {exc}") from None
    if not isinstance(items, list) or not all(
        isinstance(m, dict) and isinstance(m.get("text"), str) for m in items
    ):
        raise ValueError("manager observation 'memories' must be a JSON list of {'text': ...}")
    return manager_prompt(fact, [m["text"] for m in items])


@dataclass(frozen=True)
class ManagerAction:
    """A compact manager action read from a completion: ``OP [id][: text]``."""

    op: str
    target: int | None
    text: str

    def as_env_action(self) -> dict[str, object]:
        """The environment's dict action (``op`` index, ``target``, ``text``)."""
        return {"op": MANAGER_OPS.index(self.op), "target": self.target or 0, "text": self.text}


def format_manager_action(op: str, target: int | None = None, text: str = "") -> str:
    """The completion for an action, with its leading space: ``" UPDATE 0: text"``."""
    if op not in MANAGER_OPS:
        raise ValueError(f"op must be one of {MANAGER_OPS}, got {op!r}")
    needs_target = op in ("UPDATE", "DELETE")
    if needs_target != (target is not None):
        raise ValueError(f"{op} {'needs' if needs_target else 'takes no'} target, got {target!r}")
    if text and op not in ("ADD", "UPDATE"):
        raise ValueError(f"only ADD and UPDATE carry a text, got {op} with {text!r}")
    out = f" {op}" + (f" {target}" if target is not None else "")
    return out + (f": {one_line(text)}" if text else "")


def parse_manager_action(completion: str, num_memories: int | None = None) -> ManagerAction | None:
    """The action on the first line of ``completion``, or ``None`` when it is not well formed.

    Well formed: ``ADD`` or ``NOOP`` without an id, ``UPDATE``/``DELETE`` with an id; ADD and
    UPDATE may add ``: text``. With ``num_memories`` the id must also name a shown memory.
    """
    lines = completion.strip().splitlines()
    match = _ACTION.match(lines[0]) if lines else None
    if match is None:
        return None
    op, target, text = match.group(1), match.group(2), match.group(3) or ""
    if (op in ("UPDATE", "DELETE")) != (target is not None) or (
        text and op not in ("ADD", "UPDATE")
    ):
        return None
    index = int(target) if target is not None else None
    if index is not None and num_memories is not None and index >= num_memories:
        return None
    return ManagerAction(op, index, text)


def parse_memory_lines(text: str) -> list[tuple[int, str, str]]:
    """``(id, date, text)`` for each ``[id] (timestamp) text`` line of an answer observation."""
    out = []
    for line in text.splitlines():
        match = _MEMORY_LINE.match(line.strip())
        if match is None:
            if line.strip():
                raise ValueError(f"not a memory line '[id] (date) text': {line[:80]!r}")
            continue
        out.append((int(match.group(1)), short_date(match.group(2) or ""), match.group(3)))
    return out


def answer_prompt(
    question: str,
    question_date: str,
    speakers: Sequence[str],
    memories: Sequence[Sequence[tuple[int, str, str]]],
) -> str:
    """The answer task: question, its date, each speaker's memories as ``id: (date) text``."""
    if len(speakers) != len(memories):
        raise ValueError("answer_prompt needs one memory list per speaker")
    parts = [f"question: {one_line(question)}\n"]
    if question_date:
        parts.append(f"date: {short_date(question_date)}\n")
    for speaker, rows in zip(speakers, memories, strict=True):
        parts.append(f"memories of {one_line(speaker)}:\n")
        for mid, date, text in rows:
            parts.append(f"{mid}: ({date}) {one_line(text)}\n" if date else f"{mid}: {text}\n")
        if not rows:
            parts.append("(none)\n")
    parts.append("answer:")
    return "".join(parts)


def render_answer_prompt(observation: Mapping[str, str], per_speaker: int = 5) -> str:
    """:func:`answer_prompt` of an ``AnswerAgentEnv`` observation, keeping the first
    ``per_speaker`` (best-ranked) memories of each speaker with the environment's ids."""
    if per_speaker < 0:
        raise ValueError(f"per_speaker must be >= 0, got {per_speaker}")
    fields = ("question", "question_date", "speaker_a", "speaker_b", "memories_a", "memories_b")
    missing = [f for f in fields if f not in observation]
    if missing:
        raise ValueError(f"answer observation lacks the field(s) {', '.join(missing)}")
    speakers = (observation["speaker_a"], observation["speaker_b"])
    memories = [
        parse_memory_lines(observation[k])[:per_speaker] for k in ("memories_a", "memories_b")
    ]
    return answer_prompt(observation["question"], observation["question_date"], speakers, memories)


def parse_answer(completion: str) -> str:
    """The answer of a completion: its first non-empty line, stripped."""
    for line in completion.splitlines():
        if line.strip():
            return line.strip()
    return ""
