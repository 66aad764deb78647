"""Actor-critic PPO for LLM policies, on ``accelerate`` (CleanRL style: one file, small functions).

One training step (``train.max_steps`` of them):

1. **Rollout.** Draw ``train.batch_size`` rows (per process; epoch-wise shuffling seeded by
   ``config.seed``), sample ``ppo.rollouts_per_prompt`` completions per row with temperature /
   top-p sampling, cut each at its first EOS (the EOS token is kept as the last action), decode
   and score the texts with ``task.score``.
2. **Advantages.** With the policy frozen, compute per token the log-probability of the sampled
   token (``old_logp``), the critic's value (a linear value head on the last hidden state) and,
   when ``ppo.kl_coef > 0``, the frozen reference's log-probability (the base model with the LoRA
   adapters disabled, or a frozen copy of the starting weights). Token rewards are the KL
   penalty ``-kl_coef * (old_logp - ref_logp)`` plus the sequence reward on the final token;
   GAE(``gamma``, ``gae_lambda``) gives advantages and returns (advantages optionally whitened).
3. **Update.** ``ppo.ppo_epochs`` passes over the rollout batch; each pass is **one optimizer
   step**, its gradient accumulated over micro-batches of ``train.micro_batch_size`` sequences.
   The loss is the clipped-ratio policy loss plus ``vf_coef`` times the clipped value loss
   (token means). AdamW has two parameter groups: the actor at ``train.learning_rate`` and the
   critic at ``ppo.critic_learning_rate`` (both with linear warm-up over ``train.warmup_steps``).

Dropout is switched off so that the rollout and update passes score tokens identically (the
first epoch's ratio is exactly 1). Checkpoints under ``OUT/checkpoints/step-N`` hold the
trainable weights (policy and value head, ``trainable.safetensors``), the optimizer
(``optimizer.pt``, tensors and plain values only, read with ``weights_only=True``) and the RNG /
sampler state (``state.json``), so ``resume=True`` continues a killed run where its last
checkpoint left off; nothing in a checkpoint can run code when it is read.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from agents.llm.prefill import generate_shared_prefill
from agents.train.config import RunConfig
from agents.train.logs import RunLogger
from agents.train.model import bf16_autocast, export_checkpoint, is_peft, load_policy, use_cpu
from agents.train.tasks import Task, TrainRow
from agents.train.validation import FINAL_DIR, Validator

CHECKPOINT_DIR = "checkpoints"
KEEP_CHECKPOINTS = 2
TRAINABLE_FILE, OPTIMIZER_FILE, STATE_FILE = "trainable.safetensors", "optimizer.pt", "state.json"


# ---------------------------------------------------------------------- model
class ActorCritic(nn.Module):
    """The policy (a causal LM, maybe peft-wrapped) plus a linear value head on its last layer."""

    def __init__(self, policy: nn.Module, hidden_size: int):
        super().__init__()
        self.policy = policy
        self.value_head = nn.Linear(hidden_size, 1)
        nn.init.zeros_(self.value_head.weight)  # value 0 everywhere to start
        nn.init.zeros_(self.value_head.bias)

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, n_response: int
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(logits, values) at the ``n_response`` positions that predict the completion tokens."""
        out = lm_forward(self.policy, input_ids, attention_mask, n_response, hidden=True)
        hidden = out.hidden_states[-1][:, -n_response - 1 : -1]
        values = self.value_head(hidden.to(self.value_head.weight.dtype)).squeeze(-1)
        return out.logits[:, :-1], values


def lm_forward(
    lm: nn.Module, input_ids: torch.Tensor, mask: torch.Tensor, n_response: int, hidden: bool
) -> Any:
    """A causal LM's forward pass keeping only the logits of the last ``n_response + 1`` positions.

    Position ids follow the attention mask, as in ``generate`` with left padding.
    """
    positions = (mask.long().cumsum(-1) - 1).clamp(min=0)
    return lm(
        input_ids=input_ids,
        attention_mask=mask,
        position_ids=positions,
        output_hidden_states=hidden,
        logits_to_keep=n_response + 1,
        use_cache=False,
    )


def token_logprobs(logits: torch.Tensor, tokens: torch.Tensor, temperature: float) -> torch.Tensor:
    """Log-probability of each ``tokens[b, t]`` under ``logits[b, t] / temperature``."""
    if logits.dtype != torch.float32:
        logits = logits.float()
    if temperature != 1.0:  # no full-vocabulary copy when there is nothing to scale
        logits = logits / temperature
    chosen = logits.gather(-1, tokens.unsqueeze(-1)).squeeze(-1)
    return chosen - torch.logsumexp(logits, dim=-1)


def disable_dropout(model: nn.Module) -> None:
    for module in model.modules():
        if isinstance(module, nn.Dropout):
            module.p = 0.0


# ---------------------------------------------------------------------- math
def masked_mean(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    return (x * mask).sum() / mask.sum().clamp(min=1)


def whiten(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Zero mean, unit variance over the unmasked entries (masked entries become 0)."""
    mean = masked_mean(x, mask)
    var = masked_mean((x - mean) ** 2, mask)
    return (x - mean) * torch.rsqrt(var + 1e-8) * mask


def gae(
    rewards: torch.Tensor, values: torch.Tensor, mask: torch.Tensor, gamma: float, lam: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """(advantages, returns) by generalised advantage estimation over the token axis.

    ``mask`` marks each row's tokens (a prefix: completions are right-padded); the value after
    a row's last token is 0 (the episode ends there). Masked entries come out 0.
    """
    rewards, values = rewards * mask, values * mask
    advantages = torch.zeros_like(rewards)
    running = torch.zeros_like(rewards[:, 0])
    for t in reversed(range(rewards.shape[1])):
        next_value = values[:, t + 1] if t + 1 < rewards.shape[1] else torch.zeros_like(running)
        delta = rewards[:, t] + gamma * next_value - values[:, t]
        running = delta + gamma * lam * running
        advantages[:, t] = running
    advantages = advantages * mask
    return advantages, (advantages + values) * mask


# ---------------------------------------------------------------------- rollouts
class RowSampler:
    """Endless epoch-wise shuffled row indices, reproducible from the seed and resumable."""

    def __init__(self, n: int, seed: int):
        self.n, self.rng = n, np.random.default_rng(seed)
        self.order: list[int] = []
        self.pos = 0

    def take(self, k: int) -> list[int]:
        out: list[int] = []
        while len(out) < k:
            if self.pos >= len(self.order):
                self.order, self.pos = self.rng.permutation(self.n).tolist(), 0
            out.append(self.order[self.pos])
            self.pos += 1
        return out

    def state_dict(self) -> dict[str, Any]:
        return {"rng": self.rng.bit_generator.state, "order": self.order, "pos": self.pos}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.rng.bit_generator.state = state["rng"]
        self.order, self.pos = list(state["order"]), int(state["pos"])


def encode_prompts(tokenizer: Any, rows: list[TrainRow], max_tokens: int) -> list[list[int]]:
    """Chat-rendered prompt ids, left-truncated to ``max_tokens`` (a row repeated for several
    rollouts is rendered and tokenised once)."""
    done: dict[str, list[int]] = {}
    out = []
    for row in rows:
        ids = done.get(row.row_id)
        if ids is None:
            text = tokenizer.apply_chat_template(
                row.prompt, add_generation_prompt=True, tokenize=False
            )
            ids = done[row.row_id] = tokenizer(text, add_special_tokens=False)["input_ids"]
        out.append(list(ids[-max_tokens:]))
    return out


def left_pad(ids: list[list[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(x) for x in ids)
    input_ids = torch.full((len(ids), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(ids), width), dtype=torch.long)
    for i, x in enumerate(ids):
        input_ids[i, width - len(x) :] = torch.tensor(x, dtype=torch.long)
        mask[i, width - len(x) :] = 1
    return input_ids, mask


def response_mask(response: torch.Tensor, eos_ids: list[int]) -> torch.Tensor:
    """1 up to and including each row's first EOS (all ones when there is none)."""
    is_eos = torch.isin(response, torch.tensor(eos_ids, device=response.device))
    after_eos = (is_eos.long().cumsum(-1) - is_eos.long()) > 0
    return (~after_eos).long()


@torch.no_grad()
def rollout(agent: ActorCritic, tokenizer: Any, rows: list[TrainRow], config: RunConfig) -> dict:
    """Sample completions for ``rows`` (each ``rollouts_per_prompt`` times); decode them."""
    train, device = config.train, next(agent.parameters()).device
    rows = [r for r in rows for _ in range(config.ppo.rollouts_per_prompt)]
    eos_ids = sorted(
        {tokenizer.eos_token_id, *_as_list(agent.policy.generation_config.eos_token_id)} - {None}
    )
    prompt_ids, prompt_mask = left_pad(
        encode_prompts(tokenizer, rows, config.data.max_prompt_tokens), tokenizer.pad_token_id
    )
    agent.eval()
    sequences = generate_shared_prefill(  # a prompt's rollouts share one prefill
        agent.policy,
        prompt_ids.to(device),
        prompt_mask.to(device),
        do_sample=True,
        temperature=train.temperature,
        top_p=train.top_p,
        top_k=0,  # plain temperature sampling: no model-default top-k or penalties
        repetition_penalty=1.0,
        max_new_tokens=train.max_new_tokens,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=eos_ids,
        return_dict_in_generate=False,
    )
    agent.train()
    response = sequences[:, prompt_ids.shape[1] :]
    mask = response_mask(response, eos_ids)
    response = response[:, : int(mask.sum(-1).max())]  # drop all-padding columns
    mask = mask[:, : response.shape[1]]
    texts = [
        tokenizer.decode(
            [t for t in seq[: int(m.sum())].tolist() if t not in eos_ids], skip_special_tokens=True
        )
        for seq, m in zip(response, mask, strict=True)
    ]
    return {
        "rows": rows,
        "texts": texts,
        "input_ids": torch.cat([prompt_ids.to(device), response], dim=1),
        "attention_mask": torch.cat([prompt_mask.to(device), mask], dim=1),
        "response": response,
        "response_mask": mask.float(),
    }


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def micro_batches(n: int, size: int) -> list[slice]:
    return [slice(i, min(i + size, n)) for i in range(0, n, size)]


@torch.no_grad()
def score_tokens(agent: ActorCritic, ref: nn.Module | None, batch: dict, config: RunConfig) -> None:
    """Add ``old_logp``, ``values`` and ``ref_logp`` (per completion token) to ``batch``."""
    n_resp, temp = batch["response"].shape[1], config.train.temperature
    old, values, refs = [], [], []
    for part in micro_batches(len(batch["rows"]), config.train.micro_batch_size):
        ids, mask, resp = (
            batch["input_ids"][part],
            batch["attention_mask"][part],
            batch["response"][part],
        )
        logits, value = agent(ids, mask, n_resp)
        old.append(token_logprobs(logits, resp, temp))
        values.append(value.float())
        if ref is not None:
            ctx = agent.policy.disable_adapter() if ref is agent.policy else nullcontext()
            with ctx:
                ref_logits = lm_forward(ref, ids, mask, n_resp, hidden=False).logits[:, :-1]
            refs.append(token_logprobs(ref_logits, resp, temp))
    batch["old_logp"], batch["values"] = torch.cat(old), torch.cat(values)
    batch["ref_logp"] = torch.cat(refs) if refs else batch["old_logp"].clone()


def compute_advantages(batch: dict, scores: torch.Tensor, config: RunConfig) -> None:
    """Token rewards (KL penalty + final-token score), then GAE advantages and returns."""
    ppo, mask = config.ppo, batch["response_mask"]
    kl = (batch["old_logp"] - batch["ref_logp"]) * mask
    rewards = -ppo.kl_coef * kl
    last = mask.sum(-1).long() - 1
    rewards[torch.arange(len(last)), last] += scores.to(rewards.device)
    advantages, returns = gae(rewards, batch["values"], mask, ppo.gamma, ppo.gae_lambda)
    batch["advantages"] = whiten(advantages, mask) if ppo.whiten_advantages else advantages
    batch["returns"], batch["kl"] = returns, kl


# ---------------------------------------------------------------------- update
def ppo_loss(
    model: nn.Module, batch: dict, part: slice, config: RunConfig
) -> dict[str, torch.Tensor]:
    """Clipped policy loss + clipped value loss on the sequences ``part`` of the batch."""
    ppo, mask = config.ppo, batch["response_mask"][part]
    resp = batch["response"][part]
    logits, values = model(batch["input_ids"][part], batch["attention_mask"][part], resp.shape[1])
    logp = token_logprobs(logits, resp, config.train.temperature)
    log_ratio = (logp - batch["old_logp"][part]) * mask  # padding: ratio 1, never inf
    ratio = torch.exp(log_ratio)
    adv = batch["advantages"][part]
    clipped = torch.clamp(ratio, 1 - ppo.clip_range, 1 + ppo.clip_range)
    policy_loss = masked_mean(torch.max(-adv * ratio, -adv * clipped), mask)
    old_values, returns = batch["values"][part], batch["returns"][part]
    values = values.float()
    v_clipped = old_values + torch.clamp(
        values - old_values, -ppo.value_clip_range, ppo.value_clip_range
    )
    value_loss = 0.5 * masked_mean(
        torch.max((values - returns) ** 2, (v_clipped - returns) ** 2), mask
    )
    return {
        "loss": policy_loss + ppo.vf_coef * value_loss,
        "policy_loss": policy_loss,
        "value_loss": value_loss,
        "clipfrac": masked_mean(((ratio - 1).abs() > ppo.clip_range).float(), mask),
        "approx_kl": masked_mean(0.5 * log_ratio**2, mask),
    }


def ppo_update(
    accelerator: Any, model: nn.Module, optimizer: Any, batch: dict, config: RunConfig
) -> dict[str, float]:
    """``ppo_epochs`` passes over the batch, each one optimizer step.

    The step's gradient is accumulated over the micro-batches with ``accelerator.accumulate``
    (the accelerator's ``gradient_accumulation_steps`` is the number of micro-batches per pass,
    so ``optimizer.step`` only acts, and DDP only all-reduces, on a pass's last micro-batch).
    """
    parts = micro_batches(len(batch["rows"]), config.train.micro_batch_size)
    totals: dict[str, float] = {}
    grad_norm = None
    for _ in range(config.ppo.ppo_epochs):
        for part in parts:
            with accelerator.accumulate(model):
                out = ppo_loss(model, batch, part, config)
                accelerator.backward(out["loss"])  # divided by the accumulation steps
                if accelerator.sync_gradients:
                    grad_norm = accelerator.clip_grad_norm_(
                        model.parameters(), config.train.max_grad_norm
                    )
                optimizer.step()
                optimizer.zero_grad(set_to_none=True)
            for key, value in out.items():
                totals[key] = totals.get(key, 0.0) + value.item()
    stats = {key: value / (len(parts) * config.ppo.ppo_epochs) for key, value in totals.items()}
    stats["grad_norm"] = float("nan") if grad_norm is None else float(grad_norm)
    return stats


def set_learning_rates(optimizer: Any, step: int, warmup: int) -> None:
    """Linear warm-up over ``warmup`` steps, then constant (``step`` counts from 0)."""
    factor = min(1.0, (step + 1) / warmup) if warmup > 0 else 1.0
    for group in optimizer.param_groups:
        group["lr"] = group["base_lr"] * factor


# ---------------------------------------------------------------------- checkpoints
def checkpoint_steps(out: Path) -> list[tuple[int, Path]]:
    found = [
        (int(m.group(1)), p)
        for p in (out / CHECKPOINT_DIR).glob("step-*")
        if (m := re.fullmatch(r"step-(\d+)", p.name))
    ]
    return sorted(found)


def save_checkpoint(
    out: Path, step: int, agent: ActorCritic, optimizer: Any, sampler: RowSampler
) -> Path:
    """Write ``OUT/checkpoints/step-N`` atomically (temp folder, then rename); keep the last 2."""
    root = out / CHECKPOINT_DIR
    target, tmp = root / f"step-{step}", root / f".tmp-step-{step}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    from safetensors.torch import save_file

    trainable = {
        n: p.detach().cpu().contiguous() for n, p in agent.named_parameters() if p.requires_grad
    }
    save_file(trainable, str(tmp / TRAINABLE_FILE))  # policy (full or LoRA) and value head
    torch.save(optimizer.state_dict(), tmp / OPTIMIZER_FILE)  # tensors and plain values
    cuda = (
        [s.tolist() for s in torch.cuda.get_rng_state_all()] if torch.cuda.is_available() else None
    )
    rng = {"torch": torch.get_rng_state().tolist(), "cuda": cuda}
    state = {"step": step, "sampler": sampler.state_dict(), "rng": rng}
    (tmp / STATE_FILE).write_text(json.dumps(state), encoding="utf-8")
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)
    for _, old in checkpoint_steps(out)[:-KEEP_CHECKPOINTS]:
        shutil.rmtree(old, ignore_errors=True)
    return target


def load_checkpoint(path: Path, agent: ActorCritic, optimizer: Any, sampler: RowSampler) -> int:
    """Restore what :func:`save_checkpoint` wrote; returns the step it was saved at.

    Reads safetensors, JSON and ``torch.load(weights_only=True)`` only; ValueError naming the
    folder when a file is missing or malformed.
    """
    from safetensors.torch import load_file

    for name in (TRAINABLE_FILE, OPTIMIZER_FILE, STATE_FILE):
        if not (path / name).is_file():
            raise ValueError(f"{path}: not a PPO checkpoint of this version (no {name})")
    device = next(agent.parameters()).device
    missing = agent.load_state_dict(
        load_file(str(path / TRAINABLE_FILE), device=str(device)), strict=False
    )
    if missing.unexpected_keys:
        raise ValueError(f"{path}: unexpected weights {missing.unexpected_keys[:5]}")
    optimizer.load_state_dict(
        torch.load(path / OPTIMIZER_FILE, map_location=device, weights_only=True)
    )
    try:
        state = json.loads((path / STATE_FILE).read_text(encoding="utf-8"))
        sampler.load_state_dict(state["sampler"])
        torch.set_rng_state(torch.tensor(state["rng"]["torch"], dtype=torch.uint8))
        cuda = state["rng"]["cuda"]
        step = int(state["step"])
    except (ValueError, KeyError, TypeError, RuntimeError) as exc:
        raise ValueError(f"{path / STATE_FILE}: malformed checkpoint state ({exc})") from exc
    if cuda is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([torch.tensor(s, dtype=torch.uint8) for s in cuda])
    return step


# ---------------------------------------------------------------------- main loop
def build(config: RunConfig, accelerator: Any) -> tuple[ActorCritic, Any, nn.Module | None, Any]:
    """(agent, tokenizer, reference or None, optimizer) on the accelerator's device."""
    policy, tokenizer = load_policy(config)
    if config.model.gradient_checkpointing and is_peft(policy):
        policy.enable_input_require_grads()
    disable_dropout(policy)
    agent = ActorCritic(policy, policy.config.get_text_config().hidden_size).to(accelerator.device)
    ref: nn.Module | None = None
    if config.ppo.kl_coef > 0:
        ref = policy if is_peft(policy) else copy.deepcopy(policy).requires_grad_(False).eval()
    actor = [p for p in agent.policy.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(
        [
            {"params": actor, "lr": config.train.learning_rate},
            {"params": list(agent.value_head.parameters()), "lr": config.ppo.critic_learning_rate},
        ],
        weight_decay=config.train.weight_decay,
    )
    for group in optimizer.param_groups:
        group["base_lr"] = group["lr"]
    return agent, tokenizer, ref, optimizer


def ppo_step(
    accelerator: Any,
    model: nn.Module,
    ref: nn.Module | None,
    optimizer: Any,
    tokenizer: Any,
    rows: list[TrainRow],
    task: Task,
    config: RunConfig,
) -> dict[str, float]:
    """One PPO iteration on ``rows``: rollout, scoring, advantages, update. Returns its stats."""
    agent = accelerator.unwrap_model(model)  # generation and the no-grad passes skip DDP
    batch = rollout(agent, tokenizer, rows, config)
    parts = task.score(batch["rows"], batch["texts"])
    scores = torch.tensor([p["reward"] for p in parts], dtype=torch.float32)
    score_tokens(agent, ref, batch, config)
    compute_advantages(batch, scores, config)
    stats = ppo_update(accelerator, model, optimizer, batch, config)
    mask = batch["response_mask"]
    stats.update(
        reward=scores.mean().item(),
        kl=masked_mean(batch["kl"], mask).item(),
        response_length=mask.sum(-1).mean().item(),
        value_mean=masked_mean(batch["values"], mask).item(),
        **{k: v for k, v in task.summary(parts).items() if k != "reward"},
    )
    keys = sorted(stats)  # the same keys on every process: average them across processes
    means = accelerator.reduce(
        torch.tensor([stats[k] for k in keys], device=accelerator.device), "mean"
    )
    stats = dict(zip(keys, means.tolist(), strict=True))
    stats["learning_rate"] = optimizer.param_groups[0]["lr"]
    stats["critic_learning_rate"] = optimizer.param_groups[1]["lr"]
    return stats


def evaluate(
    accelerator: Any, validator: Validator, agent: ActorCritic, tokenizer: Any, step: int
) -> None:
    """Greedy validation on the main process (it logs and exports ``OUT/best``)."""
    if accelerator.is_main_process:
        validator(agent.policy, tokenizer, step)
        agent.train()
    accelerator.wait_for_everyone()


def train_ppo(
    config: RunConfig, task: Task, logger: RunLogger, validator: Validator, resume: bool = False
) -> dict[str, Any]:
    """Train ``config``'s policy on ``task`` with PPO (see the module docstring).

    ``train.batch_size`` prompts per process and step; ``resume`` continues from the latest
    ``OUT/checkpoints/step-N``. Returns ``{"steps", "best", "final"}``.
    """
    from accelerate import Accelerator

    train = config.train
    n_micro = -(-train.batch_size * config.ppo.rollouts_per_prompt // train.micro_batch_size)
    accelerator = Accelerator(
        cpu=use_cpu(config),
        gradient_accumulation_steps=n_micro,
        mixed_precision="bf16" if bf16_autocast(config) else "no",
    )
    out, main = Path(config.output_dir), accelerator.is_main_process
    agent, tokenizer, ref, optimizer = build(config, accelerator)
    sampler = RowSampler(len(task.train_rows), config.seed)
    torch.manual_seed(config.seed + accelerator.process_index)
    step = 0
    if resume and checkpoint_steps(out):
        path = checkpoint_steps(out)[-1][1]
        step = load_checkpoint(path, agent, optimizer, sampler)  # restores the RNG states too
        if main:
            from agents.train.resume import rewind_run

            rewind_run(logger, validator, step)
            logger.log("info", step, {"resumed_from": str(path)})
    model, optimizer = accelerator.prepare(agent, optimizer)
    agent = accelerator.unwrap_model(model)
    rank, size = accelerator.process_index, train.batch_size
    last_eval, last_save = -1, step
    bar = None
    if main and train.progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=train.max_steps, initial=step, desc="ppo steps", unit="step")
        validator.announce = bar.write
    while step < train.max_steps:
        set_learning_rates(optimizer, step, train.warmup_steps)
        picked = sampler.take(size * accelerator.num_processes)[rank * size : (rank + 1) * size]
        rows = [task.train_rows[i] for i in picked]
        stats = ppo_step(accelerator, model, ref, optimizer, tokenizer, rows, task, config)
        step += 1
        if main and (step % max(1, train.log_every) == 0 or step == train.max_steps):
            logger.log("train", step, stats)
        if bar is not None:
            bar.update(1)
            shown = {k: stats[k] for k in ("reward", "loss", "kl") if stats.get(k) is not None}
            bar.set_postfix({k: f"{v:.3g}" for k, v in shown.items()}, refresh=False)
        if train.eval_every > 0 and step % train.eval_every == 0:
            evaluate(accelerator, validator, agent, tokenizer, step)
            last_eval = step
        if train.save_every > 0 and step % train.save_every == 0:
            if main:
                save_checkpoint(out, step, agent, optimizer, sampler)
            accelerator.wait_for_everyone()
            last_save = step
    if last_save != step and main:
        save_checkpoint(out, step, agent, optimizer, sampler)
    if last_eval != step:
        evaluate(accelerator, validator, agent, tokenizer, step)
    if bar is not None:
        bar.close()
        validator.announce = None
    if main:
        export_checkpoint(agent.policy, tokenizer, out / FINAL_DIR)
    accelerator.wait_for_everyone()
    return {"steps": step, "best": validator.best, "final": str(out / FINAL_DIR)}
