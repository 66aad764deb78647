"""Prefill once per group: the same tokens as encoding every row, each repeated prompt
encoded once."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from agents.llm.base import SamplingParams  # noqa: E402
from agents.llm.factory import make_backend  # noqa: E402
from agents.llm.prefill import (  # noqa: E402
    group_rows,
    patched_generate,
    shared_prefill_applies,
)

LONG = "Caroline went to the LGBTQ support group on 7 May 2023. When did she go? " * 3
SHORT = "Melanie painted a sunrise."


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    torch.set_num_threads(1)
    folder = tmp_path_factory.mktemp("tiny") / "model"
    return make_backend(f"tiny:{folder}", batch_size=8)


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
    model, tok = tiny.model, tiny.tokenizer
    rows = [tok(LONG)["input_ids"]] * 3 + [tok(SHORT)["input_ids"]] * 2
    width = max(map(len, rows))
    ids = torch.full((len(rows), width), tiny.pad_id)
    mask = torch.zeros_like(ids)
    for r, p in enumerate(rows):
        ids[r, width - len(p) :] = torch.tensor(p)
        mask[r, width - len(p) :] = 1
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
