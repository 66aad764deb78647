"""The tier-1 model: a small Llama-architecture causal LM from ``transformers``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ModelConfig:
    """Architecture of the tier-1 causal LM (a ``LlamaConfig``); every field changes the weights.

    The default (hidden 256, 4 layers, vocabulary 2,048: about 3.9M parameters) was chosen by
    measurement on a 2-core CPU: see docs/tier1.md.
    """

    hidden_size: int = field(default=256, metadata={"help": "Model width."})
    num_layers: int = field(default=4, metadata={"help": "Transformer blocks."})
    num_heads: int = field(default=4, metadata={"help": "Attention heads."})
    num_kv_heads: int = field(default=4, metadata={"help": "Key/value heads (GQA when fewer)."})
    intermediate_size: int = field(default=768, metadata={"help": "MLP width (SwiGLU)."})
    context: int = field(
        default=512, metadata={"help": "Maximum positions (prompts are at most ~300 tokens)."}
    )
    rope_theta: float = field(default=10_000.0, metadata={"help": "RoPE base."})
    init_std: float = field(default=0.02, metadata={"help": "Std of the normal weight init."})

    def __post_init__(self) -> None:
        for name in ("hidden_size", "num_layers", "num_heads", "num_kv_heads", "context"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        if self.hidden_size % self.num_heads or self.num_heads % self.num_kv_heads:
            raise ValueError(
                "hidden_size must be a multiple of num_heads, and num_heads of num_kv_heads; got "
                f"{self.hidden_size}, {self.num_heads}, {self.num_kv_heads}"
            )


def llama_config(config: ModelConfig, tokenizer: Any) -> Any:
    """The ``LlamaConfig`` of ``config`` for ``tokenizer``'s vocabulary and special tokens."""
    from transformers import LlamaConfig

    return LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=config.hidden_size,
        intermediate_size=config.intermediate_size,
        num_hidden_layers=config.num_layers,
        num_attention_heads=config.num_heads,
        num_key_value_heads=config.num_kv_heads,
        max_position_embeddings=config.context,
        rope_theta=config.rope_theta,
        initializer_range=config.init_std,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=True,
        attention_dropout=0.0,
    )


def init_model(config: ModelConfig, tokenizer: Any, seed: int) -> Any:
    """A freshly initialised ``LlamaForCausalLM`` (same seed, same weights) in float32."""
    import torch
    from transformers import GenerationConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    model = LlamaForCausalLM(llama_config(config, tokenizer))
    model.generation_config = GenerationConfig(
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    return model


def count_parameters(model: Any) -> int:
    """Distinct parameters (tied embeddings counted once)."""
    return sum(p.numel() for p in model.parameters())
