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
from memenv.data.records import QA
from memenv.memory import MemoryEntry
from memenv.metrics import ADVERSARIAL, SCORING_RULES
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

_JUDGE_REPLY = 'Reply with JSON only: {"label": "CORRECT"} or {"label": "WRONG"}'

JUDGE_SYSTEM = f"""You grade an answer to a question about a conversation, given the gold \
answer. Be generous: label the answer CORRECT when it refers to the same thing as the gold \
answer, even if it is longer, shorter or worded differently. For dates and times, it is CORRECT \
when it names the same day, month or period in any format ("7 May 2023", "May 7th", "the week \
of 7 May"). Label it WRONG when it names something else, contradicts the gold answer or gives no \
answer.
{_JUDGE_REPLY}"""
"""LoCoMo / Mem0 style: a generous topic-and-date match (also used for synthetic data and MSC)."""

JUDGE_ADVERSARIAL = f"""You grade an answer to a trick question about a conversation: the \
conversation does not contain what the question asks (the question may mix up the people or \
assume something that never happened). Label the answer CORRECT when it says that the \
conversation does not mention it, that the information is not available, or that the question's \
premise is wrong. Label it WRONG when it answers as if the information were there.
{_JUDGE_REPLY}"""
"""LoCoMo category 5 (adversarial), graded like LoCoMo's refusal rule."""

_LME_BASE = """You grade a model's response to a question about a user's past chats with an \
assistant, given the correct answer. Label it CORRECT when the response contains the correct \
answer, says something equivalent, or shows every intermediate step that leads to it. Label it \
WRONG when it gives a different answer, or only part of the information the answer needs."""

JUDGE_LONGMEMEVAL = f"""{_LME_BASE}
{_JUDGE_REPLY}"""
"""LongMemEval single-session-user, single-session-assistant and multi-session questions."""

JUDGE_LONGMEMEVAL_TEMPORAL = f"""{_LME_BASE}
Counts of time are graded with a tolerance of one: when the question asks how many days, weeks, \
months or years, a response that is off by one (19 days when the answer is 18) is still CORRECT.
{_JUDGE_REPLY}"""
"""LongMemEval temporal-reasoning questions: off-by-one counts of time are accepted."""

JUDGE_LONGMEMEVAL_UPDATE = f"""You grade a model's response to a question about a user's past \
chats with an assistant, given the correct answer. The information changed over time and the \
correct answer is the latest value. Label the response CORRECT when it contains the correct \
answer; a response that also mentions older values is CORRECT as long as it gives the latest one \
as the answer. Label it WRONG when it gives an outdated or a different value as the answer.
{_JUDGE_REPLY}"""
"""LongMemEval knowledge-update questions: the updated answer is what counts."""

JUDGE_LONGMEMEVAL_PREFERENCE = f"""You grade a model's response to a user's request for a \
personalised answer, given a rubric that describes the response the user would like. Label it \
CORRECT when it meets the rubric by remembering the user's personal information correctly and \
using it; it need not cover every point of the rubric. Label it WRONG when it ignores, \
misremembers or contradicts the user's information, or is generic.
{_JUDGE_REPLY}"""
"""LongMemEval single-session-preference questions: the gold is a rubric."""

JUDGE_LONGMEMEVAL_ABSTENTION = f"""You grade a model's response to a question that cannot be \
answered from the user's past chats, given an explanation of why. Label it CORRECT when the \
response recognises that the question cannot be answered: for example it says the information \
was never given or is incomplete, or that related information was mentioned but not what is \
asked. Label it WRONG when it answers the question as if the information were known.
{_JUDGE_REPLY}"""
"""LongMemEval abstention questions (``_abs`` ids), whatever their type."""

JUDGE_RULES: dict[str, str] = {
    "generous": JUDGE_SYSTEM,
    "adversarial": JUDGE_ADVERSARIAL,
    "longmemeval": JUDGE_LONGMEMEVAL,
    "longmemeval-temporal": JUDGE_LONGMEMEVAL_TEMPORAL,
    "longmemeval-knowledge-update": JUDGE_LONGMEMEVAL_UPDATE,
    "longmemeval-preference": JUDGE_LONGMEMEVAL_PREFERENCE,
    "longmemeval-abstention": JUDGE_LONGMEMEVAL_ABSTENTION,
}
"""Judge rule name -> system prompt; :func:`judge_rule` picks one per question."""

_GOLD_TITLE = {
    "longmemeval-preference": "Rubric",
    "longmemeval-abstention": "Why it cannot be answered",
}
_LME_TYPE_RULES = {
    "temporal-reasoning": "longmemeval-temporal",
    "knowledge-update": "longmemeval-knowledge-update",
    "single-session-preference": "longmemeval-preference",
}


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
def judge_rule(qa: QA) -> str:
    """The judge rule (a key of :data:`JUDGE_RULES`) for a :class:`~memenv.data.records.QA`:

    - LoCoMo and synthetic data: ``"generous"`` (Mem0's judge), ``"adversarial"`` for category 5;
    - LongMemEval (by question type, as its official judge): ``"longmemeval-abstention"`` for
      abstention questions, ``"longmemeval-temporal"``, ``"longmemeval-knowledge-update"``,
      ``"longmemeval-preference"``, else ``"longmemeval"``;
    - MSC and anything else: ``"generous"``.
    """
    if qa.dataset == "longmemeval":
        if qa.abstention:
            return "longmemeval-abstention"
        return _LME_TYPE_RULES.get(qa.category_name or "", "longmemeval")
    if SCORING_RULES.get(qa.dataset) == "locomo" and qa.category == ADVERSARIAL:
        return "adversarial"
    return "generous"


def judge_messages(question: str, gold: str, answer: str, rule: str = "generous") -> list[Message]:
    """The judge's grading task under ``rule`` (a key of :data:`JUDGE_RULES`)."""
    try:
        system = JUDGE_RULES[rule]
    except KeyError:
        raise ValueError(f"unknown judge rule {rule!r} (known: {', '.join(JUDGE_RULES)})") from None
    user = (
        f"Question: {question}\n"
        f"{_GOLD_TITLE.get(rule, 'Gold answer')}: {gold}\n"
        f"Generated answer: {answer or '(empty)'}\n"
        'Reply with {"label": "CORRECT"} or {"label": "WRONG"} only.'
    )
    return _chat(system, user)


def judge_messages_for(qa: QA, answer: str) -> list[Message]:
    """The judge's task for ``answer`` to a QA record, with the rule of its dataset and type."""
    return judge_messages(qa.question, qa.answer, answer, judge_rule(qa))
