"""The RL loop: collect episodes -> advantages -> epochs of minibatch updates, with evaluation
on held-out synthetic episodes and exact resume after a kill.

Every iteration draws its conversations and its sampling noise from generators seeded by
``(seed, iteration)``, and a checkpoint (model, optimizer, algorithm state, logs) is written
after every iteration, so a run killed at any point and resumed gives the same weights and the
same logs as an uninterrupted one (wall-clock fields aside).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from agents.rl.algorithms import AlgoConfig, Algorithm, StepBatch, flatten, make_algorithm
from agents.rl.checkpoint import find_checkpoint, load_checkpoint, save_checkpoint
from agents.rl.collector import EnvPool, Episode, collect
from agents.rl.policy import ForwardOut, LMPolicy
from agents.rl.tasks import get_task

FINAL = "final"
BEST = "best"
CHECKPOINT = "checkpoint"


@dataclass(frozen=True)
class RLConfig:
    """One RL run on a tier-1 task (the fields besides ``iterations`` must match to resume)."""

    task: str = field(default="manager-medium", metadata={"help": "Task name (agents.rl.tasks)."})
    algo: str = field(default="grpo", metadata={"help": "Algorithm name (agents.rl.algorithms)."})
    seed: int = field(default=0, metadata={"help": "Seeds conversations, sampling and init."})
    iterations: int = field(default=20, metadata={"help": "Collect/update iterations."})
    groups: int = field(default=2, metadata={"help": "Start states (conversations) per iteration."})
    group_size: int = field(default=4, metadata={"help": "Episodes per start state."})
    branches: int = field(
        default=0, metadata={"help": "Local re-rollout groups per iteration (manager only)."}
    )
    branch_size: int = field(default=4, metadata={"help": "Continuations per re-rollout group."})
    shaping: str | None = field(
        default=None, metadata={"help": "'potential' for dense shaped rewards (manager)."}
    )
    invalid_penalty: float | None = field(
        default=None,
        metadata={
            "help": "Training env's cost of an invalid or malformed action (None: the env's 0.1)."
        },
    )
    temperature: float = field(default=1.0, metadata={"help": "Sampling temperature."})
    epochs: int = field(default=1, metadata={"help": "Passes over each batch."})
    value_epochs: int = field(
        default=0,
        metadata={
            "help": "Extra passes of the critic alone over each batch, after the policy's, on "
            "the hidden states recorded at sampling time (algorithms with a critic: PPO). "
            "Cheap: no model pass."
        },
    )
    minibatch_size: int = field(default=64, metadata={"help": "Steps per gradient update."})
    micro_batch_size: int = field(
        default=0,
        metadata={
            "help": "Rows per training forward pass (0: the whole minibatch in one). Smaller "
            "bounds activation memory (SmolLM2 with 64 rows in one pass: 17 GB a process) at "
            "the cost of one extra gradient-free pass; the same gradient up to float rounding."
        },
    )
    length_chunk: int = field(
        default=0,
        metadata={
            "help": "Rows per chunk of the training pass after sorting the minibatch by length "
            "(0: one pass over the padded minibatch). Less padding (about 1.7x faster on the "
            "Hard manager's prompts with 8); the same gradient up to float rounding."
        },
    )
    skip_zero_advantage: bool = field(
        default=False,
        metadata={
            "help": "Leave the steps whose advantage is exactly 0 out of the training pass, "
            "for algorithms where such a step adds nothing to the loss (every one but PPO, whose "
            "critic learns from every step; not with a KL term). The loss keeps its "
            "normalisation, so the update is the same up to float rounding; faster where most "
            "steps' advantage is 0 (per-step group methods at discount 0)."
        },
    )
    lr: float = field(default=1e-4, metadata={"help": "Policy learning rate (AdamW)."})
    critic_lr: float = field(default=1e-3, metadata={"help": "Learning rate of extra modules."})
    max_grad_norm: float = field(default=1.0, metadata={"help": "Gradient clipping norm."})
    eval_every: int = field(
        default=5, metadata={"help": "Evaluate on the eval split every N iterations (0: never)."}
    )
    eval_split: str = field(default="val", metadata={"help": "Split of the learning curve."})
    eval_episodes: int = field(
        default=16, metadata={"help": "Held-out episodes per curve point (spread over the split)."}
    )
    keep_best: bool = field(
        default=False,
        metadata={
            "help": "Also export the policy of the best learning-curve point (the initial one "
            "included; the earliest on ties) to OUT/best, for selection on the eval split."
        },
    )
    bf16: bool = field(
        default=False, metadata={"help": "bfloat16 autocast in the training pass (faster)."}
    )
    num_threads: int = field(default=1, metadata={"help": "torch threads (1: deterministic)."})
    algo_config: AlgoConfig = field(default_factory=AlgoConfig)

    def __post_init__(self) -> None:
        get_task(self.task)
        for name in (
            "iterations",
            "groups",
            "group_size",
            "epochs",
            "minibatch_size",
            "eval_episodes",
        ):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if (
            min(
                self.branches,
                self.eval_every,
                self.value_epochs,
                self.micro_batch_size,
                self.length_chunk,
            )
            < 0
        ):
            raise ValueError(
                "branches, eval_every, value_epochs, micro_batch_size, length_chunk must be >= 0"
            )
        if self.invalid_penalty is not None and self.invalid_penalty < 0:
            raise ValueError(f"invalid_penalty must be >= 0, got {self.invalid_penalty}")
        if self.lr <= 0 or self.temperature <= 0:
            raise ValueError("lr and temperature must be > 0")

    def resume_key(self) -> dict[str, Any]:
        """Everything that must match for a checkpoint to be resumed (not ``iterations``)."""
        payload = asdict(self)
        payload.pop("iterations")
        # runs from before these options resume
        for name in (
            "keep_best",
            "value_epochs",
            "micro_batch_size",
            "length_chunk",
            "skip_zero_advantage",
        ):
            if not payload[name]:
                payload.pop(name)
        return payload


def _seeds(seed: int, iteration: int) -> tuple[torch.Generator, np.random.Generator]:
    g = torch.Generator().manual_seed(int(seed) * 1_000_003 + int(iteration) + 1)
    return g, np.random.default_rng([int(seed), int(iteration), 17])


def spread(keys: Sequence[int], n: int) -> list[int]:
    """``n`` keys evenly spread over ``keys`` (all of them when ``n`` >= their number)."""
    if n >= len(keys):
        return list(keys)
    return [keys[int(i)] for i in np.linspace(0, len(keys) - 1, n).round().astype(int)]


def evaluate(
    policy: LMPolicy, pool: EnvPool, keys: Sequence[int], batch_episodes: int = 64
) -> list[float]:
    """Greedy task score of each key's episode (in ``keys`` order)."""
    scores: list[float] = []
    policy.model.eval()
    for i in range(0, len(keys), batch_episodes):
        chunk = list(keys[i : i + batch_episodes])
        episodes = collect(policy, pool, chunk, 1, None, greedy=True)
        scores.extend(e.score for e in episodes)
    return scores


def episode_stats(episodes: Sequence[Episode]) -> dict[str, float]:
    """Mean return, score, invalid rates, completion length and action shares."""
    steps = [s for e in episodes for s in e.steps]
    ops = {"ADD": 0, "UPDATE": 0, "DELETE": 0, "NOOP": 0}
    for s in steps:
        word = s.text.split()[0] if s.text.split() else ""
        if word in ops:
            ops[word] += 1
    n = max(1, len(steps))
    return {
        "return": float(np.mean([e.ret for e in episodes])),
        "score": float(np.mean([e.score for e in episodes])),
        "malformed": sum(not s.valid for s in steps) / n,
        "env_invalid": sum(s.env_invalid for s in steps) / n,
        "completion_tokens": float(np.mean([len(s.completion_ids) for s in steps])),
        **{f"share_{k.lower()}": v / n for k, v in ops.items()},
    }


def fit_critic(
    algo: Algorithm,
    batch: StepBatch,
    optimizer: torch.optim.Optimizer,
    config: RLConfig,
    gen: torch.Generator,
) -> dict[str, float]:
    """``config.value_epochs`` passes of the critic alone over the batch (recorded hidden states
    and return targets); the policy's parameters get no gradient. Logs the last pass's loss."""
    if not config.value_epochs:
        return {}
    params = [p for m in algo.modules() for p in m.parameters()]
    last: list[float] = []
    for _ in range(config.value_epochs):
        order = torch.randperm(len(batch), generator=gen)
        last = []
        for start in range(0, len(batch), config.minibatch_size):
            rows = order[start : start + config.minibatch_size]
            loss = algo.critic_loss(batch.hidden[rows], batch.returns[rows])
            if loss is None:  # the algorithm has no critic
                return {}
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, config.max_grad_norm)
            optimizer.step()
            last.append(float(loss.detach()))
    return {"critic_fit_loss": float(np.mean(last))}


def trained_rows(algo: Algorithm, mb: StepBatch, config: RLConfig) -> list[int]:
    """The minibatch rows the training pass runs: all of them, or with ``skip_zero_advantage``
    (and an algorithm where such a row is inert, without a KL term) those whose advantage is
    not 0; at least one, so that every parameter gets its (zero) gradient as before."""
    rows = list(range(len(mb)))
    if not (
        config.skip_zero_advantage
        and algo.zero_advantage_is_inert
        and not config.algo_config.kl_coef
    ):
        return rows
    live = [i for i in rows if float(mb.advantages[i]) != 0.0]
    return live or rows[:1]


def _with_sampled_rows(
    mb: StepBatch, rows: list[int], logprobs: torch.Tensor, hidden: torch.Tensor
) -> ForwardOut:
    """The minibatch's pass from the fresh ``logprobs`` / ``hidden`` of ``rows``; the other rows
    keep what was recorded at sampling (no gradient)."""
    width = mb.mask.shape[1]  # the minibatch's longest completion; the rows' may be shorter
    logprobs = F.pad(logprobs, (0, width - logprobs.shape[1]))
    if len(rows) == len(mb):
        return ForwardOut(logprobs, mb.mask, hidden)
    index = torch.tensor(rows)
    return ForwardOut(
        (mb.old_logprobs * mb.mask).index_copy(0, index, logprobs),
        mb.mask,
        mb.hidden.index_copy(0, index, hidden),
    )


def minibatch_backward(
    policy: LMPolicy, algo: Algorithm, mb: StepBatch, config: RLConfig
) -> tuple[torch.Tensor, dict[str, float]]:
    """The algorithm's loss on one minibatch, with its gradient accumulated into the policy
    (and the algorithm's modules).

    The pass runs the rows of :func:`trained_rows`. With ``micro_batch_size`` smaller than
    them, a gradient-free pass gives their log-probabilities and hidden states; the loss and its
    gradient with respect to them are computed on the whole minibatch (so any normalisation is
    unchanged), then each micro-batch is run again with gradients and back-propagated from its
    slice of those."""
    rows, micro = trained_rows(algo, mb, config), config.micro_batch_size
    share = {"trained_share": len(rows) / len(mb)} if config.skip_zero_advantage else {}

    def run(chunk: list[int]) -> ForwardOut:
        return policy.forward(
            [mb.prompt_ids[i] for i in chunk],
            [mb.completion_ids[i] for i in chunk],
            config.temperature,
            bf16=config.bf16,
            length_chunk=config.length_chunk,
        )

    if not micro or micro >= len(rows):
        fresh = run(rows)
        loss, stats = algo.loss(_with_sampled_rows(mb, rows, fresh.logprobs, fresh.hidden), mb)
        loss.backward()
        return loss, {**stats, **share}
    chunks = [rows[i : i + micro] for i in range(0, len(rows), micro)]
    with torch.no_grad():
        parts = [run(chunk) for chunk in chunks]
    width = mb.mask.shape[1]
    logprobs = torch.cat([F.pad(p.logprobs, (0, width - p.logprobs.shape[1])) for p in parts])
    hidden = torch.cat([p.hidden for p in parts])
    logprobs.requires_grad_()
    hidden.requires_grad_()
    loss, stats = algo.loss(_with_sampled_rows(mb, rows, logprobs, hidden), mb)
    loss.backward()
    start = 0
    for chunk, part in zip(chunks, parts, strict=True):
        fresh = run(chunk)
        here = slice(start, start + len(chunk))
        start += len(chunk)
        outputs, grads = [], []
        if logprobs.grad is not None:
            outputs.append(fresh.logprobs)
            grads.append(logprobs.grad[here, : part.logprobs.shape[1]])
        if hidden.grad is not None:
            outputs.append(fresh.hidden)
            grads.append(hidden.grad[here])
        if outputs:
            torch.autograd.backward(outputs, grads)
    return loss, {**stats, **share}


def _write_json(path: Path, payload: Any) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(payload, indent=1) + "\n")
    tmp.replace(path)


def train(
    config: RLConfig,
    init_model: str | Path,
    out_dir: str | Path,
    *,
    log: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Train (or resume) and export the policy to ``out_dir/final``; give the run's record."""
    torch.set_num_threads(config.num_threads)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    task = get_task(config.task)
    policy = LMPolicy.load(init_model)
    algo = make_algorithm(config.algo, config.algo_config, policy.hidden_size, config.seed)
    if algo.needs_groups and config.group_size < 2:
        raise ValueError(f"{config.algo} compares episodes of a group: group_size must be >= 2")
    ref = LMPolicy.load(init_model) if config.algo_config.kl_coef > 0 else None
    extra = algo.modules()
    optimizer = torch.optim.AdamW(
        [
            {"params": list(policy.model.parameters()), "lr": config.lr},
            {"params": [p for m in extra for p in m.parameters()], "lr": config.critic_lr},
        ],
        weight_decay=0.0,
    )
    modules = [policy.model, *extra]
    record: dict[str, Any] = {
        "config": config.resume_key(),
        "init_model": str(init_model),
        "iteration": 0,
        "logs": [],
        "curve": [],
        "samples": {"episodes": 0, "steps": 0, "tokens": 0},
        "wall_seconds": 0.0,
        "algo_state": {},
    }
    found = find_checkpoint(out / CHECKPOINT)
    if found is not None:
        saved = json.loads((found / "state.json").read_text())
        if saved["config"] != record["config"]:
            raise ValueError(
                f"{out} holds a run with other settings; use another folder (or delete it)"
            )
        record = load_checkpoint(found, modules, optimizer)
        algo.load_extra_state(record["algo_state"])
    train_pool = EnvPool(task, "train", config.shaping, config.invalid_penalty)
    eval_pool = EnvPool(task, config.eval_split)
    eval_keys = spread(eval_pool.keys, config.eval_episodes)

    def curve_point(iteration: int) -> None:
        scores = evaluate(policy, eval_pool, eval_keys)
        point = {"iteration": iteration, "score": float(np.mean(scores)), **record["samples"]}
        record["curve"].append(point)
        best = record.get("best")
        if config.keep_best and (best is None or point["score"] > best["score"]):
            # a kill before the next checkpoint replays this iteration and writes the same weights
            policy.save(out / BEST)
            record["best"] = {"iteration": iteration, "score": point["score"]}
        if log:
            log({"eval": point})

    if record["iteration"] == 0 and config.eval_every and not record["curve"]:
        curve_point(0)
    while record["iteration"] < config.iterations:
        it = record["iteration"]
        t0 = time.perf_counter()
        gen, rng = _seeds(config.seed, it)
        keys = [int(k) for k in rng.choice(train_pool.keys, size=config.groups, replace=False)]
        policy.model.eval()
        episodes = collect(
            policy,
            train_pool,
            keys,
            config.group_size,
            gen,
            temperature=config.temperature,
            branches=config.branches,
            branch_size=config.branch_size,
            rng=rng,
        )
        advantages, returns = algo.advantages(episodes)
        batch = flatten(episodes, advantages, returns)
        if ref is not None:
            with torch.no_grad():
                batch.ref_logprobs = ref.forward(
                    batch.prompt_ids,
                    batch.completion_ids,
                    config.temperature,
                    length_chunk=config.length_chunk,
                ).logprobs
        policy.model.train()
        losses: list[dict[str, float]] = []
        for _ in range(config.epochs):
            order = torch.randperm(len(batch), generator=gen)
            for start in range(0, len(batch), config.minibatch_size):
                mb = batch.select(order[start : start + config.minibatch_size])
                optimizer.zero_grad(set_to_none=True)
                loss, stats = minibatch_backward(policy, algo, mb, config)
                params = [p for m in modules for p in m.parameters()]
                norm = torch.nn.utils.clip_grad_norm_(params, config.max_grad_norm)
                optimizer.step()
                losses.append({**stats, "loss": float(loss.detach()), "grad_norm": float(norm)})
        critic_fit = fit_critic(algo, batch, optimizer, config, gen)
        policy.model.eval()
        steps = [s for e in episodes for s in e.steps]
        record["samples"]["episodes"] += len(episodes)
        record["samples"]["steps"] += len(steps)
        record["samples"]["tokens"] += sum(len(s.completion_ids) for s in steps)
        entry = {
            "iteration": it + 1,
            **episode_stats(episodes),
            **{k: float(np.mean([x[k] for x in losses])) for k in losses[0]},
            **critic_fit,
            "seconds": round(time.perf_counter() - t0, 2),
        }
        record["logs"].append(entry)
        record["iteration"] = it + 1
        if log:
            log(entry)
        if config.eval_every and (it + 1) % config.eval_every == 0:
            curve_point(it + 1)
        record["wall_seconds"] += time.perf_counter() - t0
        record["algo_state"] = algo.extra_state()
        save_checkpoint(out / CHECKPOINT, modules, optimizer, record)
    policy.save(out / FINAL)
    _write_json(out / "run.json", record)
    return record
