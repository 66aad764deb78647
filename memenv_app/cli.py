"""The ``memenv`` console script.

Subcommands: ``data stats`` (dataset figures), ``demo`` (the main job on the embedded synthetic
default), those of the modules in ``SUBCOMMAND_MODULES`` (eval, bench, train), and those of any
installed package that declares a ``memenv.commands`` entry point. Each such module has
``register(subparsers)`` that adds its parser and sets ``func``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Sequence
from dataclasses import replace
from importlib.metadata import entry_points
from typing import Any

import memenv
from memenv.data.errors import DataFormatError, DatasetUnavailableError
from memenv.errors import ServiceError
from memenv.offline import hub_offline_defaults

hub_offline_defaults()  # before any subcommand imports transformers: no Hub lookups

SUBCOMMAND_MODULES = (
    "memenv_app.evaluation.cli",
    "memenv_app.bench.cli",
    "memenv_app.train_cli",
    "memenv_app.reference",
    "agents.tier1.cli",
    "memenv_app.rl_bench",
)
COMMANDS_GROUP = "memenv.commands"
"""Entry-point group of third-party subcommand modules."""


def _cmd_data_stats(args: argparse.Namespace) -> int:
    from memenv.data.registry import DATASETS, load_conversations
    from memenv.data.stats import dataset_stats, format_stats

    if args.dataset not in DATASETS:
        raise ValueError(f"--dataset must be one of {DATASETS}, got {args.dataset!r}")
    conversations = load_conversations(
        args.dataset, data_path=args.path, split="all", include_adversarial=True
    )
    split_by_id = None
    if args.dataset == "synth":  # synthetic splits are by generator seed, not by id
        split_by_id = {
            c.id: split
            for split in ("train", "val", "test")
            for c in load_conversations("synth", split=split, include_adversarial=True)
        }
    stats = dataset_stats(conversations, split_by_id)
    if args.json:
        print(json.dumps(stats, indent=2, ensure_ascii=False))
    else:
        print(format_stats(stats))
    return 0


def demo_settings(args: argparse.Namespace) -> Any:
    """The demo's settings from its options (unset ones keep :class:`DemoSettings`' defaults)."""
    from memenv_app.demo import DemoSettings

    settings = DemoSettings(episodes=args.episodes, seed=args.seed)
    if args.rl_iterations is not None:
        settings = replace(settings, rl_iterations=args.rl_iterations)
    if args.threads is not None:
        settings = replace(settings, threads=args.threads)
    return settings


def _cmd_demo(args: argparse.Namespace) -> int:
    from memenv_app.demo import run_demo

    run_demo(demo_settings(args))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="memenv", description="RL environments for LLM memory management (Memory-R1)."
    )
    parser.add_argument("--version", action="version", version=f"memenv {memenv.__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    data = sub.add_parser("data", help="dataset tools")
    data_sub = data.add_subparsers(dest="data_command", required=True)
    stats = data_sub.add_parser("stats", help="print conversation, session, turn and QA counts")
    stats.add_argument("--dataset", default="locomo", help="locomo, synth, longmemeval or msc")
    stats.add_argument(
        "--path", default=None, help="dataset file (LoCoMo: cached download if omitted)"
    )
    stats.add_argument("--json", action="store_true", help="print JSON instead of a table")
    stats.set_defaults(func=_cmd_data_stats)

    demo = sub.add_parser(
        "demo",
        help="the graded Medium manager task: scripted managers, then GRPO on the tier-1 model",
    )
    demo.add_argument(
        "--episodes", type=int, default=16, help="held-out conversations to score on (1-48)"
    )
    demo.add_argument(
        "--rl-iterations",
        "--train-steps",
        dest="rl_iterations",
        type=int,
        default=None,
        help="GRPO iterations of the RL part (default: DemoSettings.rl_iterations; 0: skip it; "
        "old name --train-steps)",
    )
    demo.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch threads of the RL part (default: the available cores, at most 2; 1: "
        "rl-bench's setting)",
    )
    demo.add_argument("--seed", type=int, default=0, help="seeds the model, SFT and GRPO")
    demo.set_defaults(func=_cmd_demo)

    modules = list(SUBCOMMAND_MODULES)
    modules += sorted(e.value for e in entry_points(group=COMMANDS_GROUP))
    for name in dict.fromkeys(modules):
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (
        DataFormatError,
        DatasetUnavailableError,
        ValueError,
        FileNotFoundError,
        FileExistsError,
    ) as exc:
        print(f"memenv: error: {exc}", file=sys.stderr)
        return 2
    except ServiceError as exc:  # e.g. the LLM server failed: the message names its URL
        print(f"memenv: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
