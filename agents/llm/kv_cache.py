"""A key/value cache that grows in place: decoding without copying the whole cache every step.

transformers' ``DynamicLayer`` appends a step's keys and values with ``torch.cat``, which
allocates and copies the layer's whole cache at every decoding step: for SmolLM2-135M at batch 8
behind a 650-token prompt that is about 250 MB a step (a few percent of the decoding time on
this CPU, where the weights' products dominate). :class:`GrowingLayer` keeps each layer's keys
and values in a buffer with spare room at the end and writes a step's states into it; the layer
exposes the filled part as a view, so attention reads the same values in the same order and the
logits are bit for bit those of the plain cache (tested). The buffer doubles when it is full,
so the copies cost amortised O(1) per token.

Anything that replaces a layer's tensors (``crop``, ``batch_select_indices``, beam reordering)
leaves a tensor that is not a view of the buffer; the next update notices and copies it into a
fresh buffer, so those paths keep working unchanged.

:class:`SharedPrefixLayer` goes further for batches whose rows repeat a few prompts: it holds
each prompt's keys and values once (read by :mod:`agents.llm.prefix_attention`).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from transformers import DynamicCache
from transformers.cache_utils import Cache, DynamicLayer

MIN_SPARE = 64
"""Positions of spare room a fresh buffer gets at least (a buffer is grown by doubling)."""


class GrowingLayer(DynamicLayer):
    """A ``DynamicLayer`` whose keys and values are views of a buffer filled in place."""

    def __init__(self, spare: int = MIN_SPARE, **kwargs):
        super().__init__(**kwargs)
        self.spare = max(int(spare), 1)
        self._key_buffer: torch.Tensor | None = None
        self._value_buffer: torch.Tensor | None = None

    def _owns(self, keys: torch.Tensor | None, values: torch.Tensor | None) -> bool:
        """Whether the layer's tensors are still the leading views of its buffers."""
        kb, vb = self._key_buffer, self._value_buffer
        if kb is None or vb is None or keys is None or values is None:
            return False
        return (
            keys.data_ptr() == kb.data_ptr()
            and values.data_ptr() == vb.data_ptr()
            and keys.stride() == kb.stride()
            and values.stride() == vb.stride()
            and keys.shape[:2] == kb.shape[:2]
            and keys.shape[-1] == kb.shape[-1]
            and values.shape[:2] == vb.shape[:2]
            and values.shape[-1] == vb.shape[-1]
        )

    def _rebuffer(self, need: int) -> None:
        """New buffers with room for ``need`` positions (and spare), holding the current ones."""
        keys, values = self.keys, self.values
        length = keys.shape[-2] if keys is not None and keys.dim() == 4 else 0
        capacity = max(need + self.spare, 2 * need)
        for name, old in (("_key_buffer", keys), ("_value_buffer", values)):
            shape = (*old.shape[:2], capacity, old.shape[-1])
            buffer = old.new_empty(shape)
            buffer[:, :, :length].copy_(old)
            setattr(self, name, buffer)

    def update(
        self, key_states: torch.Tensor, value_states: torch.Tensor, *args, **kwargs
    ) -> tuple[torch.Tensor, torch.Tensor]:
        if not self.is_initialized:
            self.lazy_initialization(key_states, value_states)
        if self.keys is None or self.keys.dim() != 4:  # empty: start from the incoming states
            self.keys = key_states[:, :, :0]
            self.values = value_states[:, :, :0]
        length = self.keys.shape[-2]
        end = length + key_states.shape[-2]
        if not self._owns(self.keys, self.values) or end > self._key_buffer.shape[-2]:
            self._rebuffer(end)
        self._key_buffer[:, :, length:end].copy_(key_states)
        self._value_buffer[:, :, length:end].copy_(value_states)
        self.keys = self._key_buffer[:, :, :end]
        self.values = self._value_buffer[:, :, :end]
        return self.keys, self.values

    def reset(self) -> None:
        self._key_buffer = self._value_buffer = None
        super().reset()


class GrowingCache(DynamicCache):
    """A ``DynamicCache`` of :class:`GrowingLayer` (made lazily, one per model layer, when
    built empty)."""

    def __init__(self, layers: Sequence[GrowingLayer] | None = None):
        if layers is None:
            Cache.__init__(self, layer_class_to_replicate=GrowingLayer)
        else:
            Cache.__init__(self, layers=list(layers))


def growing_cache(
    layers: Sequence[tuple[torch.Tensor, torch.Tensor]], spare: int = MIN_SPARE
) -> GrowingCache:
    """A :class:`GrowingCache` holding the given per-layer (keys, values), ``spare`` positions
    of room after them."""
    built = []
    for keys, values in layers:
        layer = GrowingLayer(spare=spare)
        layer.update(keys, values)
        built.append(layer)
    return GrowingCache(built)


class SharedPrefixLayer(GrowingLayer):
    """One layer's cache for a batch whose rows continue a few distinct prompts.

    Each distinct prompt's keys and values are held once (``prefix_keys``: prompts x heads x
    prefix length x head dim, left-padded with zeros to a common length, the padding masked by
    the attention mask as in a plain left-padded batch); the tokens after the
    prefix (one row each) grow in place as in :class:`GrowingLayer`. ``update`` returns only the
    rows' own tokens: attention over the prefix is done by
    :func:`agents.llm.prefix_attention.shared_prefix_attention`, which reads each prompt's
    prefix once for all its rows instead of once per row. Its rows cannot be moved, cropped or
    reset (generation with beams or several returns per row uses another cache).
    """

    is_croppable = False

    def __init__(
        self,
        prefix_keys: torch.Tensor,
        prefix_values: torch.Tensor,
        groups: Sequence[tuple[int, torch.Tensor]],
        spare: int = MIN_SPARE,
    ):
        super().__init__(spare=spare)
        batch = sum(int(rows.numel()) for _, rows in groups)
        heads, dim = prefix_keys.shape[1], prefix_keys.shape[-1]
        self.keys = prefix_keys.new_empty((batch, heads, 0, dim))
        self.values = prefix_values.new_empty((batch, heads, 0, prefix_values.shape[-1]))
        self.device = prefix_keys.device
        self.is_initialized = True
        self.prefix_keys = prefix_keys
        self.prefix_values = prefix_values
        self.prefix_length = int(prefix_keys.shape[-2])
        self.groups = list(groups)
        """(prompt index, rows) per distinct prompt; rows is a LongTensor of batch rows."""

    def get_seq_length(self) -> int:
        own = 0 if self.keys is None or self.keys.dim() != 4 else self.keys.shape[-2]
        return self.prefix_length + own

    def crop(self, tokens_to_remove: int) -> None:
        raise NotImplementedError("a shared-prefix cache cannot be cropped")

    def batch_repeat_interleave(self, repeats: int) -> None:
        raise NotImplementedError("a shared-prefix cache cannot repeat its rows")

    def batch_select_indices(self, indices: torch.Tensor) -> None:
        raise NotImplementedError("a shared-prefix cache cannot select rows")

    def reorder_cache(self, beam_idx: torch.LongTensor) -> None:
        raise NotImplementedError("a shared-prefix cache cannot reorder rows (beam search)")

    def reset(self) -> None:
        raise NotImplementedError("a shared-prefix cache cannot be reset")


class SharedPrefixCache(GrowingCache):
    """A cache of :class:`SharedPrefixLayer`: each distinct prompt's keys and values once."""


__all__ = [
    "GrowingCache",
    "GrowingLayer",
    "SharedPrefixCache",
    "SharedPrefixLayer",
    "growing_cache",
]
