"""``train(config)``: build the task, pick the algorithm, log, validate, checkpoint."""

from __future__ import annotations

import json
import random
import time
from pathlib import Path
from typing import Any

import numpy as np

from agents.train.config import RunConfig, save_config
from agents.train.logs import RunLogger, plot_curve
from agents.train.tasks import make_task
from agents.train.validation import Validator


def seed_everything(seed: int) -> None:
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def train(config: RunConfig, *, resume: bool = False) -> dict[str, Any]:
    """Run one training; returns (and writes to ``OUT/summary.json``) what happened."""
    config.validate()
    out = Path(config.output_dir)
    if out.exists() and any(out.iterdir()) and not resume:
        if (out / "log.jsonl").exists():
            raise FileExistsError(
                f"{out} already holds a run: pass --resume to continue it, or another output_dir"
            )
    out.mkdir(parents=True, exist_ok=True)
    save_config(config, out / "config.yaml")
    seed_everything(config.seed)
    start = time.perf_counter()
    task = make_task(config)
    if not task.train_rows:
        raise ValueError(
            f"no training rows for the {config.data.agent} agent from {config.data.dataset} "
            f"split {config.data.train_split!r} (fact_source={config.data.fact_source!r}, "
            f"manager_linked_only={config.data.manager_linked_only})"
        )
    logger = RunLogger(out, tensorboard=config.train.tensorboard)
    logger.log(
        "info",
        0,
        {
            "algorithm": config.algorithm,
            "agent": config.data.agent,
            "train_rows": len(task.train_rows),
            "val_rows": len(task.val_rows),
            "resume": resume,
        },
    )
    validator = Validator(config, task, logger)
    if config.algorithm == "grpo":
        from agents.train.grpo import train_grpo as run
    elif config.algorithm == "ppo":
        from agents.train.ppo import train_ppo as run
    else:
        from agents.train.sft import train_sft as run
    try:
        result = run(config, task, logger, validator, resume=resume)
    finally:
        logger.close()
    plot_curve(out)
    result = {
        **result,
        "algorithm": config.algorithm,
        "agent": config.data.agent,
        "seconds": round(time.perf_counter() - start, 1),
        "output_dir": str(out),
    }
    (out / "summary.json").write_text(json.dumps(result, indent=1, default=str), encoding="utf-8")
    return result
