"""Prefill once per group: generation for a batch whose rows repeat the same prompt.

A GRPO group samples ``G`` completions of one prompt; run as a plain batch, the model encodes
that prompt ``G`` times. :func:`generate_shared_prefill` encodes each distinct prompt once
(batch 1, no padding, all tokens but the last), lays the key/value caches out as the plain
left-padded batch would hold them (padding slots are zeros, masked out by the attention mask),
and lets ``model.generate`` process the last prompt token of every row and decode the whole
batch together. Decoding sees the same batch shape, so sampling draws the same random numbers
as the plain path: for the same seed the tokens are the same, and logits agree to float
rounding (the prefix is computed in a different batch shape).

Used by :class:`agents.llm.hf.HFBackend` (``prefill_groups``) and by the GRPO trainer
(:mod:`agents.train.resume`'s trainer class) for their transformers generation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import torch


def group_rows(input_ids: torch.Tensor, attention_mask: torch.Tensor) -> list[int]:
    """For each row, the index of the first row with the same ids and mask."""
    first: dict[tuple[bytes, bytes], int] = {}
    out = []
    ids, mask = input_ids.cpu(), attention_mask.cpu()
    for row in range(ids.shape[0]):
        key = (ids[row].numpy().tobytes(), mask[row].numpy().tobytes())
        out.append(first.setdefault(key, row))
    return out


def shared_prefill_applies(
    model: Any, input_ids: torch.Tensor, attention_mask: torch.Tensor
) -> bool:
    """True when the batch repeats a prompt and the model's cache is the plain dynamic one."""
    if input_ids.shape[0] < 2 or input_ids.shape[1] < 2:
        return False
    if int(attention_mask.sum(dim=1).min()) < 2:  # a one-token prompt has nothing to prefill
        return False
    config = getattr(model, "config", None)
    text = config.get_text_config(decoder=True) if config is not None else None
    if text is None or getattr(text, "is_encoder_decoder", False):
        return False
    layer_types = getattr(text, "layer_types", None) or ()
    if any(t != "full_attention" for t in layer_types) or getattr(text, "sliding_window", None):
        return False
    rows = group_rows(input_ids, attention_mask)
    return len(set(rows)) < len(rows)


@torch.no_grad()
def prefill_cache(model: Any, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> Any:
    """A ``DynamicCache`` holding positions ``0 .. width-2`` of the left-padded batch, each
    distinct prompt encoded once."""
    from transformers import DynamicCache

    rows = group_rows(input_ids, attention_mask)
    width = input_ids.shape[1]
    per_prompt: dict[int, list[tuple[torch.Tensor, torch.Tensor]]] = {}
    for row in sorted(set(rows)):
        length = int(attention_mask[row].sum())
        tokens = input_ids[row : row + 1, width - length : width - 1]
        out = model(input_ids=tokens, use_cache=True, cache=DynamicCache())
        cache = out.cache
        per_prompt[row] = [(layer.keys, layer.values) for layer in cache.layers]
    layers = []
    for layer in range(len(next(iter(per_prompt.values())))):
        keys, values = [], []
        for row in rows:
            k, v = per_prompt[row][layer]
            pad = width - 1 - k.shape[2]
            if pad:
                zeros = k.new_zeros((1, k.shape[1], pad, k.shape[3]))
                k = torch.cat([zeros, k], dim=2)
                v = torch.cat([zeros.to(v.dtype), v], dim=2)
            keys.append(k)
            values.append(v)
        layers.append((torch.cat(keys, dim=0), torch.cat(values, dim=0)))
    return DynamicCache(ddp_cache_data=layers)


def generate_shared_prefill(
    model: Any,
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor,
    *,
    generate: Callable[..., Any] | None = None,
    **generate_kwargs: Any,
) -> Any:
    """``model.generate(input_ids=..., attention_mask=..., **generate_kwargs)`` with each
    distinct prompt prefilled once (the plain call when no prompt repeats). ``generate``
    replaces ``model.generate`` (the original method while :func:`patched_generate` is on)."""
    generate = generate or model.generate
    if not shared_prefill_applies(model, input_ids, attention_mask):
        return generate(input_ids=input_ids, attention_mask=attention_mask, **generate_kwargs)
    cache = prefill_cache(model, input_ids, attention_mask)
    return generate(
        input_ids=input_ids,
        attention_mask=attention_mask,
        cache=cache,
        **generate_kwargs,
    )


@contextmanager
def patched_generate(model: Any) -> Iterator[list[int]]:
    """Within the block, ``model.generate(input_ids=..., attention_mask=..., ...)`` prefills
    each distinct prompt once (for callers that build the batch themselves, such as TRL's
    GRPO trainer). Yields a list that counts the calls that shared a prefill."""
    original = model.generate
    shared: list[int] = []

    def generate(*args: Any, **kwargs: Any) -> Any:
        input_ids, mask = kwargs.get("input_ids"), kwargs.get("attention_mask")
        if args or input_ids is None or mask is None:
            return original(*args, **kwargs)
        if shared_prefill_applies(model, input_ids, mask):
            shared.append(int(input_ids.shape[0]))
        rest = {k: v for k, v in kwargs.items() if k not in ("input_ids", "attention_mask")}
        return generate_shared_prefill(model, input_ids, mask, generate=original, **rest)

    model.generate = generate
    try:
        yield shared
    finally:
        del model.generate  # the class's method again


__all__ = [
    "generate_shared_prefill",
    "group_rows",
    "patched_generate",
    "prefill_cache",
    "shared_prefill_applies",
]
