"""Answer metrics, each named for the reference it reproduces, and their registry.

Text functions (:mod:`memenv.metrics.qa`): :func:`f1_locomo`, :func:`em_locomo`,
:func:`f1_tokens`, :func:`f1_mem0`, :func:`bleu1`, :func:`em_mem0`, :func:`exact_match`.
The registry (:mod:`memenv.metrics.registry`): :data:`METRICS`, the one list of metric names,
and :func:`score_answer`, which scores a question by the rules of its dataset.
"""

from memenv.metrics.aggregate import aggregate, format_table
from memenv.metrics.qa import (
    ADVERSARIAL_PHRASES,
    bleu1,
    em_locomo,
    em_mem0,
    exact_match,
    f1_locomo,
    f1_mem0,
    f1_tokens,
    is_refusal,
)
from memenv.metrics.registry import (
    ADVERSARIAL,
    JUDGE,
    METRICS,
    REGISTRY,
    SCORING_RULES,
    Metric,
    bucket_label,
    check_metric,
    check_reward,
    metric_defined,
    question_buckets,
    score_answer,
    score_texts,
    scoring_rules,
)
from memenv.metrics.text import (
    locomo_tokens,
    normalize_locomo,
    simple_tokenize,
    stem,
    treebank_tokens,
)

__all__ = [
    "ADVERSARIAL",
    "ADVERSARIAL_PHRASES",
    "JUDGE",
    "METRICS",
    "REGISTRY",
    "SCORING_RULES",
    "Metric",
    "aggregate",
    "bleu1",
    "bucket_label",
    "check_metric",
    "check_reward",
    "em_locomo",
    "em_mem0",
    "exact_match",
    "f1_locomo",
    "f1_mem0",
    "f1_tokens",
    "format_table",
    "is_refusal",
    "locomo_tokens",
    "metric_defined",
    "normalize_locomo",
    "question_buckets",
    "score_answer",
    "score_texts",
    "scoring_rules",
    "simple_tokenize",
    "stem",
    "treebank_tokens",
]
