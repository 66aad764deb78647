"""Answerers by name: the frozen readers that answer a question from shown memories.

An answerer has ``answer(question, question_date, memories) -> (answer, selected indices)``;
``memories`` are the memories the AnswerAgent environment showed (``None`` marks an empty
slot), and the indices are positions in that list, i.e. the environment's memory ids.

memenv ships the model-free ones, which the environments use as frozen readers for rewards:
``extractive`` (typed span extraction; newer memories win ties), ``extractive-no-recency`` (the
same reader without any preference for newer memories, so stale memories mislead it),
``top-memory``, and the memory-blind ``constant-yes`` and ``constant-no`` (one fixed answer to
every question: the floor a policy must clear to show it reads memories). Others register
themselves with :func:`register_answerer` (the ``llm`` answerer comes from the ``baselines``
plugin and is loaded on first need).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, Protocol

from memenv.answerers.constant import ConstantAnswerer
from memenv.answerers.extractive import NOT_MENTIONED, ExtractiveAnswerer, TopMemoryAnswerer
from memenv.memory import MemoryEntry
from memenv.plugins import load_plugins


class Answerer(Protocol):
    def answer(
        self, question: str, question_date: str, memories: Sequence[MemoryEntry]
    ) -> tuple[str, list[int]]: ...


def _no_recency(**kwargs: Any) -> ExtractiveAnswerer:
    return ExtractiveAnswerer(prefer_recent=False, **kwargs)


ANSWERERS: dict[str, Callable[..., Any]] = {
    "extractive": ExtractiveAnswerer,
    "extractive-no-recency": _no_recency,
    "top-memory": TopMemoryAnswerer,
    "constant-yes": partial(ConstantAnswerer, "Yes"),
    "constant-no": partial(ConstantAnswerer, "No"),
}
"""Answerer name -> factory (keyword options, e.g. ``backend=`` for ``llm``). An answerer with
``answer_batch(items)`` is called in batches by ``memenv eval``."""


def register_answerer(name: str, factory: Callable[..., Any]) -> None:
    """Add an answerer under ``name`` (an error if the name is taken)."""
    if name in ANSWERERS:
        raise ValueError(f"answerer {name!r} is registered twice")
    ANSWERERS[name] = factory


def answerer_names() -> list[str]:
    """Every registered name, plugins included, sorted."""
    load_plugins()
    return sorted(ANSWERERS)


def make_answerer(name: str, **kwargs: Any) -> Answerer:
    """The answerer called ``name``; a ValueError listing the known names otherwise."""
    if name not in ANSWERERS:
        load_plugins()
    if name not in ANSWERERS:
        raise ValueError(f"unknown answerer {name!r}; known: {', '.join(answerer_names())}")
    return ANSWERERS[name](**kwargs)


__all__ = [
    "ANSWERERS",
    "NOT_MENTIONED",
    "Answerer",
    "ConstantAnswerer",
    "ExtractiveAnswerer",
    "TopMemoryAnswerer",
    "answerer_names",
    "make_answerer",
    "register_answerer",
]
