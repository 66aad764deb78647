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
from memenv.data.records import QA
from memenv.memory import MemoryEntry
from memenv.metrics import ADVERSARIAL, SCORING_RULES
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
