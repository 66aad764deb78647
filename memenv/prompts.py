"""Default renderings of environment observations as LLM prompts.

The environments put these in ``observation["prompt"]`` so that an LLM policy can act from the
observation alone. They follow Memory-R1's structure (retrieved memories with short ids, the new
fact, a JSON reply; memories with timestamps, the question, a reply ending in ``**Answer:**``)
in this project's own wording. Richer, configurable prompts live in ``agents/prompts``.
"""

from __future__ import annotations

from collections.abc import Sequence
from json.encoder import encode_basestring

from memenv.memory import MemoryEntry

MANAGER_INSTRUCTIONS = (
    "You maintain a long-term memory about {speaker}. Compare the new fact with the existing "
    "memories and choose one operation per memory:\n"
    "- ADD: the fact is new information; store it as a new memory.\n"
    "- UPDATE: the fact changes or enriches an existing memory; rewrite it (keep its id).\n"
    "- DELETE: the fact contradicts or cancels an existing memory; remove it.\n"
    "- NONE: the fact is already known or not worth keeping.\n"
    'Reply with JSON only: {{"memory": [{{"id": "<id>", "text": "<memory text>", '
    '"event": "ADD|UPDATE|DELETE|NONE", "old_memory": "<previous text, for UPDATE>"}}]}}'
)

ANSWER_INSTRUCTIONS = (
    "Answer the question about the conversation between {speaker_a} and {speaker_b} using their "
    "memories below. First list the ids of the memories that matter, like [3] [17]. When memories "
    'conflict, trust the most recent one. Turn relative dates ("last year", "two weeks ago") '
    "into absolute ones using the memory's date. Then give the answer, six words at most, on the "
    "last line after **Answer:**"
)


def memories_json(memories: Sequence[MemoryEntry]) -> str:
    """Memories as the JSON list a manager prompt shows: local ids "0", "1", ...

    Byte-identical to ``json.dumps([{"id": "0", "text": ...}, ...], ensure_ascii=False)``,
    assembled directly (it is rendered on every manager step).
    """
    body = ", ".join(
        f'{{"id": "{i}", "text": {encode_basestring(m.text)}}}' for i, m in enumerate(memories)
    )
    return f"[{body}]"


def manager_prompt(
    speaker: str,
    date: str,
    fact: str,
    memories: Sequence[MemoryEntry],
    *,
    rendered: str | None = None,
) -> str:
    """The manager decision as a prompt; ``rendered`` is ``memories_json(memories)`` when the
    caller already has it."""
    listed = memories_json(memories) if rendered is None else rendered
    return (
        f"{MANAGER_INSTRUCTIONS.format(speaker=speaker)}\n\n"
        f"Existing memories of {speaker}:\n{listed}\n\n"
        f"New fact ({date}): {fact}\n"
    )


def memory_lines(memories: Sequence[MemoryEntry], first_id: int = 0) -> str:
    """One line per memory: ``[id] (timestamp) text``."""
    return "\n".join(
        f"[{first_id + i}] ({m.timestamp}) {m.text}"
        if m.timestamp
        else f"[{first_id + i}] {m.text}"
        for i, m in enumerate(memories)
    )


def answer_prompt(
    question: str,
    question_date: str,
    speaker_a: str,
    speaker_b: str,
    memories_a: str,
    memories_b: str,
) -> str:
    when = f" (asked on {question_date})" if question_date else ""
    return (
        f"{ANSWER_INSTRUCTIONS.format(speaker_a=speaker_a, speaker_b=speaker_b)}\n\n"
        f"Memories of {speaker_a}:\n{memories_a or '(none)'}\n\n"
        f"Memories of {speaker_b}:\n{memories_b or '(none)'}\n\n"
        f"Question{when}: {question}\n"
    )
