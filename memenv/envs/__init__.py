"""The memenv environments."""

from memenv.envs.answer_agent import AnswerAgentEnv
from memenv.envs.memory_manager import MemoryManagerEnv

__all__ = ["AnswerAgentEnv", "MemoryManagerEnv"]
