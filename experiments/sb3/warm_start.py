"""Warm-start an SB3 actor-critic by behaviour cloning on the mem0 rules (the SFT of this track).

The LLM track starts RL from SFT on an imperfect teacher; this is the same for the featurized
manager: before ``learn()``, the policy is trained to predict the mem0 rules' first operation
(masked cross-entropy) on the training conversations, and its value head to predict the
discounted return of the rules' episodes (mean squared error), so PPO's first advantages do not
come from an untrained critic. Deterministic for a seed.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
import torch

from experiments.sb3.imitation import demonstrations
from memenv.wrappers import FeaturizedMemoryManager

STEPS = 3000
BATCH = 256
LR = 1e-3


def featurized_layer(env: gym.Env) -> FeaturizedMemoryManager:
    """The :class:`FeaturizedMemoryManager` inside ``env``'s wrapper stack."""
    layer: Any = env
    while not isinstance(layer, FeaturizedMemoryManager):
        if not hasattr(layer, "env"):
            raise TypeError("warm start needs a featurized Memory Manager environment")
        layer = layer.env
    return layer


def behaviour_clone(
    model: Any, env: gym.Env, seed: int, steps: int = STEPS, episodes: int | None = None
) -> dict[str, float]:
    """Train ``model.policy`` (an SB3 actor-critic for ``env``) on the mem0 rules' actions and
    returns over ``episodes`` training conversations (default: all of them)."""
    featurized = featurized_layer(env)
    episodes = episodes or len(featurized.base.conversations)
    gamma = float(getattr(model, "gamma", 1.0))
    observations, actions, masks, returns = demonstrations(featurized, episodes, gamma)
    # The rules sometimes ADD into a full bank (rejected by the environment, masked here):
    # those steps teach the policy nothing it may do, so they are left out.
    allowed = masks[np.arange(len(actions)), actions]
    observations = [o for o, keep in zip(observations, allowed, strict=True) if keep]
    actions, masks, returns = actions[allowed], masks[allowed], returns[allowed]
    policy = model.policy
    obs = {key: torch.tensor(np.stack([o[key] for o in observations])) for key in observations[0]}
    actions_t = torch.tensor(actions)
    returns_t = torch.tensor(returns)
    optimizer = torch.optim.Adam(policy.parameters(), lr=LR)
    generator = torch.Generator().manual_seed(seed)
    policy.set_training_mode(True)
    loss_pi = loss_v = torch.zeros(())
    for _ in range(steps):
        idx = torch.randint(len(actions), (BATCH,), generator=generator)
        batch = {key: value[idx] for key, value in obs.items()}
        values, log_prob, _ = policy.evaluate_actions(
            batch, actions_t[idx], action_masks=masks[idx.numpy()]
        )
        loss_pi = -log_prob.mean()
        loss_v = torch.nn.functional.mse_loss(values.flatten(), returns_t[idx])
        optimizer.zero_grad()
        (loss_pi + loss_v).backward()
        optimizer.step()
    loss_pi, loss_v = loss_pi.detach(), loss_v.detach()
    policy.set_training_mode(False)
    return {
        "bc_steps": steps,
        "bc_rows": len(actions),
        "bc_rows_masked_out": int((~allowed).sum()),
        "bc_policy_loss": loss_pi.item(),
        "bc_value_loss": loss_v.item(),
    }
