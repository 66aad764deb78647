"""Greedy scoring of any policy checkpoint on a run config's rows (the BASE/SFT/RL tables)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from agents.train.config import RunConfig
from agents.train.logs import RunLogger
from agents.train.model import load_base_model
from agents.train.tasks import make_task
from agents.train.validation import Validator


def evaluate_checkpoint(
    config: RunConfig, model: str, *, split: str = "val", out: str | Path | None = None
) -> dict[str, Any]:
    """Mean metrics of ``model`` on the config's ``split`` rows; per-row outputs to ``out``."""
    config = dataclasses.replace(
        config,
        model=dataclasses.replace(config.model, name=model, lora=False),
        train=dataclasses.replace(config.train, init_checkpoint=None),
    )
    if split not in ("train", "val"):
        raise ValueError(f"split must be 'train' or 'val', got {split!r}")
    task = make_task(config, parts=(split,))
    policy, tokenizer = load_base_model(config)
    scratch = Path(out).parent if out else Path(config.output_dir)
    validator = Validator(config, task, RunLogger(scratch, tensorboard=False))
    rows = task.val_rows if split == "val" else task.train_rows
    summary, details = validator.evaluate(policy, tokenizer, rows)
    if out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        with Path(out).open("w", encoding="utf-8") as f:
            for item in details:
                f.write(json.dumps(item, ensure_ascii=False) + "\n")
    return {"model": model, "split": split, "rows": len(rows), **summary}
