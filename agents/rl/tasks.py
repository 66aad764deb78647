"""The RL tasks of tier 1: which environment, how an observation becomes a prompt, how a
completion becomes an action, and what score an episode reports.

``manager-medium`` / ``manager-hard``: ``MemoryManager-Synth-{Medium,Hard}-v0`` (episode
``outcome`` reward, EM of the frozen reader over every question, optional potential shaping); an
episode is every fact of one conversation. ``answer``: ``AnswerAgent-Synth-Medium-v0`` with the F1
reward, one question per (one-step) episode.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from agents.tier1.prompts import parse_answer, parse_manager_action, render_manager_prompt
from agents.tier1.prompts import render_answer_prompt as _render_answer

NOOP = {"op": 3, "target": 0, "text": ""}


@dataclass(frozen=True)
class Task:
    """One tier-1 RL task."""

    name: str
    env_id: str
    env_kwargs: dict[str, Any]
    multi_step: bool
    render: Callable[[dict[str, str]], str]
    max_new_tokens: int
    score_name: str

    def make_env(
        self, split: str, shaping: str | None = None, invalid_penalty: float | None = None
    ) -> Any:
        """A fresh, unwrapped environment of this task on ``split`` (manager: optionally with
        potential shaping and another cost of invalid actions)."""
        import gymnasium as gym

        import memenv  # noqa: F401  (registers the ids)

        kwargs = dict(self.env_kwargs)
        if shaping is not None:
            if not self.multi_step:
                raise ValueError(f"shaping applies to the manager tasks, not {self.name!r}")
            kwargs["shaping"] = shaping
        if invalid_penalty is not None and self.multi_step:
            kwargs["invalid_penalty"] = invalid_penalty
        return gym.make(self.env_id, split=split, **kwargs).unwrapped

    def episode_keys(self, env: Any) -> list[int]:
        """What a start names: conversation indices (manager) or question indices (answer)."""
        return list(range(len(env.conversations if self.multi_step else env.questions)))

    def start(self, env: Any, key: int) -> tuple[dict[str, str], dict[str, Any]]:
        """Reset ``env`` to the start of episode ``key``."""
        option = "conversation" if self.multi_step else "question"
        return env.reset(options={option: int(key)})

    def action(self, completion: str, info: dict[str, Any]) -> tuple[Any, bool]:
        """The environment action of a completion and whether it was well formed.

        A malformed manager completion becomes NOOP and is flagged invalid (the environment's
        penalty applies only to actions it rejects itself, so the collector adds it for these).
        """
        if self.multi_step:
            parsed = parse_manager_action(completion, len(info.get("shown_memory_ids", ())))
            if parsed is None:
                return dict(NOOP), False
            return parsed.as_env_action(), True
        answer = parse_answer(completion)
        return {"answer": answer, "selected": []}, bool(answer)

    def score(self, reward: float, info: dict[str, Any]) -> float | None:
        """The task score of a finished episode (``None`` before the end)."""
        if self.multi_step:
            return info.get("outcome_score")
        return float(info["scores"]["f1"])


def _render_answer5(observation: dict[str, str]) -> str:
    return _render_answer(observation, per_speaker=5)


TASKS: dict[str, Task] = {
    "manager-medium": Task(
        "manager-medium",
        "MemoryManager-Synth-Medium-v0",
        {},
        True,
        render_manager_prompt,
        24,
        "outcome EM",
    ),
    "manager-hard": Task(
        "manager-hard",
        "MemoryManager-Synth-Hard-v0",
        {},
        True,
        render_manager_prompt,
        24,
        "outcome EM",
    ),
    "answer": Task(
        "answer",
        "AnswerAgent-Synth-Medium-v0",
        {"reward": "f1"},
        False,
        _render_answer5,
        12,
        "F1",
    ),
}


def get_task(name: str) -> Task:
    """The task called ``name``; a clear error listing the known names otherwise."""
    if name not in TASKS:
        raise ValueError(f"unknown RL task {name!r}; known: {', '.join(TASKS)}")
    return TASKS[name]
