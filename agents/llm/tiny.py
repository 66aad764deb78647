"""A tiny, randomly initialised Llama with a tokenizer trained on the fly: for fast tests.

It produces deterministic gibberish (seeded init, greedy decoding), exercises the whole
transformers path (chat template, left padding, logprobs) and builds in about a second. It is
cached under ``$MEMENV_CACHE_DIR/models/tiny-llama-v<VERSION>`` (or a folder you pass).
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from agents.llm.hf import HFBackend, HFConfig
from agents.llm.smollm2 import cache_dir

VERSION = 2
SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|pad|>"]
CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{{ message['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
_CORPUS = [
    "Caroline went to the LGBTQ support group on 7 May 2023.",
    "Melanie painted a sunrise over the lake last year.",
    "I moved from Sweden four years ago and I love hiking in the mountains.",
    "My dog is called Oscar and he likes long walks on the beach.",
    "We adopted a cat named Luna in June; she sleeps all day.",
    "John started a new job as a nurse at the city hospital.",
    "Remember that Anna is allergic to peanuts and prefers tea to coffee.",
    "Yesterday I ran a half marathon in two hours and ten minutes.",
    'Reply with JSON only: {"memory": [{"id": "0", "text": "Likes jazz", "event": "ADD"}]}',
    '{"facts": ["Plans a trip to Japan in October", "Has two kids"]}',
    '{"label": "CORRECT"} {"label": "WRONG"} UPDATE DELETE NONE ADD old_memory',
    "[3] [17] **Answer:** 7 May 2023. Memories of Caroline and Melanie with timestamps.",
    "Question: When did Caroline go to the support group? Answer in six words at most.",
    "The new fact contradicts the existing memory, so delete it and add the new one.",
    "1:56 pm on 8 May, 2023. 10:37 am on 27 June, 2023. Monday, Tuesday, weekend.",
    "She shares an image: a photo of a painting of a horse in a field of flowers.",
]


def _train_tokenizer(vocab_size: int):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(_CORPUS * 4, trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<|endoftext|>",
        eos_token="<|im_end|>",
        pad_token="<|pad|>",
        padding_side="left",
        truncation_side="left",
    )
    fast.chat_template = CHAT_TEMPLATE
    return fast


def build_tiny(target: Path, *, vocab_size: int = 1024, seed: int = 0) -> Path:
    """Train the tokenizer, initialise the model with ``seed`` and save both at ``target``."""
    import torch
    from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM

    tokenizer = _train_tokenizer(vocab_size)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=2048,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=True,
        initializer_range=0.2,  # peaked logits: varied output, no near-ties under batching
    )
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    model.generation_config = GenerationConfig(
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        try:
            tmp.rename(target)
        except OSError:  # built concurrently by another process
            if not (target / "config.json").is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def tiny_path(folder: str | Path | None = None) -> Path:
    """The tiny checkpoint folder (built on first use)."""
    target = Path(folder) if folder else cache_dir() / "models" / f"tiny-llama-v{VERSION}"
    if not (target / "config.json").is_file():
        build_tiny(target)
    return target


def load_tiny(config: HFConfig | None = None, folder: str | Path | None = None) -> HFBackend:
    """An :class:`HFBackend` over the tiny model (CPU, float32, 512 prompt tokens by default)."""
    start = time.perf_counter()
    config = config or HFConfig(device="cpu", dtype="float32", max_prompt_tokens=512)
    backend = HFBackend.from_pretrained(tiny_path(folder), config)
    backend.name = "tiny"
    backend.load_seconds = time.perf_counter() - start
    return backend
