"""Loading the policy to train, LoRA, and exporting checkpoints that ``memenv eval`` can load."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import torch

from agents.folders import atomic_folder
from agents.train.config import RunConfig


def model_path(config: RunConfig) -> Path:
    """The checkpoint folder the policy starts from (``train.init_checkpoint`` wins)."""
    name = config.train.init_checkpoint or config.model.name
    if name == "smollm2":
        from agents.llm.smollm2 import smollm2_path

        return smollm2_path()
    if name == "tiny":
        from agents.llm.tiny import tiny_path

        return tiny_path()
    if name.startswith(("transformers:", "hf:")):
        name = name.partition(":")[2]
    path = Path(name).expanduser()
    if not (path / "config.json").is_file():
        raise FileNotFoundError(
            f"model {name!r} is neither 'smollm2', 'tiny' nor a checkpoint folder with a "
            "config.json"
        )
    return path


def use_cpu(config: RunConfig) -> bool:
    if config.train.use_cpu is not None:
        return bool(config.train.use_cpu)
    return not torch.cuda.is_available()


def cpu_has_bf16() -> bool:
    """True when this CPU has native bfloat16 matmul instructions (AVX-512-BF16 or AMX)."""
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    words = set(flags.split())
    return bool(words & {"avx512_bf16", "amx_bf16"})


def bf16_autocast(config: RunConfig) -> bool:
    """Whether ``model.autocast`` turns bfloat16 autocast on for this run."""
    mode = config.model.autocast
    if mode == "none":
        return False
    if mode == "bf16":
        return True
    if use_cpu(config):
        return cpu_has_bf16()
    return bool(torch.cuda.is_available() and torch.cuda.is_bf16_supported())


def torch_dtype(config: RunConfig) -> torch.dtype:
    from agents.llm.hf import resolve_dtype

    return resolve_dtype(config.model.dtype, "cpu" if use_cpu(config) else "cuda")


def load_tokenizer(path: Path) -> Any:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(path)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    tokenizer.padding_side = "left"
    tokenizer.truncation_side = "left"
    return tokenizer


def load_base_model(config: RunConfig) -> tuple[Any, Any]:
    """(model, tokenizer) of the starting checkpoint, without adapters."""
    from transformers import AutoModelForCausalLM

    if config.train.num_threads:
        torch.set_num_threads(config.train.num_threads)
    path = model_path(config)
    torch.manual_seed(config.seed)
    model = AutoModelForCausalLM.from_pretrained(path, dtype=torch_dtype(config))
    if config.model.gradient_checkpointing:
        model.gradient_checkpointing_enable()
    return model, load_tokenizer(path)


def lora_config(config: RunConfig) -> Any:
    """A peft ``LoraConfig`` when ``model.lora`` is on, else None."""
    if not config.model.lora:
        return None
    from peft import LoraConfig

    return LoraConfig(
        r=config.model.lora_r,
        lora_alpha=config.model.lora_alpha,
        lora_dropout=config.model.lora_dropout,
        target_modules=config.model.lora_target_modules,
        task_type="CAUSAL_LM",
    )


def load_policy(config: RunConfig) -> tuple[Any, Any]:
    """(model, tokenizer) ready to train: LoRA-wrapped when ``model.lora`` is on."""
    model, tokenizer = load_base_model(config)
    peft_config = lora_config(config)
    if peft_config is not None:
        from peft import get_peft_model

        model = get_peft_model(model, peft_config)
    return model, tokenizer


def is_peft(model: Any) -> bool:
    return hasattr(model, "peft_config") and hasattr(model, "merge_and_unload")


def export_checkpoint(model: Any, tokenizer: Any, target: str | Path) -> Path:
    """Save a plain transformers checkpoint (LoRA merged in) at ``target``, atomically.

    The folder loads with ``AutoModelForCausalLM.from_pretrained`` and so with
    ``memenv eval --llm transformers:TARGET``.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    plain = model
    if is_peft(model):
        plain = copy.deepcopy(model).merge_and_unload()
    with atomic_folder(target) as tmp:
        plain.save_pretrained(tmp, safe_serialization=True)
        tokenizer.save_pretrained(tmp)
    return target


def trainable_parameters(model: Any) -> dict[str, torch.Tensor]:
    """Copies of every trainable parameter (tests compare them before and after training)."""
    return {n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad}
