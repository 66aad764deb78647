"""PPO with a learned critic: per-step advantages by GAE over the steps of each episode.

The critic is a small MLP on the policy's final hidden state at the last prompt token, detached
(it reads the policy's features but does not move them). Advantages use the values of the
hidden states recorded at sampling time; they are normalised over the batch. Rewards are the
environment's per-step rewards: the outcome on the last step, or the potential-shaped rewards.
"""

from __future__ import annotations

import numpy as np
import torch

from agents.rl.algorithms.base import (
    Algorithm,
    StepBatch,
    clip_stats,
    clipped_token_loss,
    register_algorithm,
    seq_mean_token_mean,
)
from agents.rl.policy import ForwardOut


def gae(rewards: np.ndarray, values: np.ndarray, gamma: float, lam: float) -> np.ndarray:
    """Generalised advantage estimates of one episode (the value after the last step is 0)."""
    adv = np.zeros_like(rewards, dtype=np.float64)
    running = 0.0
    for t in range(len(rewards) - 1, -1, -1):
        following = values[t + 1] if t + 1 < len(values) else 0.0
        delta = rewards[t] + gamma * following - values[t]
        running = delta + gamma * lam * running
        adv[t] = running
    return adv


@register_algorithm
class PPO(Algorithm):
    name = "ppo"

    def __init__(self, config, hidden_size, seed=0):
        super().__init__(config, hidden_size, seed)
        torch.manual_seed(seed)
        width = config.critic_hidden
        self.critic = torch.nn.Sequential(
            torch.nn.Linear(hidden_size, width), torch.nn.Tanh(), torch.nn.Linear(width, 1)
        )

    def modules(self):
        return [self.critic]

    def values(self, hidden: torch.Tensor) -> torch.Tensor:
        return self.critic(hidden.detach()).squeeze(-1)

    def advantages(self, episodes):
        cfg = self.config
        advs, rets = [], []
        with torch.no_grad():
            for e in episodes:
                values = self.values(torch.stack([s.hidden for s in e.steps])).double().numpy()
                adv = gae(e.rewards, values, cfg.gamma, cfg.gae_lambda)
                advs.append(adv)
                rets.append(adv + values)
        flat = np.concatenate(advs)
        mean, std = flat.mean(), flat.std() + 1e-6
        return [(a - mean) / std for a in advs], rets

    def critic_loss(self, hidden: torch.Tensor, returns: torch.Tensor) -> torch.Tensor:
        return 0.5 * ((self.values(hidden) - returns) ** 2).mean()

    def loss(self, out: ForwardOut, batch: StepBatch) -> tuple[torch.Tensor, dict[str, float]]:
        tokens, ratio = clipped_token_loss(
            out.logprobs, batch.old_logprobs, batch.advantages, self.config.clip
        )
        policy = seq_mean_token_mean(tokens, out.mask)
        value_loss = self.critic_loss(out.hidden, batch.returns)
        kl_loss, kl = self.kl_term(out, batch)
        total = policy + self.config.vf_coef * value_loss + kl_loss
        return total, {
            "policy_loss": float(policy.detach()),
            "value_loss": float(value_loss.detach()),
            "kl": kl,
            **clip_stats(ratio, out.mask, self.config.clip),
        }
