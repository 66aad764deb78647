"""What makes a resumed run the same run: data order by epoch, counters, and a rewound log.

- TRL's ``RepeatSampler`` (GRPO) draws each epoch's order from one generator that advances as it
  is iterated, so a run resumed in epoch ``e`` (a fresh sampler) replays epoch 0's order.
  :class:`EpochRepeatSampler` gives epoch ``e`` the same order however many epochs the object
  itself went through: it reseeds and skips ``e`` permutations, which reproduces exactly what an
  uninterrupted run draws.
- Trainer attributes that are not in the checkpoint (SFT's ``num_tokens`` total) are saved in
  ``trainer_state.json`` by :class:`CounterState` and put back by :func:`restore_counters`.
- A killed run may have logged and validated past the checkpoint it resumes from:
  :func:`rewind_run` drops those rows from ``log.jsonl`` and the best-so-far they set, so the
  resumed run writes the same log (and exports ``best`` at the same steps) as an uninterrupted one.
"""

from __future__ import annotations

import json
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import torch
from transformers import TrainerCallback
from transformers.trainer_callback import ExportableState
from trl.trainer.utils import RepeatSampler

from agents.train.logs import LOG_NAME, RunLogger
from agents.train.validation import Validator


class EpochRepeatSampler(RepeatSampler):
    """``RepeatSampler`` whose order in epoch ``e`` (:meth:`set_epoch`) is the ``e``-th
    permutation of a generator seeded with ``seed``, as an uninterrupted run draws it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def __iter__(self):
        if self.shuffle:
            self.generator.manual_seed(0 if self.seed is None else self.seed)
            for _ in range(self.epoch):  # the permutations of the epochs before this one
                torch.randperm(self.num_samples, generator=self.generator)
        return super().__iter__()


def group_shuffle(seq_dict: dict[str, Any], group: int) -> dict[str, Any]:
    """Shuffle a generation batch by whole groups: the blocks of ``group`` consecutive rows (one
    prompt's completions, as TRL's repeat sampler lays them out) move together, in a random
    order. TRL shuffles rows; keeping a group's rows in one micro-batch lets the shared-prompt
    pass run their prompt once. The accumulated gradient of a step is a sum over all its
    micro-batches, so the order does not change it (up to rounding)."""
    rows = len(next(v for v in seq_dict.values() if v is not None))
    if group < 1 or rows % group:
        raise ValueError(f"a generation batch of {rows} rows is not made of groups of {group}")
    blocks = torch.randperm(rows // group)
    order = (blocks[:, None] * group + torch.arange(group)[None, :]).reshape(-1)

    def permute(value: Any) -> Any:
        if value is None or (isinstance(value, torch.Tensor) and value.ndim == 0):
            return value
        if isinstance(value, torch.Tensor):
            return value[order]
        return [value[i] for i in order.tolist()]

    return {key: permute(value) for key, value in seq_dict.items()}


def _checkpointing(model: Any) -> bool:
    """Whether activation (gradient) checkpointing is on, under either transformers name."""
    for name in ("is_activation_checkpointing", "is_gradient_checkpointing"):
        if hasattr(type(model), name) or hasattr(model, name):
            return bool(getattr(model, name))
    return False


def grpo_trainer_class(prefill_groups: bool = True, share_prompt_forward: bool = True) -> type:
    """TRL's ``GRPOTrainer`` with :class:`EpochRepeatSampler` as its training sampler; with
    ``prefill_groups``, each group's prompt encoded once in transformers generation
    (:func:`agents.llm.prefill.patched_generate`); with ``share_prompt_forward``, once per
    micro-batch in the log-probability passes (:mod:`agents.train.shared_prompt`)."""
    from trl import GRPOTrainer

    from agents.llm.prefill import patched_generate
    from agents.train.shared_prompt import prompt_groups, shared_prompt_logps

    multimodal = (
        "pixel_values",
        "image_grid_thw",
        "num_images",
        "pixel_attention_mask",
        "spatial_shapes",
        "num_tiles",
        "image_sizes",
        "token_type_ids",
        "mm_token_type_ids",
        "image_position_ids",
    )

    class ResumableGRPOTrainer(GRPOTrainer):
        shared_prefill_calls = 0  # generate calls that shared a group's prefill
        shared_prompt_passes = 0  # log-probability chunks computed with shared prompts
        shared_prompt_rows = 0  # rows of those chunks whose prompt another row already ran

        def _generate_single_turn(self, prompt_ids, images, multimodal_fields, *args, **kwargs):
            plain = (
                not prefill_groups
                or self.use_vllm
                or self.use_transformers_continuous_batching
                or images
                or multimodal_fields
            )
            if plain:
                return super()._generate_single_turn(
                    prompt_ids, images, multimodal_fields, *args, **kwargs
                )
            model = self.accelerator.unwrap_model(self.model_wrapped)
            # CPU bf16 autocast re-casts every float32 weight at each decoding step: measured
            # slower than float32 decoding (memenv bench rl), so generation runs without it
            cpu = self.accelerator.device.type == "cpu"
            no_autocast = torch.autocast("cpu", enabled=False) if cpu else nullcontext()
            with patched_generate(model) as shared, no_autocast:
                out = super()._generate_single_turn(
                    prompt_ids, images, multimodal_fields, *args, **kwargs
                )
            self.shared_prefill_calls += len(shared)
            return out

        def _get_per_token_logps_and_entropies(
            self,
            model,
            input_ids,
            attention_mask,
            logits_to_keep,
            batch_size=None,
            compute_entropy=False,
            compute_aux_loss=False,
            **kwargs,
        ):
            plain = (
                not share_prompt_forward
                or compute_aux_loss
                or any(kwargs.get(name) is not None for name in multimodal)
                # checkpointing turns the key/value cache off, which the shared pass needs
                or _checkpointing(self.accelerator.unwrap_model(model))
            )
            if plain:
                return super()._get_per_token_logps_and_entropies(
                    model,
                    input_ids,
                    attention_mask,
                    logits_to_keep,
                    batch_size,
                    compute_entropy,
                    compute_aux_loss,
                    **kwargs,
                )
            batch_size = batch_size or input_ids.size(0)
            logps, entropies = [], []
            for start in range(0, input_ids.size(0), batch_size):
                end = start + batch_size
                with self.accelerator.autocast():
                    chunk_logps, chunk_entropies = shared_prompt_logps(
                        model,
                        input_ids[start:end],
                        attention_mask[start:end],
                        logits_to_keep,
                        temperature=self.temperature,
                    )
                self.shared_prompt_passes += 1
                prompt_len = input_ids.size(1) - logits_to_keep
                groups = prompt_groups(input_ids[start:end], attention_mask[start:end], prompt_len)
                self.shared_prompt_rows += len(input_ids[start:end]) - len(groups)
                logps.append(chunk_logps)
                entropies.append(chunk_entropies)
            return (
                torch.cat(logps),
                torch.cat(entropies) if compute_entropy else None,
                None,
            )

        def _prepare_inputs(self, generation_batch: Any) -> Any:
            if not share_prompt_forward:
                return super()._prepare_inputs(generation_batch)
            import trl.trainer.grpo_trainer as trl_grpo

            original = trl_grpo.shuffle_sequence_dict
            trl_grpo.shuffle_sequence_dict = lambda batch: group_shuffle(
                batch, self.num_generations
            )
            try:
                return super()._prepare_inputs(generation_batch)
            finally:
                trl_grpo.shuffle_sequence_dict = original

        def _get_train_sampler(self, dataset: Any = None) -> Any:
            sampler = super()._get_train_sampler(dataset)
            if type(sampler) is not RepeatSampler:
                return sampler
            return EpochRepeatSampler(
                data_source=sampler.data_source,
                mini_repeat_count=sampler.mini_repeat_count,
                batch_size=sampler.batch_size,
                repeat_count=sampler.repeat_count,
                shuffle=sampler.shuffle,
                seed=sampler.seed,
            )

    return ResumableGRPOTrainer


class CounterState(TrainerCallback, ExportableState):
    """Puts trainer attributes (e.g. SFT's ``_total_train_tokens``) into ``trainer_state.json``."""

    def __init__(self, trainer: Any = None, names: tuple[str, ...] = ()):
        self.trainer, self.names = trainer, tuple(names)

    def state(self) -> dict[str, Any]:
        values = {name: getattr(self.trainer, name) for name in self.names}
        return {"args": {}, "attributes": {"counters": values}}


def restore_counters(trainer: Any, checkpoint: str | None) -> None:
    """Set the attributes :class:`CounterState` saved in ``checkpoint`` back on ``trainer``."""
    if checkpoint is None:
        return
    state = json.loads((Path(checkpoint) / "trainer_state.json").read_text(encoding="utf-8"))
    saved = (state.get("stateful_callbacks") or {}).get(CounterState.__name__)
    if isinstance(saved, list):
        saved = saved[0] if saved else None
    counters = ((saved or {}).get("attributes") or {}).get("counters") or {}
    for name, value in counters.items():
        setattr(trainer, name, value)


def checkpoint_step(checkpoint: str | None) -> int:
    """The global step a ``checkpoint-N`` folder was saved at (0 for none)."""
    if checkpoint is None:
        return 0
    state = json.loads((Path(checkpoint) / "trainer_state.json").read_text(encoding="utf-8"))
    return int(state["global_step"])


def rewind_run(logger: RunLogger, validator: Validator, step: int) -> None:
    """Forget what a killed run logged after ``step``: its ``train``/``val`` rows in
    ``log.jsonl`` and a best checkpoint chosen after it (the resumed run redoes those steps)."""
    path = logger.out_dir / LOG_NAME
    if path.is_file():
        kept = []
        for line in path.read_text(encoding="utf-8").splitlines(keepends=True):
            try:
                row = json.loads(line)
            except ValueError:
                continue  # a line torn by the kill
            if not line.endswith("\n"):
                line += "\n"
            if row.get("kind") in ("train", "val") and int(row.get("step", 0)) > step:
                continue
            kept.append(line)
        tmp = path.with_suffix(".tmp")
        tmp.write_text("".join(kept), encoding="utf-8")
        tmp.replace(path)
    validator.rewind(step)
