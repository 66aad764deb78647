"""The initial policy of the RL runs: SFT of a tier-1 build on an imperfect teacher.

Manager tasks: a scripted memory system of ``memenv.systems`` (``mem0`` rules, ``ideal-ops``,
...) drives the training conversations; each decision becomes a (prompt, compact action) row,
and with probability ``noise`` the teacher's action is replaced by a uniformly random valid one
(what the student is taught is what is applied, so the memory lists it sees match its labels).
Texts are dropped (UPDATE/ADD store the fact). Answer task: the extractive reader over the
memories the prompt shows. A small fixed budget of steps keeps the student imperfect.

The result is cached by a key of everything that determines it (same seed, same weights).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from agents.folders import atomic_folder
from agents.rl.policy import LMPolicy
from agents.rl.tasks import Task, get_task
from agents.tier1.prompts import MANAGER_OPS, format_manager_action

SFT_VERSION = 1


@dataclass(frozen=True)
class SFTConfig:
    """SFT of the initial policy on a teacher's decisions."""

    task: str = field(default="manager-medium", metadata={"help": "Task name (agents.rl.tasks)."})
    teacher: str = field(
        default="mem0",
        metadata={"help": "Manager: a memory system name; answer: 'extractive' (the reader)."},
    )
    noise: float = field(
        default=0.0, metadata={"help": "Share of teacher actions replaced by random valid ones."}
    )
    conversations: int = field(
        default=64, metadata={"help": "Training conversations (manager) the rows come from."}
    )
    max_rows: int = field(default=4000, metadata={"help": "At most this many rows (answer)."})
    steps: int = field(default=100, metadata={"help": "Gradient steps (the budget)."})
    batch_size: int = field(default=32, metadata={"help": "Rows per step."})
    lr: float = field(default=5e-4, metadata={"help": "AdamW learning rate."})
    seed: int = field(default=0, metadata={"help": "Seeds the noise and the row order."})
    bf16: bool = field(default=False, metadata={"help": "bfloat16 autocast (faster)."})

    def __post_init__(self) -> None:
        get_task(self.task)
        if not 0 <= self.noise <= 1:
            raise ValueError(f"noise must be in [0, 1], got {self.noise}")
        if self.steps < 0 or self.batch_size < 1 or self.conversations < 1:
            raise ValueError("steps >= 0, batch_size >= 1 and conversations >= 1 are required")


def _compact(action: Any, n_shown: int) -> str:
    """A scripted policy's action as a tier-1 completion (its first operation, no text)."""
    if isinstance(action, str):
        from memenv.parsing import parse_manager_output

        ops, _ = parse_manager_output(action)
        ops = [o for o in ops if not o.error]
        if not ops:
            return " NOOP"
        op, target = ops[0].op, ops[0].target
    else:
        raw = action["op"]
        op = MANAGER_OPS[int(raw)] if not isinstance(raw, str) else raw.strip().upper()
        target = action.get("target")
    if op in ("UPDATE", "DELETE"):
        try:
            index = int(str(target))
        except (TypeError, ValueError):
            return " NOOP"
        if not 0 <= index < n_shown:
            return " NOOP"
        return format_manager_action(op, index)
    return format_manager_action(op if op in ("ADD", "NOOP") else "NOOP")


def _random_action(rng: np.random.Generator, n_shown: int) -> str:
    op = MANAGER_OPS[int(rng.integers(4))] if n_shown else ("ADD", "NOOP")[int(rng.integers(2))]
    if op in ("UPDATE", "DELETE"):
        return format_manager_action(op, int(rng.integers(n_shown)))
    return format_manager_action(op)


def manager_rows(task: Task, config: SFTConfig) -> list[tuple[str, str]]:
    """(prompt, completion) rows from the teacher driving the training conversations."""
    from agents.tier1.prompts import parse_manager_action
    from memenv.systems import make_memory_system

    env = task.make_env("train")
    system = make_memory_system(config.teacher)
    rng = np.random.default_rng([config.seed, 29])
    rows = []
    for key in task.episode_keys(env)[: config.conversations]:
        obs, info = task.start(env, key)
        policy = system.make_policy(env)
        done = False
        while not done:
            n_shown = len(info["shown_memory_ids"])
            teacher = _compact(policy.act(obs, info), n_shown)
            text = _random_action(rng, n_shown) if rng.random() < config.noise else teacher
            rows.append((task.render(obs), text))
            action = parse_manager_action(text, n_shown)
            obs, _, done, _, info = env.step(action.as_env_action())
    return rows


def answer_rows(task: Task, config: SFTConfig) -> list[tuple[str, str]]:
    """(prompt, answer) rows of the extractive reader over the memories the prompt shows."""
    from memenv.answerers import make_answerer

    if config.teacher != "extractive" and not config.teacher.startswith("extractive"):
        raise ValueError(f"the answer task's teacher is an extractive reader, got {config.teacher}")
    env = task.make_env("train")
    reader = make_answerer(config.teacher)
    keys = task.episode_keys(env)
    rng = np.random.default_rng([config.seed, 31])
    chosen = sorted(rng.choice(keys, size=min(config.max_rows, len(keys)), replace=False))
    rows = []
    for key in chosen:
        obs, info = task.start(env, int(key))
        k = env.k
        shown = [m for m in env.shown[:k][:5] + env.shown[k:][:5] if m is not None]
        answer, _ = reader.answer(obs["question"], obs["question_date"], shown)
        if rng.random() < config.noise or not answer.strip():
            continue
        rows.append((task.render(obs), " " + " ".join(answer.split())))
    return rows


def _base_id(folder: Path) -> str:
    info = folder / "build_info.json"
    if info.is_file():
        key = json.loads(info.read_text()).get("key")
        if key:
            return str(key)
    return hashlib.sha256((folder / "model.safetensors").read_bytes()).hexdigest()[:16]


def sft_key(config: SFTConfig, base: Path, num_threads: int = 1) -> str:
    """The cache key: config, base build and (when not the reference 1) the thread count, since
    other thread counts need not give bit-identical weights on every CPU."""
    payload: dict[str, object] = {
        "v": SFT_VERSION,
        "config": asdict(config),
        "base": _base_id(base),
    }
    if num_threads != 1:
        payload["num_threads"] = num_threads
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


def sft_cache_root() -> Path:
    root = os.environ.get("MEMENV_CACHE_DIR", "~/.cache/memenv")
    return Path(root).expanduser() / "tier1-sft"


def train_sft(policy: LMPolicy, rows: list[tuple[str, str]], config: SFTConfig) -> list[float]:
    """Cross-entropy on the completion tokens; gives the loss of every step."""
    if not rows:
        raise ValueError("SFT needs at least one (prompt, completion) row")
    torch.manual_seed(config.seed)
    gen = torch.Generator().manual_seed(config.seed)
    eos = policy.eos_id
    prompts = policy.encode([p for p, _ in rows])
    completions = [
        list(x) + [eos]
        for x in policy.tokenizer([c for _, c in rows], add_special_tokens=False)["input_ids"]
    ]
    optimizer = torch.optim.AdamW(policy.model.parameters(), lr=config.lr, weight_decay=0.0)
    policy.model.train()
    losses, order, pos = [], torch.randperm(len(rows), generator=gen), 0
    for _ in range(config.steps):
        if pos + config.batch_size > len(order):
            order, pos = torch.randperm(len(rows), generator=gen), 0
        idx = order[pos : pos + config.batch_size].tolist()
        pos += config.batch_size
        out = policy.forward(
            [prompts[i] for i in idx], [completions[i] for i in idx], bf16=config.bf16
        )
        loss = -(out.logprobs * out.mask).sum() / out.mask.sum()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(policy.model.parameters(), 1.0)
        optimizer.step()
        losses.append(float(loss.detach()))
    policy.model.eval()
    return losses


def build_sft(
    base: str | os.PathLike[str],
    config: SFTConfig,
    out_dir: str | os.PathLike[str] | None = None,
    *,
    num_threads: int = 1,
) -> Path:
    """The SFT initial policy of ``config`` on tier-1 build ``base`` (cached; built if absent).

    ``num_threads``: torch threads; a count other than the reference 1 is part of the cache key
    (on the 2-core machine this project is measured on, 1 and 2 give bit-identical weights, but
    other CPUs' kernels need not)."""
    base = Path(base)
    key = sft_key(config, base, num_threads)
    target = Path(out_dir) if out_dir is not None else sft_cache_root() / key

    def is_built(folder: Path) -> bool:
        info_path = folder / "sft_info.json"
        return info_path.is_file() and json.loads(info_path.read_text()).get("key") == key

    if is_built(target):
        return target
    torch.set_num_threads(num_threads)
    task = get_task(config.task)
    rows = manager_rows(task, config) if task.multi_step else answer_rows(task, config)
    policy = LMPolicy.load(base)
    losses = train_sft(policy, rows, config)
    # the same key built concurrently by another process is as good as this one
    with atomic_folder(target, accept_existing=is_built) as tmp:
        policy.save(tmp)
        info = {
            "key": key,
            "config": asdict(config),
            "num_threads": num_threads,
            "base": str(base),
            "rows": len(rows),
            "first_loss": losses[0] if losses else None,
            "final_loss": float(np.mean(losses[-10:])) if losses else None,
        }
        (tmp / "sft_info.json").write_text(json.dumps(info, indent=1) + "\n")
    return target
