"""Attention over a prompt shared by several rows, reading the prompt's keys and values once.

When a batch's rows continue a few distinct prompts (a GRPO group samples ``G`` completions of
one prompt), a plain cache holds every prompt once per row and each decoding step reads all of
those copies: for SmolLM2-135M at batch 8 behind a 650-token prompt, 250 MB of keys and values a
step, most of the attention time on a CPU. :class:`~agents.llm.kv_cache.SharedPrefixCache` holds
each prompt once; :func:`shared_prefix_attention` scores all of a prompt's rows against its
prefix in one product per key/value head, scores each row against its own tokens, and takes one
softmax over both, as the plain attention does over the concatenated keys. The result equals
the plain attention's up to float rounding (the sums run in another order).

The function is registered with transformers under :data:`ATTENTION_NAME` (with the ``sdpa``
mask); :func:`attending_to_shared_prefix` switches a model to it for the duration of a
``generate`` call and back. Layers whose cache is not a shared-prefix one (or calls outside such
a block) get transformers' own ``sdpa`` attention.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import torch
from transformers import AttentionInterface
from transformers.integrations.sdpa_attention import sdpa_attention_forward
from transformers.masking_utils import AttentionMaskInterface, sdpa_mask

from agents.llm.kv_cache import SharedPrefixCache, SharedPrefixLayer

ATTENTION_NAME = "memenv_shared_prefix"
"""The attention implementation name registered with transformers."""

_ACTIVE: ContextVar[SharedPrefixCache | None] = ContextVar("memenv_shared_prefix", default=None)


def _rows_mask(mask: torch.Tensor | None, rows: torch.Tensor, whole: bool) -> torch.Tensor | None:
    """The attention mask of some rows (a batch-1 mask is shared by all rows; ``whole``: the
    rows are the whole batch)."""
    if mask is None or whole or mask.shape[0] == 1:
        return mask
    return mask.index_select(0, rows)


def _apply_mask(scores: torch.Tensor, mask: torch.Tensor | None, kv_heads: int) -> torch.Tensor:
    """``scores`` (rows, kv heads, group, queries, keys) with the transformers mask applied
    (boolean: True attends; float: added)."""
    if mask is None:
        return scores
    if mask.shape[1] == 1:
        mask = mask.unsqueeze(2)  # (rows, 1, 1, queries, keys): every head
    else:
        mask = mask.view(mask.shape[0], kv_heads, -1, *mask.shape[2:])
    if mask.dtype == torch.bool:
        return scores.masked_fill(~mask, float("-inf"))
    return scores + mask


def _is_layer_keys(key: torch.Tensor, layer: SharedPrefixLayer) -> bool:
    """Whether ``key`` is what the layer's ``update`` returned (its rows' own tokens)."""
    own = layer.keys
    return (
        own is not None
        and own.dim() == 4
        and key.shape == own.shape
        and key.data_ptr() == own.data_ptr()
        and key.stride() == own.stride()
    )


def _causal(queries: int, own: int, device: torch.device) -> torch.Tensor:
    """Boolean (queries, own) mask: query ``i`` sees the row's tokens up to its own position
    (the last ``queries`` of ``own``); the prefix is always visible."""
    q = torch.arange(queries, device=device)[:, None]
    k = torch.arange(own, device=device)[None, :]
    return k <= q + (own - queries)


def shared_prefix_attention(
    module: Any,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attention_mask: torch.Tensor | None,
    dropout: float = 0.0,
    scaling: float | None = None,
    is_causal: bool | None = None,
    **kwargs: Any,
) -> tuple[torch.Tensor, None]:
    """A transformers attention function (same arguments and result as ``sdpa``); ``key`` and
    ``value`` are the rows' own tokens when the layer's cache holds a shared prefix."""
    cache = _ACTIVE.get()
    layer_idx = getattr(module, "layer_idx", None)
    layer = None
    if cache is not None and layer_idx is not None and layer_idx < len(cache.layers):
        layer = cache.layers[layer_idx]
    # only the forward that updated this cache reads its prefix (not, say, a guidance model's
    # forward or a nested generation during the same ``generate`` call)
    if not isinstance(layer, SharedPrefixLayer) or not _is_layer_keys(key, layer):
        return sdpa_attention_forward(
            module,
            query,
            key,
            value,
            attention_mask,
            dropout=dropout,
            scaling=scaling,
            is_causal=is_causal,
            **kwargs,
        )
    device = query.device.type
    # under autocast, compute in its dtype (as sdpa would) with every operand cast explicitly
    dtype = torch.get_autocast_dtype(device) if torch.is_autocast_enabled(device) else query.dtype
    with torch.autocast(device, enabled=False):
        out = _attend(
            layer,
            query.to(dtype),
            key.to(dtype),
            value.to(dtype),
            attention_mask,
            dropout=dropout if module.training else 0.0,
            scale=scaling if scaling is not None else query.shape[-1] ** -0.5,
        )
    return out.transpose(1, 2).contiguous(), None


def _attend(
    layer: SharedPrefixLayer,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attention_mask: torch.Tensor | None,
    *,
    dropout: float,
    scale: float,
) -> torch.Tensor:
    """(batch, heads, queries, head dim) attention output over each row's prompt prefix
    (``layer``) and its own ``key``/``value`` tokens."""
    batch, heads, queries, dim = query.shape
    kv_heads, own = key.shape[1], key.shape[2]
    group = heads // kv_heads
    prefix = layer.prefix_length
    causal = None
    if attention_mask is None and queries > 1:
        causal = _causal(queries, own, query.device)
    whole = len(layer.groups) == 1  # one prompt: its rows are the whole batch, in order
    out = None if whole else query.new_empty((batch, heads, queries, value.shape[-1]))
    q5 = query.reshape(batch, kv_heads, group, queries, dim)
    for prompt, rows in layer.groups:
        n = int(rows.numel())
        q_rows = q5 if whole else q5.index_select(0, rows)  # (n, kv, group, queries, dim)
        # the prefix: every row of the prompt against one copy of its keys
        q_flat = q_rows.transpose(0, 1).reshape(kv_heads, n * group * queries, dim)
        pk = layer.prefix_keys[prompt].to(query.dtype)  # no copy unless autocast changed it
        pv = layer.prefix_values[prompt].to(query.dtype)
        s_prefix = torch.matmul(q_flat, pk.transpose(-1, -2))
        s_prefix = s_prefix.view(kv_heads, n, group, queries, prefix).transpose(0, 1)
        # the rows' own tokens
        k_rows = (key if whole else key.index_select(0, rows)).unsqueeze(2)  # (n, kv, 1, own, dim)
        v_rows = (value if whole else value.index_select(0, rows)).unsqueeze(2)
        s_own = torch.matmul(q_rows, k_rows.transpose(-1, -2))  # (n, kv, group, queries, own)
        scores = torch.cat([s_prefix, s_own], dim=-1) * scale
        scores = _apply_mask(scores, _rows_mask(attention_mask, rows, whole), kv_heads)
        if causal is not None:
            scores[..., prefix:] = scores[..., prefix:].masked_fill(~causal, float("-inf"))
        # a query that sees nothing (a padding position) gets zeros, as sdpa gives, not NaN
        probs = torch.softmax(scores.float(), dim=-1).nan_to_num_(0.0).to(query.dtype)
        if dropout > 0.0:
            probs = torch.nn.functional.dropout(probs, p=dropout, training=True)
        p_prefix = probs[..., :prefix].transpose(0, 1).reshape(kv_heads, -1, prefix)
        o_prefix = torch.matmul(p_prefix, pv).view(kv_heads, n, group, queries, -1).transpose(0, 1)
        o_own = torch.matmul(probs[..., prefix:], v_rows)
        rows_out = (o_prefix + o_own).reshape(n, heads, queries, -1)
        if out is None:
            return rows_out
        out.index_copy_(0, rows, rows_out)
    return out


AttentionInterface.register(ATTENTION_NAME, shared_prefix_attention)
AttentionMaskInterface.register(ATTENTION_NAME, sdpa_mask)


def text_config(model: Any) -> Any:
    """The decoder's configuration (the one its attention layers read), or None."""
    config = getattr(model, "config", None)
    return config.get_text_config(decoder=True) if config is not None else None


def prefix_attention_applies(model: Any) -> bool:
    """Whether the model runs transformers' ``sdpa`` attention, which this one stands in for."""
    config = text_config(model)
    return config is not None and getattr(config, "_attn_implementation", None) == "sdpa"


@contextmanager
def attending_to_shared_prefix(model: Any, cache: SharedPrefixCache) -> Iterator[None]:
    """Within the block the model's attention reads ``cache``'s shared prefixes (its
    configuration names :data:`ATTENTION_NAME`); afterwards it is ``sdpa`` again. The switch is
    on the model's configuration: do not generate with one model from several threads at once
    through this block."""
    config = text_config(model)
    previous = config._attn_implementation
    token = _ACTIVE.set(cache)
    config._attn_implementation = ATTENTION_NAME
    try:
        yield
    finally:
        config._attn_implementation = previous
        _ACTIVE.reset(token)


__all__ = [
    "ATTENTION_NAME",
    "attending_to_shared_prefix",
    "prefix_attention_applies",
    "shared_prefix_attention",
]
