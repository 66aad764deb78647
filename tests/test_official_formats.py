"""The published layouts of LongMemEval and MSC-Self-Instruct, scored by their own rules.

Uses the shared fixtures ``../shared/fixtures/longmemeval/longmemeval_tiny.json`` (seven items in
LongMemEval's official layout, all six question types, two abstention items) and
``../shared/fixtures/msc/msc_self_instruct_tiny.jsonl`` (one row in MSC-Self-Instruct's published
layout); each test skips with a reason when its file is absent.
"""

from __future__ import annotations

import json
from datetime import timedelta

import gymnasium as gym
import pytest

import memenv  # noqa: F401  (registers the environment ids)
from agents.policies import LLMJudge
from agents.prompts import JUDGE_RULES, judge_messages_for, judge_rule
from agents.train.config import load_config
from agents.train.tasks import make_task
from memenv.data.longmemeval import load_longmemeval
from memenv.data.msc import SPEAKERS, load_msc, msc_personas
from memenv.metrics import METRICS, question_buckets, score_answer
from tests.shared_fixtures import fixture_path
from tests.test_llm_policies import FakeBackend

LME = "longmemeval/longmemeval_tiny.json"
MSC = "msc/msc_self_instruct_tiny.jsonl"


# ---------------------------------------------------------------------- LongMemEval


def _as_longmemeval_item(conv) -> dict:
    """The official JSON item rebuilt from the records alone."""
    qa = conv.qa[0]
    sessions = []
    for session in conv.sessions:
        turns = []
        for turn in session.turns:
            item = {"role": turn.speaker, "content": turn.text}
            if turn.has_answer is not None:
                item["has_answer"] = turn.has_answer
            turns.append(item)
        sessions.append(turns)
    return {
        "question_id": qa.id,
        "question_type": qa.category_name,
        "question": qa.question,
        "answer": qa.answer,
        "question_date": qa.question_date,
        "haystack_session_ids": [s.source_id for s in conv.sessions],
        "haystack_dates": [s.date_str for s in conv.sessions],
        "haystack_sessions": sessions,
        "answer_session_ids": list(qa.raw_evidence),
    }


def test_longmemeval_official_layout_loads_with_every_field_kept() -> None:
    path = fixture_path(LME)
    items = json.loads(path.read_text("utf-8"))
    conversations = load_longmemeval(path)
    assert len(conversations) == len(items) == 7
    for item, conv in zip(items, conversations, strict=True):
        assert set(_as_longmemeval_item(conv)) == set(item)  # no field left out
        expected = {**item, "answer": str(item["answer"])}  # answers are strings in the records
        assert _as_longmemeval_item(conv) == expected
        qa = conv.qa[0]
        assert qa.dataset == conv.dataset == "longmemeval"
        assert qa.abstention == ("_abs" in item["question_id"])
        assert qa.category_name == item["question_type"]  # abstention items keep their type


def test_longmemeval_evidence_is_the_official_retrieval_targets() -> None:
    by_id = {c.id: c.qa[0] for c in load_longmemeval(fixture_path(LME))}
    # the user turn with has_answer in the answer session
    assert by_id["e47becba"].evidence == ("D2:1",)
    # the evidence turn is on the assistant side: no official target, only wide evidence
    assert by_id["58ef2f1c"].evidence == () and by_id["58ef2f1c"].wide_evidence == ("D1:2",)
    # a has_answer turn in a filler session (no "answer" in its id) is not a target
    assert by_id["6a1eabeb"].evidence == ("D1:1", "D3:1")
    assert by_id["6a1eabeb"].wide_evidence == ("D1:1", "D2:1", "D3:1")
    # an abstention question whose answer session marks nothing
    assert by_id["gpt4_2655b836_abs"].evidence == ()


def test_longmemeval_buckets_keep_the_type_and_add_abstention() -> None:
    buckets = {c.id: question_buckets(c.qa[0]) for c in load_longmemeval(fixture_path(LME))}
    assert buckets["gpt4_2655b836_abs"] == ("6", "abstention")  # temporal-reasoning
    assert buckets["0a995998_abs"] == ("4", "abstention")  # multi-session
    assert buckets["6a1eabeb"] == ("5",)  # knowledge-update: not LoCoMo's adversarial 5


@pytest.mark.parametrize("reward", ["f1", "em"])
def test_longmemeval_gold_answers_score_one_whatever_the_type(reward: str) -> None:
    env = gym.make(
        "AnswerAgent-LongMemEval-v0", data_path=str(fixture_path(LME)), split="all", reward=reward
    )
    types = set()
    for index in range(env.unwrapped.num_questions):
        env.reset(options={"question": index})
        qa = env.unwrapped.qa
        types.add(qa.category_name)
        _, rewarded, terminated, _, info = env.step({"selected": [], "answer": qa.answer})
        assert terminated and rewarded == 1.0, (qa.id, qa.category_name, info["scores"])
        assert info["scores"] == dict.fromkeys(METRICS, 1.0)
    assert len(types) == 6
    env.close()


def test_longmemeval_knowledge_update_is_not_scored_as_adversarial() -> None:
    qa = next(c.qa[0] for c in load_longmemeval(fixture_path(LME)) if c.id == "6a1eabeb")
    assert score_answer("Not mentioned in the conversation", qa)["f1"] == 0.0
    assert score_answer("It is 25:50 now.", qa)["f1"] > 0.0


# ---------------------------------------------------------------------- MSC


def test_msc_published_layout_loads() -> None:
    path = fixture_path(MSC)
    raw = json.loads(path.read_text("utf-8").splitlines()[0])
    (conv,) = load_msc(path)
    assert conv.dataset == "msc" and len(conv.sessions) == 3
    # previous sessions: speakers by position, as ParlAI's MSC teacher assigns them
    for session, prev in zip(conv.sessions[:2], raw["previous_dialogs"], strict=True):
        assert [t.text for t in session.turns] == [t["text"] for t in prev["dialog"]]
        assert [t.speaker for t in session.turns] == [SPEAKERS[i % 2] for i in range(4)]
    # the current session keeps its own ids
    assert [t.speaker for t in conv.sessions[2].turns] == ["Speaker 1", "Speaker 2"]
    # time gaps: 7 days after session 1, 5 hours after session 2
    d1, d2, d3 = (s.date_time for s in conv.sessions)
    assert (d2 - d1, d3 - d2) == (timedelta(days=7), timedelta(hours=5))
    assert msc_personas(conv) == tuple(tuple(p) for p in raw["personas"])
    # every other field is kept verbatim
    meta = conv.metadata
    for key in ("init_personas", "personas_update1", "personas_update2", "metadata"):
        assert meta[key] == raw[key]
    assert meta["self_instruct"] == raw["self_instruct"]
    assert [p["time_back"] for p in meta["previous_dialogs"]] == ["2 weeks ago", "7 days ago"]
    assert meta["previous_dialogs"][0]["personas"] == raw["previous_dialogs"][0]["personas"]
    qa = conv.qa[0]
    assert (qa.question, qa.answer) == (raw["self_instruct"]["B"], raw["self_instruct"]["A"])
    assert qa.dataset == "msc"


@pytest.mark.parametrize("reward", ["f1", "em"])
def test_msc_gold_answer_scores_one(reward: str) -> None:
    env = gym.make(
        "AnswerAgent-MSC-v0", data_path=str(fixture_path(MSC)), split="all", reward=reward
    )
    env.reset(options={"question": 0})
    qa = env.unwrapped.qa
    _, rewarded, *_ = env.step({"selected": [], "answer": qa.answer})
    assert rewarded == 1.0
    env.close()


# ---------------------------------------------------------------------- judge


def test_judge_rules_per_longmemeval_type() -> None:
    rules = {c.id: judge_rule(c.qa[0]) for c in load_longmemeval(fixture_path(LME))}
    assert rules == {
        "e47becba": "longmemeval",
        "58ef2f1c": "longmemeval",
        "0a995998": "longmemeval",
        "gpt4_2655b836_abs": "longmemeval-abstention",
        "6a1eabeb": "longmemeval-knowledge-update",
        "75832dbd": "longmemeval-preference",
        "0a995998_abs": "longmemeval-abstention",
    }
    assert set(rules.values()) | {"longmemeval-temporal", "generous", "adversarial"} == set(
        JUDGE_RULES
    )
    preference = next(c.qa[0] for c in load_longmemeval(fixture_path(LME)) if c.id == "75832dbd")
    system, user = (m["content"] for m in judge_messages_for(preference, "Watch The Expanse"))
    assert "rubric" in system and "Rubric: The user would prefer" in user
    assert "Question: " + preference.question in user


def test_training_judge_reward_receives_the_question() -> None:
    config = load_config(
        preset="cpu-tiny", overrides=["data.max_train_rows=2", "data.max_val_rows=3"]
    )
    task = make_task(config, parts=("val",))
    backend = FakeBackend(lambda prompt: '{"label": "CORRECT"}')
    task.judge = LLMJudge(backend)
    rows = task.val_rows
    task.score(rows, ["**Answer:** x"] * len(rows))
    (prompts,) = backend.calls
    for row, prompt in zip(rows, prompts, strict=True):
        qa = task.envs["val"].questions[row.meta["env_index"]][1]
        assert f"Question: {qa.question}\n" in prompt[-1]["content"] and qa.question


# ---------------------------------------------------------------------- evaluation


def test_eval_on_longmemeval_reports_types_and_abstention(tmp_path) -> None:
    from memenv_app.evaluation import EvalConfig, run_eval

    results = run_eval(
        EvalConfig(
            dataset="longmemeval",
            data_path=str(fixture_path(LME)),
            split="all",
            manager="add-all",
            answerer="extractive",
            out=str(tmp_path / "run"),
            cache_dir=str(tmp_path / "cache"),
            progress=False,
        )
    )
    by_bucket = results["summary"]["by_category"]
    assert list(by_bucket) == ["1", "2", "3", "4", "5", "6", "abstention"]
    assert by_bucket["abstention"]["n"] == 2 and by_bucket["4"]["n"] == 2
    assert results["summary"]["overall"]["n"] == 7  # each question once overall
    rows = {r["id"]: r for r in results["questions"]}
    assert rows["0a995998_abs"]["buckets"] == ["4", "abstention"]
    assert all(set(METRICS) <= set(r) for r in rows.values())
    text = (tmp_path / "run" / "results.md").read_text("utf-8")
    assert "5 knowledge-update" in text and "| abstention | 2 |" in text
    assert "single-hop" not in text  # no LoCoMo category names on another dataset


def test_data_stats_name_longmemeval_types() -> None:
    from memenv.data.stats import dataset_stats, format_stats

    text = format_stats(dataset_stats(load_longmemeval(fixture_path(LME))))
    assert "category 5 (knowledge-update)" in text and "single-hop" not in text
