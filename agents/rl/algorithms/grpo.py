"""GRPO: each episode's return normalised within its group (mean and std of the group), the
same advantage on every step of the episode; clipped ratio; per-sequence token mean; optional
KL to the initial policy."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from agents.rl.algorithms.base import (
    Algorithm,
    StepBatch,
    broadcast,
    clip_stats,
    clipped_token_loss,
    group_returns,
    register_algorithm,
    seq_mean_token_mean,
    step_group_advantages,
)
from agents.rl.collector import Episode
from agents.rl.policy import ForwardOut


def group_advantages(episodes: Sequence[Episode], scale: bool) -> list[float]:
    """Return minus its group's mean, divided by the group's std when ``scale``."""
    groups = group_returns(episodes)
    stats = {g: (np.mean(r), np.std(r)) for g, r in groups.items()}
    out = []
    for e in episodes:
        mean, std = stats[e.group]
        adv = e.ret - mean
        out.append(adv / (std + 1e-4) if scale else adv)
    return out


@register_algorithm
class GRPO(Algorithm):
    name = "grpo"
    needs_groups = True
    zero_advantage_is_inert = True

    def advantages(self, episodes):
        if self.config.per_step:
            return step_group_advantages(episodes, scale=True, gamma=self.config.gamma)
        adv = broadcast(episodes, group_advantages(episodes, scale=True))
        return adv, broadcast(episodes, [e.ret for e in episodes])

    def loss(self, out: ForwardOut, batch: StepBatch) -> tuple[torch.Tensor, dict[str, float]]:
        tokens, ratio = clipped_token_loss(
            out.logprobs, batch.old_logprobs, batch.advantages, self.config.clip
        )
        policy = seq_mean_token_mean(tokens, out.mask)
        kl_loss, kl = self.kl_term(out, batch)
        return policy + kl_loss, {
            "policy_loss": float(policy.detach()),
            "kl": kl,
            **clip_stats(ratio, out.mask, self.config.clip),
        }
