"""The one interface every LLM backend implements: batched ``generate`` over prompts."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field

Message = dict[str, str]
"""A chat message: ``{"role": "system" | "user" | "assistant", "content": "..."}``."""

Prompt = str | list[Message]
"""A plain-text prompt or a list of chat messages."""


@dataclass
class SamplingParams:
    """How to decode. One completion per prompt: repeat a prompt to get several samples."""

    max_new_tokens: int = field(
        default=128, metadata={"help": "Maximum number of tokens to generate per prompt."}
    )
    min_new_tokens: int = field(
        default=0,
        metadata={
            "help": "Generate at least this many tokens (end-of-sequence is ignored before)."
        },
    )
    temperature: float = field(
        default=0.0, metadata={"help": "Sampling temperature; 0 means greedy decoding."}
    )
    top_p: float = field(
        default=1.0, metadata={"help": "Nucleus sampling mass (ignored when greedy)."}
    )
    stop: tuple[str, ...] = field(
        default=(),
        metadata={"help": "Stop strings: the text is cut before the first one generated."},
    )
    seed: int | None = field(
        default=None, metadata={"help": "Random seed for sampling (None: not reseeded)."}
    )
    n: int = field(default=1, metadata={"help": "Completions per prompt; only 1 is supported."})

    def __post_init__(self) -> None:
        if self.n != 1:
            raise ValueError("SamplingParams.n must be 1: repeat the prompt to get more samples")
        if self.max_new_tokens < 1:
            raise ValueError(f"max_new_tokens must be >= 1, got {self.max_new_tokens}")
        if self.temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {self.temperature}")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p}")
        if isinstance(self.stop, str):
            self.stop = (self.stop,)
        self.stop = tuple(self.stop)

    @property
    def greedy(self) -> bool:
        return self.temperature == 0


@dataclass
class Completion:
    """One generated continuation."""

    text: str
    """The generated text, cut before the first stop string (stop string excluded)."""
    token_ids: list[int]
    """Generated token ids (empty when the backend cannot return them, e.g. over HTTP)."""
    logprobs: list[float] | None = None
    """Log-probability of each generated token under the model (one per ``token_ids``)."""
    finish_reason: str = "stop"
    """``"stop"`` (end of sequence or stop string) or ``"length"`` (``max_new_tokens`` hit)."""
    num_tokens: int | None = None
    """Generated token count (``len(token_ids)`` unless the backend only reports a count)."""

    def __post_init__(self) -> None:
        if self.num_tokens is None:
            self.num_tokens = len(self.token_ids)


class LLMBackend(ABC):
    """A text generator. ``generate`` takes a batch and returns one completion per prompt."""

    name: str = "llm"

    @abstractmethod
    def generate(
        self, prompts: Sequence[Prompt], params: SamplingParams | None = None
    ) -> list[Completion]:
        """Complete every prompt (plain strings or chat message lists), in order."""

    def complete(self, prompt: Prompt, params: SamplingParams | None = None) -> str:
        """The text of one completion (a convenience over ``generate``)."""
        return self.generate([prompt], params)[0].text


def messages_to_text(messages: Sequence[Message]) -> str:
    """A plain-text rendering of chat messages, for models without a chat template."""
    parts = [f"{m.get('role', 'user').capitalize()}: {m.get('content', '')}" for m in messages]
    return "\n\n".join(parts) + "\n\nAssistant:"


def cut_at_stop(text: str, stop: Sequence[str]) -> tuple[str, bool]:
    """``text`` up to the earliest stop string, and whether one was found."""
    cut = min((i for i in (text.find(s) for s in stop if s) if i >= 0), default=-1)
    return (text[:cut], True) if cut >= 0 else (text, False)


def is_chat(prompt: Prompt) -> bool:
    return not isinstance(prompt, str)
