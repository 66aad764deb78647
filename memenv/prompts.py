"""The task texts of the two environments' roles, written once for every user.

The rules (a system text) and the case (the decision at hand) of the Memory Manager and the
Answer Agent. The environments put ``rules + case`` in ``observation["prompt"]`` so that an LLM
policy can act from the observation alone; ``agents.prompts`` sends the same two texts as chat
messages. The structure follows Memory-R1 (retrieved memories with short ids and a JSON list of
operations; timestamped memories of both speakers and a reply ending in ``**Answer:**``), in
this project's own wording.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from json.encoder import encode_basestring
from typing import Any

from memenv.memory import MemoryEntry

MANAGER_SYSTEM = """You manage the long-term memory of one person. You get the relevant \
memories already stored (each with a short id) and one or more new facts. Decide, memory by \
memory and fact by fact, which operation keeps the memory correct, complete and free of \
duplicates:
- ADD: a new fact holds information no memory has. Store it as a new memory (give it a new id).
- UPDATE: a new fact refines, extends or changes a stored memory on the same subject. Rewrite \
that memory, keep its id, and copy its previous text into "old_memory". When two versions \
conflict, keep the more informative or more recent one.
- DELETE: a new fact shows a stored memory is no longer true. Remove that memory by id.
- NONE: a stored memory is unaffected, or the new fact is already known.
Reply with JSON only, listing the stored memories and any new ones:
{"memory": [{"id": "<id>", "text": "<memory text>", "event": "ADD|UPDATE|DELETE|NONE", \
"old_memory": "<previous text, UPDATE only>"}]}"""

ANSWER_SYSTEM = """You answer questions about a long conversation between two people, using \
only the memories retrieved from each person's memory bank. Each memory has an id in brackets \
and the date it was recorded.
How to answer:
1. Pick out the few memories that bear on the question and write their ids.
2. If memories disagree, trust the most recent one.
3. If the question or a memory uses a relative time ("last year", "two days ago"), work out the \
absolute date from the memory's timestamp; answer with that date, not the relative phrase.
4. Answer briefly: six words at most.
Reply with exactly two lines, like this example:
Relevant: [4] [12]
**Answer:** 12 March 2023"""

ANSWER_FORMAT = (
    "Reply with two lines: 'Relevant:' and the ids of the memories that matter, then "
    "'**Answer:**' and the answer in at most six words."
)
ANSWER_SYSTEM_DIRECT = """You answer questions about a long conversation between two people, using \
only the memories retrieved from each person's memory bank. Each memory has an id in brackets \
and the date it was recorded. If memories disagree, trust the most recent one. Turn relative \
times into absolute dates using the memory's timestamp. Answer briefly: six words at most.
Reply with exactly one line, like this example:
**Answer:** 12 March 2023"""

ANSWER_FORMAT_DIRECT = "Reply with one line: '**Answer:**' and the answer in at most six words."


def memories_json(memories: Sequence[MemoryEntry]) -> str:
    """Memories as a compact JSON list with local ids "0", "1", ... (``observation["memories"]``).

    Byte-identical to ``json.dumps([{"id": "0", "text": ...}, ...], ensure_ascii=False)``.
    """
    return _json_lists(_local_ids(len(memories)), [encode_basestring(m.text) for m in memories])[0]


def _local_ids(n: int) -> list[str]:
    """The local ids "0" .. "n-1", JSON-encoded."""
    return [f'"{i}"' for i in range(n)]


def _json_lists(encoded_ids: Sequence[str], encoded_texts: Sequence[str]) -> tuple[str, str]:
    """A list of ``{"id": str, "text": str}`` items from their JSON-encoded ids and texts, as
    ``json.dumps(items, ensure_ascii=False)`` and as ``json.dumps(..., indent=1)`` would write
    it (byte-identical; both are rendered on every manager step, so in one loop)."""
    compact, indented = [], []
    for i, text in zip(encoded_ids, encoded_texts, strict=True):
        compact.append(f'{{"id": {i}, "text": {text}}}')
        indented.append(f' {{\n  "id": {i},\n  "text": {text}\n }}')
    return "[" + ", ".join(compact) + "]", "[\n" + ",\n".join(indented) + "\n]"


def memory_items(memories: str | Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """``[{"id", "text"}]`` from a JSON list (as in the observation) or from mappings."""
    if isinstance(memories, str):
        try:
            memories = json.loads(memories) if memories.strip() else []
        except ValueError:
            return [{"id": "0", "text": memories}]
    if not isinstance(memories, Sequence):
        return []
    return [
        {"id": str(m.get("id", i)), "text": str(m.get("text", ""))}
        for i, m in enumerate(memories)
        if isinstance(m, Mapping)
    ]


def manager_case(
    speaker: str,
    date: str,
    facts: str | Sequence[str],
    memories: str | Sequence[Mapping[str, Any]] = (),
    capacity: tuple[int, int] | None = None,
) -> str:
    """The manager's decision: stored memories (JSON ``[{"id", "text"}]``) and new fact(s);
    ``capacity`` = (memories stored, most the bank holds) when the bank is bounded."""
    items = memory_items(memories)
    ids = [encode_basestring(m["id"]) for m in items]
    shown = _json_lists(ids, [encode_basestring(m["text"]) for m in items])[1] if items else ""
    return _case_text(speaker, date, facts, shown, capacity)


def _case_text(
    speaker: str,
    date: str,
    facts: str | Sequence[str],
    shown: str,
    capacity: tuple[int, int] | None,
) -> str:
    """:func:`manager_case` with the memories already rendered (``""``: none)."""
    listed = f"- {facts}" if isinstance(facts, str) else "\n".join(f"- {f}" for f in facts)
    usage = ""
    if capacity is not None:
        usage = f"Memory bank: {capacity[0]} of at most {capacity[1]} memories used.\n"
    return (
        f"Person: {speaker}\n{usage}"
        f"Stored memories (the most related):\n{shown or '[] (no memories yet)'}\n\n"
        f"New facts (from the session of {date or 'unknown date'}):\n{listed}\n\n"
        'Reply with the JSON object {"memory": [...]} only.'
    )


def manager_prompt(
    speaker: str,
    date: str,
    fact: str,
    memories: str | Sequence[Mapping[str, Any]],
    capacity: tuple[int, int] | None = None,
) -> str:
    """Rules and case of a manager decision as one text."""
    return f"{MANAGER_SYSTEM}\n\n{manager_case(speaker, date, fact, memories, capacity)}"


def manager_observation_texts(
    speaker: str,
    date: str,
    fact: str,
    memories: Sequence[MemoryEntry],
    capacity: tuple[int, int] | None = None,
) -> tuple[str, str]:
    """``(memories_json(memories), manager_prompt(...))`` of one manager step, each memory's
    text JSON-encoded once for both (the environment renders these on every step)."""
    compact, shown = _json_lists(
        _local_ids(len(memories)), [encode_basestring(m.text) for m in memories]
    )
    case = _case_text(speaker, date, fact, shown if memories else "", capacity)
    return compact, f"{MANAGER_SYSTEM}\n\n{case}"


def memory_lines(memories: Sequence[MemoryEntry], first_id: int = 0) -> str:
    """One line per memory: ``[id] (timestamp) text``."""
    return "\n".join(
        f"[{first_id + i}] ({m.timestamp}) {m.text}"
        if m.timestamp
        else f"[{first_id + i}] {m.text}"
        for i, m in enumerate(memories)
    )


def answer_rules(distill: bool = True) -> str:
    """The answer agent's rules, with (``distill``) or without memory selection."""
    return ANSWER_SYSTEM if distill else ANSWER_SYSTEM_DIRECT


def answer_case(
    question: str,
    question_date: str,
    speaker_a: str,
    speaker_b: str,
    memories_a: str,
    memories_b: str,
    distill: bool = True,
) -> str:
    """The answer agent's task; memories are ``[id] (date) text`` lines, one per memory.

    ``distill`` asks for the relevant memory ids before the answer (memory distillation);
    without it the reply is the answer line alone.
    """
    when = f"\nThe question is asked on {question_date}." if question_date else ""
    return (
        f"Memories of {speaker_a or 'speaker A'}:\n{memories_a or '(none)'}\n\n"
        f"Memories of {speaker_b or 'speaker B'}:\n{memories_b or '(none)'}\n\n"
        f"Question: {question}{when}\n\n{ANSWER_FORMAT if distill else ANSWER_FORMAT_DIRECT}"
    )
