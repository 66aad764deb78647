"""GRPO with TRL's ``GRPOTrainer``, rewarded by the memenv environments.

Each training row (a question, or a fact with its bank state) is one prompt; TRL samples
``grpo.num_generations`` completions per prompt, the reward function scores each by stepping
the task's environment with the raw output, and advantages are the rewards standardised within
the group. For the Memory Manager the task restores the row's bank snapshot before every
completion is applied, so all members of a group start from the same memory state.
"""

from __future__ import annotations

from typing import Any

from agents.train.config import RunConfig
from agents.train.hf_common import (
    MemenvCallback,
    PartsBuffer,
    latest_checkpoint,
    quiet,
    trainer_arguments,
)
from agents.train.logs import RunLogger
from agents.train.model import export_checkpoint, load_base_model, lora_config
from agents.train.tasks import Task
from agents.train.validation import FINAL_DIR, Validator


def completion_text(completion: Any) -> str:
    """The text of a TRL completion (a string, or a list of chat messages)."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, list) and completion:
        return str(completion[-1].get("content", ""))
    return ""


def make_reward_function(task: Task, buffer: PartsBuffer):
    """A TRL reward function that scores completions through the task's environments."""

    def memenv_reward(prompts: list, completions: list, row_id: list[str], **kwargs: Any):
        rows = [task.row(r) for r in row_id]
        parts = task.score(rows, [completion_text(c) for c in completions])
        buffer.add(parts)
        return [p["reward"] for p in parts]

    return memenv_reward


def grpo_arguments(config: RunConfig) -> Any:
    from trl import GRPOConfig

    train, grpo = config.train, config.grpo
    completions = train.batch_size * grpo.num_generations
    if completions % train.micro_batch_size:
        raise ValueError(
            f"train.batch_size x grpo.num_generations ({completions}) must be a multiple of "
            f"train.micro_batch_size ({train.micro_batch_size})"
        )
    if train.micro_batch_size % grpo.num_generations and grpo.num_generations % (
        train.micro_batch_size
    ):
        raise ValueError("train.micro_batch_size and grpo.num_generations must divide one another")
    extra: dict[str, Any] = {}
    if grpo.use_vllm:
        extra.update(use_vllm=True, vllm_mode=grpo.vllm_mode)
    return GRPOConfig(
        **trainer_arguments(config),
        per_device_train_batch_size=train.micro_batch_size,
        gradient_accumulation_steps=completions // train.micro_batch_size,
        num_generations=grpo.num_generations,
        max_completion_length=train.max_new_tokens,
        temperature=train.temperature,
        top_p=train.top_p,
        beta=grpo.beta,
        epsilon=grpo.epsilon,
        loss_type=grpo.loss_type,
        scale_rewards=grpo.scale_rewards,
        shuffle_dataset=True,
        log_completions=False,
        **extra,
    )


def train_grpo(
    config: RunConfig, task: Task, logger: RunLogger, validator: Validator, resume: bool = False
) -> dict[str, Any]:
    from datasets import Dataset

    from agents.train.resume import checkpoint_step, grpo_trainer_class, rewind_run

    model, tokenizer = load_base_model(config)
    dataset = Dataset.from_list([{"prompt": r.prompt, "row_id": r.row_id} for r in task.train_rows])
    buffer = PartsBuffer()
    trainer = grpo_trainer_class(config.grpo.prefill_groups, config.grpo.share_prompt_forward)(
        model=model,
        reward_funcs=[make_reward_function(task, buffer)],
        args=grpo_arguments(config),
        train_dataset=dataset,
        processing_class=tokenizer,
        peft_config=lora_config(config),
        callbacks=[MemenvCallback(config, logger, validator, buffer)],
    )
    quiet(trainer)
    checkpoint = latest_checkpoint(config) if resume else None
    if checkpoint is not None:
        rewind_run(logger, validator, checkpoint_step(checkpoint))
    trainer.train(resume_from_checkpoint=checkpoint)
    export_checkpoint(trainer.model, tokenizer, f"{config.output_dir}/{FINAL_DIR}")
    return {
        "steps": trainer.state.global_step,
        "best": validator.best,
        "resumed_from": checkpoint,
        "shared_prefill_calls": trainer.shared_prefill_calls,
        "shared_prompt_passes": trainer.shared_prompt_passes,
        "shared_prompt_rows": trainer.shared_prompt_rows,
    }
