"""Scripted reference policies for the MemoryManager environment.

A policy is any object with ``act(observation, info) -> action``. These three need no model and
serve as defaults and reference points: store everything, act at random, and (synthetic data
only) follow the generator's ideal operations. Memory-system baselines live in ``baselines/``.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np

NOOP_ACTION = {"op": 3, "target": 0, "text": ""}


@runtime_checkable
class Policy(Protocol):
    def act(self, observation: dict[str, str], info: dict[str, Any]) -> Any: ...


class AddAllPolicy:
    """Stores every fact verbatim (the ``add-all`` reference: no management at all)."""

    name = "add-all"

    def act(self, observation: dict[str, str], info: dict[str, Any]) -> dict[str, Any]:
        return {"op": 0, "target": 0, "text": ""}


class RandomPolicy:
    """Uniformly random operation and target; the text is the fact's (seeded, deterministic)."""

    name = "random"

    def __init__(self, seed: int = 0):
        self.rng = np.random.default_rng(seed)

    def act(self, observation: dict[str, str], info: dict[str, Any]) -> dict[str, Any]:
        shown = len(info.get("shown_memory_ids", ()))
        op = int(self.rng.integers(4)) if shown else int(self.rng.choice([0, 3]))
        target = int(self.rng.integers(shown)) if shown else 0
        return {"op": op, "target": target, "text": ""}


class IdealOpsPolicy:
    """Follows the synthetic generator's ideal operation for each fact (an upper bound).

    Needs the environment itself to find the memory a target dia_id refers to, so it is built
    with the (unwrapped) environment: ``IdealOpsPolicy(env.unwrapped)``.
    """

    name = "oracle"

    def __init__(self, env: Any):
        self.env = env

    def act(self, observation: dict[str, str], info: dict[str, Any]) -> dict[str, Any]:
        fact = self.env.current_fact
        if fact is None or fact.ideal_op is None:
            raise ValueError("IdealOpsPolicy needs facts with ideal operations (synthetic data)")
        if fact.ideal_op in ("ADD", "NOOP"):
            return {"op": 0 if fact.ideal_op == "ADD" else 3, "target": 0, "text": ""}
        shown = info.get("shown_memory_ids", [])
        bank = self.env.banks[fact.speaker]
        for entry in bank.find_by_provenance(fact.ideal_target):
            if entry.provenance and entry.provenance[0] == fact.ideal_target and entry.id in shown:
                op = 1 if fact.ideal_op == "UPDATE" else 2
                return {"op": op, "target": shown.index(entry.id), "text": ""}
        # The memory to change is not among the shown ones: the best single action is to store
        # the new fact (UPDATE) or do nothing (DELETE).
        return {"op": 0 if fact.ideal_op == "UPDATE" else 3, "target": 0, "text": ""}
