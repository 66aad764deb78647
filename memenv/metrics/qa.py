"""Answer scores on text, each named for the reference implementation it reproduces.

========================  ====================================================================
function                  reference
========================  ====================================================================
:func:`f1_locomo`         LoCoMo's per-category QA score (snap-research/LoCoMo,
                          ``task_eval/evaluation.py``: ``eval_question_answering``)
:func:`em_locomo`         LoCoMo's ``exact_match_score``: equal *sets* of normalised tokens
:func:`f1_tokens`         LoCoMo's ``f1_score``: token F1 without the category rules
:func:`f1_mem0`           Mem0's token F1 over sets (mem0ai/mem0, ``evaluation/metrics/utils.py``)
:func:`bleu1`             Mem0's BLEU-1 (NLTK ``sentence_bleu``, weights (1,0,0,0), method1)
:func:`em_mem0`           Mem0's exact match (case-insensitive equality after ``strip``)
:func:`exact_match`       this project's normalised exact match (the paper-style EM reward)
========================  ====================================================================

Category numbers follow the LoCoMo release: 1 multi-hop, 2 temporal, 3 open-domain,
4 single-hop, 5 adversarial. Which function applies to which dataset, and how category 5 is
treated, is decided in :mod:`memenv.metrics.registry`.
"""

from __future__ import annotations

import math
from collections import Counter

from memenv.metrics.text import locomo_tokens, normalize_locomo, simple_tokenize, treebank_tokens

__all__ = [
    "ADVERSARIAL_PHRASES",
    "bleu1",
    "em_locomo",
    "em_mem0",
    "exact_match",
    "f1_locomo",
    "f1_mem0",
    "f1_tokens",
    "is_refusal",
]

ADVERSARIAL_PHRASES: tuple[str, ...] = ("not mentioned", "no information available")
"""A category-5 prediction containing one of these (case-insensitive) scores LoCoMo F1 1.0."""


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
    """LoCoMo token F1: normalised (:func:`~memenv.metrics.text.normalize_locomo`), Porter-stemmed
    token multisets.

    Returns 0.0 whenever there is no common token, which includes either side (or both sides)
    normalising to nothing: like LoCoMo's script, two empty answers score 0, not 1. This is the
    "plain" F1 of datasets without LoCoMo's category rules (LongMemEval, MSC).
    """
    return _prf(locomo_tokens(pred), locomo_tokens(gold))


def is_refusal(pred: str) -> bool:
    """True when the prediction contains one of :data:`ADVERSARIAL_PHRASES` (any case)."""
    low = pred.lower()
    return any(phrase in low for phrase in ADVERSARIAL_PHRASES)


def locomo_gold(gold: str, category: int) -> str:
    """The gold as LoCoMo's script scores it: for category 3 only the part before the first
    ``;`` (stripped); unchanged otherwise."""
    return gold.split(";")[0].strip() if category == 3 else gold


def f1_locomo(pred: str, gold: str, category: int) -> float:
    """LoCoMo's official QA score for one answer, by category.

    - 1 (multi-hop): prediction and gold are split on commas (before normalisation); the score is
      the mean over gold parts of the best F1 against any prediction part. Empty parts are kept,
      as in LoCoMo's script (a trailing comma in the gold adds a part that scores 0).
    - 3: only the gold before the first ``;`` counts, then plain F1.
    - 5 (adversarial): 1.0 if the prediction contains "not mentioned" or
      "no information available" (case-insensitive), else 0.0; the gold is ignored.
    - 2, 4: plain :func:`f1_tokens`. LoCoMo's script rejects any other category; here it gets
      the plain F1 too.
    """
    if category == 5:
        return 1.0 if is_refusal(pred) else 0.0
    if category == 1:
        preds = [locomo_tokens(p) for p in pred.split(",")]
        golds = [locomo_tokens(g) for g in gold.split(",")]
        return sum(max(_prf(p, g) for p in preds) for g in golds) / len(golds)
    return f1_tokens(pred, locomo_gold(gold, category))


def em_locomo(pred: str, gold: str) -> float:
    """LoCoMo's ``exact_match_score``: 1.0 when the *sets* of whitespace tokens of the two
    normalised strings are equal (no stemming; order and repetition ignored, so
    ``"2023 May 7"`` matches ``"7 May 2023"``, and two strings that normalise to nothing match).
    """
    same = set(normalize_locomo(pred).split()) == set(normalize_locomo(gold).split())
    return 1.0 if same else 0.0


def f1_mem0(pred: str, gold: str) -> float:
    """Mem0's token F1: over the SETS of :func:`~memenv.metrics.text.simple_tokenize` tokens of
    the stripped strings; 0.0 when either string is empty or has no token."""
    if not pred or not gold:
        return 0.0
    p = set(simple_tokenize(pred.strip()))
    g = set(simple_tokenize(gold.strip()))
    if not p or not g:
        return 0.0
    same = len(p & g)
    if same == 0:
        return 0.0
    precision = same / len(p)
    recall = same / len(g)
    return 2 * precision * recall / (precision + recall)


def bleu1(pred: str, gold: str) -> float:
    """Mem0's BLEU-1: NLTK's ``sentence_bleu`` with one reference, ``weights=(1, 0, 0, 0)`` and
    ``SmoothingFunction().method1``, over :func:`~memenv.metrics.text.treebank_tokens` of the
    stripped, lower-cased strings; 0.0 when either string is empty.

    The value is ``BP * p1`` with ``p1`` the clipped unigram precision and ``BP = 1`` if the
    prediction has more tokens than the reference, else ``exp(1 - r / c)``. Smoothing never
    changes it: NLTK returns 0 as soon as no unigram matches, before smoothing, and the smoothed
    higher orders carry weight 0.
    """
    if not pred or not gold:
        return 0.0
    hyp = treebank_tokens(pred.strip())
    if not hyp:
        return 0.0
    ref_counts = Counter(treebank_tokens(gold.strip()))
    matches = sum(min(n, ref_counts[tok]) for tok, n in Counter(hyp).items())
    if matches == 0:
        return 0.0
    c = len(hyp)
    r = sum(ref_counts.values())
    bp = 1.0 if c > r else math.exp(1 - r / c)
    # exp(log(.)) mirrors NLTK's geometric mean so results agree to the last bit.
    return bp * math.exp(math.log(matches / c))


def em_mem0(pred: str, gold: str) -> float:
    """Mem0's exact match: 1.0 when the stripped strings are equal ignoring case (punctuation
    counts: ``"7 May 2023."`` does not match ``"7 May 2023"``); 0.0 when either is empty."""
    if not pred or not gold:
        return 0.0
    return 1.0 if pred.strip().lower() == gold.strip().lower() else 0.0


def exact_match(pred: str, gold: str) -> float:
    """This project's exact match, the paper-style EM reward: 1.0 when both strings normalise
    (:func:`~memenv.metrics.text.normalize_locomo`, no stemming) to the same string, word order
    included (``"2023 May 7"`` does not match ``"7 May 2023"``)."""
    return 1.0 if normalize_locomo(pred) == normalize_locomo(gold) else 0.0
