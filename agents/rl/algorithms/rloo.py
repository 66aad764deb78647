"""RLOO (REINFORCE leave-one-out): each episode's baseline is the mean return of the *other*
episodes of its group; GRPO's clipped ratio and per-sequence token mean."""

from __future__ import annotations

from agents.rl.algorithms.base import (
    broadcast,
    group_returns,
    register_algorithm,
    step_group_advantages,
)
from agents.rl.algorithms.grpo import GRPO


@register_algorithm
class RLOO(GRPO):
    name = "rloo"

    def advantages(self, episodes):
        if self.config.per_step:
            return step_group_advantages(
                episodes, scale=False, leave_one_out=True, gamma=self.config.gamma
            )
        groups = group_returns(episodes)
        sums = {g: sum(r) for g, r in groups.items()}
        adv = []
        for e in episodes:
            k = len(groups[e.group])
            adv.append(e.ret - (sums[e.group] - e.ret) / (k - 1))
        return broadcast(episodes, adv), broadcast(episodes, [e.ret for e in episodes])
