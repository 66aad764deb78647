"""Run a manager policy over whole conversations to build memory banks."""

from __future__ import annotations

from collections.abc import Callable

from memenv.data.records import Conversation
from memenv.envs.fact_sources import FactExtractor
from memenv.envs.memory_manager import MemoryManagerEnv
from memenv.memory import MemoryBank
from memenv.policies import ManagerSpec, make_manager


def build_banks(
    conversation: Conversation,
    manager: ManagerSpec = "add-all",
    *,
    fact_source: str | FactExtractor = "auto",
    retriever: str = "bm25",
    top_k: int = 5,
    capacity: int | None = None,
    on_step: Callable[[], None] | None = None,
) -> dict[str, MemoryBank]:
    """Play ``manager`` through a MemoryManager episode over ``conversation``; return its banks.

    ``on_step`` is called after every fact (progress bars)."""
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
        if on_step is not None:
            on_step()
    return env.banks
