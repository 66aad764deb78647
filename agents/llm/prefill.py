"""Prefill once per group: generation for a batch whose rows repeat the same prompt.

A GRPO group samples ``G`` completions of one prompt; run as a plain batch, the model encodes
that prompt ``G`` times. :func:`generate_shared_prefill` encodes each distinct prompt once
(batch 1, no padding, all tokens but the last), left-pads its keys and values with zeros to
the batch's width (masked out by the attention mask, as in the plain left-padded batch), and
lets ``model.generate`` process the last prompt token of every row and decode the whole batch
together. With transformers' ``sdpa`` attention the cache holds each prompt once and the rows'
own tokens per row (:class:`~agents.llm.kv_cache.SharedPrefixCache`, read by
:mod:`agents.llm.prefix_attention`); otherwise it lays the prompts out once per row, as the
plain batch would hold them. Decoding sees the same batch shape, so sampling draws the same
random numbers as the plain path: for the same seed the tokens are the same, and logits agree
to float rounding (the prefix is computed in a different batch shape, and the shared-prefix
attention sums in another order). That holds for a model in eval
mode; in training mode with active dropout (TRL generates with the policy in train mode, and
LoRA adapters have ``lora_dropout``) the shared prefill draws fewer dropout masks, so the random
stream and the sampled tokens differ from the plain path's (same distribution).

Used by :class:`agents.llm.hf.HFBackend` (``prefill_groups``), by the GRPO trainer
(:mod:`agents.train.resume`'s trainer class) and by PPO's rollouts for their transformers
generation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import torch

from agents.llm.kv_cache import SharedPrefixCache, SharedPrefixLayer, growing_cache
from agents.llm.prefix_attention import (
    attending_to_shared_prefix,
    prefix_attention_applies,
    text_config,
)


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
    text = text_config(model)
    if text is None or getattr(text, "is_encoder_decoder", False):
        return False
    layer_types = getattr(text, "layer_types", None) or ()
    if any(t != "full_attention" for t in layer_types) or getattr(text, "sliding_window", None):
        return False
    rows = group_rows(input_ids, attention_mask)
    return len(set(rows)) < len(rows)


def _prompt_caches(
    model: Any, input_ids: torch.Tensor, attention_mask: torch.Tensor, rows: list[int]
) -> dict[int, list[tuple[torch.Tensor, torch.Tensor]]]:
    """Each distinct prompt (by its first row) encoded once: per layer (keys, values) of its
    tokens but the last, left-padded with zeros to ``width - 1`` positions."""
    from transformers import DynamicCache

    width = input_ids.shape[1]
    out: dict[int, list[tuple[torch.Tensor, torch.Tensor]]] = {}
    for row in sorted(set(rows)):
        length = int(attention_mask[row].sum())
        tokens = input_ids[row : row + 1, width - length : width - 1]
        cache = model(input_ids=tokens, use_cache=True, cache=DynamicCache()).cache
        layers = []
        for layer in cache.layers:
            k, v = layer.keys, layer.values
            pad = width - 1 - k.shape[2]
            if pad:
                k = torch.cat([k.new_zeros((1, k.shape[1], pad, k.shape[3])), k], dim=2)
                v = torch.cat([v.new_zeros((1, v.shape[1], pad, v.shape[3])), v], dim=2)
            layers.append((k, v))
        out[row] = layers
    return out


@torch.no_grad()
def prefill_cache(model: Any, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> Any:
    """A cache holding positions ``0 .. width-2`` of the left-padded batch, each distinct
    prompt encoded once, laid out row by row (a :class:`~agents.llm.kv_cache.GrowingCache`:
    decoding writes into it in place)."""
    rows = group_rows(input_ids, attention_mask)
    per_prompt = _prompt_caches(model, input_ids, attention_mask, rows)
    layers = []
    for layer in range(len(next(iter(per_prompt.values())))):
        keys = torch.cat([per_prompt[row][layer][0] for row in rows], dim=0)
        values = torch.cat([per_prompt[row][layer][1] for row in rows], dim=0)
        layers.append((keys, values))
    return growing_cache(layers)


@torch.no_grad()
def shared_prefix_cache(
    model: Any, input_ids: torch.Tensor, attention_mask: torch.Tensor
) -> SharedPrefixCache:
    """A cache holding positions ``0 .. width-2`` of the left-padded batch with each distinct
    prompt's keys and values stored once (read through
    :func:`agents.llm.prefix_attention.attending_to_shared_prefix`)."""
    rows = group_rows(input_ids, attention_mask)
    per_prompt = _prompt_caches(model, input_ids, attention_mask, rows)
    firsts = sorted(per_prompt)
    device = input_ids.device  # the attention indexes the model's tensors with these rows
    groups = [
        (p, torch.tensor([r for r, first in enumerate(rows) if first == row], device=device))
        for p, row in enumerate(firsts)
    ]
    layers = []
    for layer in range(len(per_prompt[firsts[0]])):
        keys = torch.cat([per_prompt[row][layer][0] for row in firsts], dim=0)
        values = torch.cat([per_prompt[row][layer][1] for row in firsts], dim=0)
        layers.append(SharedPrefixLayer(keys, values, groups))
    return SharedPrefixCache(layers)


_STAY_PUT = {
    "num_beams": (None, 1),
    "num_return_sequences": (None, 1),
    "prompt_lookup_num_tokens": (None,),
    "assistant_early_exit": (None,),
    "guidance_scale": (None, 1, 1.0),
    "use_cache": (None, True),
}
"""Generation settings and the values under which the batch's rows stay as they are: no beams,
no several returns per row, no speculative decoding (it crops the cache), no classifier-free
guidance (a second forward per step), the cache in use."""


def _setting(name: str, kwargs: dict[str, Any], configs: list[Any]) -> Any:
    """A generation setting as ``generate`` resolves it: the keyword, else the first config
    (the one passed, then the model's) that sets it."""
    if kwargs.get(name) is not None:
        return kwargs[name]
    for config in configs:
        value = getattr(config, name, None)
        if value is not None:
            return value
    return None


def _rows_stay_put(model: Any, generate_kwargs: dict[str, Any]) -> bool:
    """Whether generation keeps the batch's rows as they are: what a prefilled cache laid out
    for the batch's rows needs (see :data:`_STAY_PUT`)."""
    if generate_kwargs.get("assistant_model") is not None:
        return False
    configs = [generate_kwargs.get("generation_config"), getattr(model, "generation_config", None)]
    configs = [c for c in configs if c is not None]
    return all(
        _setting(name, generate_kwargs, configs) in allowed for name, allowed in _STAY_PUT.items()
    )


def generate_shared_prefill(
    model: Any,
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor,
    *,
    generate: Callable[..., Any] | None = None,
    **generate_kwargs: Any,
) -> Any:
    """``model.generate(input_ids=..., attention_mask=..., **generate_kwargs)`` with each
    distinct prompt prefilled once (the plain call when no prompt repeats, or when generation
    moves the batch's rows or runs a second forward: beams, several returns per row,
    speculative decoding, classifier-free guidance, no cache). With
    transformers' ``sdpa`` attention each prompt's keys and values are also stored and read
    once while decoding (:mod:`agents.llm.prefix_attention`); otherwise they are laid out once
    per row; a shared-prefix cache returned by ``generate`` (``out.cache``) holds only the
    rows' own tokens outside that attention, so do not feed it back to the model. ``generate``
    replaces ``model.generate`` (the original method while :func:`patched_generate` is on)."""
    generate = generate or model.generate
    if not shared_prefill_applies(model, input_ids, attention_mask) or not _rows_stay_put(
        model, generate_kwargs
    ):
        return generate(input_ids=input_ids, attention_mask=attention_mask, **generate_kwargs)
    if prefix_attention_applies(model):
        cache = shared_prefix_cache(model, input_ids, attention_mask)
        with attending_to_shared_prefix(model, cache):
            return generate(
                input_ids=input_ids, attention_mask=attention_mask, cache=cache, **generate_kwargs
            )
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
    "shared_prefix_cache",
]
