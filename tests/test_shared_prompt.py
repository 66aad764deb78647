"""Shared-prompt log-probabilities equal the plain forward's, values and gradients."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from agents.train.shared_prompt import prompt_groups, shared_prompt_logps  # noqa: E402


def _model(seed: int = 0):
    torch.manual_seed(seed)
    config = transformers.LlamaConfig(
        vocab_size=97,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=256,
        pad_token_id=0,
    )
    return transformers.LlamaForCausalLM(config).float()


def _batch():
    """Two groups of a left-padded prompt each (3 rows and 2 rows, interleaved), completions
    right-padded as TRL builds them."""
    gen = torch.Generator().manual_seed(1)
    prompt_a = torch.randint(3, 97, (9,), generator=gen)
    prompt_b = torch.cat(
        [torch.zeros(3, dtype=torch.long), torch.randint(3, 97, (6,), generator=gen)]
    )
    completions = torch.randint(3, 97, (5, 6), generator=gen)
    completion_mask = torch.ones(5, 6, dtype=torch.long)
    completion_mask[1, 4:] = 0  # a completion that ended early
    completion_mask[3, 2:] = 0
    completions = completions * completion_mask
    prompts = torch.stack([prompt_a, prompt_b, prompt_a, prompt_b, prompt_a])
    prompt_mask = (prompts != 0).long()
    ids = torch.cat([prompts, completions], dim=1)
    mask = torch.cat([prompt_mask, completion_mask], dim=1)
    return ids, mask, 6


def _plain(model, ids, mask, keep, temperature):
    logits = model(input_ids=ids, attention_mask=mask).logits[:, -keep - 1 : -1].float()
    logp = torch.log_softmax(logits / temperature, -1)
    chosen = logp.gather(-1, ids[:, -keep:].unsqueeze(-1)).squeeze(-1)
    entropy = -(logp.exp() * logp).sum(-1)
    weight = mask[:, -keep:].float()
    return chosen * weight, entropy * weight


def test_prompt_groups_by_ids_and_mask() -> None:
    ids, mask, keep = _batch()
    assert prompt_groups(ids, mask, ids.shape[1] - keep) == [[0, 2, 4], [1, 3]]


@pytest.mark.parametrize("temperature", [1.0, 0.7])
def test_same_logps_entropies_and_gradients_as_the_plain_forward(temperature: float) -> None:
    ids, mask, keep = _batch()
    model = _model()
    plain_logps, plain_entropy = _plain(model, ids, mask, keep, temperature)
    plain_logps.sum().backward()
    plain_grads = [p.grad.clone() for p in model.parameters()]
    model.zero_grad()
    logps, entropy = shared_prompt_logps(model, ids, mask, keep, temperature=temperature)
    logps.sum().backward()
    torch.testing.assert_close(logps, plain_logps, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(entropy, plain_entropy, atol=1e-5, rtol=1e-5)
    for shared, plain in zip((p.grad for p in model.parameters()), plain_grads, strict=True):
        torch.testing.assert_close(shared, plain, atol=1e-5, rtol=1e-4)


def test_needs_prompt_and_completion_tokens() -> None:
    ids, mask, _ = _batch()
    with pytest.raises(ValueError, match="prompt"):
        shared_prompt_logps(_model(), ids, mask, ids.shape[1])


def test_group_shuffle_moves_whole_groups() -> None:
    from agents.train.resume import group_shuffle

    torch.manual_seed(3)
    rows = torch.arange(12)
    batch = {"ids": rows[:, None].repeat(1, 2), "names": [f"r{i}" for i in range(12)], "x": None}
    out = group_shuffle(batch, 4)
    order = out["ids"][:, 0]
    assert sorted(order.tolist()) == list(range(12)) and out["x"] is None
    assert out["names"] == [f"r{i}" for i in order.tolist()]
    for block in order.reshape(3, 4):  # each block is one group, in order
        assert block.tolist() == list(range(int(block[0]), int(block[0]) + 4))
    with pytest.raises(ValueError, match="groups of 5"):
        group_shuffle(batch, 5)
