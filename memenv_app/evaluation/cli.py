"""The ``memenv eval`` subcommand (registered by :mod:`memenv_app.cli`)."""

from __future__ import annotations

import argparse
import json
import sys

from memenv.data.registry import DATASETS
from memenv.memory.retriever import RETRIEVER_NAMES
from memenv_app.evaluation.pipeline import EvalConfig, run_dir, run_eval


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "eval",
        help="build banks with a memory system and answer every question; or --compare runs",
    )
    p.add_argument("--dataset", default="synth", choices=DATASETS)
    p.add_argument("--data-path", default=None, help="dataset file (LoCoMo: cached download)")
    p.add_argument("--split", default="val", choices=("train", "val", "test", "all"))
    p.add_argument("--manager", default="add-all", help="memory system (baselines.MANAGERS)")
    p.add_argument("--answerer", default="extractive", help="extractive, top-memory, ...")
    p.add_argument("--retriever", default="bm25", choices=RETRIEVER_NAMES)
    p.add_argument(
        "--memories-per-speaker",
        type=int,
        default=30,
        help="memories retrieved per speaker for each question (default 30, as the paper)",
    )
    p.add_argument("--top-k", type=int, default=None, help=argparse.SUPPRESS)  # deprecated name
    p.add_argument(
        "--out",
        default=None,
        help="run directory for results.json/.md (default: runs/eval/<dataset>-<split>-<manager>-"
        "<answerer>-<hash of the settings>); a run resumes there when its settings match",
    )
    p.add_argument(
        "--fresh", action="store_true", help="start over, dropping answers an earlier run left"
    )
    p.add_argument("--include-adversarial", action="store_true", help="keep category 5")
    p.add_argument("--limit", type=int, default=None, help="answer only the first N questions")
    p.add_argument(
        "--synth-kwargs", default=None, help="synthetic generator knobs as JSON, e.g. '{\"n\": 2}'"
    )
    p.add_argument(
        "--cache-dir",
        default=None,
        help="bank cache (default $MEMENV_CACHE_DIR or ~/.cache/memenv/banks)",
    )
    p.add_argument("--no-cache", action="store_true", help="always rebuild the banks")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    llm = p.add_argument_group("LLM (manager llm/mem0-llm/a-mem-llm, answerer llm, judge)")
    llm.add_argument(
        "--llm", default=None, help="backend: smollm2, tiny, transformers:PATH, openai:URL"
    )
    llm.add_argument("--model", default=None, help="model name for --llm openai:URL")
    llm.add_argument(
        "--judge", default=None, help="judge backend (adds J): openai:URL, transformers:PATH, ..."
    )
    llm.add_argument("--judge-model", default=None, help="model name for --judge openai:URL")
    llm.add_argument(
        "--max-new-tokens",
        type=int,
        default=None,
        help="generation budget (default: manager 256, answerer 128)",
    )
    llm.add_argument(
        "--no-distill",
        action="store_true",
        help="answerer llm: ask for the answer alone, without the relevant-memory ids "
        "(for checkpoints trained with data.distillation=false)",
    )
    llm.add_argument("--temperature", type=float, default=0.0, help="0 = greedy (default)")
    llm.add_argument(
        "--batch-size", type=int, default=8, help="questions per answer/judge generate call"
    )
    llm.add_argument("--seed", type=int, default=0, help="sampling seed (temperature > 0)")
    llm.add_argument("--device", default="auto", help="local backends: auto, cpu, cuda")
    llm.add_argument("--api-key", default=None, help="key for openai:URL (else from env)")
    p.add_argument("--compare", nargs="+", metavar="DIR", help="compare finished runs instead")
    p.add_argument("--plot", default="compare.png", help="bar chart written by --compare")
    p.set_defaults(func=_cmd_eval)


def _cmd_eval(args: argparse.Namespace) -> int:
    if args.compare:
        from memenv_app.evaluation.compare import compare_runs

        print(compare_runs(args.compare, args.plot))
        return 0
    try:
        synth_kwargs = json.loads(args.synth_kwargs) if args.synth_kwargs else None
    except json.JSONDecodeError as exc:
        raise ValueError(f"--synth-kwargs is not valid JSON: {exc}") from None
    if args.top_k is not None:
        print(
            "memenv: warning: --top-k is deprecated and will be removed in the next release; "
            "use --memories-per-speaker",
            file=sys.stderr,
        )
    if args.no_distill and args.answerer != "llm":
        raise ValueError(f"--no-distill applies to --answerer llm, not {args.answerer!r}")
    config = EvalConfig(
        dataset=args.dataset,
        data_path=args.data_path,
        split=args.split,
        manager=args.manager,
        answerer=args.answerer,
        answerer_kwargs={"distill": False} if args.no_distill else {},
        retriever=args.retriever,
        memories_per_speaker=args.memories_per_speaker if args.top_k is None else args.top_k,
        out=args.out,
        fresh=args.fresh,
        include_adversarial=args.include_adversarial,
        limit=args.limit,
        synth_kwargs=synth_kwargs,
        cache_dir=args.cache_dir,
        use_cache=not args.no_cache,
        progress=not args.no_progress,
        llm=args.llm,
        model=args.model,
        judge=args.judge,
        judge_model=args.judge_model,
        max_new_tokens=args.max_new_tokens,
        temperature=args.temperature,
        batch_size=args.batch_size,
        seed=args.seed,
        device=args.device,
        api_key=args.api_key,
    )
    run_eval(config)
    out = run_dir(config)
    print((out / "results.md").read_text(encoding="utf-8"))
    print(f"results: {out / 'results.json'} and {out / 'results.md'}")
    return 0
