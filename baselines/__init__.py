"""Memory-system baselines: Mem0, A-Mem, Zep, MemoryOS, RAG over turns, and the LLM-driven
systems llm / mem0-llm / a-mem-llm, plus the ``llm`` answerer.

Importing the package registers every system in :data:`memenv.systems.MANAGERS` (and the
``llm`` answerer in :data:`memenv.answerers.ANSWERERS`); memenv imports it as a plugin (the
``memenv.plugins`` entry point) the first time it is asked for a name it does not know.
"""

from baselines import a_mem, llm, mem0, memoryos, rag_turns, zep  # noqa: F401  (registration)
from memenv.systems import MANAGERS, MemorySystem, make_memory_system, register_manager

__all__ = ["MANAGERS", "MemorySystem", "make_memory_system", "register_manager"]
