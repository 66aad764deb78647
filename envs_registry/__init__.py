"""Registration of every memenv environment id with Gymnasium.

One ``register(...)`` per configuration, in the MiniGrid style. ``import memenv`` calls
:func:`register_memenv_envs`, and Gymnasium calls it through ``gym.make("memenv:<id>")``. This
module imports only Gymnasium (entry points are strings), so it sits below ``memenv``.
:func:`env_ids` (and ``ENV_IDS``) list the registered ids from ``gym.registry`` itself.
"""

from __future__ import annotations

from gymnasium.envs.registration import register, registry

MANAGER_ENTRY = "memenv.envs.memory_manager:MemoryManagerEnv"
ANSWER_ENTRY = "memenv.envs.answer_agent:AnswerAgentEnv"
MANAGER_FEATURES_ENTRY = "memenv.wrappers:make_featurized_manager"
ANSWER_FEATURES_ENTRY = "memenv.wrappers:make_featurized_answer"
ENTRY_PREFIXES = ("memenv.", "memenv:")
"""Entry points that make an id a memenv one."""


def register_memenv_envs() -> None:
    """Register all ids; calling it again is harmless."""
    if "MemoryManager-Synth-v0" in registry:
        return
    # Memory Manager: one episode = one conversation, one step = one fact.
    register(id="MemoryManager-LoCoMo-v0", entry_point=MANAGER_ENTRY, kwargs={"dataset": "locomo"})
    register(id="MemoryManager-Synth-v0", entry_point=MANAGER_ENTRY, kwargs={"dataset": "synth"})
    register(
        id="MemoryManager-LongMemEval-v0",
        entry_point=MANAGER_ENTRY,
        kwargs={"dataset": "longmemeval", "split": "all"},
    )
    register(
        id="MemoryManager-MSC-v0",
        entry_point=MANAGER_ENTRY,
        kwargs={"dataset": "msc", "split": "all"},
    )
    # Answer Agent: one episode = one question.
    register(id="AnswerAgent-LoCoMo-v0", entry_point=ANSWER_ENTRY, kwargs={"dataset": "locomo"})
    register(id="AnswerAgent-Synth-v0", entry_point=ANSWER_ENTRY, kwargs={"dataset": "synth"})
    register(
        id="AnswerAgent-LongMemEval-v0",
        entry_point=ANSWER_ENTRY,
        kwargs={"dataset": "longmemeval", "split": "all"},
    )
    register(
        id="AnswerAgent-MSC-v0", entry_point=ANSWER_ENTRY, kwargs={"dataset": "msc", "split": "all"}
    )
    # Classic-RL views (memenv.wrappers): Box features, Discrete actions, for SB3 and friends.
    register(
        id="MemoryManagerFeatures-Synth-v0",
        entry_point=MANAGER_FEATURES_ENTRY,
        kwargs={"dataset": "synth"},
    )
    register(
        id="MemoryManagerFeatures-LoCoMo-v0",
        entry_point=MANAGER_FEATURES_ENTRY,
        kwargs={"dataset": "locomo"},
    )
    register(
        id="AnswerAgentFeatures-Synth-v0",
        entry_point=ANSWER_FEATURES_ENTRY,
        kwargs={"dataset": "synth"},
    )
    register(
        id="AnswerAgentFeatures-LoCoMo-v0",
        entry_point=ANSWER_FEATURES_ENTRY,
        kwargs={"dataset": "locomo"},
    )


def env_ids() -> tuple[str, ...]:
    """Every registered memenv id, read from ``gym.registry`` (so a new ``register`` call above
    is picked up everywhere, tests included, with no other edit)."""
    return tuple(
        env_id
        for env_id, spec in registry.items()
        if isinstance(spec.entry_point, str) and spec.entry_point.startswith(ENTRY_PREFIXES)
    )


def __getattr__(name: str) -> tuple[str, ...]:
    if name == "ENV_IDS":  # computed on access, after every registration
        return env_ids()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
