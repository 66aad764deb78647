"""REINFORCE with a baseline: advantage = episode return minus a running mean of past batch
returns (updated after each batch; the first batch, with no history, uses its own mean); the
loss is ``-A * log pi(completion)`` summed over tokens and averaged over steps. Meant to be run
with one epoch per batch (on-policy)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from agents.rl.algorithms.base import Algorithm, StepBatch, broadcast, register_algorithm
from agents.rl.policy import ForwardOut


@register_algorithm
class Reinforce(Algorithm):
    name = "reinforce"
    zero_advantage_is_inert = True

    def __init__(self, config, hidden_size, seed=0):
        super().__init__(config, hidden_size, seed)
        self.baseline: float | None = None

    def advantages(self, episodes):
        returns = [e.ret for e in episodes]
        mean = float(np.mean(returns))
        base = mean if self.baseline is None else self.baseline
        m = self.config.baseline_momentum
        self.baseline = mean if self.baseline is None else m * self.baseline + (1 - m) * mean
        return broadcast(episodes, [r - base for r in returns]), broadcast(episodes, returns)

    def loss(self, out: ForwardOut, batch: StepBatch) -> tuple[torch.Tensor, dict[str, float]]:
        seq_logp = (out.logprobs * out.mask).sum(1)
        policy = -(batch.advantages * seq_logp).mean()
        kl_loss, kl = self.kl_term(out, batch)
        return policy + kl_loss, {"policy_loss": float(policy.detach()), "kl": kl}

    def extra_state(self) -> dict[str, Any]:
        return {"baseline": self.baseline}

    def load_extra_state(self, state: dict[str, Any]) -> None:
        self.baseline = state.get("baseline")
