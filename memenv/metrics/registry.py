"""The answer metrics by name, and which rules score which dataset.

This is the one list of metric names: environments (``reward=``), evaluation (result columns)
and training (``reward.metric``) all read :data:`METRICS` / :data:`REGISTRY`. A metric's value
for a question follows from the question's dataset (:attr:`QA.dataset`), never from its category
number alone:

- **LoCoMo rules** (``locomo`` and the synthetic data ``synth``, which uses LoCoMo's schema):
  ``f1`` is LoCoMo's per-category score (:func:`~memenv.metrics.qa.f1_locomo`); ``em_locomo``
  sees the gold as LoCoMo's script does (category 3: before the first ``;``). Category 5
  (adversarial) has no reference answer to compare with: ``f1``, ``em`` and ``em_locomo`` use
  LoCoMo's refusal rule (1 when the prediction says "not mentioned" or "no information
  available"), whatever ``answer``/``adversarial_answer`` the item carries; the Mem0 metrics are
  ``None`` (excluded), as Mem0's evaluation skips category 5.
- **Plain rules** (``longmemeval``, ``msc``): every metric compares the prediction with the gold
  answer as given; ``f1`` is the token F1 without category rules
  (:func:`~memenv.metrics.qa.f1_tokens`), whatever the question type (LongMemEval's abstention
  questions included: their gold is the explanation of why the question cannot be answered).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

from memenv.data.categories import ADVERSARIAL
from memenv.metrics.qa import (
    bleu1,
    em_locomo,
    em_mem0,
    exact_match,
    f1_locomo,
    f1_mem0,
    f1_tokens,
    is_refusal,
    locomo_gold,
)

__all__ = [
    "ADVERSARIAL",
    "JUDGE",
    "METRICS",
    "REGISTRY",
    "SCORING_RULES",
    "Metric",
    "bucket_label",
    "check_metric",
    "check_reward",
    "metric_defined",
    "question_buckets",
    "score_answer",
    "score_texts",
    "scoring_rules",
]

JUDGE = "judge"
"""Name of the LLM-as-judge verdict (J): computed by ``agents.policies.LLMJudge``, not here."""

SCORING_RULES: dict[str, str] = {
    "locomo": "locomo",
    "synth": "locomo",
    "longmemeval": "plain",
    "msc": "plain",
}
"""Dataset -> the rules its questions are scored with (see the module docstring)."""


@dataclass(frozen=True)
class Metric:
    """One answer metric: its name (the key in score dicts), how it scores under each rule set,
    and its documentation."""

    name: str
    label: str
    """Column title in result tables."""
    locomo: Callable[[str, str, int], float]
    """``(prediction, gold, category)`` under LoCoMo rules, categories other than 5."""
    plain: Callable[[str, str], float]
    """``(prediction, gold)`` under plain rules."""
    on_adversarial: str
    """LoCoMo category 5: ``"refusal"`` (LoCoMo's refusal rule) or ``"excluded"`` (``None``)."""
    definition: str
    source: str


REGISTRY: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric(
            "f1",
            "F1",
            f1_locomo,
            f1_tokens,
            "refusal",
            "LoCoMo: per-category token F1 (normalised, Porter-stemmed; category 1 comma parts, "
            "category 3 gold before ';'); LongMemEval, MSC: the same token F1 without category "
            "rules",
            "snap-research/LoCoMo task_eval/evaluation.py (f1, f1_score)",
        ),
        Metric(
            "em",
            "EM",
            lambda pred, gold, _category: exact_match(pred, gold),
            exact_match,
            "refusal",
            "normalised strings equal (LoCoMo normalisation, word order kept); the paper-style "
            "exact-match reward",
            "this project (Memory-R1's EM reward)",
        ),
        Metric(
            "em_locomo",
            "EM (LoCoMo set)",
            lambda pred, gold, category: em_locomo(pred, locomo_gold(gold, category)),
            em_locomo,
            "refusal",
            "sets of normalised tokens equal",
            "snap-research/LoCoMo task_eval/evaluation.py (exact_match_score)",
        ),
        Metric(
            "f1_mem0",
            "F1 (Mem0)",
            lambda pred, gold, _category: f1_mem0(pred, gold),
            f1_mem0,
            "excluded",
            "F1 over sets of lower-cased whitespace tokens after removing . , ! ?",
            "mem0ai/mem0 evaluation/metrics/utils.py (calculate_metrics)",
        ),
        Metric(
            "bleu1",
            "BLEU-1",
            lambda pred, gold, _category: bleu1(pred, gold),
            bleu1,
            "excluded",
            "NLTK sentence_bleu, weights (1,0,0,0), smoothing method1, Treebank tokens of the "
            "lower-cased strings",
            "mem0ai/mem0 evaluation/metrics/utils.py (calculate_bleu_scores)",
        ),
        Metric(
            "em_mem0",
            "EM (Mem0)",
            lambda pred, gold, _category: em_mem0(pred, gold),
            em_mem0,
            "excluded",
            "stripped strings equal ignoring case",
            "mem0ai/mem0 evaluation/metrics/utils.py (calculate_metrics)",
        ),
    )
}

METRICS: tuple[str, ...] = tuple(REGISTRY)
"""Keys of the dicts returned by :func:`score_answer` and :func:`score_texts`; every one is also
a valid reward name of the environments."""


class _QALike(Protocol):
    answer: str
    category: int
    dataset: str
    abstention: bool


def scoring_rules(dataset: str) -> str:
    """``"locomo"`` or ``"plain"``: the rules that score ``dataset``'s questions."""
    try:
        return SCORING_RULES[dataset]
    except KeyError:
        known = ", ".join(SCORING_RULES)
        raise ValueError(f"no scoring rules for dataset {dataset!r} (known: {known})") from None


def check_metric(name: str, what: str = "metric") -> Metric:
    """The registered metric ``name``; ValueError naming the valid ones otherwise."""
    try:
        return REGISTRY[name]
    except (KeyError, TypeError):
        raise ValueError(f"{what} must be one of {METRICS}, got {name!r}") from None


def metric_defined(name: str, qa: _QALike) -> bool:
    """False when metric ``name`` gives no score for ``qa`` (a Mem0 metric on LoCoMo category 5)."""
    metric = check_metric(name)
    return not (
        scoring_rules(qa.dataset) == "locomo"
        and qa.category == ADVERSARIAL
        and metric.on_adversarial == "excluded"
    )


def check_reward(name: str, questions: Iterable[_QALike], what: str = "reward") -> None:
    """ValueError unless ``name`` is a metric that scores every one of ``questions``."""
    check_metric(name, what)
    for qa in questions:
        if not metric_defined(name, qa):
            raise ValueError(
                f"{what} {name!r} is a Mem0 metric, which (like Mem0's evaluation) gives no score "
                f"for LoCoMo's category-5 questions such as {getattr(qa, 'id', '?')!r}: use 'f1', "
                "'em' or 'em_locomo', or leave category 5 out (include_adversarial=False)"
            )


def score_texts(
    pred: str, gold: str, category: int, dataset: str = "locomo"
) -> dict[str, float | None]:
    """Every metric of :data:`METRICS` for one prediction, by ``dataset``'s rules (see the
    module docstring); ``None`` where a metric gives no score. The metrics are pure functions of
    the texts, so results are kept in a bounded cache (the caller gets its own dict)."""
    return dict(_score_texts(pred, gold, category, dataset))


@lru_cache(maxsize=1 << 15)
def _score_texts(pred: str, gold: str, category: int, dataset: str) -> dict[str, float | None]:
    if scoring_rules(dataset) == "plain":
        return {name: m.plain(pred, gold) for name, m in REGISTRY.items()}
    if category == ADVERSARIAL:
        refusal = 1.0 if is_refusal(pred) else 0.0
        return {
            name: (refusal if m.on_adversarial == "refusal" else None)
            for name, m in REGISTRY.items()
        }
    return {name: m.locomo(pred, gold, category) for name, m in REGISTRY.items()}


def score_answer(prediction: str, qa: _QALike) -> dict[str, float | None]:
    """Every metric for ``prediction`` against a :class:`~memenv.data.records.QA`, by the rules
    of the question's dataset (``qa.dataset``); see :func:`score_texts`."""
    return score_texts(prediction, qa.answer, qa.category, qa.dataset)


def question_buckets(qa: _QALike) -> tuple[str, ...]:
    """The result buckets a question counts in: its category, plus ``"abstention"`` for
    LongMemEval's abstention questions (which also stay in their question type's bucket, as in
    LongMemEval's own scoring)."""
    return (str(qa.category), "abstention") if qa.abstention else (str(qa.category),)


def bucket_label(dataset: str, key: str) -> str:
    """Display name of a result bucket: ``"1 single-hop / LoCoMo multi-hop"`` (LoCoMo schema:
    the papers' name, then the release's), ``"5 knowledge-update"`` (LongMemEval),
    ``"1 self-instruct"`` (MSC), ``"abstention"``."""
    from memenv.data.categories import LOCOMO_NAMES, PAPER_NAMES, dataset_category_names

    if not key.lstrip("-").isdigit():
        return key
    c = int(key)
    if dataset in SCORING_RULES and scoring_rules(dataset) == "locomo":
        paper = PAPER_NAMES.get(c, f"category {c}")
        return f"{c} {paper} / LoCoMo {LOCOMO_NAMES.get(c, f'category {c}')}"
    name = dataset_category_names(dataset).get(c)
    return f"{c} {name}" if name else f"category {c}"
