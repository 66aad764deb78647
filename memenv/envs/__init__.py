"""The memenv environments."""

from memenv.envs.answer_agent import AnswerAgentEnv
from memenv.envs.memory_manager import ManagerState, MemoryManagerEnv

__all__ = ["AnswerAgentEnv", "ManagerState", "MemoryManagerEnv"]
