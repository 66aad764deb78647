"""Graded task variants: the settings behind ``MemoryManager-Synth-{Easy,Medium,Hard}-v0``,
``AnswerAgent-Synth-{Easy,Medium,Hard}-v0`` and ``MemoryManager-LoCoMo-Capacity-v0``.

In the default tasks keeping everything (add-all) scores about as well as ideal management,
because the reader sees many memories, prefers the newest and the bank is unbounded. The graded
variants constrain what pays off, chosen by measurement on the synthetic *train* split (see
``experiments/results/reference``):

- **Easy**: templated language, unbounded banks; the manager's reward reader sees 10 memories
  per speaker and has no preference for newer memories, so stale memories mislead it.
- **Medium**: Easy with a bank of 8 memories per speaker and 5 memories per speaker read:
  what is kept, updated in place and deleted decides the score.
- **Hard**: Medium with varied, indirect phrasing, look-alike non-changes and distractor facts,
  so that keyword rules stop being enough.

Manager ids use the episode ``outcome`` reward (``shaping="potential"`` makes it dense);
answer ids read banks that ``add-all`` built (stale and distracting memories included). Every
level uses 64 training, 16 validation and 48 test conversations. Keyword arguments passed to
``gym.make`` override a level's; ``synth_kwargs`` are merged into the level's generator knobs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

SYNTH_SIZES = {"train": 64, "val": 16, "test": 48}
VARIED = {"phrasing": "varied", "distractor_facts": 0.25}
"""Generator knobs of the Hard level (see ``memenv.data.synthetic``)."""

MANAGER_LEVELS: dict[str, dict[str, Any]] = {
    "easy": {"memories_per_speaker": 10},
    "medium": {"capacity": 8, "memories_per_speaker": 5},
    "hard": {"capacity": 8, "memories_per_speaker": 5, "synth_kwargs": VARIED},
}
MANAGER_DEFAULTS: dict[str, Any] = {
    "dataset": "synth",
    "reward": "outcome",
    "answerer": "extractive-no-recency",
}
ANSWER_LEVELS: dict[str, dict[str, Any]] = {
    "easy": {"memories_per_speaker": 10},
    "medium": {"memories_per_speaker": 5},
    "hard": {"memories_per_speaker": 5, "synth_kwargs": VARIED},
}
LOCOMO_CAPACITY: dict[str, Any] = {
    "dataset": "locomo",
    "reward": "outcome",
    "reward_metric": "f1",
    "answerer": "extractive-no-recency",
    "capacity": 40,
    "memories_per_speaker": 10,
}
"""The capacity-limited LoCoMo manager: 40 memories per speaker (conv-26 has about 100 facts
per speaker), LoCoMo F1 as the outcome (the extractive reader's EM is too rare on LoCoMo to
rank systems). No ideal operations there, so no oracle."""


def level_kwargs(
    levels: Mapping[str, Mapping[str, Any]],
    level: str,
    defaults: Mapping[str, Any],
    overrides: Mapping[str, Any],
) -> dict[str, Any]:
    """Defaults, then the level's settings, then the caller's (``synth_kwargs`` merged)."""
    key = level.lower()
    if key not in levels:
        raise ValueError(f"level must be one of {tuple(levels)}, got {level!r}")
    out = {**defaults, **levels[key]}
    synth = dict(out.get("synth_kwargs") or {})
    if out.get("dataset", "synth") == "synth":
        synth = {"n": dict(SYNTH_SIZES), **synth}
    synth.update(overrides.get("synth_kwargs") or {})
    out.update({k: v for k, v in overrides.items() if k != "synth_kwargs"})
    if out.get("dataset", "synth") == "synth":
        out["synth_kwargs"] = synth
    return out


def make_graded_manager(level: str, **overrides: Any) -> Any:
    """``MemoryManagerEnv`` at a graded level (the entry point of the graded manager ids)."""
    from memenv.envs.memory_manager import MemoryManagerEnv

    return MemoryManagerEnv(**level_kwargs(MANAGER_LEVELS, level, MANAGER_DEFAULTS, overrides))


def make_graded_answer(level: str, **overrides: Any) -> Any:
    """``AnswerAgentEnv`` at a graded level (the entry point of the graded answer ids)."""
    from memenv.envs.answer_agent import AnswerAgentEnv

    defaults = {"dataset": "synth", "manager": "add-all"}
    return AnswerAgentEnv(**level_kwargs(ANSWER_LEVELS, level, defaults, overrides))


def make_locomo_capacity(**overrides: Any) -> Any:
    """``MemoryManager-LoCoMo-Capacity-v0``: LoCoMo with a bounded bank and a small reader."""
    from memenv.envs.memory_manager import MemoryManagerEnv

    return MemoryManagerEnv(**{**LOCOMO_CAPACITY, **overrides})
