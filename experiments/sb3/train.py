"""Train a stable-baselines3 agent on a featurized memenv environment and evaluate it.

One readable file (CleanRL spirit). Trains on ``split="train"``, evaluates the deterministic
policy on ``--eval-split`` (default ``val``; synth: a different generator seed; LoCoMo: conv-26
-> conv-30; the graded ids are reported on ``test``) and
prints and saves a JSON summary::

    python -m experiments.sb3.train --algo maskable_ppo --env MemoryManagerFeatures-Synth-v0 \\
        --timesteps 20000 --seed 0 --out experiments/results/sb3
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch

import memenv  # noqa: F401  (registers the ids)
from memenv.envs.answer_agent import AnswerAgentEnv
from memenv.envs.memory_manager import MemoryManagerEnv

ALGOS = ("ppo", "a2c", "dqn", "maskable_ppo")
NET = [64, 64]

# Small, fixed hyperparameters: the point is a reproducible reference, not a tuned agent.
HYPERPARAMS: dict[str, dict[str, Any]] = {
    "ppo": {"n_steps": 256, "batch_size": 64, "n_epochs": 4, "learning_rate": 3e-4, "gamma": 0.95},
    "maskable_ppo": {
        "n_steps": 256,
        "batch_size": 64,
        "n_epochs": 4,
        "learning_rate": 3e-4,
        "gamma": 0.95,
    },
    "a2c": {"n_steps": 32, "learning_rate": 7e-4, "gamma": 0.95},
    "dqn": {
        "learning_rate": 1e-3,
        "buffer_size": 20_000,
        "learning_starts": 128,
        "batch_size": 64,
        "train_freq": 4,
        "target_update_interval": 500,
        "exploration_fraction": 0.3,
        "exploration_final_eps": 0.05,
        "gamma": 0.95,
    },
}


def env_kwargs_for(env_id: str, data_path: str | None = None) -> dict[str, Any]:
    """Constructor kwargs: ``data_path`` for LoCoMo ids (without it the env uses the cached
    official download, see ``MEMENV_DATA_DIR``)."""
    if "LoCoMo" in env_id and data_path:
        return {"data_path": data_path}
    return {}


def make_env(env_id: str, split: str, env_kwargs: dict[str, Any] | None = None) -> gym.Env:
    """``gym.make(env_id, split=split, **env_kwargs)``."""
    return gym.make(env_id, split=split, **(env_kwargs or {}))


def build_model(algo: str, env: gym.Env, seed: int, verbose: int = 0) -> Any:
    """A fresh SB3 model with ``MultiInputPolicy`` and a small ``[64, 64]`` net."""
    if algo not in ALGOS:
        raise ValueError(f"algo must be one of {ALGOS}, got {algo!r}")
    kwargs = dict(HYPERPARAMS[algo], seed=seed, verbose=verbose, device="cpu")
    if algo == "dqn":
        from stable_baselines3 import DQN

        return DQN("MultiInputPolicy", env, policy_kwargs={"net_arch": NET}, **kwargs)
    policy_kwargs = {"net_arch": {"pi": NET, "vf": NET}}
    if algo == "maskable_ppo":
        from sb3_contrib import MaskablePPO

        return MaskablePPO("MultiInputPolicy", env, policy_kwargs=policy_kwargs, **kwargs)
    from stable_baselines3 import A2C, PPO

    cls = PPO if algo == "ppo" else A2C
    return cls("MultiInputPolicy", env, policy_kwargs=policy_kwargs, **kwargs)


def episode_options(env: gym.Env, episode: int) -> dict[str, Any]:
    """Reset options that walk the evaluation split in order (conversations or questions)."""
    base = env.unwrapped
    if isinstance(base, MemoryManagerEnv):
        return {"conversation": episode % len(base.conversations)}
    if isinstance(base, AnswerAgentEnv):
        return {"question": episode % base.num_questions}
    return {}


def default_eval_episodes(env: gym.Env) -> int:
    """One episode per validation conversation (manager) or up to 300 questions (answer)."""
    base = env.unwrapped
    if isinstance(base, MemoryManagerEnv):
        return len(base.conversations)
    if isinstance(base, AnswerAgentEnv):
        return min(base.num_questions, 300)
    return 10


def evaluate(
    act: Callable[[dict[str, np.ndarray], np.ndarray], int],
    env: gym.Env,
    episodes: int,
    seed: int = 0,
) -> list[float]:
    """Episode scores of ``act(observation, action_mask)`` over ``episodes`` episodes: the
    environment's ``outcome_score`` (graded ids), else the return."""
    masks = env.get_wrapper_attr("action_masks")
    returns = []
    for episode in range(episodes):
        obs, _ = env.reset(seed=seed + episode, options=episode_options(env, episode))
        total, done, info = 0.0, False, {}
        while not done:
            obs, reward, terminated, truncated, info = env.step(act(obs, masks()))
            total += float(reward)
            done = terminated or truncated
        returns.append(float(info.get("outcome_score", total)))
    return returns


def model_actor(model: Any, masked: bool) -> Callable[[dict[str, np.ndarray], np.ndarray], int]:
    """A deterministic ``act(obs, mask)`` from a trained model."""

    def act(obs: dict[str, np.ndarray], mask: np.ndarray) -> int:
        if masked:
            action, _ = model.predict(obs, deterministic=True, action_masks=mask)
        else:
            action, _ = model.predict(obs, deterministic=True)
        return int(action)

    return act


def train_and_evaluate(
    algo: str,
    env_id: str,
    timesteps: int,
    seed: int = 0,
    eval_episodes: int | None = None,
    out: str | Path | None = None,
    env_kwargs: dict[str, Any] | None = None,
    verbose: int = 0,
    eval_split: str = "val",
    warm_start: bool = False,
) -> dict[str, Any]:
    """Train ``algo`` on ``env_id`` (train split) for ``timesteps``; evaluate on ``eval_split``.

    ``warm_start`` (MaskablePPO on a featurized manager id): behaviour-clone the mem0 rules
    into the policy and value heads first (:mod:`experiments.sb3.warm_start`); ``timesteps=0``
    then scores the cloned policy alone."""
    from stable_baselines3.common.monitor import Monitor

    if warm_start and algo != "maskable_ppo":
        raise ValueError(f"warm_start is implemented for maskable_ppo, not {algo!r}")
    torch.set_num_threads(1)
    env_kwargs = dict(env_kwargs or {})
    train_env = Monitor(make_env(env_id, "train", env_kwargs))
    model = build_model(algo, train_env, seed, verbose)
    start = time.perf_counter()
    warm: dict[str, Any] = {}
    if warm_start:
        from experiments.sb3.warm_start import behaviour_clone

        warm = behaviour_clone(model, train_env, seed)
        warm["bc_seconds"] = round(time.perf_counter() - start, 2)
    if timesteps > 0:
        model.learn(total_timesteps=timesteps)
    train_seconds = time.perf_counter() - start

    eval_env = make_env(env_id, eval_split, env_kwargs)
    episodes = eval_episodes or default_eval_episodes(eval_env)
    start = time.perf_counter()
    returns = evaluate(model_actor(model, algo == "maskable_ppo"), eval_env, episodes, seed=seed)
    result = {
        "algo": algo,
        "env_id": env_id,
        "seed": seed,
        "timesteps": timesteps,
        "eval_split": eval_split,
        "eval_episodes": episodes,
        "eval_mean": float(np.mean(returns)),
        "eval_std": float(np.std(returns)),
        "eval_returns": returns,
        "train_seconds": round(train_seconds, 2),
        "eval_seconds": round(time.perf_counter() - start, 2),
        "hyperparams": HYPERPARAMS[algo],
        "net_arch": NET,
        **warm,
    }
    train_env.close()
    eval_env.close()
    if out is not None:
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        name = f"{env_id}_{algo}_seed{seed}"
        (out / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
        model.save(out / f"{name}.zip")
    return result


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--algo", choices=ALGOS, required=True)
    parser.add_argument("--env", default="MemoryManagerFeatures-Synth-v0")
    parser.add_argument("--timesteps", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--eval-episodes", type=int, default=None)
    parser.add_argument("--eval-split", default="val", help="split of the evaluation episodes")
    parser.add_argument("--out", default=None, help="directory for the JSON summary and model")
    parser.add_argument("--data-path", default=None, help="dataset file (LoCoMo ids)")
    parser.add_argument("--verbose", type=int, default=0)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    result = train_and_evaluate(
        args.algo,
        args.env,
        args.timesteps,
        seed=args.seed,
        eval_episodes=args.eval_episodes,
        out=args.out,
        env_kwargs=env_kwargs_for(args.env, args.data_path),
        verbose=args.verbose,
        eval_split=args.eval_split,
    )
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
