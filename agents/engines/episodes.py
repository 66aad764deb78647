"""Engine-neutral Memory Manager episodes: what the TRL, verl and SkyRL-gym adapters share.

An episode is a window of facts of one conversation (by default the whole conversation),
played in a :class:`~memenv.envs.MemoryManagerEnv`. It starts from a bank state named by an
:class:`EpisodeSpec`: the banks a deterministic reference manager (``add-all`` or, on synthetic
data, ``oracle``) built from the conversation's first ``start_fact`` facts. :class:`SharedStates`
builds that state once and every rollout of the spec restores the same snapshot with
``env.set_state``, so all members of a GRPO group start from one bank state.

The environment computes every reward (per step, plus its terminal score when the window
reaches the end of the conversation and the environment was made with
``terminal_reward=True``); an episode only sums them. Facts of the window left undecided when a
rollout stops (the model stopped calling tools, or ran out of tokens) are played as NOOP by
:meth:`ManagerEpisode.finish`, so the episode return always covers the whole window.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from agents.prompts import MANAGER_SYSTEM, manager_messages
from memenv.envs import ManagerState, MemoryManagerEnv
from memenv.policies import NOOP_ACTION, AddAllPolicy, IdealOpsPolicy, OraclePolicy

PREFIX_POLICIES = ("add-all", "ideal-ops", "oracle")
DATA_KEYS = ("dataset", "data_path", "split", "synth_kwargs", "include_adversarial")
"""Environment settings every engine's config may give: which conversations."""
MANAGER_KEYS = (
    "reward",
    "reward_metric",
    "answerer",
    "shaping",
    "terminal_reward",
    "top_k",
    "memories_per_speaker",
    "memory_token_budget",
    "capacity",
    "invalid_penalty",
    "retriever",
)
"""``MemoryManagerEnv`` settings an engine's config may give."""
_DATA: dict[str, list[Any]] = {}


def conversations_for(settings: Mapping[str, Any]) -> list[Any]:
    """The conversations the :data:`DATA_KEYS` of ``settings`` name (loaded once per process)."""
    data = {k: settings[k] for k in DATA_KEYS if settings.get(k) is not None}
    key = json.dumps(data, sort_keys=True, default=str)
    if key not in _DATA:
        from memenv.data.registry import load_conversations

        _DATA[key] = load_conversations(
            data.get("dataset", "synth"),
            data_path=data.get("data_path"),
            split=data.get("split", "train"),
            include_adversarial=bool(data.get("include_adversarial", False)),
            synth_kwargs=data.get("synth_kwargs"),
        )
    return _DATA[key]


ROW_FIELDS = ("conversation", "start_fact", "max_facts", "prefix_policy")


@dataclass(frozen=True)
class EpisodeSpec:
    """Which facts an episode plays and the bank state it starts from."""

    conversation: int
    """Index of the conversation in the environment's ``conversations``."""
    start_fact: int = 0
    """First fact of the window; the banks before it are built by ``prefix_policy``."""
    max_facts: int = 0
    """Facts in the window; 0 means up to the end of the conversation (a whole episode)."""
    prefix_policy: str = "add-all"
    """Deterministic manager that builds the start state: ``add-all``, ``ideal-ops`` or
    ``oracle``."""

    def __post_init__(self) -> None:
        for name in ("conversation", "start_fact", "max_facts"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"EpisodeSpec.{name} must be an int >= 0, got {value!r}")
        if self.prefix_policy not in PREFIX_POLICIES:
            raise ValueError(
                f"EpisodeSpec.prefix_policy must be one of {PREFIX_POLICIES}, "
                f"got {self.prefix_policy!r}"
            )

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> EpisodeSpec:
        """The spec stored in a dataset row (its ``conversation``, ``start_fact``, ... fields)."""
        if "conversation" not in row:
            raise ValueError(f"episode row has no 'conversation' field (fields: {sorted(row)})")
        values: dict[str, Any] = {}
        for name in ROW_FIELDS:
            if name in row and row[name] is not None:
                value = row[name]
                if name != "prefix_policy":
                    try:
                        value = int(value)  # parquet/numpy ints arrive as numpy scalars
                    except (TypeError, ValueError) as exc:
                        raise ValueError(
                            f"episode row field {name}={value!r} is not an int"
                        ) from exc
                values[name] = value
        return cls(**values)

    def to_row(self) -> dict[str, Any]:
        return asdict(self)


class SharedStates:
    """Start states of episodes, built once per (conversation, start fact, prefix policy).

    One instance is shared by every environment of a process (a TRL environment pool, a verl
    agent-loop worker, the SkyRL-gym environments), so every rollout of a spec restores the
    very same :class:`~memenv.envs.ManagerState`.
    """

    def __init__(self) -> None:
        self._states: dict[tuple[int, int, str], ManagerState] = {}

    def __len__(self) -> int:
        return len(self._states)

    def get(self, env: MemoryManagerEnv, spec: EpisodeSpec) -> ManagerState:
        key = (spec.conversation, spec.start_fact, spec.prefix_policy)
        if key not in self._states:
            self._states[key] = self._build(env, spec)
        return self._states[key]

    @staticmethod
    def _build(env: MemoryManagerEnv, spec: EpisodeSpec) -> ManagerState:
        if spec.conversation >= len(env.conversations):
            raise ValueError(
                f"episode names conversation {spec.conversation}, but the environment has "
                f"{len(env.conversations)} (0..{len(env.conversations) - 1})"
            )
        obs, info = env.reset(options={"conversation": spec.conversation})
        if spec.start_fact > len(env.facts):
            raise ValueError(
                f"episode starts at fact {spec.start_fact}, but conversation "
                f"{env.conversation.id} has {len(env.facts)} facts"
            )
        prefix = {"add-all": AddAllPolicy, "ideal-ops": IdealOpsPolicy, "oracle": OraclePolicy}
        maker = prefix[spec.prefix_policy]
        policy = maker() if maker is AddAllPolicy else maker(env)
        while env.fact_index < spec.start_fact:
            obs, _, _, _, info = env.step(policy.act(obs, info))
        return env.get_state()


def turn_messages(observation: Mapping[str, str], first: bool) -> list[dict[str, str]]:
    """A manager decision as chat messages: system rules and the case on the first turn, the
    next case alone (one user message) after that."""
    messages = manager_messages(
        observation.get("speaker", ""),
        observation.get("date", ""),
        observation.get("fact", ""),
        observation.get("memories", ""),
    )
    return messages if first else messages[1:]


@dataclass
class StepRecord:
    """One decision of an episode."""

    fact_index: int
    reward: float
    invalid: str
    ops: list[str]


class ManagerEpisode:
    """A Memory Manager episode over a window of facts, started from a shared state.

    ``start(spec)`` restores the spec's start state and returns the first observation;
    ``step(action)`` applies an action (a dict, or the raw Mem0-style JSON an LLM writes) to the
    current fact; ``finish()`` plays the rest of the window as NOOP and returns the episode
    return (the sum of the environment's rewards over the window).
    """

    def __init__(self, env: MemoryManagerEnv, states: SharedStates | None = None):
        self.env = env
        self.states = states if states is not None else SharedStates()
        self.spec: EpisodeSpec | None = None
        self.end_fact = 0
        self.total_reward = 0.0
        self.records: list[StepRecord] = []
        self.observation: dict[str, str] = {}

    # ------------------------------------------------------------------ episode
    def start(self, spec: EpisodeSpec) -> dict[str, str]:
        state = self.states.get(self.env, spec)
        self.observation, _ = self.env.set_state(state)
        total = len(self.env.facts)
        self.spec = spec
        self.end_fact = (
            total if spec.max_facts == 0 else min(total, spec.start_fact + spec.max_facts)
        )
        self.total_reward = 0.0
        self.records = []
        return dict(self.observation)

    @property
    def started(self) -> bool:
        return self.spec is not None

    @property
    def done(self) -> bool:
        return self.spec is None or self.env.fact_index >= self.end_fact

    @property
    def window_size(self) -> int:
        return 0 if self.spec is None else self.end_fact - self.spec.start_fact

    @property
    def position(self) -> int:
        """1-based position of the current fact in the window."""
        return 0 if self.spec is None else self.env.fact_index - self.spec.start_fact + 1

    def step(self, action: Any) -> tuple[dict[str, str], float, bool, dict[str, Any]]:
        if self.spec is None:
            raise RuntimeError("call start(spec) before step()")
        if self.done:
            raise RuntimeError("the episode's window is over: call start(spec)")
        index = self.env.fact_index
        obs, reward, terminated, _, info = self.env.step(action)
        self.total_reward += reward
        self.records.append(
            StepRecord(index, float(reward), info["invalid_action"], list(info["applied_ops"]))
        )
        self.observation = obs
        return obs, float(reward), terminated or self.done, info

    def finish(self) -> float:
        """Play the undecided facts of the window as NOOP; the episode return."""
        while self.spec is not None and not self.done:
            self.step(dict(NOOP_ACTION))
        return self.total_reward

    # ------------------------------------------------------------------ summaries
    def stats(self) -> dict[str, float]:
        """Counts for logging: decisions, invalid ones, and each operation applied."""
        ops = [op for r in self.records for op in r.ops]
        return {
            "episode_return": float(self.total_reward),
            "decisions": float(len(self.records)),
            "invalid": float(sum(1 for r in self.records if r.invalid)),
            "add": float(ops.count("ADD")),
            "update": float(ops.count("UPDATE")),
            "delete": float(ops.count("DELETE")),
            "noop": float(ops.count("NOOP")),
            "window": float(self.window_size),
        }


def episode_specs(
    env: MemoryManagerEnv,
    *,
    window: int = 0,
    stride: int = 0,
    prefix_policy: str = "add-all",
) -> list[EpisodeSpec]:
    """Episodes covering every conversation of ``env``: whole conversations (``window=0``), or
    windows of ``window`` facts starting every ``stride`` facts (default ``stride=window``)."""
    if window < 0 or stride < 0:
        raise ValueError(f"window and stride must be >= 0, got {window} and {stride}")
    specs = []
    for ci in range(len(env.conversations)):
        if window == 0:
            specs.append(EpisodeSpec(ci, 0, 0, prefix_policy))
            continue
        env.reset(options={"conversation": ci})
        for start in range(0, len(env.facts), stride or window):
            specs.append(EpisodeSpec(ci, start, window, prefix_policy))
    return specs


__all__ = [
    "MANAGER_SYSTEM",
    "PREFIX_POLICIES",
    "EpisodeSpec",
    "ManagerEpisode",
    "SharedStates",
    "StepRecord",
    "episode_specs",
    "turn_messages",
]
