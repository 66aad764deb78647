"""Reward shaping for the Answer Agent, as pure functions of the environment's scores.

The environment scores an output (EM, F1, BLEU-1, the ``**Answer:**`` marker); these functions
turn that into the training reward: the outcome metric plus optional dense terms. Exact match
alone gives an untrained small model all-zero groups (no signal), which is why F1, format and
length terms exist.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agents.train.config import RewardConfig


def answer_words(answer: str) -> int:
    return len(answer.split())


def length_bonus(answer: str, max_words: int) -> float:
    """1 when the answer has between 1 and ``max_words`` words, else 0."""
    return 1.0 if 0 < answer_words(answer) <= max_words else 0.0


def shaped_answer_reward(
    scores: Mapping[str, float],
    answer: str,
    format_ok: bool,
    config: RewardConfig,
    judge_correct: bool | None = None,
) -> dict[str, Any]:
    """The answer reward and its parts.

    ``scores`` are the environment's (``em``, ``f1``, ``bleu1``, ...); ``judge_correct`` is the
    judge's verdict when the metric is ``judge``.
    """
    if config.metric == "judge":
        if judge_correct is None:
            raise ValueError("reward metric 'judge' needs the judge's verdict")
        outcome = float(judge_correct)
    else:
        outcome = float(scores[config.metric])
    parts = {
        "outcome": outcome,
        "em": float(scores["em"]),
        "f1": float(scores["f1"]),
        "format": float(format_ok),
        "length": length_bonus(answer, config.max_answer_words),
        "words": float(answer_words(answer)),
    }
    parts["reward"] = (
        config.outcome_weight * outcome
        + config.f1_weight * parts["f1"]
        + config.format_weight * parts["format"]
        + config.length_weight * parts["length"]
    )
    return parts
