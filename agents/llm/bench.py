"""Generation throughput: new tokens per second at several batch sizes."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from agents.llm.base import LLMBackend, SamplingParams

BENCH_PROMPT = (
    "Here are some memories about Caroline. [0] (8 May 2023) Caroline went to a support group. "
    "[1] (25 May 2023) Caroline is researching adoption agencies. Question {i}: what is "
    "Caroline planning? Answer briefly."
)


def bench_generation(
    backend: LLMBackend,
    batch_sizes: Sequence[int] = (1, 8, 32),
    new_tokens: int = 32,
    *,
    prompt: str = BENCH_PROMPT,
    warmup: bool = True,
) -> dict[str, Any]:
    """Time one greedy ``generate`` call per batch size with exactly ``new_tokens`` new tokens.

    Returns ``{"backend", "new_tokens", "tokens_per_s": {batch: rate}, "runs": [...]}`` where
    each run has ``batch_size``, ``seconds``, ``generated_tokens`` and ``tokens_per_s``.
    """
    params = SamplingParams(max_new_tokens=new_tokens, min_new_tokens=new_tokens)
    if warmup:
        backend.generate([prompt.format(i=0)], SamplingParams(max_new_tokens=2))
    runs = []
    for size in batch_sizes:
        prompts = [prompt.format(i=i) for i in range(size)]
        start = time.perf_counter()
        completions = backend.generate(prompts, params)
        seconds = time.perf_counter() - start
        tokens = sum(c.num_tokens or 0 for c in completions)
        runs.append(
            {
                "batch_size": size,
                "seconds": round(seconds, 4),
                "generated_tokens": tokens,
                "tokens_per_s": round(tokens / seconds, 2) if seconds > 0 else 0.0,
            }
        )
    return {
        "backend": getattr(backend, "name", type(backend).__name__),
        "new_tokens": new_tokens,
        "tokens_per_s": {r["batch_size"]: r["tokens_per_s"] for r in runs},
        "runs": runs,
    }
