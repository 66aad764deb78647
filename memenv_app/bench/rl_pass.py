"""The tier-1 RL trainer's training pass (``agents.rl``) with and without its two cheaper
options, on real episodes: part of ``memenv bench rl``.

One iteration of the Hard manager task is collected with the given policy at the settings of
the reference table's Hard line (potential shaping, invalid cost 0.1, GRPO step by step at
discount 0), then the same minibatches of 64 steps are run forward and backward from the same
weights four times: the plain pass, ``length_chunk`` (rows sorted by length, run in chunks),
``skip_zero_advantage`` (the steps whose advantage is exactly 0 left out), and both. Each
variant's gradients are compared with the plain pass's (the math is the same; only float
rounding may differ).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

VARIANTS = {
    "plain": {"length_chunk": 0, "skip_zero_advantage": False},
    "length_chunk_8": {"length_chunk": 8, "skip_zero_advantage": False},
    "skip_zero_advantage": {"length_chunk": 0, "skip_zero_advantage": True},
    "both": {"length_chunk": 8, "skip_zero_advantage": True},
}
"""The configurations timed, by name (``RLConfig`` fields)."""


def default_policy() -> Path | None:
    """The cached default tier-1 build, when it has been built."""
    from agents.tier1.build import build_key, default_path, is_built

    path = default_path()
    return path if is_built(path, build_key()) else None


def training_pass_figures(
    policy_folder: str | Path,
    *,
    quick: bool = False,
    progress: Callable[[str], None] = lambda _msg: None,
) -> dict[str, Any]:
    """Seconds of the training pass over one collected iteration, per variant of
    :data:`VARIANTS`, with the speed-up over the plain pass and the largest gradient
    difference to it."""
    import numpy as np
    import torch

    from agents.rl.algorithms import AlgoConfig, flatten, make_algorithm
    from agents.rl.collector import EnvPool, collect
    from agents.rl.policy import LMPolicy
    from agents.rl.tasks import get_task
    from agents.rl.trainer import RLConfig, minibatch_backward

    groups, group_size = (1, 2) if quick else (2, 4)
    policy = LMPolicy.load(policy_folder)
    algo_config = AlgoConfig(gamma=0.0, per_step=True)
    algo = make_algorithm("grpo", algo_config, policy.hidden_size, 0)
    pool = EnvPool(get_task("manager-hard"), "train", "potential", 0.1)
    rng = np.random.default_rng(0)
    keys = [int(k) for k in rng.choice(pool.keys, size=groups, replace=False)]
    progress(f"bench rl: tier-1 training pass: collecting {groups * group_size} Hard episodes")
    start = time.perf_counter()
    episodes = collect(policy, pool, keys, group_size, torch.Generator().manual_seed(0))
    collect_seconds = time.perf_counter() - start
    advantages, returns = algo.advantages(episodes)
    batch = flatten(episodes, advantages, returns)
    minibatch = 64
    order = torch.randperm(len(batch), generator=torch.Generator().manual_seed(0))
    minibatches = [batch.select(order[i : i + minibatch]) for i in range(0, len(batch), minibatch)]
    params = list(policy.model.parameters())
    policy.model.train()

    def run(options: dict[str, Any]) -> tuple[float, list[Any], float]:
        config = RLConfig(task="manager-hard", algo_config=algo_config, **options)
        grads = [torch.zeros_like(p) for p in params]
        shares, seconds = [], 0.0
        for mb in minibatches:
            policy.model.zero_grad(set_to_none=True)
            t0 = time.perf_counter()
            _loss, stats = minibatch_backward(policy, algo, mb, config)
            seconds += time.perf_counter() - t0
            shares.append(stats.get("trained_share", 1.0))
            for g, p in zip(grads, params, strict=True):
                if p.grad is not None:
                    g += p.grad
        return seconds, grads, float(np.mean(shares))

    figures: dict[str, Any] = {}
    reference: list[Any] = []
    for name, options in VARIANTS.items():
        progress(f"bench rl: tier-1 training pass: {name}")
        seconds, grads, share = run(options)
        if name == "plain":
            reference = grads
        scale = max(float(g.abs().max()) for g in reference)
        diff = max(float((g - r).abs().max()) for g, r in zip(grads, reference, strict=True))
        figures[name] = {
            "seconds": seconds,
            "trained_share": share,
            "max_grad_diff_relative": diff / scale if scale else 0.0,
        }
    plain = figures["plain"]["seconds"]
    for fig in figures.values():
        fig["speedup"] = plain / fig["seconds"]
    lengths = [len(p) + len(c) for p, c in zip(batch.prompt_ids, batch.completion_ids, strict=True)]
    return {
        "policy": str(policy_folder),
        "episodes": len(episodes),
        "steps": len(batch),
        "minibatch": minibatch,
        "tokens_mean": float(np.mean(lengths)),
        "tokens_max": int(max(lengths)),
        "zero_advantage_share": float(np.mean([float(a) == 0.0 for a in batch.advantages])),
        "collect_seconds": collect_seconds,
        "variants": figures,
    }


def format_training_pass(figures: dict[str, Any]) -> list[str]:
    """The figures of :func:`training_pass_figures` as report lines."""
    from memenv_app.bench.report import _table

    head = (
        f"tier-1 RL training pass (agents.rl; GRPO step by step at discount 0, one iteration of "
        f"{figures['episodes']} Hard episodes: {figures['steps']} steps of "
        f"{figures['tokens_mean']:.0f} tokens on average, at most {figures['tokens_max']}; "
        f"{100 * figures['zero_advantage_share']:.0f}% with advantage 0; minibatches of "
        f"{figures['minibatch']})"
    )
    rows = [
        [
            name,
            v["seconds"],
            f"{v['speedup']:.2f}x",
            f"{100 * v['trained_share']:.0f}%",
            f"{v['max_grad_diff_relative']:.1e}",
        ]
        for name, v in figures["variants"].items()
    ]
    return [head] + _table(
        ["training pass", "s", "vs plain", "rows run", "max grad diff / max grad"], rows
    )


__all__ = ["VARIANTS", "default_policy", "format_training_pass", "training_pass_figures"]
