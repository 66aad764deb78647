"""Prompt builders for the four LLM roles of Memory-R1: fact extractor, memory manager, answer
agent and judge.

Every builder returns chat messages (a system message with the rules, a user message with the
case); :func:`as_plain_text` flattens them for completion-only models. The structure follows the
paper (memories with short ids and a JSON list of operations; timestamped memories of both
speakers and a reply ending in ``**Answer:**``; a lenient CORRECT/WRONG judge), in this project's
own wording.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from agents.llm.base import Message, messages_to_text
from memenv.memory import MemoryEntry
from memenv.prompts import memory_lines

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
def _memory_items(memories: str | Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    if isinstance(memories, str):
        try:
            memories = json.loads(memories) if memories.strip() else []
        except ValueError:
            return [{"id": "0", "text": memories}]
    return [
        {"id": str(m.get("id", i)), "text": str(m.get("text", ""))}
        for i, m in enumerate(memories)
        if isinstance(m, Mapping)
    ]


def manager_messages(
    speaker: str,
    date: str,
    facts: str | Sequence[str],
    memories: str | Sequence[Mapping[str, Any]] = (),
) -> list[Message]:
    """The manager's decision: stored memories (JSON ``[{"id", "text"}]``) and new fact(s)."""
    facts = [facts] if isinstance(facts, str) else list(facts)
    items = _memory_items(memories)
    shown = json.dumps(items, ensure_ascii=False, indent=1) if items else "[] (no memories yet)"
    user = (
        f"Person: {speaker}\n"
        f"Stored memories:\n{shown}\n\n"
        f"New facts (from the session of {date or 'unknown date'}):\n"
        + "\n".join(f"- {f}" for f in facts)
        + '\n\nReply with the JSON object {"memory": [...]} only.'
    )
    return _chat(MANAGER_SYSTEM, user)


def manager_messages_from_observation(observation: Mapping[str, str]) -> list[Message]:
    """:func:`manager_messages` from a MemoryManager environment observation."""
    return manager_messages(
        observation.get("speaker", ""),
        observation.get("date", ""),
        observation.get("fact", ""),
        observation.get("memories", ""),
    )


# ---------------------------------------------------------------------- answer agent
def answer_messages(
    question: str,
    question_date: str,
    speaker_a: str,
    speaker_b: str,
    memories_a: str,
    memories_b: str,
    distill: bool = True,
) -> list[Message]:
    """The answer agent's task; memories are ``[id] (date) text`` lines, one per memory.

    ``distill`` asks for the relevant memory ids before the answer (memory distillation);
    without it the reply is the answer line alone.
    """
    when = f"\nThe question is asked on {question_date}." if question_date else ""
    user = (
        f"Memories of {speaker_a or 'speaker A'}:\n{memories_a or '(none)'}\n\n"
        f"Memories of {speaker_b or 'speaker B'}:\n{memories_b or '(none)'}\n\n"
        f"Question: {question}{when}\n\n{ANSWER_FORMAT if distill else ANSWER_FORMAT_DIRECT}"
    )
    return _chat(ANSWER_SYSTEM if distill else ANSWER_SYSTEM_DIRECT, user)


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
