"""Registration of every memenv environment id with Gymnasium.

One ``register(...)`` per configuration, in the MiniGrid style. ``import memenv`` calls
:func:`register_memenv_envs`, and Gymnasium calls it through ``gym.make("memenv:<id>")``.
"""

from __future__ import annotations

from gymnasium.envs.registration import register, registry

MANAGER_ENTRY = "memenv.envs.memory_manager:MemoryManagerEnv"
ANSWER_ENTRY = "memenv.envs.answer_agent:AnswerAgentEnv"
MANAGER_FEATURES_ENTRY = "memenv.wrappers:make_featurized_manager"
ANSWER_FEATURES_ENTRY = "memenv.wrappers:make_featurized_answer"


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


ENV_IDS = (
    "MemoryManager-LoCoMo-v0",
    "MemoryManager-Synth-v0",
    "MemoryManager-LongMemEval-v0",
    "MemoryManager-MSC-v0",
    "AnswerAgent-LoCoMo-v0",
    "AnswerAgent-Synth-v0",
    "AnswerAgent-LongMemEval-v0",
    "AnswerAgent-MSC-v0",
    "MemoryManagerFeatures-Synth-v0",
    "MemoryManagerFeatures-LoCoMo-v0",
    "AnswerAgentFeatures-Synth-v0",
    "AnswerAgentFeatures-LoCoMo-v0",
)
