"""Build (corpus, tokenizer, pretraining) and cache the tier-1 model as a plain HF folder.

``build_tier1(seed=0)`` returns a folder holding ``config.json``, ``generation_config.json``,
``model.safetensors``, the tokenizer files and ``build_info.json``. It is cached under
``$MEMENV_CACHE_DIR/tier1/<key>`` (default ``~/.cache/memenv/tier1/<key>``), where the key hashes
everything that determines the weights: the four configs, the seed, this module's format version
and the torch / transformers / tokenizers versions. A second call returns the cached folder.
Loading reads only JSON and safetensors (nothing is unpickled).
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from agents.folders import atomic_folder
from agents.tier1.corpus import CorpusConfig, build_corpus
from agents.tier1.model import ModelConfig, count_parameters, init_model
from agents.tier1.pretrain import TrainConfig, pretrain
from agents.tier1.tokenizer import TokenizerConfig, encode_documents, train_tokenizer

FORMAT_VERSION = 1
"""Bump when the build changes in a way the configs do not capture (new cache keys)."""
BUILD_INFO = "build_info.json"
WEIGHTS = "model.safetensors"
BUILD_COMMAND = "memenv tier1 build"
"""The console command that builds the default model (``python -m agents.tier1 build`` too)."""
EVAL_SEED_OFFSET = 500_000
"""The held-out loss uses conversations at ``corpus.seed + EVAL_SEED_OFFSET``."""
_PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt")


class Tier1NotBuiltError(FileNotFoundError):
    """The tier-1 model is not in the cache yet."""


@dataclass(frozen=True)
class Tier1Config:
    """Everything that determines the tier-1 weights besides the seed."""

    corpus: CorpusConfig = field(default_factory=CorpusConfig)
    tokenizer: TokenizerConfig = field(
        default_factory=lambda: TokenizerConfig(vocab_size=2048),
    )
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    eval_conversations: int = field(
        default=6, metadata={"help": "Held-out conversations for the final eval loss (0: none)."}
    )

    def with_budget(self, budget_seconds: float | None = None, steps: int | None = None):
        """A copy with another training budget (nominal seconds or explicit steps)."""
        train = self.train
        if budget_seconds is not None:
            train = replace(train, budget_seconds=float(budget_seconds), steps=None)
        if steps is not None:
            train = replace(train, steps=int(steps))
        return replace(self, train=train)

    @classmethod
    def tiny(cls) -> Tier1Config:
        """A model of a few thousand parameters built in seconds: for tests and tutorials run at a
        tiny budget (it learns next to nothing)."""
        return cls(
            corpus=CorpusConfig(n_conversations=2),
            tokenizer=TokenizerConfig(vocab_size=400),
            model=ModelConfig(
                hidden_size=32, num_layers=1, num_heads=2, num_kv_heads=2, intermediate_size=64
            ),
            train=TrainConfig(
                steps=6, batch_size=2, seq_len=64, warmup_steps=2, log_every=3, num_threads=1
            ),
            eval_conversations=0,
        )


def _versions() -> dict[str, str]:
    import tokenizers
    import torch
    import transformers

    return {
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "tokenizers": tokenizers.__version__,
    }


def _key_payload(config: Tier1Config, seed: int) -> dict[str, Any]:
    payload = asdict(config)
    payload["train"].pop("log_every", None)  # logging does not change the weights
    payload["train"]["total_steps"] = config.train.total_steps
    return {"format": FORMAT_VERSION, "seed": seed, "config": payload, "versions": _versions()}


def build_key(config: Tier1Config | None = None, seed: int = 0) -> str:
    """The cache key: a hash of everything that determines the weights."""
    config = config or Tier1Config()
    text = json.dumps(_key_payload(config, seed), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def cache_root() -> Path:
    """``$MEMENV_CACHE_DIR/tier1`` or ``~/.cache/memenv/tier1``."""
    return Path(os.environ.get("MEMENV_CACHE_DIR", "~/.cache/memenv")).expanduser() / "tier1"


def default_path(seed: int = 0, config: Tier1Config | None = None) -> Path:
    """Where the build of ``(config, seed)`` is cached."""
    return cache_root() / build_key(config, seed)


def is_built(folder: Path, key: str | None = None) -> bool:
    """Whether ``folder`` holds a complete build (of ``key`` when given)."""
    info = folder / BUILD_INFO
    if not (info.is_file() and (folder / WEIGHTS).is_file() and (folder / "config.json").is_file()):
        return False
    if key is None:
        return True
    try:
        return json.loads(info.read_text()).get("key") == key
    except (OSError, json.JSONDecodeError):
        return False


def _check_seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**31:
        raise ValueError(f"seed must be an int in [0, 2**31), got {seed!r}")
    return seed


def build_tier1(
    out_dir: str | os.PathLike[str] | None = None,
    seed: int = 0,
    config: Tier1Config | None = None,
    *,
    budget_seconds: float | None = None,
    steps: int | None = None,
    force: bool = False,
    log: Callable[[str], None] | None = None,
) -> Path:
    """Build the tier-1 model (or return the cached build) and give its folder.

    ``budget_seconds`` / ``steps`` override ``config.train``'s budget. ``out_dir`` saves there
    instead of the cache (a complete build of the same key already there is reused). ``force``
    rebuilds even when cached. ``log`` receives progress lines.
    """
    seed = _check_seed(seed)
    config = (config or Tier1Config()).with_budget(budget_seconds, steps)
    key = build_key(config, seed)
    target = Path(out_dir).expanduser() if out_dir is not None else cache_root() / key
    if not force and is_built(target, key):
        if log:
            log(f"tier-1 model {key} already built: {target}")
        return target
    if target.exists() and any(target.iterdir()):
        if not is_built(target):
            raise FileExistsError(
                f"{target} exists and is not a tier-1 build; choose another --out"
            )
        if log:
            log(f"{target} holds another tier-1 build: it will be replaced")
    # a concurrent build of the same key by another process is as good as this one
    with atomic_folder(target, accept_existing=lambda path: is_built(path, key)) as tmp:
        _build_into(tmp, config, seed, key, log)
    return target


def _build_into(
    folder: Path, config: Tier1Config, seed: int, key: str, log: Callable[[str], None] | None
) -> None:
    say = log or (lambda _msg: None)
    wall0, cpu0 = time.perf_counter(), time.process_time()
    phases: dict[str, dict[str, float]] = {}

    def phase(name: str, wall: float, cpu: float) -> None:
        phases[name] = {
            "wall_seconds": round(time.perf_counter() - wall, 2),
            "cpu_seconds": round(time.process_time() - cpu, 2),
        }

    say(
        f"tier-1 build {key} (seed {seed}): corpus of {config.corpus.n_conversations} conversations"
    )
    w, c = time.perf_counter(), time.process_time()
    corpus = build_corpus(config.corpus)
    eval_corpus = None
    if config.eval_conversations:
        eval_corpus = build_corpus(
            replace(
                config.corpus,
                seed=config.corpus.seed + EVAL_SEED_OFFSET,
                n_conversations=config.eval_conversations,
            )
        )
    phase("corpus", w, c)

    say(f"tokenizer: byte-level BPE, vocabulary {config.tokenizer.vocab_size}")
    w, c = time.perf_counter(), time.process_time()
    tokenizer = train_tokenizer(corpus.texts(), config.tokenizer)
    documents = encode_documents(tokenizer, corpus.texts())
    eval_documents = encode_documents(tokenizer, eval_corpus.texts()) if eval_corpus else None
    phase("tokenizer", w, c)
    corpus_tokens = sum(len(d) for d in documents)

    model = init_model(config.model, tokenizer, seed)
    n_params = count_parameters(model)
    total = config.train.total_steps
    say(
        f"pretraining {n_params / 1e6:.2f}M parameters on {corpus_tokens:,} corpus tokens: "
        f"{total} steps of {config.train.batch_size}x{config.train.seq_len} tokens"
    )
    w, c = time.perf_counter(), time.process_time()
    result = pretrain(model, documents, config.train, seed, eval_documents=eval_documents, log=log)
    phase("pretrain", w, c)

    w, c = time.perf_counter(), time.process_time()
    model.save_pretrained(folder, safe_serialization=True)
    tokenizer.save_pretrained(folder)
    phase("save", w, c)

    info = {
        "key": key,
        "seed": seed,
        "parameters": n_params,
        "steps": result.steps,
        "train_tokens": result.tokens,
        "epochs": round(result.tokens / max(1, corpus_tokens), 3),
        "final_loss": round(result.final_loss, 4),
        "eval_loss": None if result.eval_loss is None else round(result.eval_loss, 4),
        "train_tokens_per_second": round(result.tokens_per_second, 1),
        "corpus": {**corpus.summary(), "tokens": corpus_tokens},
        "vocab_size": len(tokenizer),
        "phases": phases,
        "wall_seconds": round(time.perf_counter() - wall0, 2),
        "cpu_seconds": round(time.process_time() - cpu0, 2),
        "machine": {"cpu_count": os.cpu_count(), "processor": platform.processor()},
        "curve": result.curve,
        **_key_payload(config, seed),
    }
    (folder / BUILD_INFO).write_text(json.dumps(info, indent=2) + "\n")
    say(
        f"done: loss {result.final_loss:.3f} (held-out {result.eval_loss or float('nan'):.3f}), "
        f"{info['wall_seconds']:.0f}s wall, {info['cpu_seconds']:.0f}s CPU"
    )


def check_safe_folder(folder: Path) -> None:
    """Refuse folders whose weights would be unpickled: safetensors only."""
    if not (folder / WEIGHTS).is_file():
        raise FileNotFoundError(f"{folder} has no {WEIGHTS}")
    unsafe = sorted(p.name for p in folder.iterdir() if p.suffix in _PICKLE_SUFFIXES)
    if unsafe:
        raise ValueError(f"{folder} holds pickle-format files {unsafe}; tier-1 loads safetensors")


def resolve_tier1_path(folder: str | os.PathLike[str] | None = None, seed: int = 0) -> Path:
    """A built tier-1 folder: ``folder`` if given, else the cached default build of ``seed``."""
    if folder:
        path = Path(folder).expanduser()
        if not is_built(path):
            raise Tier1NotBuiltError(f"{path} is not a complete tier-1 build")
        return path
    path = default_path(seed)
    if not is_built(path, build_key(None, seed)):
        extra = "" if seed == 0 else f" --seed {seed}"
        raise Tier1NotBuiltError(
            f"the tier-1 model (seed {seed}) is not built yet: run `{BUILD_COMMAND}{extra}` "
            f"(or `python -m agents.tier1 build{extra}`), about 10 minutes on 2 CPU cores; "
            f"it will be cached at {path}"
        )
    return path


def load_tier1(folder: str | os.PathLike[str] | None = None, config: Any = None, seed: int = 0):
    """An ``HFBackend`` over a tier-1 build (default: the cached default build; never builds)."""
    from agents.llm.hf import HFBackend, HFConfig

    path = resolve_tier1_path(folder, seed)
    check_safe_folder(path)
    config = config or HFConfig(device="cpu", dtype="float32", max_prompt_tokens=512)
    backend = HFBackend.from_pretrained(path, config)
    backend.name = "tier1"
    return backend
