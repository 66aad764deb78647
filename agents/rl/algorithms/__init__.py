"""RL algorithms behind one interface (:class:`Algorithm`); importing this package registers
``ppo``, ``grpo``, ``dr_grpo``, ``rloo`` and ``reinforce``."""

from agents.rl.algorithms import dr_grpo, grpo, ppo, reinforce, rloo  # noqa: F401
from agents.rl.algorithms.base import (
    ALGORITHMS,
    AlgoConfig,
    Algorithm,
    StepBatch,
    flatten,
    make_algorithm,
    register_algorithm,
)

__all__ = [
    "ALGORITHMS",
    "AlgoConfig",
    "Algorithm",
    "StepBatch",
    "flatten",
    "make_algorithm",
    "register_algorithm",
]
