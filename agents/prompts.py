"""Prompt builders for the four LLM roles of Memory-R1: fact extractor, memory manager, answer
agent and judge.

Every builder returns chat messages (a system message with the rules, a user message with the
case); :func:`as_plain_text` flattens them for completion-only models. The manager and answer
texts are :mod:`memenv.prompts`' (the environments show the same ones in their observations);
the extractor and judge texts are here. The structure follows the
paper (memories with short ids and a JSON list of operations; timestamped memories of both
speakers and a reply ending in ``**Answer:**``; a lenient CORRECT/WRONG judge), in this project's
own wording.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from agents.llm.base import Message, messages_to_text
from memenv.memory import MemoryEntry
from memenv.prompts import (
    MANAGER_SYSTEM,
    answer_case,
    answer_rules,
    manager_case,
    memory_lines,
)

EXTRACTION_SYSTEM = """You read one turn of a conversation and write down the facts it reveals \
about the speaker: personal details, events with their dates, plans, preferences, opinions, \
relationships, possessions and changes in any of these.
Rules:
- One fact per item, a short self-contained sentence that names the speaker.
- Replace relative dates ("yesterday", "last week") with absolute dates from the session date \
when you can.
- If the speaker shares an image, use its caption as part of the turn.
- Greetings, small talk and questions without information give no facts.
Reply with JSON only: {"facts": ["...", "..."]} (an empty list when there is nothing)."""


JUDGE_SYSTEM = """You grade an answer to a question about a conversation, given the gold \
answer. Be generous: label the answer CORRECT when it refers to the same thing as the gold \
answer, even if it is longer, shorter or worded differently. For dates and times, it is CORRECT \
when it names the same day, month or period in any format ("7 May 2023", "May 7th", "the week \
of 7 May"). Label it WRONG when it names something else, contradicts the gold answer or gives no \
answer.
Reply with JSON only: {"label": "CORRECT"} or {"label": "WRONG"}"""


def as_plain_text(messages: Sequence[Message]) -> str:
    """The messages as one plain-text prompt (for models without a chat template)."""
    return messages_to_text(messages)


def _chat(system: str, user: str) -> list[Message]:
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


# ---------------------------------------------------------------------- fact extraction
def extraction_messages(
    speaker: str,
    date: str,
    text: str,
    image_caption: str | None = None,
    context: Sequence[tuple[str, str]] = (),
) -> list[Message]:
    """Facts from one turn; ``context`` holds earlier ``(speaker, text)`` turns for reference."""
    lines = []
    if context:
        lines.append("Earlier turns (context only, extract nothing from them):")
        lines.extend(f"{who}: {said}" for who, said in context)
        lines.append("")
    lines.append(f"Session date: {date or 'unknown'}")
    lines.append(f"Speaker: {speaker}")
    lines.append(f"Turn: {text}")
    if image_caption:
        lines.append(f"Shared image: {image_caption}")
    return _chat(EXTRACTION_SYSTEM, "\n".join(lines))


# ---------------------------------------------------------------------- memory manager
def manager_messages(
    speaker: str,
    date: str,
    facts: str | Sequence[str],
    memories: str | Sequence[Mapping[str, Any]] = (),
    capacity: tuple[int, int] | None = None,
) -> list[Message]:
    """The manager's decision: stored memories (JSON ``[{"id", "text"}]``) and new fact(s)."""
    return _chat(MANAGER_SYSTEM, manager_case(speaker, date, facts, memories, capacity))


def manager_messages_from_observation(observation: Mapping[str, str]) -> list[Message]:
    """:func:`manager_messages` from a MemoryManager environment observation."""
    used, _, most = observation.get("bank", "").partition("/")
    capacity = (int(used), int(most)) if used.isdigit() and most.isdigit() else None
    return manager_messages(
        observation.get("speaker", ""),
        observation.get("date", ""),
        observation.get("fact", ""),
        observation.get("memories", ""),
        capacity,
    )


# ---------------------------------------------------------------------- answer agent
def answer_messages(*case: str, distill: bool = True) -> list[Message]:
    """The answer agent's task; ``case`` are the arguments of
    :func:`memenv.prompts.answer_case` (question, date, speakers, their memory lines)."""
    return _chat(answer_rules(distill), answer_case(*case, distill=distill))


def answer_messages_from_observation(
    observation: Mapping[str, str], distill: bool = True
) -> list[Message]:
    """:func:`answer_messages` from an AnswerAgent environment observation."""
    return answer_messages(
        observation.get("question", ""),
        observation.get("question_date", ""),
        observation.get("speaker_a", ""),
        observation.get("speaker_b", ""),
        observation.get("memories_a", ""),
        observation.get("memories_b", ""),
        distill=distill,
    )


def answer_messages_from_memories(
    question: str,
    question_date: str,
    memories: Sequence[MemoryEntry | None],
    distill: bool = True,
) -> list[Message]:
    """The answer task over a flat memory list (the answerer interface).

    Ids are positions in ``memories`` (``None`` slots are skipped). Memories are grouped by
    owner in order of first appearance; owners after the second join the second block.
    """
    owners: dict[str, list[str]] = {}
    for i, m in enumerate(memories):
        if m is not None:
            owners.setdefault(m.owner, []).append(memory_lines([m], i))
    names = [*owners, "", ""][:2]
    block_a = owners.get(names[0], [])
    block_b = [line for owner in list(owners)[1:] for line in owners[owner]]
    return answer_messages(
        question,
        question_date,
        names[0],
        names[1],
        "\n".join(block_a),
        "\n".join(block_b),
        distill=distill,
    )


# ---------------------------------------------------------------------- judge
def judge_messages(question: str, gold: str, answer: str) -> list[Message]:
    """The judge's grading task."""
    user = (
        f"Question: {question}\n"
        f"Gold answer: {gold}\n"
        f"Generated answer: {answer or '(empty)'}\n"
        'Reply with {"label": "CORRECT"} or {"label": "WRONG"} only.'
    )
    return _chat(JUDGE_SYSTEM, user)
