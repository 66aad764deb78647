"""LLM backends behind one interface: ``generate(prompts, SamplingParams) -> [Completion]``."""

from agents.llm.base import (
    Completion,
    LLMBackend,
    Message,
    Prompt,
    SamplingParams,
    cut_at_stop,
    messages_to_text,
)
from agents.llm.bench import bench_generation
from agents.llm.factory import SPECS, add_backend_arguments, backend_from_args, make_backend

__all__ = [
    "SPECS",
    "Completion",
    "LLMBackend",
    "Message",
    "Prompt",
    "SamplingParams",
    "add_backend_arguments",
    "backend_from_args",
    "bench_generation",
    "cut_at_stop",
    "make_backend",
    "messages_to_text",
]
