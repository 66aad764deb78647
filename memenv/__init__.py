"""memenv: reinforcement-learning environments for LLM memory management (Memory-R1).

Importing the package registers the environment ids with Gymnasium::

    import gymnasium as gym
    import memenv  # noqa: F401

    env = gym.make("MemoryManager-Synth-v0")
"""

from envs_registry import env_ids, register_memenv_envs

__version__ = "0.1.0"

register_memenv_envs()


def __getattr__(name: str) -> tuple[str, ...]:
    if name == "ENV_IDS":  # every registered memenv id, read from gym.registry on access
        return env_ids()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["ENV_IDS", "__version__", "env_ids", "register_memenv_envs"]
