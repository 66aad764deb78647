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
GRADED_MANAGER_ENTRY = "memenv.levels:make_graded_manager"
GRADED_ANSWER_ENTRY = "memenv.levels:make_graded_answer"
LOCOMO_CAPACITY_ENTRY = "memenv.levels:make_locomo_capacity"
LEVELS = ("Easy", "Medium", "Hard")
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
    # Graded task variants (memenv.levels): where managing memory pays.
    for level in LEVELS:
        register(
            id=f"MemoryManager-Synth-{level}-v0",
            entry_point=GRADED_MANAGER_ENTRY,
            kwargs={"level": level.lower()},
        )
        register(
            id=f"AnswerAgent-Synth-{level}-v0",
            entry_point=GRADED_ANSWER_ENTRY,
            kwargs={"level": level.lower()},
        )
    for level in ("Medium", "Hard"):
        register(
            id=f"MemoryManagerFeatures-Synth-{level}-v0",
            entry_point=MANAGER_FEATURES_ENTRY,
            kwargs={"level": level.lower(), "shaping": "potential"},
        )
    register(id="MemoryManager-LoCoMo-Capacity-v0", entry_point=LOCOMO_CAPACITY_ENTRY)


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
