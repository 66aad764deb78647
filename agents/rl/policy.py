"""The policy of the RL runs: a Llama-architecture causal LM (a tier-1 build, or SmolLM2-135M for
tier 2) with batched sampling that keeps per-token log-probabilities, and the training forward
pass that recomputes them.

Sampling left-pads the prompts (attention mask and position ids from the mask) and decodes with
the KV cache; the training pass right-pads prompt + completion and reads the log-probabilities of
the completion tokens only (the LM head runs on those positions). Both give the same numbers up to
float rounding (tested). Every sampler call takes an explicit ``torch.Generator``, so a seed fixes
the rollouts.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F


@contextmanager
def quiet_file_bars() -> Iterator[None]:
    """transformers' per-file "Loading weights" / "Writing model shards" bars off (a tier-1
    folder loads in milliseconds, and a bench loads and saves several per cell), then restored
    (also used by ``make demo`` around its whole RL part)."""
    from transformers.utils import logging as hf_logging

    was_on = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_on:
            hf_logging.enable_progress_bar()


@dataclass
class Sample:
    """One sampled completion: token ids (end-of-sequence included when emitted) and their
    log-probabilities under the sampling policy, plus the final hidden state of the prompt."""

    prompt_ids: list[int]
    completion_ids: list[int]
    logprobs: list[float]
    hidden: torch.Tensor
    text: str
    finished: bool


@dataclass
class ForwardOut:
    """The training pass over a batch of (prompt, completion) rows."""

    logprobs: torch.Tensor
    """[rows, tokens] log-probabilities of the completion tokens (0 where ``mask`` is 0)."""
    mask: torch.Tensor
    """[rows, tokens] 1.0 on completion tokens."""
    hidden: torch.Tensor
    """[rows, hidden] final hidden state at the last prompt token (what a critic reads)."""


class LMPolicy:
    """A causal LM and its tokenizer, wrapped for RL on the tier-1 prompt formats (the same
    prompts for both tiers: tier 2's SFT teaches SmolLM2 the compact action format)."""

    def __init__(self, model: Any, tokenizer: Any, max_prompt_tokens: int = 448):
        self.model = model
        self.tokenizer = tokenizer
        self.max_prompt_tokens = max_prompt_tokens
        self.eos_id = int(tokenizer.eos_token_id)
        self.pad_id = int(tokenizer.pad_token_id)

    @classmethod
    def load(cls, folder: str | os.PathLike[str]) -> LMPolicy:
        """Load a tier-1 build, the cached SmolLM2 conversion, or an SFT/RL export of either:
        safetensors and JSON only."""
        from transformers import LlamaForCausalLM, PreTrainedTokenizerFast

        from agents.tier1.build import check_safe_folder

        path = Path(folder)
        check_safe_folder(path)
        with quiet_file_bars():
            tokenizer = PreTrainedTokenizerFast.from_pretrained(path)
            model = LlamaForCausalLM.from_pretrained(
                path, dtype=torch.float32, use_safetensors=True
            )
        model.eval()
        return cls(model, tokenizer)

    @property
    def hidden_size(self) -> int:
        return int(self.model.config.hidden_size)

    def save(self, folder: str | os.PathLike[str]) -> Path:
        """Write the model and tokenizer as a plain HF folder (safetensors)."""
        path = Path(folder)
        path.mkdir(parents=True, exist_ok=True)
        with quiet_file_bars():
            self.model.save_pretrained(path, safe_serialization=True)
            self.tokenizer.save_pretrained(path)
        return path

    def encode(self, prompts: list[str]) -> list[list[int]]:
        """``[bos] + ids`` of each prompt, cut from the left to ``max_prompt_tokens``."""
        ids = self.tokenizer(prompts, add_special_tokens=True)["input_ids"]
        return [list(x[-self.max_prompt_tokens :]) for x in ids]

    # ------------------------------------------------------------------ sampling
    @torch.no_grad()
    def sample(
        self,
        prompts: list[str],
        generator: torch.Generator | None,
        *,
        max_new_tokens: int = 24,
        temperature: float = 1.0,
        greedy: bool = False,
    ) -> list[Sample]:
        """Complete every prompt (one batch, KV cache); greedy ignores the generator."""
        if not prompts:
            return []
        if not greedy and generator is None:
            raise ValueError("sampling needs a torch.Generator (or greedy=True)")
        if temperature <= 0:
            raise ValueError(f"temperature must be > 0, got {temperature}")
        from transformers import DynamicCache

        prompt_ids = self.encode(prompts)
        n, width = len(prompt_ids), max(len(p) for p in prompt_ids)
        ids = torch.full((n, width), self.pad_id, dtype=torch.long)
        attn = torch.zeros((n, width), dtype=torch.long)
        for i, p in enumerate(prompt_ids):
            ids[i, width - len(p) :] = torch.tensor(p)
            attn[i, width - len(p) :] = 1
        pos = (attn.cumsum(1) - 1).clamp(min=0)
        cache = DynamicCache()
        out = self.model.model(
            input_ids=ids,
            attention_mask=attn,
            position_ids=pos,
            cache=cache,
            use_cache=True,
        )
        last = out.last_hidden_state[:, -1]
        hidden = last.clone()
        tokens: list[list[int]] = [[] for _ in range(n)]
        logps: list[list[float]] = [[] for _ in range(n)]
        done = torch.zeros(n, dtype=torch.bool)
        next_pos = pos[:, -1]
        for _ in range(max_new_tokens):
            logits = self.model.lm_head(last).float() / temperature
            logp = torch.log_softmax(logits, dim=-1)
            if greedy:
                choice = logp.argmax(-1)
            else:
                choice = torch.multinomial(logp.exp(), 1, generator=generator).squeeze(1)
            chosen = logp.gather(1, choice[:, None]).squeeze(1)
            for i in range(n):
                if not done[i]:
                    tokens[i].append(int(choice[i]))
                    logps[i].append(float(chosen[i]))
            done |= choice == self.eos_id
            if bool(done.all()):
                break
            attn = torch.cat([attn, torch.ones((n, 1), dtype=torch.long)], dim=1)
            next_pos = next_pos + 1
            out = self.model.model(
                input_ids=choice[:, None],
                attention_mask=attn,
                position_ids=next_pos[:, None],
                cache=cache,
                use_cache=True,
            )
            last = out.last_hidden_state[:, -1]
        texts = self.tokenizer.batch_decode(
            [[t for t in row if t != self.eos_id] for row in tokens], skip_special_tokens=True
        )
        return [
            Sample(prompt_ids[i], tokens[i], logps[i], hidden[i], texts[i], bool(done[i]))
            for i in range(n)
        ]

    # ------------------------------------------------------------------ training pass
    def forward(
        self,
        prompt_ids: list[list[int]],
        completion_ids: list[list[int]],
        temperature: float = 1.0,
        bf16: bool = False,
        length_chunk: int = 0,
    ) -> ForwardOut:
        """Log-probabilities of the completions given their prompts (with gradients);
        ``bf16`` runs the model under bfloat16 autocast (about 1.6x faster on CPU, log-probs
        then differ from the float32 sampler's by bf16 rounding). ``length_chunk`` > 0 sorts the
        rows by length and runs them in chunks of that many rows, so that little of the pass is
        padding; the rows come back in their order, equal up to float rounding."""
        n = len(prompt_ids)
        if 0 < length_chunk < n:
            return self._forward_by_length(
                prompt_ids, completion_ids, temperature, bf16, length_chunk
            )
        lengths = [len(p) + len(c) for p, c in zip(prompt_ids, completion_ids, strict=True)]
        width = max(lengths)
        longest = max(len(c) for c in completion_ids)
        ids = torch.full((n, width), self.pad_id, dtype=torch.long)
        attn = torch.zeros((n, width), dtype=torch.long)
        for i, (p, c) in enumerate(zip(prompt_ids, completion_ids, strict=True)):
            row = p + c
            ids[i, : len(row)] = torch.tensor(row)
            attn[i, : len(row)] = 1
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            hidden = self.model.model(input_ids=ids, attention_mask=attn).last_hidden_state
        hidden = hidden.float()
        starts = torch.tensor([len(p) - 1 for p in prompt_ids])
        offsets = torch.arange(longest)
        index = (starts[:, None] + offsets[None, :]).clamp(max=width - 1)
        picked = hidden.gather(1, index[:, :, None].expand(-1, -1, hidden.shape[-1]))
        logits = self.model.lm_head(picked).float() / temperature
        targets = torch.zeros((n, longest), dtype=torch.long)
        mask = torch.zeros((n, longest))
        for i, c in enumerate(completion_ids):
            if c:
                targets[i, : len(c)] = torch.tensor(c)
                mask[i, : len(c)] = 1.0
        logp = torch.log_softmax(logits, dim=-1).gather(2, targets[:, :, None]).squeeze(2)
        prompt_hidden = hidden[torch.arange(n), starts]
        return ForwardOut(logp * mask, mask, prompt_hidden)

    def _forward_by_length(
        self,
        prompt_ids: list[list[int]],
        completion_ids: list[list[int]],
        temperature: float,
        bf16: bool,
        length_chunk: int,
    ) -> ForwardOut:
        n = len(prompt_ids)
        order = sorted(range(n), key=lambda i: len(prompt_ids[i]) + len(completion_ids[i]))
        parts = [
            self.forward(
                [prompt_ids[i] for i in rows],
                [completion_ids[i] for i in rows],
                temperature,
                bf16,
            )
            for rows in (order[s : s + length_chunk] for s in range(0, n, length_chunk))
        ]
        longest = max(part.logprobs.shape[1] for part in parts)

        def joined(name: str) -> torch.Tensor:
            return torch.cat(
                [F.pad(getattr(p, name), (0, longest - p.logprobs.shape[1])) for p in parts]
            )

        back = torch.empty(n, dtype=torch.long)
        back[torch.tensor(order)] = torch.arange(n)
        hidden = torch.cat([part.hidden for part in parts])
        return ForwardOut(joined("logprobs")[back], joined("mask")[back], hidden[back])
