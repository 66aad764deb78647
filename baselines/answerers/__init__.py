"""Answer agents: ``extractive`` (typed span extraction), ``top-memory`` and ``llm``.

An answerer has ``answer(question, question_date, memories) -> (answer, selected indices)``;
``memories`` are the memories the AnswerAgent environment showed (``None`` marks an empty
slot), and the indices are positions in that list, i.e. the environment's memory ids.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from baselines.answerers.extractive import NOT_MENTIONED, ExtractiveAnswerer, TopMemoryAnswerer
from memenv.memory import MemoryEntry


class Answerer(Protocol):
    def answer(
        self, question: str, question_date: str, memories: Sequence[MemoryEntry]
    ) -> tuple[str, list[int]]: ...


def _llm_answerer(**kwargs: Any) -> Any:
    """``llm``: :class:`baselines.llm.LLMAnswerer` (needs ``backend=``; imported lazily)."""
    from baselines.llm import LLMAnswerer

    return LLMAnswerer(**kwargs)


ANSWERERS: dict[str, Callable[..., Any]] = {
    "extractive": ExtractiveAnswerer,
    "top-memory": TopMemoryAnswerer,
    "llm": _llm_answerer,
}
"""Answerer name -> factory. ``llm`` (the LLM answer agent) takes ``backend=`` and ``params=``;
an answerer with ``answer_batch(items)`` is called in batches by ``memenv eval``."""


def make_answerer(name: str, **kwargs: Any) -> Answerer:
    """The answerer called ``name``; a ValueError listing the known names otherwise."""
    if name not in ANSWERERS:
        raise ValueError(f"unknown answerer {name!r}; known: {', '.join(sorted(ANSWERERS))}")
    return ANSWERERS[name](**kwargs)


__all__ = [
    "ANSWERERS",
    "NOT_MENTIONED",
    "Answerer",
    "ExtractiveAnswerer",
    "TopMemoryAnswerer",
    "make_answerer",
]
