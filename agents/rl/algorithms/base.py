"""The algorithm interface the trainer drives, the flattened step batch it trains on, and the
pieces most policy-gradient losses share (clipped ratio, loss aggregation, group baselines).

An algorithm turns collected episodes into one advantage per step (``advantages``), and a
minibatch of steps plus the policy's fresh log-probabilities into a loss (``loss``). Anything it
learns besides the policy (a critic) is an ``nn.Module`` returned by ``modules()``; anything it
remembers between iterations (a running baseline) goes through ``extra_state`` /
``load_extra_state`` as JSON so that resuming is exact. A new algorithm is one file: subclass
:class:`Algorithm`, decorate it with :func:`register_algorithm`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import torch

from agents.rl.collector import Episode
from agents.rl.policy import ForwardOut


@dataclass(frozen=True)
class AlgoConfig:
    """Settings shared by the algorithms (each reads the ones it needs)."""

    clip: float = field(default=0.2, metadata={"help": "PPO-style ratio clip epsilon."})
    kl_coef: float = field(
        default=0.0, metadata={"help": "KL penalty to the initial policy (k3 estimator); 0: off."}
    )
    gamma: float = field(
        default=1.0,
        metadata={
            "help": "Discount over the steps: PPO's GAE and the group methods' per-step "
            "rewards-to-go (0 with potential shaping: each decision is credited with the change "
            "of score it made)."
        },
    )
    gae_lambda: float = field(default=0.95, metadata={"help": "GAE lambda (PPO)."})
    vf_coef: float = field(default=0.5, metadata={"help": "Value-loss weight (PPO)."})
    critic_hidden: int = field(default=64, metadata={"help": "Width of the critic MLP (PPO)."})
    baseline_momentum: float = field(
        default=0.9, metadata={"help": "Running-mean baseline momentum (REINFORCE)."}
    )
    norm_tokens: int = field(
        default=24, metadata={"help": "Dr.GRPO's constant per-sequence token normaliser."}
    )
    per_step: bool = field(
        default=False,
        metadata={
            "help": "Group methods: compare rewards-to-go step by step (members of a group face "
            "the same fact at the same step) instead of whole-episode returns; with potential "
            "shaping the reward-to-go leaves out what earlier decisions earned."
        },
    )

    def __post_init__(self) -> None:
        if not 0 < self.clip < 1:
            raise ValueError(f"clip must be in (0, 1), got {self.clip}")
        if self.kl_coef < 0 or self.vf_coef < 0:
            raise ValueError("kl_coef and vf_coef must be >= 0")
        if not 0 <= self.gamma <= 1 or not 0 <= self.gae_lambda <= 1:
            raise ValueError(
                f"gamma and gae_lambda must be in [0, 1], got {self.gamma} and {self.gae_lambda}"
            )
        if not 0 <= self.baseline_momentum < 1:
            raise ValueError(f"baseline_momentum must be in [0, 1), got {self.baseline_momentum}")


@dataclass
class StepBatch:
    """Every step of an iteration's episodes, flattened (one row per generated action)."""

    prompt_ids: list[list[int]]
    completion_ids: list[list[int]]
    old_logprobs: torch.Tensor
    mask: torch.Tensor
    hidden: torch.Tensor
    advantages: torch.Tensor
    returns: torch.Tensor
    ref_logprobs: torch.Tensor | None = None

    def __len__(self) -> int:
        return len(self.prompt_ids)

    def select(self, index: torch.Tensor) -> StepBatch:
        """The rows ``index`` (token tensors trimmed to the longest selected completion)."""
        rows = index.tolist()
        longest = max(1, max(len(self.completion_ids[i]) for i in rows))
        ref = self.ref_logprobs
        return StepBatch(
            [self.prompt_ids[i] for i in rows],
            [self.completion_ids[i] for i in rows],
            self.old_logprobs[index, :longest],
            self.mask[index, :longest],
            self.hidden[index],
            self.advantages[index],
            self.returns[index],
            None if ref is None else ref[index, :longest],
        )


def flatten(
    episodes: Sequence[Episode], advantages: Sequence[np.ndarray], returns: Sequence[np.ndarray]
) -> StepBatch:
    """One :class:`StepBatch` of every step (empty completions get one masked pad token)."""
    steps = [s for e in episodes for s in e.steps]
    longest = max(1, max(len(s.completion_ids) for s in steps))
    old = torch.zeros((len(steps), longest))
    mask = torch.zeros((len(steps), longest))
    for i, s in enumerate(steps):
        n = len(s.completion_ids)
        old[i, :n] = torch.tensor(s.logprobs)
        mask[i, :n] = 1.0
    return StepBatch(
        [s.prompt_ids for s in steps],
        [s.completion_ids for s in steps],
        old,
        mask,
        torch.stack([s.hidden for s in steps]),
        torch.tensor(np.concatenate(advantages), dtype=torch.float32),
        torch.tensor(np.concatenate(returns), dtype=torch.float32),
    )


def rewards_to_go(rewards: np.ndarray, gamma: float = 1.0) -> np.ndarray:
    """Discounted sum of the rewards from each step on."""
    out = np.zeros_like(rewards, dtype=np.float64)
    running = 0.0
    for t in range(len(rewards) - 1, -1, -1):
        running = rewards[t] + gamma * running
        out[t] = running
    return out


def group_returns(episodes: Sequence[Episode]) -> dict[int, list[float]]:
    """Group id -> the returns of its episodes, in order."""
    groups: dict[int, list[float]] = {}
    for e in episodes:
        groups.setdefault(e.group, []).append(e.ret)
    return groups


def step_group_advantages(
    episodes: Sequence[Episode], scale: bool, leave_one_out: bool = False, gamma: float = 1.0
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Per-step advantages from rewards-to-go compared across the members of each group at the
    same step index: minus the members' mean (or the others' mean with ``leave_one_out``),
    divided by their std when ``scale``. Also gives the rewards-to-go (discounted by ``gamma``)."""
    to_go = [rewards_to_go(e.rewards, gamma) for e in episodes]
    members: dict[int, list[int]] = {}
    for i, e in enumerate(episodes):
        members.setdefault(e.group, []).append(i)
    advantages: list[np.ndarray] = [np.zeros(0)] * len(episodes)
    for idx in members.values():
        width = max(len(to_go[i]) for i in idx)
        table = np.full((len(idx), width), np.nan)
        for row, i in enumerate(idx):
            table[row, : len(to_go[i])] = to_go[i]
        count = (~np.isnan(table)).sum(0)
        total = np.nansum(table, 0)
        std = np.nanstd(table, 0)
        for i in idx:
            n = len(to_go[i])
            if leave_one_out:
                base = (total[:n] - to_go[i]) / np.maximum(count[:n] - 1, 1)
            else:
                base = total[:n] / count[:n]
            adv = to_go[i] - base
            advantages[i] = adv / (std[:n] + 1e-4) if scale else adv
    return advantages, to_go


def broadcast(episodes: Sequence[Episode], per_episode: Sequence[float]) -> list[np.ndarray]:
    """Each episode's value on every one of its steps."""
    return [np.full(len(e.steps), float(v)) for e, v in zip(episodes, per_episode, strict=True)]


def clipped_token_loss(
    logprobs: torch.Tensor,
    old_logprobs: torch.Tensor,
    advantages: torch.Tensor,
    clip: float,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-token clipped surrogate ``-min(r A, clip(r) A)`` (advantages [rows]) and the ratio."""
    ratio = torch.exp(logprobs - old_logprobs)
    adv = advantages[:, None]
    loss = -torch.minimum(ratio * adv, ratio.clamp(1 - clip, 1 + clip) * adv)
    return loss, ratio


def seq_mean_token_mean(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over each row's tokens, then over rows (GRPO's aggregation)."""
    per_row = (values * mask).sum(1) / mask.sum(1).clamp(min=1.0)
    return per_row.mean()


def kl_k3(logprobs: torch.Tensor, ref_logprobs: torch.Tensor) -> torch.Tensor:
    """Per-token ``exp(ref - logp) - (ref - logp) - 1`` (unbiased, non-negative KL estimate)."""
    diff = ref_logprobs - logprobs
    return torch.exp(diff) - diff - 1


def clip_stats(ratio: torch.Tensor, mask: torch.Tensor, clip: float) -> dict[str, float]:
    clipped = ((ratio - 1).abs() > clip).float()
    n = mask.sum().clamp(min=1.0)
    return {
        "clip_frac": float((clipped * mask).sum() / n),
        "ratio_mean": float((ratio.detach() * mask).sum() / n),
    }


class Algorithm:
    """Base class of the RL algorithms (see the module docstring)."""

    name: ClassVar[str] = ""
    needs_groups: ClassVar[bool] = False
    """Whether advantages compare the episodes of a group (then group_size must be >= 2)."""
    zero_advantage_is_inert: ClassVar[bool] = False
    """Whether a step whose advantage is 0 adds nothing to the loss's value or gradient (no
    critic reads it; the KL term aside), so the trainer may leave it out of the training pass
    (``RLConfig.skip_zero_advantage``) with the loss's normalisation unchanged."""

    def __init__(self, config: AlgoConfig, hidden_size: int, seed: int = 0):
        self.config = config
        self.hidden_size = hidden_size

    def modules(self) -> list[torch.nn.Module]:
        """Extra trained modules (their parameters join the optimizer; saved in checkpoints)."""
        return []

    def advantages(self, episodes: Sequence[Episode]) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Per-episode arrays of per-step advantages and of per-step return targets."""
        raise NotImplementedError

    def loss(self, out: ForwardOut, batch: StepBatch) -> tuple[torch.Tensor, dict[str, float]]:
        """The minibatch loss from the policy's fresh pass ``out`` and logged statistics."""
        raise NotImplementedError

    def critic_loss(self, hidden: torch.Tensor, returns: torch.Tensor) -> torch.Tensor | None:
        """The critic's regression loss on hidden states and return targets (None: no critic).
        The trainer's ``value_epochs`` fit it alone on each batch's recorded hidden states."""
        return None

    def kl_term(self, out: ForwardOut, batch: StepBatch) -> tuple[torch.Tensor, float]:
        """``kl_coef`` times the mean per-token KL to the reference (0 when off)."""
        if not self.config.kl_coef or batch.ref_logprobs is None:
            return torch.zeros(()), 0.0
        kl = seq_mean_token_mean(kl_k3(out.logprobs, batch.ref_logprobs), out.mask)
        return self.config.kl_coef * kl, float(kl)

    def extra_state(self) -> dict[str, Any]:
        """JSON-serialisable state kept between iterations (for exact resume)."""
        return {}

    def load_extra_state(self, state: dict[str, Any]) -> None:
        """Restore :meth:`extra_state`."""


ALGORITHMS: dict[str, type[Algorithm]] = {}


def register_algorithm(cls: type[Algorithm]) -> type[Algorithm]:
    """Class decorator: make ``cls`` available by its ``name`` (an error if taken)."""
    if not cls.name:
        raise ValueError(f"{cls.__name__} needs a non-empty name")
    if cls.name in ALGORITHMS and ALGORITHMS[cls.name] is not cls:
        raise ValueError(f"algorithm {cls.name!r} is registered twice")
    ALGORITHMS[cls.name] = cls
    return cls


def make_algorithm(name: str, config: AlgoConfig, hidden_size: int, seed: int = 0) -> Algorithm:
    """The algorithm called ``name``; a clear error listing the known names otherwise."""
    if name not in ALGORITHMS:
        raise ValueError(f"unknown algorithm {name!r}; known: {', '.join(sorted(ALGORITHMS))}")
    return ALGORITHMS[name](config, hidden_size, seed)


AdvantageFn = Callable[[Sequence[Episode]], list[np.ndarray]]
