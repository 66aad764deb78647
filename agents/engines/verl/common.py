"""What the verl agent loop, reward hook and dataset builder share (no verl import)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from agents.engines.episodes import DATA_KEYS, MANAGER_KEYS, conversations_for
from memenv.envs import AnswerAgentEnv, MemoryManagerEnv

ANSWER_KEYS = ("memories_per_speaker", "retriever")
DEFAULTS = {"dataset": "synth", "split": "train", "terminal_reward": True}

_ANSWER_ENVS: dict[str, AnswerAgentEnv] = {}


def plain(value: Any) -> Any:
    """An OmegaConf node, numpy array or scalar as plain Python containers and values."""
    if hasattr(value, "_metadata") or type(value).__name__ in ("DictConfig", "ListConfig"):
        from omegaconf import OmegaConf

        return OmegaConf.to_container(value, resolve=True)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if hasattr(value, "tolist"):  # numpy arrays and scalars
        return value.tolist()
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def env_settings(config: Mapping[str, Any] | None, answer: bool = False) -> dict[str, Any]:
    """Validated environment settings with the defaults filled in."""
    config = dict(config or {})
    allowed = set(DATA_KEYS) | set(ANSWER_KEYS if answer else MANAGER_KEYS)
    unknown = sorted(set(config) - allowed)
    if unknown:
        raise ValueError(f"memenv env settings: unknown keys {unknown}; known: {sorted(allowed)}")
    settings = {k: v for k, v in DEFAULTS.items() if k in allowed}
    settings.update({k: v for k, v in config.items() if v is not None})
    return settings


def make_manager_env(settings: Mapping[str, Any]) -> MemoryManagerEnv:
    kwargs = {k: settings[k] for k in MANAGER_KEYS if k in settings}
    return MemoryManagerEnv(conversations=conversations_for(settings), **kwargs)


def answer_env(settings: Mapping[str, Any]) -> AnswerAgentEnv:
    """One AnswerAgent environment per settings and process (banks built once, add-all)."""
    key = json.dumps(dict(settings), sort_keys=True, default=str)
    if key not in _ANSWER_ENVS:
        kwargs = {k: settings[k] for k in ANSWER_KEYS if k in settings}
        _ANSWER_ENVS[key] = AnswerAgentEnv(conversations=conversations_for(settings), **kwargs)
    return _ANSWER_ENVS[key]
