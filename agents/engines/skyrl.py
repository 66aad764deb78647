"""SkyRL-gym text environments (``BaseTextEnv``) over the memenv environments.

``memenv_manager`` plays a Memory Manager episode (a whole conversation or a window of it, see
:mod:`agents.engines.episodes`) as a multi-turn chat: each user turn is one fact with the
related memories of its speaker, each assistant turn the raw Mem0-style JSON of operations,
stepped by :class:`~memenv.envs.MemoryManagerEnv`. Per-turn rewards are the environment's; the
turn that closes the window carries its terminal score, and when SkyRL's ``max_turns`` cuts the
episode short the undecided facts are played as NOOP in that last step, so the rewards of a
trajectory always sum to the episode return. ``memenv_answer`` is the single-turn Answer Agent.

SkyRL makes one environment per trajectory with ``env_config`` (the ``skyrl_gym_cfg`` section
of the environment: memenv keyword arguments such as ``dataset``, ``split``, ``reward``) and
``extras`` (the dataset row without its prompt). The episode is read from
``extras["extra_info"]`` (``conversation``, ``start_fact``, ``max_facts``, ``prefix_policy``).
Conversations and shared start states are cached per process and per ``env_config``, so all
trajectories of one prompt start from the same bank state.

Register with :func:`register_skyrl_envs` (idempotent); rows come from :func:`manager_rows` and
:func:`answer_rows`. Only this module imports ``skyrl_gym``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from skyrl_gym.envs.base_text_env import BaseTextEnv, BaseTextEnvStepOutput

from agents.engines.episodes import (
    DATA_KEYS,
    MANAGER_KEYS,
    EpisodeSpec,
    ManagerEpisode,
    SharedStates,
    conversations_for,
    turn_messages,
)
from agents.prompts import answer_messages_from_observation
from memenv.data.records import Conversation
from memenv.envs import AnswerAgentEnv, MemoryManagerEnv

MANAGER_ENV = "memenv_manager"
ANSWER_ENV = "memenv_answer"
ANSWER_KEYS = ("memories_per_speaker", "reward", "retriever")

_STATES: dict[str, SharedStates] = {}
_BANKS: dict[str, dict[str, Any]] = {}


def _plain(config: Any) -> dict[str, Any]:
    """``env_config`` (a dict or an OmegaConf node) as a plain dict."""
    if config is None:
        return {}
    if not isinstance(config, Mapping):
        try:
            from omegaconf import OmegaConf

            config = OmegaConf.to_container(config, resolve=True)
        except Exception as exc:
            raise ValueError(f"env_config must be a mapping, got {type(config).__name__}") from exc
    return {str(k): v for k, v in dict(config).items()}


def _conversations(config: Mapping[str, Any]) -> tuple[str, list[Conversation]]:
    data = {k: config[k] for k in DATA_KEYS if config.get(k) is not None}
    return json.dumps(data, sort_keys=True, default=str), conversations_for(config)


def _episode_fields(extras: Mapping[str, Any]) -> dict[str, Any]:
    info = extras.get("extra_info")
    source = info if isinstance(info, Mapping) and "conversation" in info else extras
    return {
        k: source[k]
        for k in ("conversation", "start_fact", "max_facts", "prefix_policy")
        if k in source
    }


class MemoryManagerTextEnv(BaseTextEnv):
    """A Memory Manager episode as a SkyRL-gym multi-turn text environment (see the module
    docstring); registered as ``memenv_manager``."""

    def __init__(self, env_config: Any = None, extras: Mapping[str, Any] | None = None):
        super().__init__()
        config = _plain(env_config)
        unknown = sorted(set(config) - set(DATA_KEYS) - set(MANAGER_KEYS))
        if unknown:
            raise ValueError(f"memenv_manager env_config: unknown keys {unknown}")
        extras = dict(extras or {})
        key, conversations = _conversations(config)
        kwargs = {k: config[k] for k in MANAGER_KEYS if k in config}
        kwargs.setdefault("terminal_reward", True)
        states = _STATES.setdefault(key + json.dumps(kwargs, sort_keys=True), SharedStates())
        self.episode_spec = EpisodeSpec.from_row(_episode_fields(extras))
        self.episode = ManagerEpisode(
            MemoryManagerEnv(conversations=conversations, **kwargs), states
        )
        self.max_turns = int(extras.get("max_turns") or 0)

    def init(self, prompt: Sequence[Mapping[str, str]] = ()) -> tuple[list[dict[str, str]], dict]:
        obs = self.episode.start(self.episode_spec)
        self.turns = 0
        if self.max_turns <= 0:
            self.max_turns = self.episode.window_size
        info = {
            "conversation_id": self.episode.env.conversation.id,
            "facts": self.episode.window_size,
        }
        return turn_messages(obs, first=True), info

    def step(self, action: str) -> BaseTextEnvStepOutput:
        self.turns += 1
        before = self.episode.total_reward
        if self.episode.done:
            return BaseTextEnvStepOutput(observations=[], reward=0.0, done=True, metadata={})
        obs, _, done, info = self.episode.step(action)
        if not done and self.turns >= self.max_turns:
            self.episode.finish()
            done = True
        metadata = {
            "invalid_action": info["invalid_action"],
            "applied_ops": list(info["applied_ops"]),
            "fact_index": info["fact_index"],
        }
        observations = [] if done else turn_messages(obs, first=False)
        reward = self.episode.total_reward - before
        return BaseTextEnvStepOutput(
            observations=observations, reward=float(reward), done=done, metadata=metadata
        )

    def get_metrics(self) -> dict[str, Any]:
        return self.episode.stats()


class AnswerAgentTextEnv(BaseTextEnv):
    """An Answer Agent question as a single-turn SkyRL-gym text environment, registered as
    ``memenv_answer``; ``extras["extra_info"]["question"]`` picks the question (index or id)."""

    def __init__(self, env_config: Any = None, extras: Mapping[str, Any] | None = None):
        super().__init__()
        config = _plain(env_config)
        unknown = sorted(set(config) - set(DATA_KEYS) - set(ANSWER_KEYS) - {"distill"})
        if unknown:
            raise ValueError(f"memenv_answer env_config: unknown keys {unknown}")
        extras = dict(extras or {})
        key, conversations = _conversations(config)
        kwargs = {k: config[k] for k in ANSWER_KEYS if k in config}
        banks = _BANKS.setdefault(key + json.dumps(kwargs, sort_keys=True), {})
        self.env = AnswerAgentEnv(conversations=conversations, banks=banks, **kwargs)
        for conversation in conversations:  # built once per process, then shared
            banks.setdefault(conversation.id, self.env.banks_for(conversation))
        info = extras.get("extra_info")
        source = info if isinstance(info, Mapping) and "question" in info else extras
        if "question" not in source:
            raise ValueError("memenv_answer needs extras['extra_info']['question']")
        self.question = source["question"]
        self.distill = bool(config.get("distill", True))

    def init(self, prompt: Sequence[Mapping[str, str]] = ()) -> tuple[list[dict[str, str]], dict]:
        choice = self.question if isinstance(self.question, str) else int(self.question)
        obs, info = self.env.reset(options={"question": choice})
        return answer_messages_from_observation(obs, distill=self.distill), {"qa_id": info["qa_id"]}

    def step(self, action: str) -> BaseTextEnvStepOutput:
        self.turns += 1
        _, reward, _, _, info = self.env.step(action)
        metadata = {"scores": info["scores"], "answer": info["answer"], "gold": info["gold"]}
        return BaseTextEnvStepOutput(
            observations=[], reward=float(reward), done=True, metadata=metadata
        )


def register_skyrl_envs() -> None:
    """Register ``memenv_manager`` and ``memenv_answer`` with skyrl_gym (once)."""
    import skyrl_gym

    for env_id, cls in ((MANAGER_ENV, MemoryManagerTextEnv), (ANSWER_ENV, AnswerAgentTextEnv)):
        if env_id not in skyrl_gym.registry:
            skyrl_gym.register(id=env_id, entry_point=f"{__name__}:{cls.__name__}")


def manager_rows(env_config: Mapping[str, Any], specs: Sequence[EpisodeSpec]) -> list[dict]:
    """SkyRL dataset rows for ``memenv_manager``: the first turn as prompt, the spec in
    ``extra_info``."""
    rows = []
    for spec in specs:
        env = MemoryManagerTextEnv(env_config, {"extra_info": spec.to_row()})
        prompt, info = env.init()
        rows.append(
            {
                "data_source": "memenv",
                "prompt": prompt,
                "env_class": MANAGER_ENV,
                "reward_spec": {"method": "env", "ground_truth": None},
                "extra_info": {**spec.to_row(), "conversation_id": info["conversation_id"]},
            }
        )
    return rows


def answer_rows(env_config: Mapping[str, Any]) -> list[dict]:
    """SkyRL dataset rows for ``memenv_answer``: one per question."""
    probe = AnswerAgentTextEnv(env_config, {"extra_info": {"question": 0}})
    rows = []
    for index, (_, qa) in enumerate(probe.env.questions):
        probe.question = index
        prompt, _ = probe.init()
        rows.append(
            {
                "data_source": "memenv",
                "prompt": prompt,
                "env_class": ANSWER_ENV,
                "reward_spec": {"method": "env", "ground_truth": qa.answer},
                "extra_info": {"question": index, "qa_id": qa.id},
            }
        )
    return rows
