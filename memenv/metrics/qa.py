"""Answer scores: LoCoMo F1, Mem0 F1, BLEU-1 and exact match.

Category numbers follow the LoCoMo release: 1 multi-hop, 2 temporal, 3 open-domain,
4 single-hop, 5 adversarial. Any other category is scored with the plain LoCoMo F1.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Protocol

from memenv.metrics.text import locomo_tokens, normalize_locomo, simple_tokenize

__all__ = [
    "ADVERSARIAL_GOLD",
    "ADVERSARIAL_PHRASES",
    "METRICS",
    "bleu1",
    "exact_match",
    "f1_locomo",
    "f1_mem0",
    "f1_tokens",
    "is_refusal",
    "score_answer",
    "score_texts",
]

METRICS: tuple[str, ...] = ("f1", "f1_mem0", "bleu1", "em")
"""Keys of the dicts returned by :func:`score_answer` and :func:`score_texts`."""

ADVERSARIAL_PHRASES: tuple[str, ...] = ("not mentioned", "no information available")
"""A category-5 prediction containing one of these (case-insensitive) scores LoCoMo F1 1.0."""

ADVERSARIAL_GOLD = "Not mentioned in the conversation"
"""Reference used by f1_mem0/bleu1/em for a category-5 question whose gold answer is empty."""


class _QALike(Protocol):
    answer: str
    category: int


def _prf(pred: tuple[str, ...] | list[str], gold: tuple[str, ...] | list[str]) -> float:
    """F1 over the multiset intersection of two token sequences (0 with no common token)."""
    if not pred or not gold:
        return 0.0
    common = Counter(pred) & Counter(gold)
    same = sum(common.values())
    if same == 0:
        return 0.0
    precision = same / len(pred)
    recall = same / len(gold)
    return 2 * precision * recall / (precision + recall)


def f1_tokens(pred: str, gold: str) -> float:
    """LoCoMo token F1: normalised, Porter-stemmed token multisets.

    Returns 0.0 whenever there is no common token, which includes either side (or both sides)
    normalising to nothing: like LoCoMo's script, two empty answers score 0, not 1.
    """
    return _prf(locomo_tokens(pred), locomo_tokens(gold))


def is_refusal(pred: str) -> bool:
    """True when the prediction contains one of :data:`ADVERSARIAL_PHRASES` (any case)."""
    low = pred.lower()
    return any(phrase in low for phrase in ADVERSARIAL_PHRASES)


def f1_locomo(pred: str, gold: str, category: int) -> float:
    """LoCoMo's official QA score for one answer, by category.

    - 1 (multi-hop): prediction and gold are split on commas (before normalisation); the score is
      the mean over gold parts of the best F1 against any prediction part. Empty parts are kept,
      as in LoCoMo's script (a trailing comma in the gold adds a part that scores 0).
    - 3: only the gold before the first ``;`` counts, then plain F1.
    - 5 (adversarial): 1.0 if the prediction contains "not mentioned" or
      "no information available" (case-insensitive), else 0.0; the gold is ignored.
    - 2, 4 and any other category: plain :func:`f1_tokens`.
    """
    if category == 5:
        return 1.0 if is_refusal(pred) else 0.0
    if category == 1:
        preds = [locomo_tokens(p) for p in pred.split(",")]
        golds = [locomo_tokens(g) for g in gold.split(",")]
        return sum(max(_prf(p, g) for p in preds) for g in golds) / len(golds)
    if category == 3:
        gold = gold.split(";")[0].strip()
    return f1_tokens(pred, gold)


def f1_mem0(pred: str, gold: str) -> float:
    """Mem0-protocol F1 over token SETS (see :func:`simple_tokenize`); 0 if either is empty."""
    p = set(simple_tokenize(pred))
    g = set(simple_tokenize(gold))
    if not p or not g:
        return 0.0
    same = len(p & g)
    if same == 0:
        return 0.0
    precision = same / len(p)
    recall = same / len(g)
    return 2 * precision * recall / (precision + recall)


def bleu1(pred: str, gold: str) -> float:
    """Sentence BLEU-1 with one reference, equal to NLTK's ``sentence_bleu`` with
    ``weights=(1, 0, 0, 0)`` and ``SmoothingFunction().method1``.

    Tokens come from :func:`simple_tokenize` (duplicates kept). The score is
    ``BP * p1`` with ``p1`` the clipped unigram precision and ``BP = 1`` if the prediction is
    longer than the reference, else ``exp(1 - r / c)``. Smoothing never changes the value: NLTK
    returns 0 as soon as there is no unigram match (empty prediction included) before smoothing,
    and the smoothed higher orders carry weight 0.
    """
    hyp = simple_tokenize(pred)
    if not hyp:
        return 0.0
    ref_counts = Counter(simple_tokenize(gold))
    matches = sum(min(n, ref_counts[tok]) for tok, n in Counter(hyp).items())
    if matches == 0:
        return 0.0
    c = len(hyp)
    r = sum(ref_counts.values())
    bp = 1.0 if c > r else math.exp(1 - r / c)
    # exp(log(.)) mirrors NLTK's geometric mean so results agree to the last bit.
    return bp * math.exp(math.log(matches / c))


def exact_match(pred: str, gold: str) -> float:
    """1.0 when both normalise (:func:`normalize_locomo`, no stemming) to the same string."""
    return 1.0 if normalize_locomo(pred) == normalize_locomo(gold) else 0.0


def score_texts(pred: str, gold: str, category: int) -> dict[str, float]:
    """All metrics for one prediction against a gold string of the given category.

    ``f1`` is :func:`f1_locomo` (category rules, adversarial rule for 5). ``f1_mem0``, ``bleu1``
    and ``em`` compare against the gold as given (no comma or semicolon rule); for category 5 with
    an empty gold they compare against :data:`ADVERSARIAL_GOLD` instead.
    """
    ref = ADVERSARIAL_GOLD if category == 5 and not gold.strip() else gold
    return {
        "f1": f1_locomo(pred, gold, category),
        "f1_mem0": f1_mem0(pred, ref),
        "bleu1": bleu1(pred, ref),
        "em": exact_match(pred, ref),
    }


def score_answer(prediction: str, qa: _QALike) -> dict[str, float]:
    """All metrics for ``prediction`` against a :class:`~memenv.data.records.QA` (keys
    :data:`METRICS`); see :func:`score_texts`."""
    return score_texts(prediction, qa.answer, qa.category)
