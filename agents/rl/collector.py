"""Multi-step episode rollouts: B environments stepped together, one generated action per step,
generation batched across the episodes that are still running.

A *group* is a set of episodes that start from one shared state: ``get_state`` of the first
member after ``reset``, ``set_state`` into every other member (GRPO groups). Optional local
re-rollouts (Memory-R2 style) branch ``branch_size`` continuations from the state reached at a
random step of a finished episode; they form their own group that starts mid-conversation. The
answer task uses the same code with one-step episodes (a group resets to the same question).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from agents.rl.policy import LMPolicy
from agents.rl.tasks import Task


@dataclass
class Step:
    """One decision: its prompt and sampled completion, log-probs and what the env gave back."""

    prompt_ids: list[int]
    completion_ids: list[int]
    logprobs: list[float]
    hidden: torch.Tensor
    text: str
    reward: float
    valid: bool
    env_invalid: bool


@dataclass
class Episode:
    """A rollout from a start state to the end of its conversation (or question)."""

    group: int
    key: int
    start_step: int
    steps: list[Step] = field(default_factory=list)
    score: float = 0.0
    """The task score at the end (outcome EM of the manager, F1 of the answer)."""
    states: list[Any] = field(default_factory=list, repr=False)
    """Environment states before each step (kept only when branching needs them)."""

    @property
    def ret(self) -> float:
        """The episode return: the sum of its rewards (penalties included)."""
        return float(sum(s.reward for s in self.steps))

    @property
    def rewards(self) -> np.ndarray:
        return np.array([s.reward for s in self.steps], dtype=np.float64)


class EnvPool:
    """Environments of one task and split, reused across calls (one per parallel episode)."""

    def __init__(
        self,
        task: Task,
        split: str,
        shaping: str | None = None,
        invalid_penalty: float | None = None,
    ):
        self.task, self.split, self.shaping = task, split, shaping
        self.invalid_penalty = invalid_penalty
        self.envs: list[Any] = []
        self.keys = task.episode_keys(self.get(1)[0])

    def get(self, n: int) -> list[Any]:
        while len(self.envs) < n:
            self.envs.append(self.task.make_env(self.split, self.shaping, self.invalid_penalty))
        return self.envs[:n]


def _run(
    policy: LMPolicy,
    pool: EnvPool,
    episodes: list[Episode],
    starts: list[tuple[dict[str, str], dict[str, Any]]],
    envs: list[Any],
    generator: torch.Generator | None,
    *,
    temperature: float,
    greedy: bool,
    keep_states: bool,
) -> None:
    task = pool.task
    obs = [o for o, _ in starts]
    infos = [i for _, i in starts]
    live = list(range(len(episodes)))
    while live:
        if keep_states:
            for i in live:
                episodes[i].states.append(envs[i].get_state())
        samples = policy.sample(
            [task.render(obs[i]) for i in live],
            generator,
            max_new_tokens=task.max_new_tokens,
            temperature=temperature,
            greedy=greedy,
        )
        still = []
        for i, sample in zip(live, samples, strict=True):
            action, valid = task.action(sample.text, infos[i])
            o, reward, terminated, truncated, info = envs[i].step(action)
            if task.multi_step and not valid:
                reward -= envs[i].invalid_penalty
            episodes[i].steps.append(
                Step(
                    sample.prompt_ids,
                    sample.completion_ids,
                    sample.logprobs,
                    sample.hidden,
                    sample.text,
                    float(reward),
                    valid,
                    bool(info.get("invalid_action")),
                )
            )
            obs[i], infos[i] = o, info
            if terminated or truncated:
                score = task.score(reward, info)
                episodes[i].score = float(score if score is not None else 0.0)
            else:
                still.append(i)
        live = still


def collect(
    policy: LMPolicy,
    pool: EnvPool,
    keys: list[int],
    group_size: int,
    generator: torch.Generator | None,
    *,
    temperature: float = 1.0,
    greedy: bool = False,
    branches: int = 0,
    branch_size: int = 0,
    rng: np.random.Generator | None = None,
) -> list[Episode]:
    """Run ``group_size`` episodes from the start of each key (one group per key), all in one
    batch; then ``branches`` groups of ``branch_size`` local re-rollouts (manager only)."""
    if group_size < 1:
        raise ValueError(f"group_size must be >= 1, got {group_size}")
    task = pool.task
    if branches and (not task.multi_step or branch_size < 2 or rng is None):
        raise ValueError("branching needs a manager task, branch_size >= 2 and an rng")
    n = len(keys) * group_size
    envs = pool.get(n)
    episodes: list[Episode] = []
    starts = []
    for g, key in enumerate(keys):
        first = envs[g * group_size]
        start = task.start(first, key)
        shared = first.get_state() if task.multi_step else None
        for m in range(group_size):
            env = envs[g * group_size + m]
            if m == 0:
                starts.append(start)
            elif shared is not None:
                starts.append(env.set_state(shared))
            else:
                starts.append(task.start(env, key))
            episodes.append(Episode(g, int(key), 0))
    _run(
        policy,
        pool,
        episodes,
        starts,
        envs,
        generator,
        temperature=temperature,
        greedy=greedy,
        keep_states=bool(branches),
    )
    if not branches:
        return episodes
    envs = pool.get(branches * branch_size)
    branched: list[Episode] = []
    starts = []
    for b in range(branches):
        parent = episodes[int(rng.integers(len(episodes)))]
        t = int(rng.integers(1, len(parent.steps))) if len(parent.steps) > 1 else 0
        for m in range(branch_size):
            env = envs[b * branch_size + m]
            starts.append(env.set_state(parent.states[t]))
            branched.append(Episode(len(keys) + b, parent.key, t))
    _run(
        policy,
        pool,
        branched,
        starts,
        envs,
        generator,
        temperature=temperature,
        greedy=greedy,
        keep_states=False,
    )
    for episode in episodes:
        episode.states = []
    return episodes + branched
