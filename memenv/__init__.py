"""memenv: reinforcement-learning environments for LLM memory management (Memory-R1).

Importing the package registers the environment ids with Gymnasium::

    import gymnasium as gym
    import memenv  # noqa: F401

    env = gym.make("MemoryManager-Synth-v0")
"""

from envs_registry import ENV_IDS, register_memenv_envs

__version__ = "0.1.0"

register_memenv_envs()

__all__ = ["ENV_IDS", "__version__", "register_memenv_envs"]
