"""Answer metrics: LoCoMo F1, Mem0 F1, BLEU-1, exact match, and per-category aggregation."""

from memenv.metrics.aggregate import aggregate, format_table
from memenv.metrics.qa import (
    ADVERSARIAL_GOLD,
    ADVERSARIAL_PHRASES,
    METRICS,
    bleu1,
    exact_match,
    f1_locomo,
    f1_mem0,
    f1_tokens,
    is_refusal,
    score_answer,
    score_texts,
)
from memenv.metrics.text import locomo_tokens, normalize_locomo, simple_tokenize, stem

__all__ = [
    "ADVERSARIAL_GOLD",
    "ADVERSARIAL_PHRASES",
    "METRICS",
    "aggregate",
    "bleu1",
    "exact_match",
    "f1_locomo",
    "f1_mem0",
    "f1_tokens",
    "format_table",
    "is_refusal",
    "locomo_tokens",
    "normalize_locomo",
    "score_answer",
    "score_texts",
    "simple_tokenize",
    "stem",
]
