"""Where the Memory Manager's fact stream comes from.

A fact source turns a :class:`Conversation` into the time-ordered list of :class:`Fact` records
the MemoryManager environment feeds to its agent, one per step. Built-in sources:

- ``"observation"``: the dataset's extracted facts (LoCoMo ``observation``, synthetic facts);
- ``"turns"``: every dialogue turn as a fact (image captions appended), as RAG over turns does;
- ``"auto"``: ``"observation"`` when the conversation has facts, otherwise ``"turns"``.

Any object with an ``extract(conversation) -> Sequence[Fact]`` method is a fact source too (an
LLM extractor plugs in this way).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from memenv.data.records import Conversation, Fact, Session, Turn

FACT_SOURCES = ("auto", "observation", "turns")


@runtime_checkable
class FactExtractor(Protocol):
    """Anything that turns a conversation into a time-ordered fact stream."""

    def extract(self, conversation: Conversation) -> Sequence[Fact]: ...


def fact_from_turn(session: Session, turn: Turn, text: str) -> Fact:
    """A fact stated in ``turn``: its speaker, the session's date, the turn as provenance."""
    return Fact(
        text=text,
        speaker=turn.speaker,
        session_index=session.index,
        date_str=session.date_str,
        date_time=session.date_time,
        source_ids=(turn.dia_id,),
    )


def turn_facts(conversation: Conversation) -> list[Fact]:
    """Every turn of every session as a fact, in dialogue order."""
    facts = []
    for session in conversation.sessions:
        for turn in session.turns:
            text = turn.text
            if turn.image_caption:
                text = f"{text} [shares an image: {turn.image_caption}]".strip()
            facts.append(fact_from_turn(session, turn, text))
    return facts


def observation_facts(conversation: Conversation) -> list[Fact]:
    """The dataset's own extracted facts; an error when it has none."""
    if not conversation.facts:
        raise ValueError(
            f"conversation {conversation.id!r} ({conversation.dataset}) has no extracted facts; "
            "use fact_source='turns' (or 'auto') or pass an extractor object"
        )
    return list(conversation.facts)


def resolve_facts(source: str | FactExtractor, conversation: Conversation) -> list[Fact]:
    """The fact stream of ``conversation`` under ``source`` (a name or an extractor object)."""
    if isinstance(source, str):
        if source == "observation":
            return observation_facts(conversation)
        if source == "turns":
            return turn_facts(conversation)
        if source == "auto":
            return list(conversation.facts) if conversation.facts else turn_facts(conversation)
        raise ValueError(
            f"fact_source must be one of {FACT_SOURCES} or an extractor, got {source!r}"
        )
    if isinstance(source, FactExtractor):
        facts = list(source.extract(conversation))
        bad = [i for i, f in enumerate(facts) if not isinstance(f, Fact)]
        if bad:
            raise TypeError(
                f"fact extractor {type(source).__name__} returned non-Fact items at {bad[:5]}"
            )
        return facts
    raise TypeError(
        f"fact_source must be a name in {FACT_SOURCES} or have an extract(conversation) method, "
        f"got {type(source).__name__}"
    )
