"""What the two TRL-based trainers (GRPO, SFT) share: argument mapping, logging and validation
callbacks, and resuming from the latest ``checkpoint-N`` folder."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from transformers import TrainerCallback
from transformers.trainer_callback import PrinterCallback, ProgressCallback

from agents.train.config import RunConfig
from agents.train.logs import RunLogger, plot_curve
from agents.train.model import bf16_autocast, use_cpu
from agents.train.validation import Validator

_RENAME = {
    "completions/mean_length": "response_length",
    "train_loss": "loss",
    "mean_token_accuracy": "token_accuracy",
}


def trainer_arguments(config: RunConfig) -> dict[str, Any]:
    """``TrainingArguments`` fields every TRL trainer here takes from the run config."""
    train = config.train
    return {
        "output_dir": str(Path(config.output_dir) / "checkpoints"),
        "max_steps": train.max_steps,
        "learning_rate": train.learning_rate,
        "weight_decay": train.weight_decay,
        "warmup_steps": train.warmup_steps,
        "max_grad_norm": train.max_grad_norm,
        "lr_scheduler_type": "constant_with_warmup",
        "logging_steps": train.log_every,
        "save_strategy": "steps" if train.save_every else "no",
        "save_steps": train.save_every or 500,
        "save_total_limit": 2,
        "save_only_model": False,
        "report_to": [],
        "seed": config.seed,
        "data_seed": config.seed,
        "use_cpu": use_cpu(config),
        # bf16 mixed precision: bfloat16 weights on a GPU, or model.autocast (CPU or GPU)
        "bf16": (config.model.dtype == "bfloat16" and not use_cpu(config)) or bf16_autocast(config),
        "fp16": False,
        # TRL's configs default to True: follow model.gradient_checkpointing instead.
        "gradient_checkpointing": config.model.gradient_checkpointing,
        "disable_tqdm": True,
        "remove_unused_columns": False,
        "dataloader_num_workers": 0,
    }


def latest_checkpoint(config: RunConfig) -> str | None:
    folder = Path(config.output_dir) / "checkpoints"
    found = sorted(
        (
            p
            for p in folder.glob("checkpoint-*")
            # trainer_state.json is written last: without it the save was cut short (a kill)
            if p.name.split("-")[-1].isdigit() and (p / "trainer_state.json").is_file()
        ),
        key=lambda p: int(p.name.split("-")[-1]),
    )
    return str(found[-1]) if found else None


class PartsBuffer:
    """Collects the reward parts of the outputs scored since the last log line."""

    def __init__(self) -> None:
        self.values: dict[str, list[float]] = defaultdict(list)

    def add(self, parts: list[dict[str, Any]]) -> None:
        for item in parts:
            for key, value in item.items():
                if isinstance(value, int | float) and key != "reward":
                    self.values[key].append(float(value))

    def drain(self) -> dict[str, float]:
        out = {f"train_{k}": sum(v) / len(v) for k, v in self.values.items() if v}
        self.values.clear()
        return out


def quiet(trainer: Any) -> Any:
    """Drop the callbacks that print each raw log dictionary (``MemenvCallback`` shows a bar)."""
    trainer.remove_callback(PrinterCallback)
    trainer.remove_callback(ProgressCallback)
    return trainer


class MemenvCallback(TrainerCallback):
    """Writes TRL's logs to ``log.jsonl`` and validates every ``train.eval_every`` steps."""

    def __init__(
        self,
        config: RunConfig,
        logger: RunLogger,
        validator: Validator,
        buffer: PartsBuffer | None = None,
    ):
        self.config, self.logger, self.validator = config, logger, validator
        self.buffer = buffer or PartsBuffer()
        self.last_validated = -1
        self.bar: Any = None

    def on_train_begin(self, args: Any, state: Any, control: Any, **kw: Any):
        if self.config.train.progress:
            from tqdm.auto import tqdm

            self.bar = tqdm(
                total=state.max_steps,
                initial=state.global_step,
                desc=f"{self.config.algorithm} steps",
                unit="step",
                dynamic_ncols=True,
            )
            self.validator.announce = self.bar.write

    def on_log(self, args: Any, state: Any, control: Any, logs: dict | None = None, **kw: Any):
        if not logs or "train_runtime" in logs:
            return
        values = {_RENAME.get(k, k): v for k, v in logs.items()}
        values.update(self.buffer.drain())
        self.logger.log("train", state.global_step, values)
        if self.bar is not None:
            shown = {k: values[k] for k in ("reward", "loss", "kl") if values.get(k) is not None}
            self.bar.set_postfix({k: f"{v:.3g}" for k, v in shown.items()}, refresh=False)

    def _validate(self, state: Any, model: Any, tokenizer: Any) -> None:
        if state.global_step == self.last_validated:
            return
        self.last_validated = state.global_step
        self.validator(model, tokenizer, state.global_step)

    def on_step_end(self, args: Any, state: Any, control: Any, **kw: Any):
        if self.bar is not None:
            self.bar.update(state.global_step - self.bar.n)
        every = self.config.train.eval_every
        if every and state.global_step % every == 0:
            self._validate(state, kw["model"], kw["processing_class"])

    def on_train_end(self, args: Any, state: Any, control: Any, **kw: Any):
        self._validate(state, kw["model"], kw["processing_class"])
        plot_curve(self.config.output_dir)
        if self.bar is not None:
            self.bar.close()
            self.bar = None
            self.validator.announce = None
