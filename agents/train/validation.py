"""Greedy validation during training, and keeping the best checkpoint.

Every ``train.eval_every`` steps the trainers call a :class:`Validator`: the current policy
answers (or manages) every validation row greedily, the task's environments score the outputs,
the metrics go to the log (the outputs to ``OUT/val_last.jsonl``), and when the selection metric
beats the best so far the policy is exported to ``OUT/best`` (a plain transformers folder:
``--llm transformers:OUT/best``) and its outputs to ``OUT/val_best.jsonl``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from agents.llm.base import SamplingParams
from agents.train.config import RunConfig
from agents.train.logs import RunLogger, plot_curve, read_log
from agents.train.model import export_checkpoint
from agents.train.tasks import Task, TrainRow

BEST_DIR = "best"
FINAL_DIR = "final"


def selection_metric(config: RunConfig) -> str:
    """What "best" means: F1 for the answer agent (denser than EM), the reward for the manager."""
    return "f1" if config.data.agent == "answer" else "reward"


def generate_texts(
    model: Any,
    tokenizer: Any,
    prompts: Sequence[Any],
    config: RunConfig,
    params: SamplingParams,
) -> list[str]:
    """One completion per prompt from the policy being trained (through :class:`HFBackend`)."""
    from agents.llm.hf import HFBackend, HFConfig

    was_training = model.training
    device = str(next(model.parameters()).device)
    backend = HFBackend(
        model,
        tokenizer,
        HFConfig(
            device=device,
            batch_size=config.train.eval_batch_size,
            max_prompt_tokens=config.data.max_prompt_tokens,
            return_logprobs=False,
        ),
    )
    try:
        return [c.text for c in backend.generate(list(prompts), params)]
    finally:
        model.train(was_training)


def _write_jsonl(path: Path, items: Sequence[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as f:
        for item in items:
            f.write(json.dumps(item, ensure_ascii=False) + "\n")


class Validator:
    """Scores the policy on the validation rows; exports the best one (see module docstring)."""

    def __init__(self, config: RunConfig, task: Task, logger: RunLogger):
        self.config, self.task, self.logger = config, task, logger
        self.out = Path(config.output_dir)
        self.metric = selection_metric(config)
        self.best_path = self.out / "best.json"
        self.best: dict[str, Any] | None = None
        self.announce: Callable[[str], Any] | None = None
        """Where to write the one-line summary of each validation (a progress bar's ``write``)."""
        if self.best_path.is_file():  # a resumed run keeps its best so far
            self.best = json.loads(self.best_path.read_text(encoding="utf-8"))

    def rewind(self, step: int) -> None:
        """Forget a best chosen after ``step`` (a resumed run redoes those steps): the best so
        far becomes the best ``val`` row of the log up to ``step``, as in an uninterrupted run."""
        if self.best is None or self.best["step"] <= step:
            return
        self.best = None
        for row in read_log(self.out):
            if row["kind"] != "val" or row["step"] > step:
                continue
            value = row.get(self.metric) or 0.0
            if self.best is None or value > self.best["value"]:
                summary = {k: v for k, v in row.items() if k not in ("kind", "step", "time")}
                self.best = {"step": row["step"], "metric": self.metric, "value": value, **summary}
        if self.best is None:
            self.best_path.unlink(missing_ok=True)
        else:
            self.best_path.write_text(json.dumps(self.best, indent=1), encoding="utf-8")

    def evaluate(
        self, model: Any, tokenizer: Any, rows: Sequence[TrainRow] | None = None
    ) -> tuple[dict[str, float], list[dict[str, Any]]]:
        """(mean metrics, per-row outputs and scores) of greedy decoding on ``rows``."""
        rows = list(self.task.val_rows if rows is None else rows)
        params = SamplingParams(max_new_tokens=self.config.train.max_new_tokens)
        texts = generate_texts(model, tokenizer, [r.prompt for r in rows], self.config, params)
        parts = self.task.score(rows, texts)
        details = [
            {"row_id": r.row_id, "output": t, **p}
            for r, t, p in zip(rows, texts, parts, strict=True)
        ]
        return self.task.summary(parts), details

    def __call__(self, model: Any, tokenizer: Any, step: int) -> dict[str, float]:
        summary, details = self.evaluate(model, tokenizer)
        self.logger.log("val", step, summary)
        _write_jsonl(self.out / "val_last.jsonl", details)
        value = summary.get(self.metric, 0.0)
        if self.best is None or value > self.best["value"]:
            export_checkpoint(model, tokenizer, self.out / BEST_DIR)
            _write_jsonl(self.out / "val_best.jsonl", details)
            self.best = {"step": step, "metric": self.metric, "value": value, **summary}
            self.best_path.write_text(json.dumps(self.best, indent=1), encoding="utf-8")
        plot_curve(self.out)
        if self.announce is not None:
            shown = ", ".join(
                f"{k} {100 * v:.1f}" if k in ("f1", "em", "format") else f"{k} {v:.3g}"
                for k, v in summary.items()
                if isinstance(v, int | float)
            )
            best = " (best)" if self.best["step"] == step else ""
            self.announce(f"step {step} validation: {shown}{best}")
        return summary
