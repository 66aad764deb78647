"""Transformers backend: any local checkpoint folder or GGUF file, on CPU or CUDA.

Prompts are rendered (chat template for message lists, or for plain prompts when
``use_chat_template`` is set), tokenised one by one, cut from the LEFT to ``max_prompt_tokens``
(the end of a prompt, where the question and the reply cue sit, is what a model needs most),
sorted by length and run in micro-batches of ``batch_size`` with left padding. Each completion
carries its generated token ids and their log-probabilities under the model's raw distribution
(before temperature and top-p), which is what policy-gradient trainers need; the raw logits
are kept during generation (batch x new tokens x vocab floats), so set ``return_logprobs=False``
or lower ``batch_size`` when memory is tight.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    GenerationConfig,
    StoppingCriteria,
    StoppingCriteriaList,
)

from agents.llm.base import (
    Completion,
    LLMBackend,
    Prompt,
    SamplingParams,
    cut_at_stop,
    is_chat,
    messages_to_text,
)
from agents.llm.prefill import generate_shared_prefill

_DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


@dataclass
class HFConfig:
    """Settings of :class:`HFBackend`."""

    device: str = field(
        default="auto", metadata={"help": "'auto' (CUDA when available), 'cpu', 'cuda', 'cuda:1'."}
    )
    dtype: str = field(
        default="auto",
        metadata={
            "help": "'auto' (bfloat16 on CUDA, float32 on CPU), 'float32', 'bfloat16', 'float16'."
        },
    )
    batch_size: int = field(
        default=8, metadata={"help": "Prompts per forward pass (internal micro-batching)."}
    )
    max_prompt_tokens: int = field(
        default=2048,
        metadata={"help": "Longer prompts lose their first tokens (left truncation)."},
    )
    use_chat_template: bool = field(
        default=False,
        metadata={
            "help": "Wrap plain-text prompts as one user message and apply the chat "
            "template (message lists always get it)."
        },
    )
    return_logprobs: bool = field(
        default=True, metadata={"help": "Compute the log-probability of each generated token."}
    )
    num_threads: int | None = field(
        default=None, metadata={"help": "torch CPU threads (None: leave torch's setting)."}
    )
    prefill_groups: bool = field(
        default=True,
        metadata={
            "help": "Encode a prompt that repeats within a micro-batch (a GRPO group, n samples "
            "of one prompt) once and decode its rows from copies of that cache; same tokens as "
            "encoding every row (agents.llm.prefill)."
        },
    )


def resolve_device(device: str) -> str:
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


def resolve_dtype(dtype: str, device: str) -> torch.dtype:
    if dtype == "auto":
        if device.startswith("cuda") and torch.cuda.is_bf16_supported():
            return torch.bfloat16
        return torch.float32
    if dtype not in _DTYPES:
        raise ValueError(f"dtype must be 'auto' or one of {sorted(_DTYPES)}, got {dtype!r}")
    return _DTYPES[dtype]


def _plain_generate(model: Any, input_ids: Any, attention_mask: Any, **kwargs: Any) -> Any:
    return model.generate(input_ids=input_ids, attention_mask=attention_mask, **kwargs)


class _StopOnStrings(StoppingCriteria):
    """Marks a row done once its generated text contains a stop string."""

    def __init__(self, tokenizer: Any, stop: Sequence[str], prompt_len: int):
        self.tokenizer, self.stop, self.prompt_len = tokenizer, list(stop), prompt_len
        self.window = 2 * max(len(s) for s in stop) + 8

    def __call__(self, input_ids: torch.LongTensor, scores: Any, **kwargs: Any) -> torch.Tensor:
        tails = input_ids[:, self.prompt_len :][:, -self.window :]
        texts = self.tokenizer.batch_decode(tails, skip_special_tokens=True)
        done = [any(s in t for s in self.stop) for t in texts]
        return torch.tensor(done, dtype=torch.bool, device=input_ids.device)


class HFBackend(LLMBackend):
    """Batched generation with a transformers causal LM (see the module docstring)."""

    name = "transformers"

    def __init__(self, model: Any, tokenizer: Any, config: HFConfig | None = None):
        self.config = config or HFConfig()
        if self.config.num_threads:
            torch.set_num_threads(self.config.num_threads)
        self.device = resolve_device(self.config.device)
        self.model = model.to(self.device).eval()
        self.tokenizer = tokenizer
        eos = {tokenizer.eos_token_id}
        gen_eos = getattr(model.generation_config, "eos_token_id", None)
        eos.update(gen_eos if isinstance(gen_eos, list) else [gen_eos])
        self.eos_ids = sorted(i for i in eos if i is not None)
        pad = tokenizer.pad_token_id
        self.pad_id = pad if pad is not None else (self.eos_ids[0] if self.eos_ids else 0)
        self.load_seconds = 0.0

    @classmethod
    def from_pretrained(cls, path: str | Path, config: HFConfig | None = None) -> HFBackend:
        """Load a checkpoint folder, or a ``.gguf`` file (dequantised on load)."""
        config = config or HFConfig()
        start = time.perf_counter()
        path = Path(path).expanduser()
        folder, kwargs = path, {}
        if path.suffix == ".gguf":
            folder, kwargs = path.parent, {"gguf_file": path.name}
        if not folder.exists():
            raise FileNotFoundError(f"model path {path} does not exist")
        device = resolve_device(config.device)
        tokenizer = AutoTokenizer.from_pretrained(folder, **kwargs)
        model = AutoModelForCausalLM.from_pretrained(
            folder, dtype=resolve_dtype(config.dtype, device), **kwargs
        )
        backend = cls(model, tokenizer, config)
        backend.load_seconds = time.perf_counter() - start
        return backend

    # ------------------------------------------------------------------ prompts
    def render(self, prompt: Prompt) -> tuple[str, bool]:
        """The prompt as text, and whether the tokenizer should add its special tokens."""
        if not is_chat(prompt) and not self.config.use_chat_template:
            return prompt, True  # type: ignore[return-value]
        messages = prompt if is_chat(prompt) else [{"role": "user", "content": prompt}]
        messages = messages or [{"role": "user", "content": ""}]
        if getattr(self.tokenizer, "chat_template", None):
            text = self.tokenizer.apply_chat_template(
                messages, tokenize=False, add_generation_prompt=True
            )
            return text, False
        return messages_to_text(messages), True  # type: ignore[arg-type]

    def encode(self, prompt: Prompt) -> list[int]:
        """Token ids of a rendered prompt, left-truncated to ``max_prompt_tokens``."""
        text, special = self.render(prompt)
        ids = self.tokenizer(text, add_special_tokens=special)["input_ids"]
        if not ids:  # an empty prompt still needs one position to attend to
            bos = self.tokenizer.bos_token_id
            ids = [bos if bos is not None else self.pad_id]
        return list(ids[-self.config.max_prompt_tokens :])

    # ------------------------------------------------------------------ generation
    def generate(
        self, prompts: Sequence[Prompt], params: SamplingParams | None = None
    ) -> list[Completion]:
        params = params or SamplingParams()
        encoded = [self.encode(p) for p in prompts]
        order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]))
        results: list[Completion | None] = [None] * len(encoded)
        if params.seed is not None:
            torch.manual_seed(params.seed)
        size = max(1, self.config.batch_size)
        for start in range(0, len(order), size):
            chunk = order[start : start + size]
            for i, completion in zip(
                chunk, self._generate_batch([encoded[i] for i in chunk], params), strict=True
            ):
                results[i] = completion
        return results  # type: ignore[return-value]

    def _generation_config(self, params: SamplingParams) -> GenerationConfig:
        kwargs: dict[str, Any] = {
            "max_new_tokens": params.max_new_tokens,
            "min_new_tokens": params.min_new_tokens or None,
            "pad_token_id": self.pad_id,
            "eos_token_id": self.eos_ids or None,
            "do_sample": not params.greedy,
            "return_dict_in_generate": True,
            "output_logits": self.config.return_logprobs,
        }
        if not params.greedy:
            kwargs.update(temperature=params.temperature, top_p=params.top_p, top_k=0)
        return GenerationConfig(**kwargs)

    @torch.no_grad()
    def _generate_batch(self, batch: list[list[int]], params: SamplingParams) -> list[Completion]:
        width = max(1, max(len(ids) for ids in batch))
        input_ids = torch.full((len(batch), width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for row, ids in enumerate(batch):
            if ids:
                input_ids[row, width - len(ids) :] = torch.tensor(ids, dtype=torch.long)
                mask[row, width - len(ids) :] = 1
        stopping = None
        if params.stop:
            stopping = StoppingCriteriaList([_StopOnStrings(self.tokenizer, params.stop, width)])
        generate = generate_shared_prefill if self.config.prefill_groups else _plain_generate
        out = generate(
            self.model,
            input_ids.to(self.device),
            mask.to(self.device),
            generation_config=self._generation_config(params),
            stopping_criteria=stopping,
        )
        new = out.sequences[:, width:].cpu()
        logprobs = None
        if self.config.return_logprobs and out.logits:
            columns = []  # one step at a time, chosen logit minus log-sum-exp: no vocab copy
            for t, step in enumerate(out.logits):
                chosen = new[:, t].to(step.device).unsqueeze(-1)
                step = step if step.dtype == torch.float32 else step.float()
                columns.append(step.gather(-1, chosen) - torch.logsumexp(step, -1, keepdim=True))
            logprobs = torch.cat(columns, dim=-1).cpu()
        return [
            self._finish(new[row].tolist(), None if logprobs is None else logprobs[row], params)
            for row in range(len(batch))
        ]

    def _finish(
        self, tokens: list[int], logprobs: torch.Tensor | None, params: SamplingParams
    ) -> Completion:
        """Cut one row at end-of-sequence or a stop string; decode it."""
        reason = "length"
        for pos, tok in enumerate(tokens):
            if tok in self.eos_ids and pos >= params.min_new_tokens:
                tokens, reason = tokens[:pos], "stop"
                break
        text = self.tokenizer.decode(tokens, skip_special_tokens=True)
        text, hit = cut_at_stop(text, params.stop)
        if hit:
            reason = "stop"
            for k in range(1, len(tokens) + 1):  # shortest prefix holding the stop string
                if cut_at_stop(
                    self.tokenizer.decode(tokens[:k], skip_special_tokens=True), params.stop
                )[1]:
                    tokens = tokens[:k]
                    break
        lps = None if logprobs is None else [float(x) for x in logprobs[: len(tokens)]]
        return Completion(text=text, token_ids=tokens, logprobs=lps, finish_reason=reason)
