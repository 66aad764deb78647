"""The ``memenv bench`` subcommand."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from memenv.bench import PARTS, run_bench
from memenv.bench.report import format_report


def _parts(text: str) -> list[str]:
    parts = [p.strip() for p in text.split(",") if p.strip()]
    unknown = [p for p in parts if p not in PARTS]
    if unknown or not parts:
        raise argparse.ArgumentTypeError(
            f"unknown part(s) {', '.join(unknown) or '(none)'}; parts: {', '.join(PARTS)}"
        )
    return parts


def cmd_bench(args: argparse.Namespace) -> int:
    """Run the selected parts, print the table, write the JSON if asked."""
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
    p.set_defaults(func=cmd_bench)
