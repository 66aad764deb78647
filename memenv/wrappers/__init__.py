"""Numeric-observation, discrete-action views of the memenv environments (classic RL track).

``make_featurized_manager(**kwargs)`` and ``make_featurized_answer(**kwargs)`` are the entry
points of the ``MemoryManagerFeatures-*`` and ``AnswerAgentFeatures-*`` ids: they build the base
environment with the base kwargs and wrap it, taking the wrapper's own kwargs (``dim``,
``action``, ``update_text`` / ``dim``, ``answerer``) out first.
"""

from __future__ import annotations

from typing import Any

from memenv.wrappers.answer import FeaturizedAnswerAgent
from memenv.wrappers.features import DEFAULT_DIM, hash_text, overlap_features
from memenv.wrappers.manager import FeaturizedMemoryManager, merge_texts


def make_featurized_manager(
    *,
    dim: int = DEFAULT_DIM,
    action: str = "flat",
    update_text: str = "merge",
    token_features: bool = False,
    level: str | None = None,
    **env_kwargs: Any,
) -> FeaturizedMemoryManager:
    """A ``MemoryManagerEnv(**env_kwargs)`` (at a graded ``level`` of :mod:`memenv.levels` when
    one is named) wrapped in :class:`FeaturizedMemoryManager`."""
    from memenv.envs.memory_manager import MemoryManagerEnv
    from memenv.levels import make_graded_manager

    base = (
        MemoryManagerEnv(**env_kwargs)
        if level is None
        else make_graded_manager(level, **env_kwargs)
    )
    return FeaturizedMemoryManager(
        base, dim=dim, action=action, update_text=update_text, token_features=token_features
    )


def make_featurized_answer(
    *,
    dim: int = DEFAULT_DIM,
    answerer: Any | None = None,
    reward: str = "f1",
    **env_kwargs: Any,
) -> FeaturizedAnswerAgent:
    """An ``AnswerAgentEnv(reward=reward, **env_kwargs)`` wrapped in :class:`FeaturizedAnswerAgent`
    (``reward`` defaults to ``"f1"`` here)."""
    from memenv.envs.answer_agent import AnswerAgentEnv

    return FeaturizedAnswerAgent(
        AnswerAgentEnv(reward=reward, **env_kwargs), dim=dim, answerer=answerer
    )


__all__ = [
    "DEFAULT_DIM",
    "FeaturizedAnswerAgent",
    "FeaturizedMemoryManager",
    "hash_text",
    "make_featurized_answer",
    "make_featurized_manager",
    "merge_texts",
    "overlap_features",
]
