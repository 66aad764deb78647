"""The featurized (classic-RL) wrappers: features, masks, action mapping, checkers."""

from __future__ import annotations

import pickle
import subprocess
import sys
import warnings

import gymnasium as gym
import numpy as np
import pytest

import memenv  # noqa: F401  (registers the ids)
from memenv.data.records import OPERATIONS
from memenv.envs import AnswerAgentEnv, MemoryManagerEnv
from memenv.wrappers import (
    FeaturizedAnswerAgent,
    FeaturizedMemoryManager,
    hash_text,
    make_featurized_answer,
    make_featurized_manager,
    merge_texts,
)

SYNTH = {"synth_kwargs": {"n": 2, "n_sessions": 4}}


def manager(**kwargs) -> FeaturizedMemoryManager:
    return make_featurized_manager(**{**SYNTH, **kwargs})


def answer(**kwargs) -> FeaturizedAnswerAgent:
    return make_featurized_answer(**{**SYNTH, "memories_per_speaker": 5, **kwargs})


# ---------------------------------------------------------------------- hashing
def test_hashing_is_deterministic_normalised_and_signed():
    a = hash_text("Caroline went to the LGBTQ support group", 64)
    b = hash_text("caroline went to the lgbtq support group!", 64)
    assert a.dtype == np.float32 and a.shape == (64,)
    np.testing.assert_array_equal(a, b)  # case and punctuation do not matter
    assert np.isclose(np.linalg.norm(a), 1.0)
    assert (a < 0).any() or (a > 0).all()
    assert not hash_text("", 64).any() and not hash_text("the of and", 64).any()
    assert hash_text("x y z", 16).shape == (16,)


def test_hashing_is_stable_across_processes():
    code = (
        "from memenv.wrappers import hash_text;"
        "print(list(map(float, hash_text('melanie paints sunsets at the lake', 32))))"
    )
    outs = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            env={"PYTHONHASHSEED": str(seed)},
            check=True,
        ).stdout
        for seed in (1, 2)
    }
    assert len(outs) == 1
    assert outs.pop().strip() == str(
        list(map(float, hash_text("melanie paints sunsets at the lake", 32)))
    )


def test_merge_texts():
    assert merge_texts("likes tea", "likes coffee", 100) == "likes tea; likes coffee"
    assert merge_texts("likes tea; likes coffee", "likes coffee", 100) == "likes tea; likes coffee"
    assert merge_texts("a" * 8 + "; " + "b" * 8, "c" * 8, 20) == "b" * 8 + "; " + "c" * 8
    assert merge_texts("old", "x" * 50, 10) == "x" * 10


# ---------------------------------------------------------------------- manager
def test_manager_spaces_and_feature_shapes():
    env = manager(dim=32, top_k=4)
    assert env.action_space == gym.spaces.Discrete(10)
    obs, _ = env.reset(seed=0)
    assert env.observation_space.contains(obs)
    shapes = {key: value.shape for key, value in obs.items()}
    assert shapes == {
        "fact": (32,),
        "memories": (4, 32),
        "scores": (4,),
        "overlap": (4, 4),
        "mask": (4,),
        "progress": (4,),
    }
    assert all(value.dtype == np.float32 for value in obs.values())
    assert not obs["mask"].any() and not obs["memories"].any()  # empty banks at the start
    assert np.isclose(np.linalg.norm(obs["fact"]), 1.0)
    for _ in range(10):
        obs, *_ = env.step(0)
    assert env.observation_space.contains(obs)
    shown = len(env.base.shown)
    assert shown > 0 and obs["mask"].sum() == shown
    assert obs["scores"].max() == 1.0
    np.testing.assert_array_equal(obs["memories"][0], hash_text(env.base.shown[0].text, 32))


def test_manager_features_are_deterministic():
    def trace(seed: int) -> list[np.ndarray]:
        env = manager()
        obs, _ = env.reset(seed=seed)
        out = [np.concatenate([v.ravel() for v in obs.values()])]
        for i in range(30):
            obs, _, terminated, _, _ = env.step(i % env.action_space.n)
            if terminated:
                obs, _ = env.reset()
            out.append(np.concatenate([v.ravel() for v in obs.values()]))
        return out

    for x, y in zip(trace(3), trace(3), strict=True):
        np.testing.assert_array_equal(x, y)


def test_manager_masks():
    env = manager(top_k=3, capacity=2)
    env.reset(seed=0)
    k = 3
    mask = env.action_masks()
    assert mask.dtype == bool and mask.shape == (2 + 2 * k,)
    assert mask.tolist() == [True] + [False] * (2 * k) + [True]  # empty bank: only ADD and NOOP
    seen_full = False
    for _ in range(40):
        mask = env.action_masks()
        shown = len(env.base.shown)
        assert mask[1 : 1 + k].tolist() == [i < shown for i in range(k)]
        assert mask[1 + k : 1 + 2 * k].tolist() == [i < shown for i in range(k)]
        assert mask[1 + 2 * k]
        fact = env.base.current_fact
        full = len(env.base.banks[fact.speaker]) >= 2
        assert mask[0] == (not full)
        seen_full |= full
        _, _, terminated, _, info = env.step(0 if mask[0] else env.flat_action("NOOP"))
        assert not info["invalid_action"]
        if terminated:
            break
    assert seen_full


def test_manager_multi_action_masks_and_mapping():
    env = manager(top_k=3, action="multi")
    assert env.action_space == gym.spaces.MultiDiscrete([4, 3])
    env.reset(seed=0)
    assert env.action_masks().tolist() == [True, False, False, True, True, True, True]
    env.step(np.array([0, 2]))  # ADD (slot ignored)
    assert sum(len(b) for b in env.base.banks.values()) == 1


def _same_speaker_state(env: FeaturizedMemoryManager) -> None:
    """Step with ADD until the current fact's bank has at least two shown memories."""
    for _ in range(100):
        if len(env.base.shown) >= 2:
            return
        env.step(0)
    raise AssertionError("never saw two memories")


@pytest.mark.parametrize("update_text", ["merge", "fact"])
def test_manager_action_mapping(update_text):
    env = manager(top_k=3, update_text=update_text)
    env.reset(seed=1)
    _same_speaker_state(env)
    base = env.base
    k = 3

    # NOOP changes nothing.
    bank = base.banks[base.current_fact.speaker]
    before = {e.id: e.text for e in bank.entries()}
    *_, info = env.step(1 + 2 * k)
    assert info["applied_ops"] == ["NOOP"]
    assert {e.id: e.text for e in bank.entries()} == before
    _same_speaker_state(env)

    # ADD stores the fact's text.
    fact = base.current_fact
    bank = base.banks[fact.speaker]
    n = len(bank)
    *_, info = env.step(0)
    assert info["applied_ops"] == ["ADD"] and len(bank) == n + 1
    assert bank.entries()[-1].text == fact.text.strip()
    _same_speaker_state(env)

    # UPDATE slot 1 rewrites that shown memory.
    fact = base.current_fact
    bank = base.banks[fact.speaker]
    target = base.shown[1]
    *_, info = env.step(env.flat_action("UPDATE", 1))
    assert env.flat_action("UPDATE", 1) == 2
    assert info["applied_ops"] == ["UPDATE"]
    new_text = bank.get(target.id).text
    expected = (
        merge_texts(target.text, fact.text, base.max_text_chars)
        if update_text == "merge"
        else fact.text.strip()
    )
    assert new_text == expected
    _same_speaker_state(env)

    # DELETE slot 1 removes that shown memory.
    bank = base.banks[base.current_fact.speaker]
    target = base.shown[1]
    *_, info = env.step(1 + k + 1)
    assert info["applied_ops"] == ["DELETE"]
    assert target.id not in {e.id for e in bank.entries()}


def test_manager_flat_numbering_follows_the_base_operations():
    env = manager(top_k=3)
    ids = [env.flat_action(op, 0) for op in OPERATIONS]
    assert ids == sorted(ids) == [0, 1, 4, 7]  # ADD, UPDATE 0, DELETE 0, NOOP
    assert [env.decode(i) for i in range(8)] == [
        ("ADD", 0),
        *[("UPDATE", i) for i in range(3)],
        *[("DELETE", i) for i in range(3)],
        ("NOOP", 0),
    ]
    with pytest.warns(DeprecationWarning, match="flat-legacy"):
        legacy = manager(top_k=3, action="flat-legacy")
    assert [legacy.decode(i)[0] for i in (0, 1, 2, 5)] == ["ADD", "NOOP", "UPDATE", "DELETE"]
    legacy.reset(seed=0)
    assert legacy.action_masks().tolist() == [True, True] + [False] * 6


def test_manager_invalid_and_passthrough_actions():
    env = manager(top_k=3)
    env.reset(seed=0)
    _, reward, _, _, info = env.step(2)  # UPDATE an empty slot: rejected, penalised
    assert info["invalid_action"] and reward <= 0
    _, _, _, _, info = env.step({"op": "ADD", "text": "custom memory"})  # base dict action
    assert info["applied_ops"] == ["ADD"]
    for garbage in (None, 3.5, "{", np.ones(3), -1, 99):
        obs, reward, *_ = env.step(garbage)
        assert env.observation_space.contains(obs) and np.isfinite(reward)
    env.step(np.array([0]))  # a one-element array (what SB3's predict returns)


def test_manager_terminal_observation_is_zero():
    env = manager()
    env.reset(seed=0)
    terminated = False
    while not terminated:
        obs, _, terminated, _, _ = env.step(0)
    assert env.observation_space.contains(obs)
    assert not any(v.any() for v in obs.values())


def test_manager_token_features():
    """The opt-in token-set keys: hashed F & M, M - F, F - M and M's share in F per memory."""
    from memenv.memory import tokenize
    from memenv.wrappers.features import hash_tokens

    env = manager(dim=32, top_k=4, token_features=True)
    obs, _ = env.reset(seed=0)
    assert env.observation_space.contains(obs)
    for _ in range(12):
        obs, *_ = env.step(0)
    assert env.observation_space.contains(obs)
    assert obs["shared"].shape == (4, 32) and obs["memory_in_fact"].shape == (4,)
    fact = frozenset(tokenize(env.base.current_fact.text))
    shown = env.base.shown
    assert shown
    for i, memory in enumerate(shown):
        tokens = frozenset(tokenize(memory.text))
        np.testing.assert_array_equal(obs["shared"][i], hash_tokens(fact & tokens, 32))
        np.testing.assert_array_equal(obs["memory_only"][i], hash_tokens(tokens - fact, 32))
        np.testing.assert_array_equal(obs["fact_only"][i], hash_tokens(fact - tokens, 32))
        assert obs["memory_in_fact"][i] == np.float32(len(fact & tokens) / len(tokens))
    for key in ("shared", "memory_only", "fact_only", "memory_in_fact"):
        assert not obs[key][len(shown) :].any()
    plain, _ = manager(dim=32, top_k=4).reset(seed=0)
    assert set(plain) == {"fact", "memories", "scores", "overlap", "mask", "progress"}
    with pytest.raises(TypeError, match="token_features"):
        manager(token_features="yes")


def test_manager_rejects_bad_arguments():
    with pytest.raises(ValueError):
        manager(action="both")
    with pytest.raises(ValueError):
        manager(update_text="llm")
    with pytest.raises(TypeError):
        FeaturizedMemoryManager(AnswerAgentEnv(**SYNTH))


# ---------------------------------------------------------------------- answer agent
def test_answer_spaces_features_and_step():
    env = answer(dim=16)
    assert env.action_space == gym.spaces.Discrete(10)
    obs, _ = env.reset(seed=0)
    assert env.observation_space.contains(obs)
    assert obs["memories"].shape == (10, 16) and obs["overlap"].shape == (10, 3)
    mask = env.action_masks()
    assert mask.tolist() == [m is not None for m in env.base.shown]
    np.testing.assert_array_equal(obs["mask"].astype(bool), mask)
    slot = int(np.flatnonzero(mask)[0])
    assert obs["scores"][slot] == 1.0  # the best memory of speaker A
    obs2, reward, terminated, truncated, info = env.step(slot)
    assert terminated and not truncated and 0.0 <= reward <= 1.0
    assert info["selected_ids"] == [slot]
    assert info["answerer"] in ("extractive", "memory-text")
    np.testing.assert_array_equal(obs2["question"], obs["question"])


def test_answer_fallback_and_empty_slot():
    class Echo:
        def answer(self, question, question_date, memories):
            return memories[0].text, [0]

    env = answer(answerer=Echo(), reward="em")
    env.reset(seed=0)
    slot = int(np.flatnonzero(env.action_masks())[0])
    _, _, _, _, info = env.step(slot)
    assert info["answer"] == env.base.shown[slot].text and info["answerer"] == "extractive"
    env = answer(synth_kwargs={"n": 1, "n_sessions": 1}, memories_per_speaker=30)
    env.reset(seed=0)
    empty = [i for i, m in enumerate(env.base.shown) if m is None]
    assert empty and not env.action_masks()[empty].any()
    _, reward, _, _, info = env.step(empty[0])
    assert info["answer"] == "" and info["answerer"] == "empty-slot" and reward == 0.0


def test_answer_rejects_bad_base():
    with pytest.raises(TypeError):
        FeaturizedAnswerAgent(MemoryManagerEnv(**SYNTH))


# ---------------------------------------------------------------------- checkers
@pytest.mark.parametrize(
    "env_id", ["MemoryManagerFeatures-Synth-v0", "AnswerAgentFeatures-Synth-v0"]
)
def test_gymnasium_and_sb3_checkers(env_id):
    from gymnasium.utils.env_checker import check_env
    from stable_baselines3.common.env_checker import check_env as sb3_check_env

    extra = [{}, {"token_features": True}] if env_id.startswith("MemoryManager") else [{}]
    for kwargs in extra:
        env = gym.make(env_id, **SYNTH, **kwargs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            check_env(env, skip_render_check=True)
            sb3_check_env(gym.make(env_id, **SYNTH, **kwargs), warn=False)


@pytest.mark.parametrize(
    "env_id", ["MemoryManagerFeatures-Synth-v0", "AnswerAgentFeatures-Synth-v0"]
)
def test_pickle_and_vector_envs(env_id):
    env = gym.make(env_id, **SYNTH)
    env.reset(seed=2)
    env.step(0)
    if "Answer" in env_id:
        env.reset()
    clone = pickle.loads(pickle.dumps(env))
    a, b = env.step(1), clone.step(1)
    for key in a[0]:
        np.testing.assert_array_equal(a[0][key], b[0][key])
    assert a[1:4] == b[1:4]
    venv = gym.vector.AsyncVectorEnv([lambda: gym.make(env_id, **SYNTH)] * 2)
    try:
        obs, _ = venv.reset(seed=[0, 1])
        assert obs["memories"].shape[0] == 2
        for _ in range(5):
            obs, rewards, *_ = venv.step(np.array([0, 1]))
            assert rewards.shape == (2,)
    finally:
        venv.close()


def test_make_matches_wrapped_base():
    env = gym.make("MemoryManagerFeatures-Synth-v0", **SYNTH, dim=8, top_k=2)
    assert isinstance(env.unwrapped, MemoryManagerEnv)
    assert env.observation_space["memories"].shape == (2, 8)
    assert env.get_wrapper_attr("action_masks")().shape == (6,)


def test_from_base_action_inverts_to_base_action():
    env = manager(top_k=3)
    env.reset(seed=0)
    for flat in range(env.action_space.n):
        assert env.from_base_action(env.to_base_action(flat)) == flat
    assert env.from_base_action({"op": 1, "target": 2, "text": "x"}) == env.flat_action("UPDATE", 2)
    assert env.from_base_action('{"memory": [{"event": "DELETE", "id": "1"}]}') == 5
    assert env.from_base_action("no operation in here") == env.flat_action("NOOP")
    with pytest.raises(ValueError, match="slot must be in 0..2"):
        env.from_base_action({"op": "DELETE", "target": 7})
    with pytest.raises(ValueError, match="not a base action"):
        env.from_base_action(3.5)
    with pytest.raises(ValueError, match="UPDATE needs a target"):
        env.from_base_action({"op": "update", "text": "x"})
    assert env.from_base_action({"op": " none "}) == env.flat_action("NOOP")
