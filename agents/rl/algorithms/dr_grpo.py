"""Dr.GRPO ("GRPO done right"): group-mean baseline without the std division, and the token
losses summed and divided by a constant (rows x ``norm_tokens``) instead of each sequence's
length, which removes GRPO's length and difficulty biases."""

from __future__ import annotations

import torch

from agents.rl.algorithms.base import (
    Algorithm,
    StepBatch,
    broadcast,
    clip_stats,
    clipped_token_loss,
    register_algorithm,
    step_group_advantages,
)
from agents.rl.algorithms.grpo import group_advantages
from agents.rl.policy import ForwardOut


@register_algorithm
class DrGRPO(Algorithm):
    name = "dr_grpo"
    needs_groups = True
    zero_advantage_is_inert = True

    def advantages(self, episodes):
        if self.config.per_step:
            return step_group_advantages(episodes, scale=False, gamma=self.config.gamma)
        adv = broadcast(episodes, group_advantages(episodes, scale=False))
        return adv, broadcast(episodes, [e.ret for e in episodes])

    def loss(self, out: ForwardOut, batch: StepBatch) -> tuple[torch.Tensor, dict[str, float]]:
        tokens, ratio = clipped_token_loss(
            out.logprobs, batch.old_logprobs, batch.advantages, self.config.clip
        )
        policy = (tokens * out.mask).sum() / (len(batch) * self.config.norm_tokens)
        kl_loss, kl = self.kl_term(out, batch)
        return policy + kl_loss, {
            "policy_loss": float(policy.detach()),
            "kl": kl,
            **clip_stats(ratio, out.mask, self.config.clip),
        }
