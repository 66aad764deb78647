"""The memenv environments, and bank building through them."""

from memenv.envs.answer_agent import AnswerAgentEnv
from memenv.envs.banks import build_banks
from memenv.envs.memory_manager import ManagerState, MemoryManagerEnv

__all__ = ["AnswerAgentEnv", "ManagerState", "MemoryManagerEnv", "build_banks"]
