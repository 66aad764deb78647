"""Memory systems by name: what ``manager="mem0"`` or ``memenv eval --manager NAME`` builds.

A :class:`MemorySystem` is a way to manage memory (a policy acting through the MemoryManager
environment) plus, optionally, its own retrieval for questions (passed to the AnswerAgent
environment as ``retrieve_fn``). memenv registers its scripted references here (``add-all``,
``noop``, ``random``, ``update-top``, ``ideal-ops``, ``oracle``); the memory-system baselines
(``mem0``, ``a-mem``, ``zep``, ``memoryos``, ``rag-turns``, the LLM systems) register themselves
from the ``baselines`` package, which :func:`make_memory_system` loads as a plugin on first
need.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from memenv.envs.question_memory import RetrieveFn
from memenv.plugins import load_plugins
from memenv.policies import (
    AddAllPolicy,
    IdealOpsPolicy,
    NoopPolicy,
    OraclePolicy,
    Policy,
    RandomPolicy,
    UpdateTopPolicy,
)


@dataclass
class MemorySystem:
    """A memory manager: a policy factory, and optionally its own retrieval.

    ``make_policy(env)`` builds a fresh policy for one MemoryManager environment (policies may
    keep per-conversation state, e.g. A-Mem's links); ``retrieve_fn`` (optional) replaces plain
    top-k retrieval at answer time; ``fact_source`` is the fact stream it manages ("auto" = the
    dataset's extracted facts when present, "turns" = raw dialogue turns).
    """

    name: str
    make_policy: Callable[[Any], Policy]
    retrieve_fn: RetrieveFn | None = None
    fact_source: str = "auto"
    description: str = ""
    needs_ideal_ops: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


MANAGERS: dict[str, Callable[..., MemorySystem]] = {}
"""Name -> factory of a fresh :class:`MemorySystem` (keyword options, e.g. an LLM backend)."""


def register_manager(name: str, factory: Callable[..., MemorySystem]) -> None:
    """Add a memory system under ``name`` (an error if the name is taken)."""
    if name in MANAGERS:
        raise ValueError(f"memory system {name!r} is registered twice")
    MANAGERS[name] = factory


def manager_names() -> list[str]:
    """Every registered name, plugins included, sorted."""
    load_plugins()
    return sorted(MANAGERS)


def make_memory_system(name: str, **options: Any) -> MemorySystem:
    """The memory system called ``name``; a clear error listing the known names otherwise."""
    if name not in MANAGERS:
        load_plugins()
    if name not in MANAGERS:
        raise ValueError(f"unknown manager {name!r}; known: {', '.join(manager_names())}")
    return MANAGERS[name](**options)


def _scripted(name: str, make_policy: Callable[[Any], Policy], description: str, **kw: Any):
    register_manager(name, lambda: MemorySystem(name, make_policy, description=description, **kw))


_scripted("add-all", lambda env: AddAllPolicy(), "stores every fact (no management)")
_scripted("noop", lambda env: NoopPolicy(), "stores nothing")
_scripted("random", lambda env: RandomPolicy(seed=0), "uniformly random operations (seed 0)")
_scripted(
    "update-top",
    lambda env: UpdateTopPolicy(),
    "UPDATEs the most related memory with every fact (a reward-hacking probe)",
)
_scripted(
    "ideal-ops",
    IdealOpsPolicy,
    "follows the synthetic generator's ideal operations (synthetic data only)",
    needs_ideal_ops=True,
)
_scripted(
    "oracle",
    OraclePolicy,
    "ideal operations, storing only what questions need, within capacity (synthetic only)",
    needs_ideal_ops=True,
)
