"""LLM policies, extractor and judge: with a scripted fake backend (exact behaviour) and with
the tiny model through both environments (garbage output must be flagged, never crash)."""

from __future__ import annotations

from collections.abc import Sequence

import gymnasium as gym
import numpy as np
import pytest

import memenv  # noqa: F401  (registers the environments)
from agents.llm import Completion, LLMBackend, SamplingParams, make_backend
from agents.policies import LLMAnswerPolicy, LLMExtractor, LLMJudge, LLMManagerPolicy
from memenv.data.records import Fact
from memenv.envs.fact_sources import FactExtractor
from memenv.memory import MemoryEntry

SYNTH = {"n": 1, "n_sessions": 2}


class FakeBackend(LLMBackend):
    """Replies with ``reply(prompt)``; records every generate call."""

    name = "fake"

    def __init__(self, reply):
        self.reply = reply
        self.calls: list[list] = []

    def generate(self, prompts: Sequence, params: SamplingParams | None = None):
        self.calls.append(list(prompts))
        return [Completion(self.reply(p), [1, 2], [-0.5, -0.5]) for p in prompts]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    import torch

    torch.set_num_threads(1)  # 2 cores shared: oversubscription stalls OpenMP
    return make_backend(f"tiny:{tmp_path_factory.mktemp('tiny') / 'model'}", batch_size=8)


def _user(prompt) -> str:
    return prompt[-1]["content"]


# ---------------------------------------------------------------------- manager


def test_manager_policy_applies_model_json():
    reply = '```json\n{"memory": [{"id": "0", "text": "Likes jazz", "event": "ADD"}]}\n```'
    backend = FakeBackend(lambda p: reply)
    env = gym.make("MemoryManager-Synth-v0", synth_kwargs=SYNTH)
    policy = LLMManagerPolicy(backend)
    obs, info = env.reset(seed=0)
    action = policy.act(obs, info)
    assert action == reply
    assert obs["fact"] in _user(backend.calls[0][0]) and obs["speaker"] in _user(
        backend.calls[0][0]
    )
    _, _, _, _, info = env.step(action)
    assert info["invalid_action"] == "" and info["applied_ops"] == ["ADD"]


def test_manager_policy_env_prompt_and_vector_batch():
    backend = FakeBackend(lambda p: "{}")
    policy = LLMManagerPolicy(backend, use_env_prompt=True)
    obs = [{"fact": "f1", "prompt": "P1"}, {"fact": "f2", "prompt": "P2"}]
    assert policy.act_batch(obs, [{}, {}]) == ["{}", "{}"]
    assert backend.calls == [["P1", "P2"]]
    vector_obs = {"fact": np.array(["a", "b", "c"]), "prompt": np.array(["x", "y", "z"])}
    assert len(policy.act_batch(vector_obs, {})) == 3 and backend.calls[-1] == ["x", "y", "z"]


def test_manager_policy_with_tiny_model_flags_garbage(tiny):
    env = gym.make("MemoryManager-Synth-v0", synth_kwargs=SYNTH)
    policy = LLMManagerPolicy(tiny, SamplingParams(max_new_tokens=16))
    obs, info = env.reset(seed=0)
    flagged = 0
    for _ in range(3):
        action = policy.act(obs, info)
        assert isinstance(action, str)
        obs, reward, terminated, _, info = env.step(action)
        flagged += bool(info["invalid_action"])
        assert np.isfinite(reward)
        if terminated:
            break
    assert flagged >= 1
    assert len(policy.last_completions[0].logprobs) == len(policy.last_completions[0].token_ids)


# ---------------------------------------------------------------------- answer agent


def test_answer_policy_through_env():
    backend = FakeBackend(lambda p: "Relevant: [0] [1]\n**Answer:** some answer")
    env = gym.make("AnswerAgent-Synth-v0", synth_kwargs=SYNTH, memories_per_speaker=5)
    obs, info = env.reset(seed=0)
    policy = LLMAnswerPolicy(backend)
    action = policy.act(obs, info)
    prompt = _user(backend.calls[0][0])
    assert obs["question"] in prompt and "**Answer:**" in prompt
    _, _, terminated, _, info = env.step(action)
    assert terminated and info["format_ok"] and info["answer"] == "some answer"


def test_answer_policy_without_distillation_asks_for_the_answer_alone():
    memories = [_entry(0, "Ann", "Ann likes jazz")]
    obs, _ = gym.make("AnswerAgent-Synth-v0", synth_kwargs=SYNTH).reset(seed=0)
    for distill, expected in ((True, "Relevant:"), (False, "one line")):
        backend = FakeBackend(lambda p: "**Answer:** jazz")
        policy = LLMAnswerPolicy(backend, distill=distill)
        assert policy.answer("What does Ann like?", "9 May", memories) == ("jazz", [])
        policy.act(obs)
        for call in backend.calls:
            prompt = _user(call[0])
            assert expected in prompt
            assert ("Relevant:" in prompt) == distill


def test_answer_policy_with_tiny_model_no_crash(tiny):
    env = gym.make("AnswerAgent-Synth-v0", synth_kwargs=SYNTH, memories_per_speaker=5)
    policy = LLMAnswerPolicy(tiny, SamplingParams(max_new_tokens=16))
    observations = []
    for seed in (0, 1):
        obs, _ = env.reset(seed=seed)
        observations.append(obs)
    actions = policy.act_batch(observations, [{}, {}])
    assert len(actions) == 2
    env.reset(seed=0)
    _, reward, terminated, _, info = env.step(actions[0])
    assert terminated and 0.0 <= reward <= 1.0 and "format_ok" in info


def _entry(i: int, owner: str, text: str) -> MemoryEntry:
    return MemoryEntry(f"m{i}", text, owner, "8 May 2023", (f"D1:{i}",), 0, 0)


def test_answer_signature_matches_extractive_answerer():
    memories = [_entry(0, "Ann", "Ann likes jazz"), None, _entry(2, "Bob", "Bob has a dog")]
    backend = FakeBackend(lambda p: "[0] [1] [2] [9]\n**Answer:** jazz")
    answer, selected = LLMAnswerPolicy(backend).answer("What does Ann like?", "9 May", memories)
    assert (answer, selected) == ("jazz", [0, 2])  # empty slot and unknown id dropped
    prompt = _user(backend.calls[0][0])
    assert (
        "[0] (8 May 2023) Ann likes jazz" in prompt and "[2] (8 May 2023) Bob has a dog" in prompt
    )
    assert "Memories of Ann" in prompt and "Memories of Bob" in prompt and "9 May" in prompt


# ---------------------------------------------------------------------- extractor


def test_extractor_builds_facts_and_caches():
    backend = FakeBackend(lambda p: '{"facts": ["fact about ' + p[-1]["content"][-12:] + '"]}')
    extractor = LLMExtractor(backend, window=2)
    assert isinstance(extractor, FactExtractor)
    env = gym.make("MemoryManager-Synth-v0", synth_kwargs=SYNTH, fact_source=extractor)
    env.reset(seed=0)
    conversation = env.unwrapped.conversation
    facts = env.unwrapped.facts
    turns = [(s, t) for s in conversation.sessions for t in s.turns]
    assert len(facts) == len(turns) and len(backend.calls) == len(conversation.sessions)
    for fact, (session, turn) in zip(facts, turns, strict=True):
        assert isinstance(fact, Fact) and fact.source_ids == (turn.dia_id,)
        assert fact.speaker == turn.speaker and fact.date_str == session.date_str
    second_turn = backend.calls[0][1][-1]["content"]
    assert "Earlier turns" in second_turn and turns[0][1].text in second_turn  # window=2
    calls = len(backend.calls)
    assert extractor.extract(conversation) == facts and len(backend.calls) == calls  # cached


def test_extractor_with_tiny_model(tiny):
    env = gym.make("MemoryManager-Synth-v0", synth_kwargs={"n": 1, "n_sessions": 1})
    conversation = env.unwrapped.conversations[0]
    facts = LLMExtractor(tiny, SamplingParams(max_new_tokens=8)).extract(conversation)
    assert all(isinstance(f, Fact) for f in facts)


# ---------------------------------------------------------------------- judge


def test_judge_reads_labels():
    replies = iter(['```json\n{"label": "correct"}\n```', "WRONG.", "no idea"])
    backend = FakeBackend(lambda p: next(replies))
    judge = LLMJudge(backend)
    assert judge.judge("When?", "7 May 2023", "May 7") is True
    assert judge.judge("When?", "7 May 2023", "June") is False
    assert judge.judge("When?", "7 May 2023", "?") is False and judge.unparsed == 1
    prompt = _user(backend.calls[0][0])
    assert "7 May 2023" in prompt and "May 7" in prompt and "When?" in prompt


def test_manager_policy_act_batch_on_vector_env():
    reply = '{"memory": [{"id": "0", "text": "x", "event": "ADD"}]}'
    backend = FakeBackend(lambda p: reply)
    envs = gym.make_vec("MemoryManager-Synth-v0", num_envs=2, synth_kwargs=SYNTH)
    obs, infos = envs.reset(seed=0)
    actions = LLMManagerPolicy(backend).act_batch(obs, infos)
    assert actions == [reply, reply] and len(backend.calls) == 1
    envs.close()
