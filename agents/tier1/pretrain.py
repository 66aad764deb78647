"""Pretraining of the tier-1 model: a plain torch loop, deterministic.

Documents are encoded as ``<|bos|> text <|eos|>``, shuffled with the seed, concatenated and cut
into rows of ``seq_len`` tokens; each epoch visits the rows in a fresh seeded order. AdamW with
linear warmup and a cosine decay, gradient clipping, a fixed ``torch.set_num_threads``, and
optionally bfloat16 autocast (faster on CPUs with AVX-512-BF16; master weights stay float32).
Same seed, data, settings, thread count and library versions: same weights.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

REFERENCE_TOKENS_PER_SECOND = 9_000.0
"""Training tokens/s of the default model on the reference machine (2-core AMD EPYC with
AVX-512-BF16, bf16 autocast, nothing else running): turns a time budget into a fixed number of
steps, so that a budget gives the same weights on any machine. See docs/tier1.md."""


@dataclass(frozen=True)
class TrainConfig:
    """Pretraining settings; all of them but ``log_every`` change the weights."""

    steps: int | None = field(
        default=None,
        metadata={
            "help": "Optimizer steps; None derives them from budget_seconds and "
            "REFERENCE_TOKENS_PER_SECOND (deterministic, not a wall-clock cut)."
        },
    )
    budget_seconds: float = field(
        default=450.0,
        metadata={"help": "Nominal training seconds on the reference machine (when steps=None)."},
    )
    batch_size: int = field(default=16, metadata={"help": "Rows per step."})
    seq_len: int = field(default=512, metadata={"help": "Tokens per row."})
    lr: float = field(default=2e-3, metadata={"help": "Peak learning rate."})
    min_lr_ratio: float = field(
        default=0.1, metadata={"help": "Final learning rate as a share of the peak (cosine)."}
    )
    warmup_steps: int = field(default=30, metadata={"help": "Linear warmup steps."})
    weight_decay: float = field(default=0.1, metadata={"help": "AdamW weight decay."})
    beta2: float = field(default=0.95, metadata={"help": "AdamW beta2 (beta1 is 0.9)."})
    grad_clip: float = field(default=1.0, metadata={"help": "Gradient norm clip."})
    bf16: bool = field(
        default=True,
        metadata={"help": "bfloat16 autocast on CPU (measured faster with the same loss)."},
    )
    num_threads: int = field(
        default=2, metadata={"help": "torch.set_num_threads during training (part of the key)."}
    )
    log_every: int = field(default=25, metadata={"help": "Steps between loss-curve points."})

    def __post_init__(self) -> None:
        if self.steps is not None and (not isinstance(self.steps, int) or self.steps < 1):
            raise ValueError(f"steps must be a positive int or None, got {self.steps!r}")
        if not self.budget_seconds > 0:
            raise ValueError(f"budget_seconds must be > 0, got {self.budget_seconds!r}")
        for name in ("batch_size", "seq_len", "num_threads", "log_every"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")

    @property
    def total_steps(self) -> int:
        if self.steps is not None:
            return self.steps
        tokens = self.budget_seconds * REFERENCE_TOKENS_PER_SECOND
        return max(1, round(tokens / (self.batch_size * self.seq_len)))


def pack_rows(documents: list[list[int]], seq_len: int, seed: int) -> np.ndarray:
    """Documents in a seeded order, concatenated and cut into ``(rows, seq_len)`` (tail dropped;
    a corpus shorter than one row is repeated)."""
    if not documents:
        raise ValueError("no documents to pack")
    order = np.random.default_rng([seed, 7]).permutation(len(documents))
    stream = np.concatenate([np.asarray(documents[i], dtype=np.int64) for i in order])
    if len(stream) < seq_len:
        stream = np.tile(stream, math.ceil(seq_len / len(stream)))
    rows = len(stream) // seq_len
    return stream[: rows * seq_len].reshape(rows, seq_len)


def lr_at(step: int, config: TrainConfig) -> float:
    """Learning rate of (0-based) ``step``: linear warmup, then cosine to ``min_lr_ratio``."""
    total = config.total_steps
    if step < config.warmup_steps:
        return config.lr * (step + 1) / config.warmup_steps
    span = max(1, total - config.warmup_steps)
    progress = min(1.0, (step - config.warmup_steps) / span)
    cosine = 0.5 * (1 + math.cos(math.pi * progress))
    return config.lr * (config.min_lr_ratio + (1 - config.min_lr_ratio) * cosine)


@dataclass
class TrainResult:
    steps: int
    tokens: int
    final_loss: float
    """Mean training loss over the last 10% of steps (at least one)."""
    eval_loss: float | None
    curve: list[dict[str, float]]
    wall_seconds: float
    cpu_seconds: float

    @property
    def tokens_per_second(self) -> float:
        return self.tokens / self.wall_seconds if self.wall_seconds else 0.0


def _autocast(enabled: bool) -> Any:
    import torch

    return torch.autocast("cpu", dtype=torch.bfloat16, enabled=enabled)


def evaluate_loss(model: Any, rows: np.ndarray, batch_size: int, bf16: bool) -> float:
    """Mean next-token loss over ``rows``."""
    import torch

    model.eval()
    total, count = 0.0, 0
    with torch.no_grad(), _autocast(bf16):
        for start in range(0, len(rows), batch_size):
            batch = torch.from_numpy(rows[start : start + batch_size])
            loss = model(input_ids=batch, labels=batch).loss
            total += float(loss) * len(batch)
            count += len(batch)
    model.train()
    return total / max(1, count)


def pretrain(
    model: Any,
    documents: list[list[int]],
    config: TrainConfig,
    seed: int,
    *,
    eval_documents: list[list[int]] | None = None,
    log: Callable[[str], None] | None = None,
) -> TrainResult:
    """Train ``model`` in place on token-id ``documents``; same inputs, same weights."""
    import torch

    previous_threads = torch.get_num_threads()
    torch.set_num_threads(config.num_threads)
    try:
        return _train(model, documents, config, seed, eval_documents, log)
    finally:
        torch.set_num_threads(previous_threads)


def _train(model, documents, config, seed, eval_documents, log) -> TrainResult:
    import torch

    rows = pack_rows(documents, config.seq_len, seed)
    total = config.total_steps
    torch.manual_seed(seed)
    decay = [p for n, p in model.named_parameters() if p.ndim >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.ndim < 2]
    optimizer = torch.optim.AdamW(
        [
            {"params": decay, "weight_decay": config.weight_decay},
            {"params": no_decay, "weight_decay": 0.0},
        ],
        lr=config.lr,
        betas=(0.9, config.beta2),
        foreach=True,
    )
    model.train()
    order_rng = np.random.default_rng([seed, 11])
    order = order_rng.permutation(len(rows))
    cursor = 0
    losses: list[float] = []
    curve: list[dict[str, float]] = []
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for step in range(total):
        picked = []
        while len(picked) < config.batch_size:  # wrap into a new epoch order when needed
            if cursor == len(order):
                order, cursor = order_rng.permutation(len(rows)), 0
            take = min(config.batch_size - len(picked), len(order) - cursor)
            picked.extend(order[cursor : cursor + take])
            cursor += take
        batch = torch.from_numpy(rows[np.asarray(picked)])
        lr = lr_at(step, config)
        for group in optimizer.param_groups:
            group["lr"] = lr
        with _autocast(config.bf16):
            loss = model(input_ids=batch, labels=batch).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        losses.append(float(loss.detach()))
        if (step + 1) % config.log_every == 0 or step + 1 == total:
            wall = time.perf_counter() - wall0
            window = losses[-config.log_every :]
            point = {
                "step": step + 1,
                "loss": round(sum(window) / len(window), 4),
                "lr": lr,
                "wall_seconds": round(wall, 1),
                "tokens_per_second": round((step + 1) * batch.numel() / wall, 1),
            }
            curve.append(point)
            if log:
                log(
                    f"step {step + 1}/{total}  loss {point['loss']:.3f}  "
                    f"{point['tokens_per_second']:.0f} tok/s  {wall:.0f}s"
                )
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    tail = losses[-max(1, total // 10) :]
    eval_loss = None
    if eval_documents:
        eval_rows = pack_rows(eval_documents, config.seq_len, seed)
        eval_loss = evaluate_loss(model, eval_rows, config.batch_size, config.bf16)
    model.eval()
    return TrainResult(
        steps=total,
        tokens=total * config.batch_size * config.seq_len,
        final_loss=sum(tail) / len(tail),
        eval_loss=eval_loss,
        curve=curve,
        wall_seconds=wall,
        cpu_seconds=cpu,
    )
