"""Graded tasks: the episode outcome and its shaping, full banks, the recall fix, the oracle,
the levels, and `memenv reference`."""

from __future__ import annotations

import json

import gymnasium as gym
import numpy as np
import pytest

import memenv  # noqa: F401
from memenv.answerers import make_answerer
from memenv.data.registry import load_conversations
from memenv.envs import MemoryManagerEnv
from memenv.levels import MANAGER_LEVELS, level_kwargs
from memenv.memory import MemoryEntry
from memenv.policies import RandomPolicy
from memenv.systems import make_memory_system
from memenv_app.cli import main
from tests.env_cases import LOCOMO_FILE

SMALL = {"n": 3, "n_sessions": 5}
MEDIUM = {"capacity": 8, "memories_per_speaker": 5, "answerer": "extractive-no-recency"}


def play(env, policy, conversation=0):
    obs, info = env.reset(seed=0, options={"conversation": conversation})
    rewards, done = [], False
    while not done:
        obs, reward, done, _, info = env.step(policy.act(obs, info))
        rewards.append(reward)
    return rewards, info


@pytest.mark.parametrize("policy_name", ["random", "oracle", "add-all"])
def test_potential_shaping_telescopes_to_the_outcome(policy_name):
    kwargs = {"synth_kwargs": SMALL, "reward": "outcome", "invalid_penalty": 0.0, **MEDIUM}
    sparse = MemoryManagerEnv(**kwargs)
    dense = MemoryManagerEnv(shaping="potential", **kwargs)
    for conversation in range(2):
        system = make_memory_system(policy_name)
        sparse_rewards, sparse_info = play(sparse, system.make_policy(sparse), conversation)
        dense_rewards, dense_info = play(dense, system.make_policy(dense), conversation)
        assert sparse_rewards[:-1] == [0.0] * (len(sparse_rewards) - 1)
        assert sparse_rewards[-1] == pytest.approx(sparse_info["outcome_score"])
        assert sum(dense_rewards) == pytest.approx(dense_info["outcome_score"], abs=1e-12)
        assert dense_info["outcome_score"] == pytest.approx(sparse_info["outcome_score"])
        assert any(r != 0 for r in dense_rewards[:-1])  # dense: credit arrives along the way


def test_shaping_continues_exactly_from_a_restored_state():
    env = MemoryManagerEnv(synth_kwargs=SMALL, reward="outcome", shaping="potential", **MEDIUM)
    policy = RandomPolicy(3)
    obs, info = env.reset(seed=0, options={"conversation": 1})
    for _ in range(6):
        obs, *_, info = env.step(policy.act(obs, info))
    state = env.get_state()
    actions, rewards = [], []
    for _ in range(5):
        actions.append(policy.act(obs, info))
        obs, reward, *_, info = env.step(actions[-1])
        rewards.append(reward)
    env.reset(seed=5, options={"conversation": 0})  # somewhere else entirely
    env.set_state(state)
    assert [env.step(a)[1] for a in actions] == rewards


def test_shaping_needs_the_outcome_reward():
    with pytest.raises(ValueError, match="shaping"):
        MemoryManagerEnv(synth_kwargs=SMALL, reward="recall", shaping="potential")
    with pytest.raises(ValueError, match="shaping must be one of"):
        MemoryManagerEnv(synth_kwargs=SMALL, reward="outcome", shaping="dense")


def test_a_full_bank_rejects_add_with_a_flag():
    env = MemoryManagerEnv(synth_kwargs=SMALL, capacity=2, reward="none", invalid_penalty=0.5)
    obs, info = env.reset(seed=0, options={"conversation": 0})
    speaker = obs["speaker"]
    seen = []
    while True:
        same = obs["speaker"] == speaker
        usage_before = obs["bank"]
        obs, reward, done, _, info = env.step({"op": "ADD", "target": 0, "text": ""})
        if same:
            seen.append((usage_before, info["bank_full"], reward, info["invalid_action"]))
        if done or len(seen) == 3:
            break
    assert [s[0] for s in seen] == ["0/2", "1/2", "2/2"]
    assert [s[1] for s in seen] == [False, False, True]
    assert seen[2][2] == -0.5 and "bank is full" in seen[2][3]
    assert len(env.banks[speaker]) == 2


def test_capacity_is_validated():
    with pytest.raises(ValueError, match="capacity must be a positive int"):
        MemoryManagerEnv(synth_kwargs=SMALL, capacity=0)
    with pytest.raises(ValueError, match="memory_token_budget"):
        MemoryManagerEnv(synth_kwargs=SMALL, memory_token_budget=-1)


def _episode_score(env, name):
    total = 0.0
    for c in range(len(env.conversations)):
        rewards, info = play(env, make_memory_system(name).make_policy(env), c)
        total += info.get("outcome_score", sum(rewards))
    return total


@pytest.mark.parametrize("reward", ["recall", "answer", "outcome"])
def test_update_top_probe_never_beats_add_all_on_synthetic_data(reward):
    extra = {"answerer": "extractive"} if reward != "recall" else {}
    env = MemoryManagerEnv(synth_kwargs=SMALL, reward=reward, invalid_penalty=0.0, **extra)
    assert _episode_score(env, "update-top") <= _episode_score(env, "add-all")


@pytest.mark.skipif(not LOCOMO_FILE.exists(), reason="LoCoMo train/val file not available")
def test_update_top_probe_never_beats_add_all_on_locomo():
    env = MemoryManagerEnv("locomo", data_path=str(LOCOMO_FILE), split="val", reward="recall")
    assert _episode_score(env, "update-top") <= _episode_score(env, "add-all")


def test_recall_credits_only_facts_the_text_still_carries():
    env = MemoryManagerEnv(synth_kwargs=SMALL, reward="recall")
    env.reset(seed=0, options={"conversation": 0})
    scorer = env._episode.scorer
    fact = env.facts[0]
    kept = MemoryEntry("m0", fact.text, fact.speaker, "", tuple(fact.source_ids), 0, 0)
    replaced = MemoryEntry(
        "m1", "Something else entirely.", fact.speaker, "", fact.source_ids, 0, 1
    )
    assert set(fact.source_ids) <= scorer.carried_sources(kept)
    assert not set(fact.source_ids) & scorer.carried_sources(replaced)


def test_oracle_is_an_upper_bound_on_medium_settings():
    conversations = load_conversations("synth", split="val", synth_kwargs={"n": 4})
    env = MemoryManagerEnv(conversations=conversations, reward="outcome", **MEDIUM)
    oracle = _episode_score(env, "oracle")
    for name in ("add-all", "noop", "random", "mem0", "ideal-ops", "update-top"):
        assert _episode_score(env, name) <= oracle + 1e-9, name


def test_extractive_no_recency_is_misled_by_a_stale_memory():
    old = MemoryEntry("m0", "Maya lives in Austin.", "Maya", "1 May 2023", ("D1:1",), 0, 0)
    new = MemoryEntry("m1", "Maya lives in Lisbon.", "Maya", "9 June 2023", ("D4:2",), 9, 9)
    question = "Where does Maya live?"
    recent, _ = make_answerer("extractive").answer(question, "", [old, new])
    plain, _ = make_answerer("extractive-no-recency").answer(question, "", [old, new])
    assert plain == "Austin" and recent == "Lisbon"


def test_level_kwargs_merge_and_override():
    kw = level_kwargs(MANAGER_LEVELS, "hard", {"dataset": "synth"}, {"synth_kwargs": {"n": 2}})
    assert kw["capacity"] == 8 and kw["synth_kwargs"]["phrasing"] == "varied"
    assert kw["synth_kwargs"]["n"] == 2
    kw = level_kwargs(MANAGER_LEVELS, "Medium", {"dataset": "synth"}, {"capacity": 3})
    assert kw["capacity"] == 3 and kw["synth_kwargs"]["n"]["test"] == 48
    with pytest.raises(ValueError, match="level must be one of"):
        level_kwargs(MANAGER_LEVELS, "extreme", {}, {})


@pytest.mark.parametrize("level", ["Easy", "Medium", "Hard"])
def test_graded_ids_make_and_step(level):
    small = {"synth_kwargs": {"n": 2, "n_sessions": 3}}
    env = gym.make(f"MemoryManager-Synth-{level}-v0", **small)
    obs, info = env.reset(seed=0)
    obs, reward, *_ = env.step("ADD")
    assert env.unwrapped.reward_kind == "outcome" and "bank" in obs
    answer = gym.make(f"AnswerAgent-Synth-{level}-v0", **small)
    obs, _ = answer.reset(seed=0)
    assert obs["question"]


def test_reference_command_on_a_tiny_budget(tmp_path, capsys):
    out = tmp_path / "ref.json"
    argv = ["reference", "MemoryManager-Synth-Medium-v0", "--episodes", "2", "--quiet"]
    argv += ["--policies", "add-all", "oracle", "--json", str(out)]
    argv += ["--env-kwargs", json.dumps({"synth_kwargs": {"n": 2, "n_sessions": 3}})]
    assert main(argv) == 0
    result = json.loads(out.read_text())
    assert result["env_id"] == "MemoryManager-Synth-Medium-v0" and result["episodes"] == 2
    assert set(result["policies"]) == {"add-all", "oracle"}
    for row in result["policies"].values():
        assert row["ci"][0] <= row["mean"] <= row["ci"][1]
        assert len(row["scores"]) == 2
    assert "| oracle |" in capsys.readouterr().out


def test_reference_on_an_answer_id():
    from memenv_app.reference import reference_scores

    result = reference_scores(
        "AnswerAgent-Synth-Easy-v0",
        episodes=5,
        env_kwargs={"synth_kwargs": {"n": 1, "n_sessions": 3}},
    )
    assert set(result["policies"]) == {
        "extractive",
        "extractive-no-recency",
        "top-memory",
        "constant-yes",
        "constant-no",
    }
    assert all(0 <= r["mean"] <= 100 for r in result["policies"].values())


def test_bootstrap_interval_covers_the_mean_and_is_seeded():
    from memenv_app.reference import bootstrap_ci

    values = np.linspace(0, 1, 30)
    assert bootstrap_ci(values, 1) == bootstrap_ci(values, 1)
    lo, hi = bootstrap_ci(values, 1)
    assert lo < values.mean() < hi


def _ranked_recall(scorer, qa, banks):
    """Recall from the ranked retrieval, the definition the whole-bank shortcut must equal."""
    if not qa.evidence:
        return 0.0
    covered = set()
    for memory in scorer.memories(qa, banks):
        covered |= scorer.carried_sources(memory)
    return sum(1 for e in qa.evidence if e in covered) / len(qa.evidence)


@pytest.mark.parametrize("memories_per_speaker", [3, 30])
def test_recall_shortcut_for_whole_banks_equals_the_ranked_recall(memories_per_speaker):
    """With no token budget, banks of at most k memories are retrieved whole, so recall skips
    the ranking; k=3 makes banks outgrow k mid-episode, covering the switch back."""
    env = MemoryManagerEnv(
        synth_kwargs=SMALL, reward="recall", memories_per_speaker=memories_per_speaker
    )
    policy = RandomPolicy(seed=3)
    checked, shortcut, ranked = 0, 0, 0
    for conversation in range(3):
        obs, info = env.reset(seed=conversation, options={"conversation": conversation})
        done = False
        while not done:
            obs, _, done, _, info = env.step(policy.act(obs, info))
            scorer, banks = env._episode.scorer, env.banks
            whole = scorer._whole_banks(banks) is not None
            shortcut += whole
            ranked += not whole
            for qa in scorer.questions:
                assert scorer.recall(qa, banks) == _ranked_recall(scorer, qa, banks)
                checked += 1
    assert checked > 100
    assert shortcut > 0
    assert (ranked > 0) == (memories_per_speaker == 3)
