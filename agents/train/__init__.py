"""Training of the Memory Manager and the Answer Agent from the environments' rewards.

``memenv train --config FILE.yaml`` (or :func:`agents.train.runner.train`) runs one of three
algorithms over rows built by :mod:`agents.train.tasks`: ``grpo`` (TRL's GRPOTrainer), ``ppo``
(a compact actor-critic PPO on accelerate) and ``sft`` (behaviour cloning of teacher outputs).
"""
