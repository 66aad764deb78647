"""Reward names come from memenv.metrics.METRICS; Mem0 metrics cannot reward category 5."""

from __future__ import annotations

import pytest

from memenv.envs import AnswerAgentEnv, MemoryManagerEnv
from memenv.metrics import METRICS

SYNTH = {"n": 1}


@pytest.mark.parametrize("reward", METRICS)
def test_every_metric_is_an_answer_reward(reward: str) -> None:
    env = AnswerAgentEnv("synth", split="val", synth_kwargs=SYNTH, reward=reward)
    env.reset(options={"question": 0})
    _, rewarded, _, _, info = env.step({"selected": [], "answer": env.qa.answer})
    assert tuple(info["scores"]) == METRICS
    assert rewarded == info["scores"][reward] == 1.0


@pytest.mark.parametrize("reward", ["f1_mem0", "bleu1", "em_mem0"])
def test_mem0_rewards_refuse_category_5(reward: str) -> None:
    with pytest.raises(ValueError, match="Mem0 metric.*category-5"):
        AnswerAgentEnv(
            "synth", split="val", synth_kwargs=SYNTH, reward=reward, include_adversarial=True
        )
    with pytest.raises(ValueError, match="reward_metric 'bleu1' is a Mem0 metric"):
        MemoryManagerEnv(
            "synth",
            split="val",
            synth_kwargs=SYNTH,
            reward="answer",
            reward_metric="bleu1",
            include_adversarial=True,
        )
    # the evidence-recall reward does not score answers: no conflict
    MemoryManagerEnv(
        "synth", split="val", synth_kwargs=SYNTH, reward_metric="bleu1", include_adversarial=True
    )


def test_category_5_rewards_follow_the_refusal_rule() -> None:
    env = AnswerAgentEnv(
        "synth", split="val", synth_kwargs=SYNTH, reward="em", include_adversarial=True
    )
    index = next(i for i, (_, qa) in enumerate(env.questions) if qa.category == 5)
    env.reset(options={"question": index})
    _, rewarded, _, _, info = env.step("**Answer:** Not mentioned in the conversation")
    assert rewarded == 1.0 and info["scores"]["bleu1"] is None
    env.reset(options={"question": index})
    assert env.step("**Answer:** Paris")[1] == 0.0


def test_unknown_reward_names_the_valid_ones() -> None:
    with pytest.raises(ValueError, match=r"reward must be one of \('f1', 'em'"):
        AnswerAgentEnv("synth", split="val", synth_kwargs=SYNTH, reward="rouge")
    with pytest.raises(ValueError, match="reward_metric must be one of"):
        MemoryManagerEnv("synth", split="val", synth_kwargs=SYNTH, reward_metric="rouge")
