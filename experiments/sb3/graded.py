"""SB3 learners on the graded Memory Manager tasks, next to the scripted references.

For ``MemoryManagerFeatures-Synth-{Medium,Hard}-v0`` (the graded tasks with potential-shaped
episode rewards, featurized): PPO, A2C, DQN and MaskablePPO, 3 seeds each, trained on the train
split for ``--timesteps`` steps, then scored on the 48 test conversations by the episode outcome
(the frozen reader's EM over every question, in percent). Scripted references (``memenv
reference``) are played on the same test episodes of the text ids. Each (algorithm, seed) run is
saved as it finishes, so a killed run resumes where it stopped::

    python -m experiments.sb3.graded --timesteps 100000 --out experiments/results/sb3_graded

``--train-conversations N`` trains on the first ``N`` conversations of the synthetic train
stream instead of the level's 64 (validation and test conversations are unchanged: each split
has its own generator seed); ``--token-features`` turns on the featurized manager's token-set
keys (``FeaturizedMemoryManager(token_features=True)``).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from experiments.sb3.train import ALGOS, train_and_evaluate
from memenv.levels import SYNTH_SIZES
from memenv_app.reference import bootstrap_ci, reference_scores

LEVELS = ("Medium", "Hard")
SEEDS = (0, 1, 2)
REFERENCES = ("add-all", "mem0", "ideal-ops", "oracle", "random", "noop")
COMMAND = "python -m experiments.sb3.graded"


def env_kwargs(train_conversations: int | None, token_features: bool) -> dict[str, Any]:
    """The featurized ids' kwargs for these options (empty for the defaults)."""
    kwargs: dict[str, Any] = {}
    if train_conversations is not None:
        kwargs["synth_kwargs"] = {"n": {**SYNTH_SIZES, "train": train_conversations}}
    if token_features:
        kwargs["token_features"] = True
    return kwargs


def cell_name(
    level: str, algo: str, seed: int, kwargs: dict[str, Any], warm_start: bool = False
) -> str:
    """The run's file stem; options other than the defaults are part of it, so runs with
    different options never read each other back."""
    name = f"{level}-{algo}-s{seed}"
    if "synth_kwargs" in kwargs:
        name += f"-train{kwargs['synth_kwargs']['n']['train']}"
    if kwargs.get("token_features"):
        name += "-tokens"
    if warm_start:
        name += "-bc"
    return name


def run_cell(
    algo: str,
    level: str,
    seed: int,
    timesteps: int,
    out: Path,
    kwargs: dict[str, Any] | None = None,
    warm_start: bool = False,
) -> dict[str, Any]:
    """One (algorithm, level, seed) run, read back from ``out`` when it is already there."""
    kwargs = kwargs or {}
    path = out / "runs" / f"{cell_name(level, algo, seed, kwargs, warm_start)}.json"
    if path.exists():
        return json.loads(path.read_text())
    env_id = f"MemoryManagerFeatures-Synth-{level}-v0"
    run = train_and_evaluate(
        algo,
        env_id,
        timesteps,
        seed=seed,
        eval_split="test",
        env_kwargs=kwargs,
        warm_start=warm_start,
    )
    run = {k: v for k, v in run.items() if k != "hyperparams"}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(run, indent=1))
    return run


def summarise(scores: list[float], seed: int = 0) -> dict[str, Any]:
    lo, hi = bootstrap_ci(scores, seed)
    return {"mean": 100 * float(np.mean(scores)), "ci": [100 * lo, 100 * hi]}


def markdown(results: dict[str, Any]) -> str:
    levels = list(results["levels"])
    lines = [
        "# SB3 learners on the graded Memory Manager tasks",
        "",
        "Episode outcome (frozen extractive reader without recency preference, EM over every "
        "question of a conversation, percent) on the 48 synthetic test conversations. Learners: "
        f"{results['timesteps']} training steps on the train split (featurized ids, "
        "potential-shaped rewards), seeds 0-2, interval over the 3 x 48 episode scores; "
        "scripted references on the same episodes of the text ids.",
        *(
            ["", f"Environment options of the learners: `{json.dumps(results['env_kwargs'])}`."]
            if results.get("env_kwargs")
            else []
        ),
        "",
        "| method | " + " | ".join(f"{lv} mean | {lv} 95% interval" for lv in levels) + " |",
        "| --- | " + " | ".join("---: | ---:" for _ in levels) + " |",
    ]
    names = [n for n in (*ALGOS, *REFERENCES) if any(n in results["levels"][lv] for lv in levels)]
    for name in names:
        cells = []
        for level in levels:
            row = results["levels"][level].get(name)
            if row is None:
                cells += ["n/a", ""]
            else:
                cells += [f"{row['mean']:.1f}", f"[{row['ci'][0]:.1f}, {row['ci'][1]:.1f}]"]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    trained = sum(
        t
        for rows in results["levels"].values()
        for r in rows.values()
        for t in r.get("train_seconds", ())
    )
    lines += [
        "",
        f"Command: `{results['command']}` (training {trained:.0f} s summed over cells, on 2 CPU "
        f"cores; this invocation {results['seconds']:.0f} s, cells already saved are read back)",
    ]
    return "\n".join(lines) + "\n"


def command(args: argparse.Namespace) -> str:
    """The command line that reproduces ``args`` (defaults left out)."""
    parts = [COMMAND, f"--timesteps {args.timesteps}"]
    for flag, value, default in (
        ("--algos", args.algos, list(ALGOS)),
        ("--levels", args.levels, list(LEVELS)),
        ("--seeds", args.seeds, list(SEEDS)),
    ):
        if list(value) != default:
            parts.append(f"{flag} {' '.join(str(v) for v in value)}")
    if args.train_conversations is not None:
        parts.append(f"--train-conversations {args.train_conversations}")
    if args.token_features:
        parts.append("--token-features")
    if args.warm_start:
        parts.append("--warm-start")
    return " ".join(parts)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timesteps", type=int, default=100_000)
    parser.add_argument("--algos", nargs="+", default=list(ALGOS), choices=ALGOS)
    parser.add_argument("--levels", nargs="+", default=list(LEVELS), choices=LEVELS)
    parser.add_argument("--seeds", nargs="+", type=int, default=list(SEEDS))
    parser.add_argument("--out", default="experiments/results/sb3_graded")
    parser.add_argument(
        "--train-conversations",
        type=int,
        default=None,
        help="train on this many synthetic train conversations (default: the level's 64)",
    )
    parser.add_argument(
        "--token-features",
        action="store_true",
        help="add the featurized manager's token-set observation keys",
    )
    parser.add_argument(
        "--warm-start",
        action="store_true",
        help="MaskablePPO only: behaviour-clone the mem0 rules into the policy and value first",
    )
    args = parser.parse_args(argv)
    if args.warm_start and set(args.algos) != {"maskable_ppo"}:
        parser.error("--warm-start is implemented for --algos maskable_ppo only")
    if args.timesteps < 0 or (args.timesteps == 0 and not args.warm_start):
        parser.error("--timesteps must be > 0 (or 0 with --warm-start: the cloned policy alone)")
    if args.train_conversations is not None and args.train_conversations < 1:
        parser.error(f"--train-conversations must be >= 1, got {args.train_conversations}")
    kwargs = env_kwargs(args.train_conversations, args.token_features)
    torch.set_num_threads(1)
    out = Path(args.out)
    start = time.perf_counter()
    results: dict[str, Any] = {
        "command": command(args),
        "timesteps": args.timesteps,
        "seeds": args.seeds,
        "env_kwargs": kwargs,
        "warm_start": args.warm_start,
        "levels": {},
    }
    for level in args.levels:
        rows: dict[str, Any] = {}
        for algo in args.algos:
            runs = [
                run_cell(algo, level, s, args.timesteps, out, kwargs, args.warm_start)
                for s in args.seeds
            ]
            scores = [x for run in runs for x in run["eval_returns"]]
            rows[algo] = summarise(scores)
            rows[algo]["per_seed"] = [100 * run["eval_mean"] for run in runs]
            rows[algo]["train_seconds"] = [run["train_seconds"] for run in runs]
            print(f"{level} {algo}: {rows[algo]['mean']:.1f} {rows[algo]['per_seed']}", flush=True)
        ref = reference_scores(f"MemoryManager-Synth-{level}-v0", policies=REFERENCES)
        for name, row in ref["policies"].items():
            rows[name] = {"mean": row["mean"], "ci": row["ci"]}
        results["levels"][level] = rows
    results["seconds"] = round(time.perf_counter() - start, 1)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    table = markdown(results)
    (out / "results.md").write_text(table)
    print(table)
    return results


if __name__ == "__main__":
    main()
