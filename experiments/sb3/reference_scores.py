"""Reference scores of the SB3 learners next to scripted managers, on the featurized envs.

For each featurized Memory Manager id: PPO, A2C, DQN and MaskablePPO (3 seeds each, trained on
the train split), a random valid action (3 seeds), add-all, the heuristic ``mem0`` baseline (when
``baselines.MANAGERS`` has it) and the oracle (synth only), all scored as the mean episode return
(``reward="recall"``) on the validation split. Writes ``sb3_reference.json`` and ``.md``::

    python -m experiments.sb3.reference_scores --out experiments/results
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from experiments.sb3.train import (
    ALGOS,
    default_eval_episodes,
    env_kwargs_for,
    episode_options,
    evaluate,
    make_env,
    train_and_evaluate,
)

ENVS = ("MemoryManagerFeatures-Synth-v0", "MemoryManagerFeatures-LoCoMo-v0")
SEEDS = (0, 1, 2)
TIMESTEPS = 10_000
COMMAND = "python -m experiments.sb3.reference_scores"


def base_policy_returns(
    make_policy: Callable[[Any], Any], env_id: str, env_kwargs: dict[str, Any]
) -> list[float]:
    """Returns of a text-level policy (``act(obs, info)``) driven through the base env."""
    env = make_env(env_id, "val", env_kwargs)
    base = env.unwrapped
    returns = []
    for episode in range(default_eval_episodes(env)):
        obs, info = base.reset(seed=episode, options=episode_options(env, episode))
        policy = make_policy(base)  # fresh per conversation: policies may keep state
        total, done = 0.0, False
        while not done:
            obs, reward, done, _, info = base.step(policy.act(obs, info))
            total += float(reward)
        returns.append(total)
    return returns


def random_returns(env_id: str, env_kwargs: dict[str, Any], seed: int) -> list[float]:
    """Returns of a uniformly random valid flat action."""
    rng = np.random.default_rng(seed)
    env = make_env(env_id, "val", env_kwargs)
    return evaluate(
        lambda obs, mask: int(rng.choice(np.flatnonzero(mask))),
        env,
        default_eval_episodes(env),
        seed=seed,
    )


def summarise(per_seed: list[float]) -> dict[str, Any]:
    """Mean and std (over seeds) of per-seed mean returns."""
    return {
        "mean": float(np.mean(per_seed)),
        "std": float(np.std(per_seed)),
        "per_seed": [float(x) for x in per_seed],
    }


def scripted_rows(env_id: str, env_kwargs: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """random, add-all, update-top, mem0 (if available) and oracle (synth only)."""
    try:  # registers "mem0" in MANAGERS (written alongside this track)
        importlib.import_module("baselines.mem0")
    except ImportError:
        pass
    from baselines import MANAGERS, make_memory_system

    rows: dict[str, dict[str, Any]] = {}
    rows["random"] = summarise(
        [float(np.mean(random_returns(env_id, env_kwargs, s))) for s in SEEDS]
    )
    env = make_env(env_id, "val", env_kwargs)
    add_all = evaluate(lambda obs, mask: 0, env, default_eval_episodes(env))
    rows["add-all"] = summarise([float(np.mean(add_all))])
    # A probe of the recall reward: UPDATE the best-matching memory whenever one is shown.
    update_slot0 = env.get_wrapper_attr("flat_action")("UPDATE", 0)
    update_top = evaluate(
        lambda obs, mask: update_slot0 if mask[update_slot0] else 0,
        env,
        default_eval_episodes(env),
    )
    rows["update-top"] = summarise([float(np.mean(update_top))])
    rows["update-top"]["note"] = "UPDATE slot 0 (merge) when possible, else ADD"
    for name in ("mem0", "oracle"):
        if name == "oracle" and "Synth" not in env_id:
            continue
        if name not in MANAGERS:
            rows[name] = {"mean": None, "std": None, "note": "not registered in baselines"}
            continue
        system = make_memory_system(name)
        kwargs = dict(env_kwargs)
        if system.fact_source != "auto":
            kwargs["fact_source"] = system.fact_source
        returns = base_policy_returns(system.make_policy, env_id, kwargs)
        rows[name] = summarise([float(np.mean(returns))])
        rows[name]["note"] = f"driven through the base env (fact_source={system.fact_source})"
    return rows


def markdown(results: dict[str, Any]) -> str:
    """The reference table as Markdown."""
    envs = list(results["envs"])
    names: list[str] = []
    for env_id in envs:
        for name in results["envs"][env_id]["rows"]:
            if name not in names:
                names.append(name)
    lines = [
        "# SB3 reference scores (featurized Memory Manager, recall reward)",
        "",
        f"Mean episode return on the validation split; learners: mean ± std over seeds "
        f"{list(SEEDS)}, {results['timesteps']} training steps each on the train split. "
        "Scripted rows: random (3 seeds), deterministic ones a single run.",
        "",
        "| method | " + " | ".join(envs) + " |",
        "| --- | " + " | ".join("---" for _ in envs) + " |",
    ]
    for name in names:
        cells = []
        for env_id in envs:
            row = results["envs"][env_id]["rows"].get(name)
            if row is None or row.get("mean") is None:
                cells.append("n/a")
            elif len(row["per_seed"]) > 1:
                cells.append(f"{row['mean']:.2f} ± {row['std']:.2f}")
            else:
                cells.append(f"{row['mean']:.2f}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    seconds = f"{results['seconds']:.0f} s wall-clock on CPU"
    lines += ["", f"Command: `{results['command']}` ({seconds})", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="experiments/results")
    parser.add_argument("--timesteps", type=int, default=TIMESTEPS)
    parser.add_argument("--envs", nargs="+", default=list(ENVS))
    parser.add_argument(
        "--data-path",
        default=None,
        help="LoCoMo file for the LoCoMo ids (default: cached download)",
    )
    parser.add_argument("--algos", nargs="+", default=list(ALGOS), choices=ALGOS)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    start = time.perf_counter()
    results: dict[str, Any] = {
        "command": " ".join([COMMAND, *(sys.argv[1:] if argv is None else argv)]),
        "timesteps": args.timesteps,
        "seeds": list(SEEDS),
        "reward": "recall",
        "envs": {},
    }
    for env_id in args.envs:
        env_kwargs = env_kwargs_for(env_id, args.data_path)
        rows: dict[str, dict[str, Any]] = {}
        runs: dict[str, list[dict[str, Any]]] = {}
        for algo in args.algos:
            runs[algo] = []
            for seed in SEEDS:
                run = train_and_evaluate(
                    algo, env_id, args.timesteps, seed=seed, env_kwargs=env_kwargs
                )
                runs[algo].append({k: v for k, v in run.items() if k != "hyperparams"})
                print(
                    f"{env_id} {algo} seed {seed}: {run['eval_mean']:.2f} "
                    f"({run['train_seconds']:.1f} s)",
                    flush=True,
                )
            rows[algo] = summarise([r["eval_mean"] for r in runs[algo]])
            rows[algo]["train_seconds"] = [r["train_seconds"] for r in runs[algo]]
        rows.update(scripted_rows(env_id, env_kwargs))
        results["envs"][env_id] = {"rows": rows, "runs": runs}
    results["seconds"] = round(time.perf_counter() - start, 1)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "sb3_reference.json").write_text(json.dumps(results, indent=2) + "\n")
    table = markdown(results)
    (out / "sb3_reference.md").write_text(table)
    print(table)
    return results


if __name__ == "__main__":
    main()
