"""The tier-1 tokenizer: byte-level BPE trained on the corpus with the ``tokenizers`` library.

Byte-level, so any text encodes (no unknown token) and decoding gives back the input exactly.
Encoding with special tokens prepends ``<|bos|>``; training documents are ``<|bos|> text
<|eos|>``, so a model learns to end a completion with ``<|eos|>``. Training is deterministic: the
same texts and settings give the same vocabulary and merges.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

BOS, EOS, PAD = "<|bos|>", "<|eos|>", "<|pad|>"
SPECIAL_TOKENS: tuple[str, ...] = (BOS, EOS, PAD)


@dataclass(frozen=True)
class TokenizerConfig:
    """Settings of the BPE training (all of them change the vocabulary)."""

    vocab_size: int = field(
        default=4096, metadata={"help": "Vocabulary size, the three special tokens included."}
    )
    min_frequency: int = field(
        default=2, metadata={"help": "A pair must occur this often to be merged."}
    )

    def __post_init__(self) -> None:
        if not isinstance(self.vocab_size, int) or not 300 <= self.vocab_size <= 65_536:
            raise ValueError(f"vocab_size must be an int in [300, 65536], got {self.vocab_size!r}")
        if not isinstance(self.min_frequency, int) or self.min_frequency < 1:
            raise ValueError(f"min_frequency must be a positive int, got {self.min_frequency!r}")


def train_tokenizer(texts: Iterable[str], config: TokenizerConfig | None = None) -> Any:
    """A ``PreTrainedTokenizerFast`` (left padding and truncation) trained on ``texts``."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    config = config or TokenizerConfig()
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=config.vocab_size,
        min_frequency=config.min_frequency,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer=trainer)
    tok.post_processor = processors.TemplateProcessing(
        single=f"{BOS} $A", special_tokens=[(BOS, tok.token_to_id(BOS))]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token=BOS,
        eos_token=EOS,
        pad_token=PAD,
        padding_side="left",
        truncation_side="left",
    )


def encode_documents(tokenizer: Any, texts: list[str]) -> list[list[int]]:
    """Each text as ``[bos] + ids + [eos]`` (batched through the fast tokenizer)."""
    eos = tokenizer.eos_token_id
    encoded = tokenizer(texts, add_special_tokens=True)["input_ids"]
    return [list(ids) + [eos] for ids in encoded]
