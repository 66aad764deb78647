"""Retrieval of memories for a question, shared by both environments and the rewards."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

from memenv.data.records import QA
from memenv.memory import MemoryBank, MemoryEntry

AnswerFn = Callable[[QA, Sequence[MemoryEntry]], str]
"""A frozen answerer: a question and its retrieved memories (best first) in, an answer out."""

RetrieveFn = Callable[
    [Mapping[str, MemoryBank], Sequence[str], str, int], list[list[tuple[MemoryEntry, float]]]
]
"""How a memory system retrieves for a question: ``(banks, speakers, question, k)`` to one ranked
list per speaker. Baselines with their own retrieval (linked notes, validity ranges, tiers) pass
one to the AnswerAgent environment."""


def retrieve_per_speaker(
    banks: Mapping[str, MemoryBank], speakers: Sequence[str], query: str, k: int
) -> list[list[tuple[MemoryEntry, float]]]:
    """The top ``k`` memories of each speaker's bank for ``query``, in ``speakers`` order."""
    return [banks[s].top_k(query, k) for s in speakers]


def merged_by_score(per_speaker: Iterable[list[tuple[MemoryEntry, float]]]) -> list[MemoryEntry]:
    """All retrieved memories, best score first (stable: speaker order, then rank)."""
    scored = [
        (score, i, entry)
        for i, (entry, score) in enumerate(pair for ranked in per_speaker for pair in ranked)
    ]
    scored.sort(key=lambda t: (-t[0], t[1]))
    return [entry for _, _, entry in scored]


def evidence_recall(qa: QA, memories: Iterable[MemoryEntry]) -> float | None:
    """Fraction of the question's evidence turns found in the memories' provenance.

    ``None`` when the question has no evidence (nothing to recall).
    """
    if not qa.evidence:
        return None
    covered = {source for m in memories for source in m.provenance}
    return sum(1 for e in qa.evidence if e in covered) / len(qa.evidence)


def top_memory_answer(qa: QA, memories: Sequence[MemoryEntry]) -> str:
    """The simplest frozen answerer: the text of the best-ranked memory ("" if none).

    It needs no model, so the ``"answer"`` reward works out of the box; its exact match is low,
    so pair it with ``reward_metric="f1"`` or pass a real answerer (an LLM answer agent).
    """
    return memories[0].text if memories else ""
