"""Adapters that plug the memenv environments into external RL engines.

- :mod:`agents.engines.episodes`: what every adapter shares (no engine needed): whole or
  windowed MemoryManager episodes started from one shared bank state, their text turns and
  rewards, and AnswerAgent episodes.
- :mod:`agents.engines.trl_env`: TRL ``GRPOTrainer`` environments (``environment_factory``):
  ADD / UPDATE / DELETE / NOOP as tools; :mod:`agents.engines.trl_train` runs them from a preset.
- :mod:`agents.engines.verl`: a verl agent loop, reward hook, parquet dataset builder and Hydra
  configs (verl lives in its own virtual environment: ``make test-verl``).
- :mod:`agents.engines.skyrl`: SkyRL-gym text environments (``BaseTextEnv``).

Each engine is imported only inside its own adapter module, so ``import agents`` and
``import agents.engines`` need none of them.
"""
