"""``memenv bench rl``: where RL time goes on this machine, with and without each optimisation.

One run measures, on the same machine and in one process:

- the matmul peak (one large square ``torch.mm``, float32 and bfloat16) and the memory read
  bandwidth (a sum over a 256 MB tensor);
- per model (the tier-1 model, and SmolLM2-135M at the ``cpu-smollm2`` preset settings: LoRA
  r16, prompts of 650 tokens, 32 new tokens, groups of 4; micro-batches of 2 before issue 19,
  of a whole group now):
  a training micro-step (forward + backward + optimizer step on random tokens) in float32, under
  bf16 autocast, with gradient checkpointing, and with the rows' shared prompt run once (2 rows,
  and a whole group), each with its model-FLOPs utilisation;
  the generation of a group of ``G`` completions of one prompt, encoding the prompt for every
  row (the plain path) or once (``agents.llm.prefill``), with a check that both give the same
  tokens for the same seed; decode tokens/s at batch 1, 8 and 32 against the bound of reading
  the weights once per decoding step;
- a GRPO step of the preset composed from those parts (``batch_size`` groups of rollouts +
  ``batch_size x G / rows`` micro-steps), before and after;
- the tier-1 RL trainer's training pass over one iteration of real Hard episodes, plain and
  with ``length_chunk`` / ``skip_zero_advantage`` (:mod:`memenv_app.bench.rl_pass`).

Tokens are random ids of the model's vocabulary (seeded), so no data or tokenizer is needed.
The tier-1 model is the cached default build when it exists, else a randomly initialised model
of the same configuration (same cost). ``--quick`` runs only the tier-1 model at small sizes.
"""

from __future__ import annotations

import copy
import os
import time
from collections.abc import Callable
from contextlib import nullcontext
from typing import Any

from memenv_app.bench import median, peak_rss_mb
from memenv_app.bench.rl_pass import default_policy, format_training_pass, training_pass_figures

SMOLLM2_PRESET = {
    "prompt_tokens": 650,
    "new_tokens": 32,
    "group": 4,
    "groups_per_step": 4,
    "micro_batch": 2,  # the plain path before issue 19; the group variants train G rows
    "lora_r": 16,
}
TIER1_SETTINGS = {
    "prompt_tokens": 300,
    "new_tokens": 32,
    "group": 8,
    "groups_per_step": 8,
    "micro_batch": 16,
    "lora_r": 0,
}
DECODE_BATCHES = (1, 8, 32)


# ---------------------------------------------------------------------- machine
def matmul_peak(dtype: Any, n: int, reps: int) -> float:
    """GFLOP/s of an ``n x n`` ``torch.mm`` in ``dtype`` (median of ``reps`` timed calls)."""
    import torch

    gen = torch.Generator().manual_seed(0)
    a = torch.randn(n, n, generator=gen).to(dtype)
    b = torch.randn(n, n, generator=gen).to(dtype)
    torch.mm(a, b)
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        torch.mm(a, b)
        times.append(time.perf_counter() - start)
    return 2 * n**3 / median(times) / 1e9


def read_bandwidth(megabytes: int, reps: int) -> float:
    """GB/s of summing a ``megabytes`` float32 tensor (memory bound)."""
    import torch

    x = torch.ones(megabytes * (1 << 20) // 4)
    x.sum()
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        x.sum()
        times.append(time.perf_counter() - start)
    return x.numel() * 4 / median(times) / 1e9


# ---------------------------------------------------------------------- models
def tier1_model() -> tuple[Any, str]:
    """The cached default tier-1 build, or a random model of its configuration."""
    from transformers import AutoModelForCausalLM, LlamaConfig, LlamaForCausalLM

    from agents.tier1.build import Tier1Config

    path = default_policy()
    if path is not None:
        return AutoModelForCausalLM.from_pretrained(path), f"tier-1 build {path.name}"
    tier = Tier1Config()
    m = tier.model
    config = LlamaConfig(
        vocab_size=tier.tokenizer.vocab_size,
        hidden_size=m.hidden_size,
        intermediate_size=m.intermediate_size,
        num_hidden_layers=m.num_layers,
        num_attention_heads=m.num_heads,
        num_key_value_heads=m.num_kv_heads,
        max_position_embeddings=m.context,
        tie_word_embeddings=True,
        pad_token_id=0,
        bos_token_id=1,
        eos_token_id=2,
    )
    import torch

    torch.manual_seed(0)
    return LlamaForCausalLM(config), "tier-1 configuration, random weights (no cached build)"


def smollm2_model(lora_r: int) -> tuple[Any, str]:
    """SmolLM2-135M-Instruct in float32 with LoRA adapters of rank ``lora_r`` (the preset)."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    from agents.llm.smollm2 import smollm2_path

    model = AutoModelForCausalLM.from_pretrained(smollm2_path())
    lora = LoraConfig(
        r=lora_r, lora_alpha=2 * lora_r, lora_dropout=0.0, target_modules="all-linear"
    )
    return get_peft_model(model, lora), f"SmolLM2-135M + LoRA r{lora_r}"


def model_shape(model: Any) -> dict[str, Any]:
    """Parameter count (tied embeddings once), layers, width, vocabulary, weight bytes."""
    config = model.config
    params = {id(p): p for p in model.parameters()}
    return {
        "params": sum(p.numel() for p in params.values()),
        "trainable_params": sum(p.numel() for p in params.values() if p.requires_grad),
        "layers": config.num_hidden_layers,
        "hidden": config.hidden_size,
        "vocab": config.vocab_size,
        "weight_bytes": sum(p.numel() * p.element_size() for p in params.values()),
    }


def forward_flops(shape: dict[str, Any], seq: int, logits: int) -> float:
    """Model FLOPs of one forward pass over ``seq`` tokens that computes the output logits of
    the last ``logits`` of them: 2 x (parameters without the tied embedding) per token, the
    output layer (2 x vocab x hidden) per kept logit, and causal attention (2 x layers x seq x
    hidden per token: half of QK^T and AV)."""
    out_layer = shape["vocab"] * shape["hidden"]
    body = shape["params"] - out_layer
    attention = 2 * shape["layers"] * seq * shape["hidden"]
    return seq * (2 * body + attention) + logits * 2 * out_layer


def training_flops(shape: dict[str, Any], seq: int, logits: int, *, lora: bool) -> float:
    """Model FLOPs of one sequence's forward and backward: 3 forward-equivalents when every
    weight trains, 2 with LoRA (no weight gradients of the frozen base). A checkpointing
    recompute is not model work, so it lowers the utilisation."""
    return (2 if lora else 3) * forward_flops(shape, seq, logits)


def bf16_frozen_copy(model: Any) -> Any:
    """A copy whose frozen weights are bfloat16 and trainable ones (LoRA adapters) float32:
    bf16 weights with float32 master weights (``model.dtype: bfloat16`` with LoRA)."""
    import torch

    copy_ = copy.deepcopy(model)
    for param in copy_.parameters():
        if not param.requires_grad:
            param.data = param.data.to(torch.bfloat16)
    return copy_


# ---------------------------------------------------------------------- measurements
def _autocast(enabled: bool) -> Any:
    import torch

    return torch.autocast("cpu", dtype=torch.bfloat16) if enabled else nullcontext()


def _tokens(vocab: int, shape: tuple[int, ...], seed: int) -> Any:
    import torch

    gen = torch.Generator().manual_seed(seed)
    return torch.randint(3, vocab, shape, generator=gen)


def train_step_seconds(
    model: Any,
    batch: int,
    seq: int,
    keep: int,
    *,
    bf16: bool,
    checkpointing: bool,
    reps: int,
    shared_prompt: bool = False,
    group: int = 0,
) -> float:
    """Seconds of one GRPO-style micro-step on ``batch x seq`` random tokens: forward with
    logits for the last ``keep`` positions only (the completion, as TRL computes them), the
    completion tokens' log-probabilities as the loss, backward, AdamW. With ``shared_prompt``
    each run of ``group`` rows shares one prompt (the rows of a GRPO group; all rows when
    ``group`` is 0) and the forward runs each prompt once
    (:func:`agents.train.shared_prompt.shared_prompt_logps`)."""
    import torch

    from agents.train.shared_prompt import shared_prompt_logps

    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=1e-6)
    if checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        if hasattr(model, "enable_input_require_grads"):
            model.enable_input_require_grads()
    model.train()
    ids = _tokens(model.config.vocab_size, (batch, seq), seed=1)
    targets = ids[:, seq - keep + 1 :]
    if shared_prompt:
        size = group or batch
        for first in range(0, batch, size):
            ids[first + 1 : first + size, : seq - keep + 1] = ids[first, : seq - keep + 1]
    times = []
    try:
        for _ in range(reps):
            start = time.perf_counter()
            with _autocast(bf16):
                if shared_prompt:
                    logp, _ = shared_prompt_logps(model, ids, torch.ones_like(ids), keep - 1)
                else:
                    logits = model(input_ids=ids, logits_to_keep=keep).logits[:, :-1]
            if not shared_prompt:
                logp = torch.log_softmax(logits.float(), -1).gather(-1, targets.unsqueeze(-1))
            loss = -logp.mean()
            loss.backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            times.append(time.perf_counter() - start)
    finally:
        if checkpointing:
            model.gradient_checkpointing_disable()
        model.eval()
    return median(times)


def rollout(
    model: Any, prompt_tokens: int, group: int, new_tokens: int, *, shared: bool, bf16: bool
) -> tuple[float, list[list[int]]]:
    """Seconds to sample ``group`` completions of one prompt (seed 0), and their tokens."""
    import torch

    from agents.llm.prefill import generate_shared_prefill

    prompt = _tokens(model.config.vocab_size, (1, prompt_tokens), seed=2)
    ids = prompt.repeat(group, 1)
    mask = torch.ones_like(ids)
    kwargs = {
        "max_new_tokens": new_tokens,
        "min_new_tokens": new_tokens,
        "do_sample": True,
        "top_k": 0,
        "temperature": 1.0,
        "pad_token_id": 0,
    }
    model.eval()
    torch.manual_seed(0)
    start = time.perf_counter()
    with torch.no_grad(), _autocast(bf16):
        if shared:
            out = generate_shared_prefill(model, ids, mask, **kwargs)
        else:
            out = model.generate(input_ids=ids, attention_mask=mask, **kwargs)
    seconds = time.perf_counter() - start
    return seconds, out[:, prompt_tokens:].tolist()


def decode_rate(model: Any, batch: int, new_tokens: int, *, bf16: bool) -> float:
    """Generated tokens/s of greedy decoding at ``batch`` rows of a 16-token prompt, the
    prefill excluded (one 1-token generate is timed and subtracted)."""
    import torch

    ids = _tokens(model.config.vocab_size, (batch, 16), seed=3)
    mask = torch.ones_like(ids)

    def run(n: int) -> float:
        start = time.perf_counter()
        with torch.no_grad(), _autocast(bf16):
            model.generate(
                input_ids=ids,
                attention_mask=mask,
                max_new_tokens=n,
                min_new_tokens=n,
                do_sample=False,
                pad_token_id=0,
            )
        return time.perf_counter() - start

    run(2)
    first = run(1)
    total = run(new_tokens)
    return batch * (new_tokens - 1) / max(total - first, 1e-9)


# ---------------------------------------------------------------------- one model
def bench_model(
    model: Any,
    label: str,
    settings: dict[str, Any],
    peaks: dict[str, float],
    bandwidth: float,
    *,
    reps: int,
    decode_tokens: int,
    progress: Callable[[str], None],
) -> dict[str, Any]:
    """Every figure of one model (see the module docstring)."""
    shape = model_shape(model)
    lora = settings["lora_r"] > 0
    seq = settings["prompt_tokens"] + settings["new_tokens"]
    micro, group = settings["micro_batch"], settings["group"]
    out: dict[str, Any] = {"model": label, "settings": settings, **shape}

    keep = settings["new_tokens"] + 1
    flops = micro * training_flops(shape, seq, keep, lora=lora)
    # shared prompt (below): the prompt's forward once, the completions per row (their attention
    # to the prompt's keys is not counted)
    half = bf16_frozen_copy(model) if lora else None  # frozen weights in bf16
    train: dict[str, Any] = {}
    variants: dict[str, tuple[Any, dict[str, Any]]] = {
        "fp32": (model, {"bf16": False, "checkpointing": False}),
        "bf16_autocast": (model, {"bf16": True, "checkpointing": False}),
        "fp32_checkpointing": (model, {"bf16": False, "checkpointing": True}),
        "shared_prompt_fp32": (
            model,
            {"bf16": False, "checkpointing": False, "shared_prompt": True},
        ),
        "shared_prompt_bf16_autocast": (
            model,
            {"bf16": True, "checkpointing": False, "shared_prompt": True},
        ),
    }
    if half is not None:
        variants["bf16_weights"] = (half, {"bf16": True, "checkpointing": False})
    if group > micro:  # a micro-batch of a whole group: its prompt runs once for all G rows
        for dtype, bf16 in (("fp32", False), ("bf16_autocast", True)):
            variants[f"shared_prompt_group_{dtype}"] = (
                model,
                {"bf16": bf16, "checkpointing": False, "shared_prompt": True, "rows": group},
            )
    for name, (net, kw) in variants.items():
        rows = kw.pop("rows", micro)
        progress(f"bench rl: {label}: training micro-step {name} ({rows} x {seq} tokens)")
        if kw.get("shared_prompt"):
            kw["group"] = min(group, rows)  # a micro-batch of 16 holds two groups of 8
        seconds = train_step_seconds(net, rows, seq, keep, reps=reps, **kw)
        peak = peaks["bf16"] if kw["bf16"] else peaks["fp32"]
        if kw.get("shared_prompt"):
            prompts = -(-rows // kw["group"])
            prompt_flops = training_flops(shape, settings["prompt_tokens"], 1, lora=lora)
            done = prompts * prompt_flops + rows * (
                training_flops(shape, settings["new_tokens"], settings["new_tokens"], lora=lora)
            )
        else:
            done = flops
        train[name] = {
            "rows": rows,
            "seconds": seconds,
            "tokens_per_s": rows * seq / seconds,
            "gflops_per_s": done / seconds / 1e9,
            "mfu": done / seconds / (peak * 1e9),
        }
    out["train_step"] = train
    out["train_flops_per_micro_step"] = flops

    rollouts: dict[str, Any] = {}
    for g in sorted({group, 8}):
        kinds: dict[str, tuple[Any, dict[str, bool]]] = {
            "plain_fp32": (model, {"shared": False, "bf16": False}),
            "shared_fp32": (model, {"shared": True, "bf16": False}),
        }
        if g == group:
            kinds["shared_bf16_autocast"] = (model, {"shared": True, "bf16": True})
        if g == group and half is not None:
            kinds["shared_bf16_weights"] = (half, {"shared": True, "bf16": False})
        for name, (net, kw) in kinds.items():
            progress(f"bench rl: {label}: group of {g}, {name}")
            seconds, tokens = rollout(
                net, settings["prompt_tokens"], g, settings["new_tokens"], **kw
            )
            rollouts.setdefault(str(g), {})[name] = {"seconds": seconds, "tokens": tokens}
    for runs in rollouts.values():
        same = runs["plain_fp32"]["tokens"] == runs["shared_fp32"]["tokens"]
        runs["same_tokens_plain_vs_shared"] = same
        runs["speedup_shared"] = runs["plain_fp32"]["seconds"] / runs["shared_fp32"]["seconds"]
        for run in runs.values():
            if isinstance(run, dict):
                run.pop("tokens", None)
    out["rollout"] = rollouts
    del half

    g = rollouts[str(group)]
    sequences = settings["groups_per_step"] * group

    def step_seconds(roll: str, trains: str) -> float:
        groups = settings["groups_per_step"] * g[roll]["seconds"]
        return groups + sequences // train[trains]["rows"] * train[trains]["seconds"]

    before = step_seconds("plain_fp32", "fp32")
    # one model per configuration: float32 weights (autocast in training only), or bf16 frozen
    # weights with float32 LoRA adapters
    fp32_weights = [n for n in train if n != "bf16_weights" and n != "fp32_checkpointing"]
    configs = [("shared_fp32", min(fp32_weights, key=lambda n: step_seconds("shared_fp32", n)))]
    if "bf16_weights" in train:
        configs.append(("shared_bf16_weights", "bf16_weights"))
    best_roll, best_train = min(configs, key=lambda c: step_seconds(*c))
    after = step_seconds(best_roll, best_train)
    out["grpo_step"] = {
        "micro_steps": sequences // micro,
        "after_micro_steps": sequences // train[best_train]["rows"],
        "before_s": before,
        "after_s": after,
        "speedup": before / after,
        "after_uses": {"rollout": best_roll, "train": best_train},
    }

    decode: dict[str, Any] = {}
    for batch in DECODE_BATCHES:
        progress(f"bench rl: {label}: decode batch {batch}")
        rate = decode_rate(model, batch, decode_tokens, bf16=False)
        bound_bw = batch * bandwidth * 1e9 / shape["weight_bytes"]
        per_token = forward_flops(shape, 1, 1) + 2 * shape["layers"] * 16 * shape["hidden"]
        bound_compute = peaks["fp32"] * 1e9 / per_token
        decode[str(batch)] = {
            "tokens_per_s": rate,
            "bandwidth_bound_tokens_per_s": bound_bw,
            "compute_bound_tokens_per_s": bound_compute,
            "share_of_bound": rate / min(bound_bw, bound_compute),
        }
    out["decode"] = decode
    return out


# ---------------------------------------------------------------------- the run
def run_rl_bench(
    *,
    quick: bool = False,
    models: tuple[str, ...] = ("tier1", "smollm2"),
    threads: int | None = None,
    rl_policy: str | os.PathLike[str] | None = None,
    progress: Callable[[str], None] = lambda _msg: None,
) -> dict[str, Any]:
    """Every figure of ``memenv bench rl`` as a JSON-able dict. ``rl_policy``: the tier-1 policy
    folder of the RL training-pass part (default: the cached tier-1 build, when built)."""
    import torch

    start = time.perf_counter()
    notes: list[str] = []
    if threads:
        torch.set_num_threads(threads)
    n, reps = (512, 3) if quick else (2048, 5)
    progress("bench rl: matmul peaks and memory bandwidth")
    peaks = {
        "fp32": matmul_peak(torch.float32, n, reps),
        "bf16": matmul_peak(torch.bfloat16, n, reps),
    }
    bandwidth = read_bandwidth(64 if quick else 256, reps)
    result: dict[str, Any] = {
        "meta": {
            "quick": quick,
            "cpus": os.cpu_count(),
            "torch_threads": torch.get_num_threads(),
            "load_avg_1m_at_start": os.getloadavg()[0],
            "matmul_n": n,
        },
        "matmul_gflops": peaks,
        "read_bandwidth_gb_s": bandwidth,
        "models": {},
        "notes": notes,
    }
    for name in models:
        if name == "tier1":
            model, label = tier1_model()
            settings = dict(TIER1_SETTINGS)
            if quick:
                settings.update(prompt_tokens=48, new_tokens=6, group=4, groups_per_step=2)
                settings.update(micro_batch=2)
        elif name == "smollm2":
            if quick:
                continue
            try:
                model, label = smollm2_model(SMOLLM2_PRESET["lora_r"])
            except (ImportError, FileNotFoundError) as exc:
                notes.append(f"smollm2 skipped: {exc}")
                continue
            settings = dict(SMOLLM2_PRESET)
        else:
            raise ValueError(f"unknown model {name!r}: choose from tier1, smollm2")
        result["models"][name] = bench_model(
            model,
            label,
            settings,
            peaks,
            bandwidth,
            reps=1 if (quick or name == "smollm2") else 3,
            decode_tokens=4 if quick else 16,
            progress=progress,
        )
        del model
    if "tier1" in models:
        folder = rl_policy if rl_policy is not None else default_policy()
        if folder is None:
            notes.append(
                "tier-1 RL training pass skipped: the default tier-1 build is not cached "
                "(memenv tier1 build) and no --rl-policy"
            )
        else:
            result["rl_training_pass"] = training_pass_figures(
                folder, quick=quick, progress=progress
            )
    result["meta"]["seconds"] = time.perf_counter() - start
    result["meta"]["peak_rss_mb"] = peak_rss_mb()
    return result


def format_rl_report(result: dict[str, Any]) -> str:
    """The result of :func:`run_rl_bench` as plain-text tables."""
    from memenv_app.bench.report import _table

    meta = result["meta"]
    peaks = result["matmul_gflops"]
    lines = [
        f"memenv bench rl ({'quick' if meta['quick'] else 'full'}; {meta['cpus']} CPUs, "
        f"{meta['torch_threads']} torch threads, load {meta['load_avg_1m_at_start']:.2f} at "
        f"start, {meta['seconds']:.0f} s)",
        f"matmul peak ({meta['matmul_n']}^2 torch.mm): fp32 {peaks['fp32']:.1f} GFLOP/s, "
        f"bf16 {peaks['bf16']:.1f} GFLOP/s; memory read {result['read_bandwidth_gb_s']:.1f} GB/s",
    ]
    for m in result["models"].values():
        s = m["settings"]
        lines += [
            "",
            f"{m['model']} ({m['params'] / 1e6:.1f}M params; prompt {s['prompt_tokens']}, "
            f"{s['new_tokens']} new tokens, group {s['group']}, micro-batch {s['micro_batch']})",
        ]
        rows = [
            [
                k,
                v["rows"],
                v["seconds"],
                v["tokens_per_s"],
                v["gflops_per_s"],
                f"{100 * v['mfu']:.1f}%",
            ]
            for k, v in m["train_step"].items()
        ]
        lines += _table(["training micro-step", "rows", "s", "tokens/s", "GFLOP/s", "MFU"], rows)
        rows = []
        for g, runs in m["rollout"].items():
            for k, v in runs.items():
                if isinstance(v, dict):
                    rows.append([f"group {g}, {k}", v["seconds"]])
            same = runs["same_tokens_plain_vs_shared"]
            speedup = f"{runs['speedup_shared']:.2f}x, same tokens: {same}"
            rows.append([f"group {g}: shared / plain", speedup])
        lines += [""] + _table(["rollout", "s"], rows)
        grpo = m["grpo_step"]
        lines.append(
            f"GRPO step ({s['groups_per_step']} groups): {grpo['before_s']:.2f} s plain fp32 "
            f"({grpo['micro_steps']} micro-steps) -> {grpo['after_s']:.2f} s "
            f"({grpo['after_uses']['rollout']}, {grpo['after_uses']['train']}, "
            f"{grpo['after_micro_steps']} micro-steps): {grpo['speedup']:.2f}x"
        )
        rows = [
            [
                b,
                v["tokens_per_s"],
                v["bandwidth_bound_tokens_per_s"],
                v["compute_bound_tokens_per_s"],
                f"{100 * v['share_of_bound']:.0f}%",
            ]
            for b, v in m["decode"].items()
        ]
        lines += [""] + _table(
            ["decode batch", "tokens/s", "bandwidth bound", "compute bound", "of bound"], rows
        )
    if "rl_training_pass" in result:
        lines += [""] + format_training_pass(result["rl_training_pass"])
    for note in result.get("notes", []):
        lines.append(f"note: {note}")
    return "\n".join(lines)


__all__ = ["format_rl_report", "run_rl_bench"]
