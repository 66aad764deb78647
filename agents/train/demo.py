"""The training part of ``make demo``: a short GRPO run with its before/after comparison.

The tiny random Llama (no download, seconds per step) is trained with GRPO on synthetic Answer
Agent rows under a shaped reward that it can learn in a minute: the length term (1 when the
answer has at most two words). Greedy validation before and after shows the policy moved the way
the reward asked. The tiny model cannot answer questions; what a real model gains from the same
loop is the SmolLM2 table in ``experiments/results/answer_agent/results.md``, printed after it.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from agents.train.config import load_config
from agents.train.evaluate import evaluate_checkpoint
from agents.train.runner import train

RESULTS_TABLE = (
    Path(__file__).resolve().parents[2] / "experiments" / "results" / "answer_agent" / "results.md"
)
DEMO_OVERRIDES = [
    "algorithm=grpo",
    "reward.metric=f1",
    "reward.format_weight=0",
    "reward.length_weight=1.0",
    "reward.max_answer_words=2",
    "data.max_val_rows=16",
    "train.eval_every=0",
    "train.save_every=0",
    "train.batch_size=2",
    "train.micro_batch_size=8",
    "train.learning_rate=3.0e-3",
    "train.temperature=1.5",
    "train.num_threads=1",
    "grpo.num_generations=8",
]


def run_grpo_demo(steps: int = 40, out_dir: str | None = None, seed: int = 0) -> str:
    """Train, compare, and return the report text."""
    out = out_dir or tempfile.mkdtemp(prefix="memenv-grpo-demo-")
    config = load_config(
        preset="cpu-tiny",
        overrides=[
            *DEMO_OVERRIDES,
            f"train.max_steps={steps}",
            f"output_dir={out}",
            f"seed={seed}",
        ],
    )
    start = time.perf_counter()
    before = evaluate_checkpoint(config, "tiny")
    result = train(config)
    after = evaluate_checkpoint(config, f"transformers:{out}/final")
    seconds = time.perf_counter() - start
    lines = [
        f"GRPO demo: tiny Llama, synthetic Answer Agent rows, {steps} steps x "
        f"{config.train.batch_size} prompts x {config.grpo.num_generations} completions "
        f"({seconds:.0f} s). Reward: 1 when the answer has at most two words.",
        "",
        "| policy | reward (greedy, val) | answer words | F1 |",
        "|---|---|---|---|",
        f"| before (untrained) | {before['reward']:.2f} | {before['words']:.1f} | "
        f"{100 * before['f1']:.1f} |",
        f"| after GRPO | {after['reward']:.2f} | {after['words']:.1f} | {100 * after['f1']:.1f} |",
        "",
        f"Run folder: {result['output_dir']} (log.jsonl, curve.png, final/).",
    ]
    if RESULTS_TABLE.is_file():
        lines += [
            "",
            "What the same trainers do for SmolLM2-135M on LoCoMo validation "
            "(experiments/results/answer_agent/results.md):",
            "",
            RESULTS_TABLE.read_text(encoding="utf-8").strip(),
        ]
    return "\n".join(lines)
