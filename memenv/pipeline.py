"""Run a manager policy over whole conversations to build memory banks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from memenv.data.records import Conversation
from memenv.envs.fact_sources import FactExtractor
from memenv.memory import MemoryBank
from memenv.policies import AddAllPolicy, Policy

ManagerSpec = str | Policy | Callable[[Any], Policy]
"""``"add-all"``, a policy, or a factory called with the environment (e.g. ``IdealOpsPolicy``)."""


def make_manager(manager: ManagerSpec, env: Any) -> Policy:
    if manager == "add-all":
        return AddAllPolicy()
    if isinstance(manager, type):  # a policy class: construct it with the environment
        return manager(env)
    if isinstance(manager, Policy):
        return manager
    if callable(manager):
        return manager(env)
    raise ValueError(f"manager must be 'add-all', a policy or a policy factory, got {manager!r}")


def build_banks(
    conversation: Conversation,
    manager: ManagerSpec = "add-all",
    *,
    fact_source: str | FactExtractor = "auto",
    retriever: str = "bm25",
    top_k: int = 5,
    capacity: int | None = None,
) -> dict[str, MemoryBank]:
    """Play ``manager`` through a MemoryManager episode over ``conversation``; return its banks."""
    from memenv.envs.memory_manager import MemoryManagerEnv

    env = MemoryManagerEnv(
        conversations=[conversation],
        fact_source=fact_source,
        reward="none",
        top_k=top_k,
        capacity=capacity,
        retriever=retriever,
    )
    policy = make_manager(manager, env)
    obs, info = env.reset(seed=0)
    terminated = False
    while not terminated:
        obs, _, terminated, _, info = env.step(policy.act(obs, info))
    return env.banks
