"""Behaviour of the MemoryManager and AnswerAgent environments."""

from __future__ import annotations

import json

import gymnasium as gym
import pytest

import memenv  # noqa: F401
from memenv.data.registry import load_conversations
from memenv.envs import AnswerAgentEnv, MemoryManagerEnv
from memenv.envs.banks import build_banks
from memenv.policies import AddAllPolicy, IdealOpsPolicy
from tests.env_cases import LOCOMO_FILE

ADD, UPDATE, DELETE, NOOP = 0, 1, 2, 3


@pytest.fixture(scope="module")
def synth():
    return load_conversations("synth", split="train", synth_kwargs={"n": 2})


def play(env, policy, conversation=0):
    obs, info = env.reset(seed=0, options={"conversation": conversation})
    total, steps, terminated = 0.0, 0, False
    while not terminated:
        obs, reward, terminated, _, info = env.step(policy.act(obs, info))
        total += reward
        steps += 1
    return total, steps, info


def test_add_all_stores_every_fact(synth):
    env = MemoryManagerEnv(conversations=synth)
    total, steps, info = play(env, AddAllPolicy())
    conversation = synth[0]
    assert steps == len(conversation.facts)
    assert sum(len(b) for b in env.banks.values()) == len(conversation.facts)
    for speaker, bank in env.banks.items():
        facts = [f for f in conversation.facts if f.speaker == speaker]
        assert [m.text for m in bank.entries()] == [f.text for f in facts]
        assert [m.provenance for m in bank.entries()] == [f.source_ids for f in facts]
    assert total > 0  # evidence of linked questions is kept
    assert info["fact_index"] == len(conversation.facts)


def test_noop_everything_gives_zero_recall(synth):
    env = MemoryManagerEnv(conversations=synth)

    class Noop:
        def act(self, obs, info):
            return {"op": NOOP, "target": 0, "text": ""}

    total, _, _ = play(env, Noop())
    assert total == 0.0
    assert all(len(b) == 0 for b in env.banks.values())


def test_observation_shows_related_memories_with_local_ids(synth):
    env = MemoryManagerEnv(conversations=synth, top_k=3)
    obs, info = env.reset(seed=0, options={"conversation": 0})
    assert json.loads(obs["memories"]) == []
    for _ in range(12):
        obs, _, _, _, info = env.step({"op": ADD, "target": 0, "text": ""})
    shown = json.loads(obs["memories"])
    assert 1 <= len(shown) <= 3
    assert [m["id"] for m in shown] == [str(i) for i in range(len(shown))]
    assert len(info["shown_memory_ids"]) == len(shown)
    assert obs["fact"] in obs["prompt"] and obs["speaker"] == env.current_fact.speaker


def test_update_delete_through_dict_and_json(synth):
    env = MemoryManagerEnv(conversations=synth)
    env.reset(seed=0, options={"conversation": 0})
    env.step({"op": "ADD", "text": "Alex lives in Paris."})
    speaker = env.current_fact.speaker
    # Fill the bank of the current speaker so a memory is shown, then update it through JSON.
    env.step({"op": ADD, "target": 0, "text": ""})
    while not env.shown:
        env.step({"op": ADD, "target": 0, "text": ""})
    speaker = env.current_fact.speaker
    target_id = env.shown[0].id
    raw = (
        '```json\n{"memory": [{"id": "0", "text": "Alex lives in Rome.", "event": "UPDATE"}]}\n```'
    )
    _, _, _, _, info = env.step(raw)
    assert info["invalid_action"] == ""
    assert info["applied_ops"] == ["UPDATE"]
    assert env.banks[speaker].get(target_id).text == "Alex lives in Rome."
    while not env.shown:
        env.step({"op": ADD, "target": 0, "text": ""})
    victim = env.shown[0].id
    owner = env.current_fact.speaker
    _, _, _, _, info = env.step({"op": DELETE, "target": 0, "text": ""})
    assert info["applied_ops"] == ["DELETE"]
    assert victim not in env.banks[owner]


def test_invalid_actions_are_noops_with_penalty(synth):
    env = MemoryManagerEnv(conversations=synth, reward="none", invalid_penalty=0.5)
    env.reset(seed=0, options={"conversation": 0})
    sizes = lambda: sum(len(b) for b in env.banks.values())  # noqa: E731
    for bad in [
        "not json at all",
        {"op": 7},
        {"op": UPDATE, "target": 4},
        42,
        '{"memory": [{"id": "17", "event": "DELETE"}]}',
    ]:
        before = sizes()
        _, reward, _, _, info = env.step(bad)
        assert info["invalid_action"], bad
        assert reward == -0.5
        assert sizes() == before


def test_multi_operation_output_applies_valid_parts(synth):
    env = MemoryManagerEnv(conversations=synth, reward="none")
    env.reset(seed=0, options={"conversation": 0})
    raw = json.dumps(
        {
            "memory": [
                {"id": "0", "text": "first", "event": "ADD"},
                {"id": "9", "text": "ghost", "event": "UPDATE"},
                {"id": "1", "text": "second", "event": "ADD"},
            ]
        }
    )
    speaker = env.current_fact.speaker
    _, reward, _, _, info = env.step(raw)
    assert info["applied_ops"] == ["ADD", "ADD"]
    assert "target 9" in info["invalid_action"]
    assert reward == -0.1
    assert [m.text for m in env.banks[speaker].entries()] == ["first", "second"]


def test_answer_reward_and_terminal_reward(synth):
    env = MemoryManagerEnv(
        conversations=synth, reward="answer", reward_metric="f1", terminal_reward=True
    )
    total, _, info = play(env, AddAllPolicy())
    assert 0 < info["terminal_score"] <= 1
    assert total > info["terminal_score"]


def test_oracle_follows_ideal_operations(synth):
    env = MemoryManagerEnv(conversations=synth, reward="none", top_k=30)
    policy = IdealOpsPolicy(env)
    obs, info = env.reset(seed=0, options={"conversation": 0})
    terminated = False
    while not terminated:
        fact = env.current_fact
        obs, _, terminated, _, info = env.step(policy.act(obs, info))
        assert info["invalid_action"] == ""
        if fact.ideal_op in ("UPDATE", "DELETE"):
            assert info["applied_ops"] == [fact.ideal_op], fact
    stored = sum(len(b) for b in env.banks.values())
    adds = sum(f.ideal_op == "ADD" for f in synth[0].facts)
    deletes = sum(f.ideal_op == "DELETE" for f in synth[0].facts)
    assert stored == adds - deletes


def test_fact_source_turns(synth):
    env = MemoryManagerEnv(conversations=synth, fact_source="turns", reward="none")
    _, steps, _ = play(env, AddAllPolicy())
    assert steps == len(synth[0].turns)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="reward must be one of"):
        MemoryManagerEnv(reward="bogus")
    with pytest.raises(ValueError, match="top_k"):
        MemoryManagerEnv(top_k=0)
    with pytest.raises(ValueError, match="fact_source"):
        MemoryManagerEnv(fact_source="nope", synth_kwargs={"n": 1}).reset(seed=0)
    with pytest.raises(ValueError, match="reward must be one of"):
        AnswerAgentEnv(reward="judge")


def test_answer_agent_scores_gold_answer(synth):
    env = AnswerAgentEnv(conversations=synth)
    obs, info = env.reset(seed=0, options={"question": 0})
    qa = env.qa
    assert obs["question"] == qa.question
    assert obs["memories_a"].startswith("[0]")
    _, reward, terminated, _, info = env.step(f"[0] [1]\n**Answer:** {qa.answer}")
    assert terminated and reward == 1.0
    assert info["selected_ids"] == [0, 1] and info["format_ok"]
    assert info["scores"]["f1"] == pytest.approx(1.0)


def test_answer_agent_dict_action_and_mask(synth):
    env = AnswerAgentEnv(conversations=synth, memories_per_speaker=5, reward="f1")
    env.reset(seed=1)
    mask = env.action_space.sample()["selected"] * 0
    mask[[1, 6]] = 1
    _, reward, _, _, info = env.step({"selected": mask, "answer": "something else entirely"})
    assert 0.0 <= reward < 1.0
    assert set(info["selected_ids"]) <= {1, 6}


def test_answer_agent_banks_from_a_manager(synth):
    banks = {c.id: build_banks(c, IdealOpsPolicy, top_k=30) for c in synth}
    env = AnswerAgentEnv(conversations=synth, banks=banks)
    env.reset(seed=0)
    assert env.banks_for(env.conversation) is banks[env.conversation.id]


@pytest.mark.skipif(not LOCOMO_FILE.exists(), reason="LoCoMo file not in ../shared")
def test_locomo_train_and_val_run_to_the_end():
    for split, n_questions in (("train", 152), ("val", 81)):
        env = gym.make("MemoryManager-LoCoMo-v0", data_path=str(LOCOMO_FILE), split=split)
        total, steps, info = play(env.unwrapped, AddAllPolicy())
        assert steps == info["num_facts"] > 150
        answer = gym.make("AnswerAgent-LoCoMo-v0", data_path=str(LOCOMO_FILE), split=split)
        assert answer.unwrapped.num_questions == n_questions
        recalls = []
        for i in range(n_questions):
            answer.reset(options={"question": i})
            _, _, _, _, info = answer.step({"selected": [], "answer": ""})
            if info["evidence_recall"] is not None:
                recalls.append(info["evidence_recall"])
        assert 0.4 < sum(recalls) / len(recalls) < 1.0


def test_ansi_render(synth):
    env = MemoryManagerEnv(conversations=synth, render_mode="ansi")
    env.reset(seed=0)
    _, _, _, _, info = env.step({"op": ADD, "target": 0, "text": ""})
    text = env.render()
    assert "last ops: ADD" in text and "fact 2/" in text and info["render"] == text
    answer = AnswerAgentEnv(conversations=synth, render_mode="ansi")
    answer.reset(seed=0)
    assert "gold:" in answer.render()
    _, reward, _, _, info = answer.step("**Answer:** x")
    assert "answer: 'x'" in info["render"] and f"reward (em): {reward:.3f}" in info["render"]
    assert answer.render() == info["render"]  # a render after the step shows the outcome
    assert "reward -0.100" in env.step({})[4]["render"]  # an empty dict is an invalid action
    with pytest.raises(ValueError, match="render_mode"):
        MemoryManagerEnv(conversations=synth, render_mode="human")
