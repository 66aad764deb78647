"""``memenv train`` (GRPO, PPO, SFT) and ``memenv train-eval`` (greedy scoring of a checkpoint)."""

from __future__ import annotations

import argparse
import json


def _config_arguments(parser: argparse.ArgumentParser) -> None:
    from agents.train.config import available_presets

    parser.add_argument("--config", default=None, help="YAML run config (see docs/training.md)")
    parser.add_argument(
        "--preset", default=None, help=f"start from a preset: {', '.join(available_presets())}"
    )
    parser.add_argument(
        "overrides", nargs="*", help="section.field=value overrides, e.g. train.max_steps=20"
    )


def _load(args: argparse.Namespace):
    from agents.train.config import load_config

    if not args.config and not args.preset:
        raise ValueError("pass --config FILE.yaml or --preset NAME")
    return load_config(args.config, args.overrides, preset=args.preset)


def cmd_train(args: argparse.Namespace) -> int:
    from agents.train.runner import train

    config = _load(args)
    result = train(config, resume=args.resume)
    print(json.dumps(result, indent=1, default=str))
    return 0


def cmd_train_eval(args: argparse.Namespace) -> int:
    from agents.train.evaluate import evaluate_checkpoint

    config = _load(args)
    summary = evaluate_checkpoint(config, args.model, split=args.split, out=args.out)
    print(json.dumps(summary, indent=1))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    train = subparsers.add_parser(
        "train", help="train a memory manager or answer agent (grpo, ppo, sft)"
    )
    _config_arguments(train)
    train.add_argument(
        "--resume", action="store_true", help="continue from the latest checkpoint of output_dir"
    )
    train.set_defaults(func=cmd_train)

    evaluate = subparsers.add_parser(
        "train-eval", help="score a policy greedily on a config's validation (or train) rows"
    )
    _config_arguments(evaluate)
    evaluate.add_argument(
        "--model", required=True, help="smollm2, tiny, transformers:PATH or a checkpoint folder"
    )
    evaluate.add_argument("--split", default="val", choices=["val", "train"])
    evaluate.add_argument("--out", default=None, help="write per-row outputs to this JSONL file")
    evaluate.set_defaults(func=cmd_train_eval)
