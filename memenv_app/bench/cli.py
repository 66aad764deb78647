"""The ``memenv bench`` subcommand."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from memenv_app.bench import PARTS, run_bench
from memenv_app.bench.report import format_report


def _parts(text: str) -> list[str]:
    parts = [p.strip() for p in text.split(",") if p.strip()]
    unknown = [p for p in parts if p not in PARTS]
    if unknown or not parts:
        raise argparse.ArgumentTypeError(
            f"unknown part(s) {', '.join(unknown) or '(none)'}; parts: {', '.join(PARTS)}"
        )
    return parts


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(p) for p in text.split(",") if p.strip()]
    except ValueError:
        sizes = []
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"--batch-sizes wants positive ints like 1,8,32: {text!r}")
    return sizes


def cmd_bench_llm(args: argparse.Namespace) -> int:
    """Generation throughput of an LLM backend (new tokens per second per batch size)."""
    from agents.llm.bench import bench_generation
    from agents.llm.factory import make_backend

    if args.backend.startswith("openai:"):
        backend = make_backend(args.backend, model=args.model, api_key=args.api_key)
    else:  # one micro-batch per measured batch, so batch 32 is one forward pass of 32
        backend = make_backend(args.backend, device=args.device, batch_size=max(args.batch_sizes))
    result = bench_generation(backend, args.batch_sizes, args.new_tokens)
    print(f"LLM generation throughput: {args.backend}, {args.new_tokens} new tokens, greedy")
    print("batch  new tokens/s")
    for size, rate in result["tokens_per_s"].items():
        print(f"{size:>5}  {rate:12.1f}")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1, ensure_ascii=False), "utf-8")
    return 0


def cmd_bench_rl(args: argparse.Namespace) -> int:
    """Training-step, rollout and decode costs of the RL models (``memenv_app.bench.rl``)."""
    from memenv_app.bench.rl import format_rl_report, run_rl_bench

    if args.rl_policy is not None and not Path(args.rl_policy).is_dir():
        raise FileNotFoundError(f"--rl-policy: no policy folder at {args.rl_policy}")
    result = run_rl_bench(
        quick=args.quick,
        models=tuple(args.models),
        threads=args.threads,
        rl_policy=args.rl_policy,
        progress=lambda msg: print(msg, file=sys.stderr, flush=True),
    )
    print(format_rl_report(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1, ensure_ascii=False), "utf-8")
    return 0


def _models(text: str) -> list[str]:
    models = [m.strip() for m in text.split(",") if m.strip()]
    unknown = [m for m in models if m not in ("tier1", "smollm2")]
    if unknown or not models:
        raise argparse.ArgumentTypeError(f"--models takes tier1,smollm2; got {text!r}")
    return models


def cmd_bench(args: argparse.Namespace) -> int:
    """Run the selected parts, print the table, write the JSON if asked."""
    if args.target == "llm":
        return cmd_bench_llm(args)
    if args.target == "rl":
        return cmd_bench_rl(args)
    result = run_bench(
        args.parts,
        quick=args.quick,
        locomo_path=args.locomo_path,
        progress=lambda msg: print(msg, file=sys.stderr, flush=True),
    )
    print(format_report(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1, ensure_ascii=False), "utf-8")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``bench`` to the ``memenv`` console script."""
    p = subparsers.add_parser(
        "bench", help="environment throughput, retrieval latency, LoCoMo pipeline time"
    )
    p.add_argument(
        "target",
        nargs="?",
        default="envs",
        choices=("envs", "llm", "rl"),
        help="envs (default): environments, retrieval, pipeline; llm: generation throughput; "
        "rl: training-step, rollout and decode costs with and without each optimisation",
    )
    p.add_argument("--json", default=None, help="also write the results to this JSON file")
    p.add_argument("--quick", action="store_true", help="small sizes, short windows (smoke test)")
    p.add_argument(
        "--parts",
        type=_parts,
        default=list(PARTS),
        help=f"comma-separated parts to run (default: {','.join(PARTS)})",
    )
    p.add_argument(
        "--locomo-path",
        default=None,
        help="LoCoMo JSON (default: the shared train/val file when present); the full official "
        "file makes the pipeline run on the test split",
    )
    llm = p.add_argument_group("llm target")
    llm.add_argument(
        "--backend", default="smollm2", help="smollm2, tiny, transformers:PATH, openai:URL"
    )
    llm.add_argument("--model", default=None, help="model name for openai:URL backends")
    llm.add_argument("--api-key", default=None, help="key for openai:URL (else from env)")
    llm.add_argument("--device", default="auto", help="local backends: auto, cpu, cuda")
    llm.add_argument("--batch-sizes", type=_sizes, default=[1, 8, 32], help="e.g. 1,8,32")
    llm.add_argument("--new-tokens", type=int, default=32, help="new tokens per prompt")
    rl = p.add_argument_group("rl target")
    rl.add_argument(
        "--models",
        type=_models,
        default=["tier1", "smollm2"],
        help="models to measure (default tier1,smollm2; --quick: tier1 only, small sizes)",
    )
    rl.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch intra-op threads (default 1: on a shared machine more threads stall in "
        "OpenMP waits, measured 2-100x slower; 0 leaves torch's own setting)",
    )
    p.add_argument(
        "--rl-policy",
        default=None,
        help="rl: the tier-1 policy folder (a build or an SFT/RL export) whose training pass "
        "is timed on Hard episodes (default: the cached tier-1 build; skipped when none)",
    )
    p.set_defaults(func=cmd_bench)
