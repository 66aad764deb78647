"""Scripted reference policies for the MemoryManager environment.

A policy is any object with ``act(observation, info) -> action``. These need no model and serve
as defaults and reference points: store everything, store nothing, act at random, update the
most related memory with everything (a reward-hacking probe), and (synthetic data only) follow
the generator's ideal operations, plainly (``ideal-ops``) or capacity-aware with look-ahead
(``oracle``). Memory-system baselines live in ``baselines/``.
"""

from __future__ import annotations

from collections.abc import Callable
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


class NoopPolicy:
    """Stores nothing (the ``noop`` reference: an empty bank)."""

    name = "noop"

    def act(self, observation: dict[str, str], info: dict[str, Any]) -> dict[str, Any]:
        return dict(NOOP_ACTION)


class UpdateTopPolicy:
    """UPDATEs the most related shown memory with every fact; ADDs when nothing is shown.

    A probe for rewards that can be gamed by piling facts into a few memories: a sound reward
    scores it no higher than ``add-all``.
    """

    name = "update-top"

    def act(self, observation: dict[str, str], info: dict[str, Any]) -> dict[str, Any]:
        if info.get("shown_memory_ids"):
            return {"op": 1, "target": 0, "text": ""}
        return {"op": 0, "target": 0, "text": ""}


class IdealOpsPolicy:
    """Follows the synthetic generator's ideal operation for each fact (``ideal-ops``).

    Built with the environment, whose documented hook ``ideal_action()`` turns the current
    fact's ideal operation into an action: ``IdealOpsPolicy(env)``.
    """

    name = "ideal-ops"
    hook = "ideal_action"

    def __init__(self, env: Any):
        self.env = env.unwrapped if hasattr(env, "unwrapped") else env

    def act(self, observation: dict[str, str], info: dict[str, Any]) -> Any:
        action = getattr(self.env, self.hook)()
        if action is None:
            raise ValueError(f"{type(self).__name__} needs facts with ideal operations (synthetic)")
        return action


class OraclePolicy(IdealOpsPolicy):
    """The ``oracle``: the ideal operations made capacity-aware with look-ahead at which
    memories the conversation's questions need (the environment's ``oracle_action()``)."""

    name = "oracle"
    hook = "oracle_action"


ManagerSpec = str | Policy | Callable[[Any], Policy]
"""``"add-all"``, a policy, or a factory called with the environment (e.g. ``IdealOpsPolicy``)."""


def make_manager(manager: ManagerSpec, env: Any) -> Policy:
    """A policy for ``env`` from a :data:`ManagerSpec`."""
    if manager == "add-all":
        return AddAllPolicy()
    if isinstance(manager, type):  # a policy class: construct it with the environment
        return manager(env)
    if isinstance(manager, Policy):
        return manager
    if callable(manager):
        return manager(env)
    raise ValueError(f"manager must be 'add-all', a policy or a policy factory, got {manager!r}")
