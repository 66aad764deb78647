"""What a memory-system baseline is, and the registry of them by name.

A baseline is a :class:`MemorySystem`: a way to manage memory (a policy acting through the
MemoryManager environment) plus, optionally, its own way to retrieve for a question (passed to
the AnswerAgent environment as ``retrieve_fn``). ``memenv eval --manager NAME`` looks NAME up in
:data:`MANAGERS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from memenv.envs.question_memory import RetrieveFn
from memenv.policies import AddAllPolicy, IdealOpsPolicy, Policy


@dataclass
class MemorySystem:
    """A memory manager baseline.

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


MANAGERS: dict[str, Callable[[], MemorySystem]] = {}
"""Baseline name -> factory of a fresh :class:`MemorySystem`."""


def register_manager(name: str, factory: Callable[[], MemorySystem]) -> None:
    if name in MANAGERS:
        raise ValueError(f"memory system {name!r} is registered twice")
    MANAGERS[name] = factory


def make_memory_system(name: str) -> MemorySystem:
    """The baseline called ``name``; a clear error listing the known names otherwise."""
    if name not in MANAGERS:
        raise ValueError(f"unknown manager {name!r}; known: {', '.join(sorted(MANAGERS))}")
    return MANAGERS[name]()


register_manager(
    "add-all",
    lambda: MemorySystem("add-all", lambda env: AddAllPolicy(), description="stores every fact"),
)
register_manager(
    "oracle",
    lambda: MemorySystem(
        "oracle",
        IdealOpsPolicy,
        description="the synthetic generator's ideal operations (upper bound, synth only)",
        needs_ideal_ops=True,
    ),
)
