"""``tier1 build`` and ``tier1 probe``: build the tier-1 model, measure its output formats."""

from __future__ import annotations

import argparse
import json
import sys


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def cmd_build(args: argparse.Namespace) -> int:
    from agents.tier1.build import BUILD_INFO, build_tier1

    folder = build_tier1(
        args.out,
        seed=args.seed,
        budget_seconds=args.budget_seconds,
        steps=args.steps,
        force=args.force,
        log=_log,
    )
    info = json.loads((folder / BUILD_INFO).read_text())
    keys = ("key", "seed", "parameters", "steps", "train_tokens", "final_loss", "eval_loss")
    summary = {k: info[k] for k in keys}
    summary.update(wall_seconds=info["wall_seconds"], cpu_seconds=info["cpu_seconds"])
    print(json.dumps({"path": str(folder), **summary}, indent=1))
    return 0


def cmd_probe(args: argparse.Namespace) -> int:
    from agents.llm.hf import HFConfig
    from agents.tier1.build import load_tier1
    from agents.tier1.probe import generation_speed, probe_answers, probe_manager

    backend = load_tier1(
        args.model,
        HFConfig(device="cpu", dtype="float32", max_prompt_tokens=512, batch_size=32),
        seed=args.seed,
    )
    report = {
        "manager": probe_manager(backend, n=args.n, temperature=args.temperature),
        "answer": probe_answers(backend, temperature=args.temperature),
    }
    if args.speed:
        speed = generation_speed(backend)
        report["new_tokens_per_second"] = {str(k): round(v, 1) for k, v in speed.items()}
    print(json.dumps(report, indent=1))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``tier1 build`` and ``tier1 probe`` to a parser's subcommands."""
    tier1 = subparsers.add_parser("tier1", help="the fast tier-1 policy model (build, probe)")
    add_commands(tier1.add_subparsers(dest="tier1_command", required=True))


def add_commands(sub: argparse._SubParsersAction) -> None:
    """The ``build`` and ``probe`` subcommands."""
    build = sub.add_parser(
        "build", help="build (or find cached) the tier-1 model: corpus, tokenizer, pretraining"
    )
    build.add_argument("--seed", type=int, default=0, help="model seed (default 0)")
    build.add_argument(
        "--out", default=None, help="output folder (default: $MEMENV_CACHE_DIR/tier1/<key>)"
    )
    build.add_argument(
        "--budget-seconds",
        type=float,
        default=None,
        help="training budget in nominal seconds of the 2-core reference machine (default 450); "
        "it fixes the number of steps, so the weights do not depend on this machine's speed",
    )
    build.add_argument("--steps", type=int, default=None, help="training steps (overrides budget)")
    build.add_argument("--force", action="store_true", help="rebuild even when cached")
    build.set_defaults(func=cmd_build)

    probe = sub.add_parser(
        "probe", help="format rates of a tier-1 model on real validation prompts (JSON)"
    )
    probe.add_argument("--model", default=None, help="build folder (default: cached build)")
    probe.add_argument("--seed", type=int, default=0, help="which cached build (its seed)")
    probe.add_argument("--n", type=int, default=200, help="manager prompts (default 200)")
    probe.add_argument("--temperature", type=float, default=1.0, help="sampling temperature")
    probe.add_argument("--speed", action="store_true", help="also time generation")
    probe.set_defaults(func=cmd_probe)


def main(argv: list[str] | None = None) -> int:
    """``python -m agents.tier1 build|probe ...`` until the console script carries it."""
    parser = argparse.ArgumentParser(prog="python -m agents.tier1")
    add_commands(parser.add_subparsers(dest="tier1_command", required=True))
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, FileNotFoundError, FileExistsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
