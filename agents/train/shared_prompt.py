"""Completion log-probabilities with each shared prompt encoded once (GRPO training passes).

A GRPO group is ``num_generations`` completions of one prompt, and a training micro-batch holds
rows of the same group. The plain forward runs the whole prompt once per row, although the
prompt's hidden states are identical in every row of a group: with prompts of ~650 tokens and
completions of ~32, almost all of a micro-step's compute is that repetition. Here the rows of a
micro-batch are grouped by prompt; each distinct prompt runs once with its key/value cache kept
(and differentiable), the cache is repeated to the group's rows, and only the completions run per
row on top of it. The positions, masks and attention are those of the plain forward, so the
log-probabilities and their gradients are the same up to floating-point rounding (tested in
``tests/test_shared_prompt.py``); the gradient of every row reaches the one prompt pass.
"""

from __future__ import annotations

from typing import Any

import torch


def prompt_groups(
    input_ids: torch.Tensor, attention_mask: torch.Tensor, prompt_len: int
) -> list[list[int]]:
    """Row indices grouped by identical prompt (ids and mask of the first ``prompt_len``
    positions), in order of first appearance."""
    keys: dict[bytes, list[int]] = {}
    prompt = torch.cat([input_ids[:, :prompt_len], attention_mask[:, :prompt_len]], dim=1)
    for row, key in enumerate(prompt.cpu().numpy()):
        keys.setdefault(key.tobytes(), []).append(row)
    return list(keys.values())


def _token_logps(
    logits: torch.Tensor, targets: torch.Tensor, temperature: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """Log-probabilities of ``targets`` and the entropies of the tempered distributions."""
    logp = torch.log_softmax(logits.float() / temperature, dim=-1)
    chosen = logp.gather(-1, targets.unsqueeze(-1)).squeeze(-1)
    entropy = -(logp.exp() * logp).sum(-1)
    return chosen, entropy


def shared_prompt_logps(
    model: Any,
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor,
    completion_len: int,
    *,
    temperature: float = 1.0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-token log-probabilities and entropies of the last ``completion_len`` tokens of each row.

    ``input_ids`` / ``attention_mask`` are ``(rows, prompt + completion)`` as TRL builds them
    (left-padded prompts, right-padded completions). Returns two ``(rows, completion_len)``
    float32 tensors; positions whose token is padding (mask 0) hold 0. Positions follow the plain
    forward's (``0..T-1`` whatever the padding), as a forward without ``position_ids`` does.
    """
    from transformers import DynamicCache

    total = input_ids.shape[1]
    prompt_len = total - completion_len
    if prompt_len < 1 or completion_len < 1:
        raise ValueError(
            "need at least one prompt and one completion token, "
            f"got {prompt_len} and {completion_len}"
        )
    out_logps: list[tuple[list[int], torch.Tensor, torch.Tensor]] = []
    for group in prompt_groups(input_ids, attention_mask, prompt_len):
        first = group[0]
        cache = DynamicCache(config=getattr(model, "config", None))
        prompt = model(
            input_ids=input_ids[first : first + 1, :prompt_len],
            attention_mask=attention_mask[first : first + 1, :prompt_len],
            cache=cache,  # filled in place
            use_cache=True,
            logits_to_keep=1,
        )
        if len(group) > 1:
            cache.batch_repeat_interleave(len(group))
        completion_ids = input_ids[group, prompt_len:]
        rest = model(
            input_ids=completion_ids,
            attention_mask=attention_mask[group],
            cache=cache,
            use_cache=True,
        )
        # token prompt_len is predicted by the prompt's last position, the others by the
        # completion positions before them (the last completion position predicts nothing)
        logits = torch.cat(
            [prompt.logits[:, -1:].expand(len(group), -1, -1), rest.logits[:, :-1]], dim=1
        )
        chosen, entropy = _token_logps(logits, completion_ids, temperature)
        out_logps.append((group, chosen, entropy))
    keep = attention_mask[:, prompt_len:].to(torch.float32)
    index_rows = torch.tensor([r for g, _, _ in out_logps for r in g])
    stacked = torch.cat([c for _, c, _ in out_logps])
    stacked_entropy = torch.cat([e for _, _, e in out_logps])
    order = torch.argsort(index_rows)
    logps = stacked[order] * keep
    entropies = stacked_entropy[order] * keep
    return logps, entropies
