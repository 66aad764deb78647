"""Supervised fine-tuning (Memory-SFT) on teacher outputs, with TRL's ``SFTTrainer``.

Rows are prompt/completion pairs: the prompt is the row's chat prompt, the completion the
teacher's output (``sft.teacher``: gold answers with their evidence memories, the synthetic
ideal operations, a baseline manager's actions, or logged outputs). The loss covers the
completion tokens only. It is also the warm-up that teaches a small model the output format
before reinforcement learning.
"""

from __future__ import annotations

import math
from typing import Any

from agents.train.config import RunConfig
from agents.train.hf_common import MemenvCallback, latest_checkpoint, quiet, trainer_arguments
from agents.train.logs import RunLogger
from agents.train.model import export_checkpoint, load_base_model, lora_config
from agents.train.tasks import Task
from agents.train.validation import FINAL_DIR, Validator


def sft_rows(task: Task) -> list[dict[str, Any]]:
    """``{"prompt", "completion", "row_id"}`` for every training row that has a teacher output."""
    rows = []
    for row in task.train_rows:
        target = task.teacher(row)
        if target:
            rows.append(
                {
                    "prompt": row.prompt,
                    "completion": [{"role": "assistant", "content": target}],
                    "row_id": row.row_id,
                }
            )
    if not rows:
        raise ValueError(
            f"sft.teacher={task.config.sft.teacher!r} gives no target for any training row"
        )
    return rows


def train_sft(
    config: RunConfig, task: Task, logger: RunLogger, validator: Validator, resume: bool = False
) -> dict[str, Any]:
    from datasets import Dataset
    from trl import SFTConfig, SFTTrainer

    from agents.train.resume import CounterState, checkpoint_step, restore_counters, rewind_run

    model, tokenizer = load_base_model(config)
    rows = sft_rows(task)
    train = config.train
    micro = min(train.micro_batch_size, train.batch_size)
    if train.batch_size % micro:
        raise ValueError("train.batch_size must be a multiple of train.micro_batch_size")
    steps = min(train.max_steps, math.ceil(config.sft.epochs * len(rows) / train.batch_size))
    arguments = {**trainer_arguments(config), "max_steps": steps}
    args = SFTConfig(
        **arguments,
        per_device_train_batch_size=micro,
        gradient_accumulation_steps=train.batch_size // micro,
        max_length=config.data.max_prompt_tokens + train.max_new_tokens,
        truncation_mode="keep_end",
        completion_only_loss=True,
        packing=False,
    )
    trainer = SFTTrainer(
        model=model,
        args=args,
        train_dataset=Dataset.from_list(rows),
        processing_class=tokenizer,
        peft_config=lora_config(config),
        callbacks=[MemenvCallback(config, logger, validator)],
    )
    # TRL keeps the running token total (logged as num_tokens) outside the checkpoint.
    quiet(trainer)
    trainer.add_callback(CounterState(trainer, ("_total_train_tokens",)))
    checkpoint = latest_checkpoint(config) if resume else None
    if checkpoint is not None:
        rewind_run(logger, validator, checkpoint_step(checkpoint))
        restore_counters(trainer, checkpoint)
    trainer.train(resume_from_checkpoint=checkpoint)
    export_checkpoint(trainer.model, tokenizer, f"{config.output_dir}/{FINAL_DIR}")
    return {"steps": trainer.state.global_step, "best": validator.best, "resumed_from": checkpoint}
