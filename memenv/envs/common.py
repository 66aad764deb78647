"""What both environments share: loading the episode data, checking options, making banks."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import gymnasium as gym

from memenv.data.records import Conversation
from memenv.envs.fact_sources import FactExtractor
from memenv.memory import MemoryBank


def check_positive_int(name: str, value: Any) -> int:
    """``value`` if it is an int >= 1; a ValueError naming ``name`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return value


def check_choice(name: str, value: Any, choices: Sequence[str]) -> str:
    """``value`` if it is one of ``choices``; a ValueError listing them otherwise."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {tuple(choices)}, got {value!r}")
    return value


def renamed_kwarg(owner: str, old: str, old_value: Any, new: str, new_value: Any) -> Any:
    """Resolve a keyword renamed from ``old`` to ``new`` (``old`` still works, with a warning)."""
    if old_value is None:
        return new_value
    warnings.warn(
        f"{owner}({old}=...) is deprecated and will be removed in the next release; use {new}=...",
        DeprecationWarning,
        stacklevel=3,
    )
    return old_value


COMMON_ARGS = (
    "dataset",
    "data_path",
    "split",
    "conversations",
    "include_adversarial",
    "synth_kwargs",
    "fact_source",
    "retriever",
    "capacity",
    "max_text_chars",
    "render_mode",
)
"""Constructor arguments both environments take and :class:`MemoryEnvBase` handles."""


def common_args(arguments: Mapping[str, Any]) -> dict[str, Any]:
    """The :data:`COMMON_ARGS` out of an environment ``__init__``'s ``locals()``."""
    return {name: arguments[name] for name in COMMON_ARGS}


class MemoryEnvBase(gym.Env[dict[str, str], Any]):
    """The part of ``__init__`` both environments share: which conversations, how facts are
    read, and how banks are made (see either environment's docstring for the arguments)."""

    metadata = {"render_modes": ["ansi"], "render_fps": 4}

    def __init__(
        self,
        dataset: str,
        *,
        data_path: str | None,
        split: str,
        conversations: Sequence[Conversation] | None,
        include_adversarial: bool,
        synth_kwargs: Mapping[str, Any] | None,
        fact_source: str | FactExtractor,
        retriever: str,
        capacity: int | None,
        max_text_chars: int,
        render_mode: str | None,
    ):
        if render_mode not in (None, "ansi"):
            raise ValueError(f"render_mode must be None or 'ansi', got {render_mode!r}")
        if capacity is not None:
            check_positive_int("capacity", capacity)
        if conversations is None:
            from memenv.data.registry import load_conversations

            conversations = load_conversations(
                dataset,
                data_path=data_path,
                split=split,
                include_adversarial=include_adversarial,
                synth_kwargs=synth_kwargs,
            )
        self.conversations: list[Conversation] = list(conversations)
        if not self.conversations:
            raise ValueError(f"{type(self).__name__} needs at least one conversation")
        self.fact_source = fact_source
        self.retriever = retriever
        self.capacity = capacity
        self.max_text_chars = max_text_chars
        self.render_mode = render_mode

    def new_bank(self, owner: str) -> MemoryBank:
        """An empty bank with this environment's capacity, text limit and retriever."""
        return MemoryBank(
            owner,
            capacity=self.capacity,
            max_text_chars=self.max_text_chars,
            retriever=self.retriever,
        )
