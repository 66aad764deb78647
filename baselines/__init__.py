"""Memory-system baselines (Mem0, A-Mem, Zep, MemoryOS, RAG, add-all, oracle) and answerers."""

from baselines.base import MANAGERS, MemorySystem, make_memory_system, register_manager

__all__ = ["MANAGERS", "MemorySystem", "make_memory_system", "register_manager"]
