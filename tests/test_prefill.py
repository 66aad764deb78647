"""Prefill once per group: the same tokens as encoding every row, each repeated prompt
encoded once; the in-place growing cache and the shared-prefix cache and attention (same logits
as transformers' own cache, each prompt stored once)."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from agents.llm.base import SamplingParams  # noqa: E402
from agents.llm.factory import make_backend  # noqa: E402
from agents.llm.kv_cache import GrowingCache, GrowingLayer, SharedPrefixLayer  # noqa: E402
from agents.llm.prefill import (  # noqa: E402
    generate_shared_prefill,
    group_rows,
    patched_generate,
    prefill_cache,
    shared_prefill_applies,
    shared_prefix_cache,
)
from agents.llm.prefix_attention import (  # noqa: E402
    ATTENTION_NAME,
    attending_to_shared_prefix,
)

LONG = "Caroline went to the LGBTQ support group on 7 May 2023. When did she go? " * 3
SHORT = "Melanie painted a sunrise."


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    torch.set_num_threads(1)
    folder = tmp_path_factory.mktemp("tiny") / "model"
    return make_backend(f"tiny:{folder}", batch_size=8)


def _batch(tiny, texts):
    rows = [tiny.tokenizer(t)["input_ids"] for t in texts]
    width = max(map(len, rows))
    ids = torch.full((len(rows), width), tiny.pad_id)
    mask = torch.zeros_like(ids)
    for r, p in enumerate(rows):
        ids[r, width - len(p) :] = torch.tensor(p)
        mask[r, width - len(p) :] = 1
    return ids, mask


def _both(tiny, prompts, params):
    tiny.config.prefill_groups = False
    plain = tiny.generate(prompts, params)
    tiny.config.prefill_groups = True
    shared = tiny.generate(prompts, params)
    return plain, shared


@pytest.mark.parametrize("greedy", [False, True])
def test_groups_give_the_plain_paths_tokens(tiny, greedy):
    prompts = [LONG] * 4 + [SHORT] * 4  # two groups of different lengths in one micro-batch
    params = SamplingParams(max_new_tokens=10, temperature=1.0, top_p=0.95, seed=7)
    if greedy:
        params = SamplingParams(max_new_tokens=10)
    plain, shared = _both(tiny, prompts, params)
    assert [c.token_ids for c in shared] == [c.token_ids for c in plain]
    assert [c.text for c in shared] == [c.text for c in plain]
    for a, b in zip(plain, shared, strict=True):
        assert torch.allclose(torch.tensor(a.logprobs), torch.tensor(b.logprobs), atol=1e-4)
    if not greedy:  # sampling really happened: a group's rows differ
        assert len({tuple(c.token_ids) for c in shared[:4]}) > 1


def test_patched_generate_shares_the_prefill_and_restores_the_method(tiny):
    model = tiny.model
    ids, mask = _batch(tiny, [LONG] * 3 + [SHORT] * 2)
    assert group_rows(ids, mask) == [0, 0, 0, 3, 3]
    assert shared_prefill_applies(model, ids, mask)
    assert not shared_prefill_applies(model, ids[[0, 3]], mask[[0, 3]])  # nothing repeats
    kwargs = {"max_new_tokens": 6, "do_sample": True, "top_k": 0, "pad_token_id": tiny.pad_id}
    torch.manual_seed(3)
    plain = model.generate(input_ids=ids, attention_mask=mask, **kwargs)
    with patched_generate(model) as shared:
        torch.manual_seed(3)
        grouped = model.generate(input_ids=ids, attention_mask=mask, **kwargs)
    assert shared == [5]
    assert torch.equal(plain, grouped)
    assert "generate" not in vars(model)  # the class's method is back


def test_growing_layer_writes_in_place_and_survives_replaced_tensors():
    layer = GrowingLayer(spare=4)
    k, v = torch.randn(2, 3, 5, 4), torch.randn(2, 3, 5, 4)
    keys, values = layer.update(k, v)
    assert torch.equal(keys, k) and torch.equal(values, v)
    buffer = layer._key_buffer
    for _ in range(4):  # within the spare room: no new buffer
        new = torch.randn(2, 3, 1, 4)
        keys, _ = layer.update(new, new)
        assert layer._key_buffer is buffer and torch.equal(keys[:, :, -1:], new)
    assert layer.get_seq_length() == 9
    layer.update(torch.randn(2, 3, 30, 4), torch.randn(2, 3, 30, 4))  # grows (doubling)
    assert layer.get_seq_length() == 39 and layer._key_buffer is not buffer
    assert torch.equal(layer.keys[:, :, :5], k)
    layer.crop(-2)  # a view of the buffer: the next update overwrites the cropped positions
    layer.update(torch.zeros(2, 3, 1, 4), torch.zeros(2, 3, 1, 4))
    assert layer.get_seq_length() == 38 and torch.equal(layer.keys[:, :, :5], k)
    layer.batch_select_indices(torch.tensor([1]))  # a new tensor: copied into a new buffer
    keys, _ = layer.update(torch.ones(1, 3, 1, 4), torch.ones(1, 3, 1, 4))
    assert keys.shape == (1, 3, 39, 4) and torch.equal(keys[:, :, :5], k[1:])


def test_growing_cache_gives_the_dynamic_caches_logits_bit_for_bit(tiny):
    from transformers import DynamicCache

    model = tiny.model
    ids, _ = _batch(tiny, [LONG, LONG])
    logits = []
    for cache in (DynamicCache(), GrowingCache()):
        out = model(input_ids=ids[:, :-4], cache=cache, use_cache=True)
        steps = [out.logits[:, -1]]
        for i in range(4, 0, -1):  # four decoding steps, one token each
            token = ids[:, -i:][:, :1]
            steps.append(model(input_ids=token, cache=cache, use_cache=True).logits[:, -1])
        logits.append(torch.stack(steps))
    assert isinstance(cache.layers[0], GrowingLayer)
    assert torch.equal(logits[0], logits[1])


@pytest.mark.parametrize("sample", [True, False])
def test_shared_prefix_generation_gives_the_plain_paths_tokens(tiny, sample):
    model = tiny.model
    ids, mask = _batch(tiny, [LONG] * 3 + [SHORT] * 2 + [LONG])  # groups of unequal lengths
    kwargs = {"max_new_tokens": 8, "pad_token_id": tiny.pad_id, "do_sample": sample}
    kwargs |= {"top_k": 0, "output_scores": True, "return_dict_in_generate": True}
    torch.manual_seed(5)
    plain = model.generate(input_ids=ids, attention_mask=mask, **kwargs)
    torch.manual_seed(5)
    shared = generate_shared_prefill(model, ids, mask, **kwargs)
    assert torch.equal(plain.sequences, shared.sequences)
    for a, b in zip(plain.scores, shared.scores, strict=True):
        finite = torch.isfinite(a)
        assert torch.equal(finite, torch.isfinite(b))
        assert torch.allclose(a[finite], b[finite], atol=1e-4)
    assert model.config._attn_implementation == "sdpa"  # switched back


def test_shared_prefix_cache_stores_each_prompt_once(tiny):
    model = tiny.model
    ids, mask = _batch(tiny, [LONG] * 3 + [SHORT] * 2 + [LONG])
    cache = shared_prefix_cache(model, ids, mask)
    layer = cache.layers[0]
    assert isinstance(layer, SharedPrefixLayer)
    assert layer.prefix_keys.shape[0] == 2  # two distinct prompts
    assert layer.prefix_length == ids.shape[1] - 1 == cache.get_seq_length()
    assert [rows.tolist() for _, rows in layer.groups] == [[0, 1, 2, 5], [3, 4]]
    plain = prefill_cache(model, ids, mask).layers[0]
    assert torch.equal(plain.keys[0], layer.prefix_keys[0])
    assert torch.equal(plain.keys[3], layer.prefix_keys[1])


@pytest.mark.parametrize("texts", [[LONG] * 2 + [SHORT] * 2, [LONG] * 3])
def test_shared_prefix_attention_over_several_new_tokens_matches_a_plain_forward(tiny, texts):
    """More than one query at a time: the causal mask inside the rows' own tokens (given by
    transformers with padding, built by the attention without)."""
    model = tiny.model
    ids, mask = _batch(tiny, texts)
    extra = torch.tensor([[5, 6, 7]] * len(texts))
    full_ids, full_mask = torch.cat([ids, extra], 1), torch.cat([mask, torch.ones_like(extra)], 1)
    positions = (full_mask.cumsum(1) - 1).clamp(min=0)
    with torch.no_grad():
        want = model(input_ids=full_ids, attention_mask=full_mask, position_ids=positions).logits
        cache = shared_prefix_cache(model, ids, mask)
        with attending_to_shared_prefix(model, cache):
            got = model(
                input_ids=full_ids[:, -4:],
                attention_mask=full_mask,
                position_ids=positions[:, -4:],
                cache=cache,
                use_cache=True,
            ).logits
    assert torch.allclose(got, want[:, -4:], atol=1e-4)


def test_attention_switch_is_undone_on_error_and_moving_rows_take_the_plain_call(tiny):
    model = tiny.model
    ids, mask = _batch(tiny, [LONG] * 2)
    cache = shared_prefix_cache(model, ids, mask)
    with pytest.raises(RuntimeError), attending_to_shared_prefix(model, cache):
        assert model.config._attn_implementation == ATTENTION_NAME
        raise RuntimeError("boom")
    assert model.config._attn_implementation == "sdpa"
    # several returns per row change the batch's rows: the plain call, same tokens
    kwargs = {"max_new_tokens": 4, "do_sample": True, "pad_token_id": tiny.pad_id}
    kwargs["num_return_sequences"] = 2
    torch.manual_seed(2)
    plain = model.generate(input_ids=ids, attention_mask=mask, **kwargs)
    torch.manual_seed(2)
    shared = generate_shared_prefill(model, ids, mask, **kwargs)
    assert torch.equal(plain, shared)


def test_shared_prefix_attention_equals_attention_over_the_concatenated_keys():
    """The attention function alone, against torch's attention over each row's prefix + own
    keys (heads grouped over key/value heads as transformers' ``repeat_kv`` does), with no mask
    (causal inside the rows' own tokens) and with a padding mask."""
    from types import SimpleNamespace

    from agents.llm.kv_cache import SharedPrefixCache
    from agents.llm.prefix_attention import _ACTIVE, shared_prefix_attention

    gen = torch.Generator().manual_seed(0)
    prompts, kv_heads, group, prefix, own, queries, dim = 2, 2, 3, 7, 5, 3, 8
    rows = torch.tensor([1, 0, 1, 0, 0])  # each row's prompt
    batch = len(rows)
    pk = torch.randn(prompts, kv_heads, prefix, dim, generator=gen)
    pv = torch.randn(prompts, kv_heads, prefix, dim, generator=gen)
    groups = [(p, torch.nonzero(rows == p).flatten()) for p in range(prompts)]
    cache = SharedPrefixCache([SharedPrefixLayer(pk, pv, groups)])
    query = torch.randn(batch, kv_heads * group, queries, dim, generator=gen)
    key = torch.randn(batch, kv_heads, own, dim, generator=gen)
    value = torch.randn(batch, kv_heads, own, dim, generator=gen)
    # the attention reads the prefix only for the keys the layer's update returned
    own_key, own_value = cache.layers[0].update(key, value)
    full_k = torch.cat([pk[rows], key], 2).repeat_interleave(group, 1)
    full_v = torch.cat([pv[rows], value], 2).repeat_interleave(group, 1)
    causal = torch.ones(queries, prefix + own, dtype=torch.bool)
    causal[:, prefix:] = torch.ones(queries, own, dtype=torch.bool).tril(own - queries)
    padding = torch.ones(batch, 1, queries, prefix + own, dtype=torch.bool)
    padding[rows == 1, :, :, :3] = False  # prompt 1 is left-padded by 3
    module = SimpleNamespace(layer_idx=0, training=False, num_key_value_groups=group)
    token = _ACTIVE.set(cache)
    try:
        for mask in (None, padding & causal):
            want_mask = causal if mask is None else mask
            want = torch.nn.functional.scaled_dot_product_attention(
                query, full_k, full_v, attn_mask=want_mask
            ).transpose(1, 2)
            got, _ = shared_prefix_attention(module, query, own_key, own_value, mask)
            assert torch.allclose(got, want, atol=1e-5)
        # keys from anywhere else (another forward's cache) get plain attention over them alone
        see_all = torch.ones(batch, 1, queries, own, dtype=torch.bool)
        other, _ = shared_prefix_attention(module, query, key.clone(), value.clone(), see_all)
        plain = torch.nn.functional.scaled_dot_product_attention(
            query, key.repeat_interleave(group, 1), value.repeat_interleave(group, 1)
        ).transpose(1, 2)
        assert torch.allclose(other, plain, atol=1e-5)
    finally:
        _ACTIVE.reset(token)


def test_shared_prefix_generation_runs_under_bf16_autocast(tiny):
    """As the GRPO trainer may generate: the attention computes in autocast's dtype."""
    model = tiny.model
    ids, mask = _batch(tiny, [LONG] * 2 + [SHORT] * 2)
    kwargs = {"max_new_tokens": 4, "do_sample": False, "pad_token_id": tiny.pad_id}
    kwargs |= {"output_scores": True, "return_dict_in_generate": True}
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        plain = model.generate(input_ids=ids, attention_mask=mask, **kwargs)
        shared = generate_shared_prefill(model, ids, mask, **kwargs)
    first_plain, first_shared = plain.scores[0], shared.scores[0]
    assert torch.isfinite(first_shared).all()
    assert (first_plain - first_shared).abs().max() < 0.1  # bf16 rounding, not another model


def test_other_forwards_inside_the_block_do_not_read_the_shared_prefix(tiny):
    """A forward with its own cache during the switch (a guidance model's, a nested generation)
    gets plain attention: the same logits as outside the block."""
    from transformers import DynamicCache

    model = tiny.model
    ids, mask = _batch(tiny, [LONG] * 2 + [SHORT] * 2)
    with torch.no_grad():
        want = model(input_ids=ids, attention_mask=mask, cache=DynamicCache()).logits
        with attending_to_shared_prefix(model, shared_prefix_cache(model, ids, mask)):
            got = model(input_ids=ids, attention_mask=mask, cache=DynamicCache()).logits
    assert torch.allclose(got, want, atol=1e-5)


def test_row_settings_inherited_from_the_models_generation_config_take_the_plain_call(tiny):
    """transformers fills a passed generation config's unset fields from the model's: several
    returns per row set on the model must send the batch to the plain call."""
    from transformers import GenerationConfig

    model = tiny.model
    ids, mask = _batch(tiny, [LONG] * 2 + [SHORT] * 2)
    passed = GenerationConfig(max_new_tokens=3, do_sample=True, pad_token_id=tiny.pad_id)
    before = model.generation_config.num_return_sequences
    model.generation_config.num_return_sequences = 2
    try:
        torch.manual_seed(4)
        plain = model.generate(input_ids=ids, attention_mask=mask, generation_config=passed)
        torch.manual_seed(4)
        shared = generate_shared_prefill(model, ids, mask, generation_config=passed)
    finally:
        model.generation_config.num_return_sequences = before
    assert shared.shape[0] == 8 and torch.equal(plain, shared)
