"""RLOO (REINFORCE leave-one-out): each episode's baseline is the mean return of the *other*
episodes of its group; clipped ratio, per-sequence token mean."""

from __future__ import annotations

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
from agents.rl.policy import ForwardOut


@register_algorithm
class RLOO(Algorithm):
    name = "rloo"
    needs_groups = True

    def advantages(self, episodes):
        if self.config.per_step:
            return step_group_advantages(episodes, scale=False, leave_one_out=True)
        groups = group_returns(episodes)
        sums = {g: sum(r) for g, r in groups.items()}
        adv = []
        for e in episodes:
            k = len(groups[e.group])
            adv.append(e.ret - (sums[e.group] - e.ret) / (k - 1))
        return broadcast(episodes, adv), broadcast(episodes, [e.ret for e in episodes])

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
