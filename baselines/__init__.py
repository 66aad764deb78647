"""Memory-system baselines (Mem0, A-Mem, Zep, MemoryOS, RAG, add-all, oracle, the LLM
systems llm / mem0-llm / a-mem-llm) and answerers.

Importing the package registers every memory system in :data:`MANAGERS`.
"""

from baselines import a_mem, llm, mem0, memoryos, rag_turns, zep  # noqa: F401  (registration)
from baselines.base import MANAGERS, MemorySystem, make_memory_system, register_manager

__all__ = ["MANAGERS", "MemorySystem", "make_memory_system", "register_manager"]
