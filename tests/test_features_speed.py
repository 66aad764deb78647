"""The optimised feature paths (featurized wrappers, manager prompt JSON) give exactly the
values of the straightforward implementations they replaced."""

from __future__ import annotations

import json

import gymnasium as gym
import numpy as np
import pytest

import memenv  # noqa: F401  (registers the ids)
from memenv.memory import MemoryEntry
from memenv.prompts import manager_observation_texts, manager_prompt, memory_items
from memenv_app.bench.envs import ScriptedPolicy
from tests import features_reference as ref


def _same(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> None:
    assert list(a) == list(b)
    for key in a:
        assert a[key].dtype == b[key].dtype and a[key].shape == b[key].shape, key
        assert a[key].tobytes() == b[key].tobytes(), key


@pytest.mark.parametrize("env_id", ["MemoryManagerFeatures-Synth-v0"])
@pytest.mark.parametrize("kwargs", [{}, {"capacity": 6, "top_k": 3}])
def test_manager_features_match_reference(env_id: str, kwargs: dict) -> None:
    env = gym.make(env_id, **kwargs)
    wrapper = env
    while not hasattr(wrapper, "features"):
        wrapper = wrapper.env
    policy = ScriptedPolicy(env)
    obs, _ = env.reset(seed=3)
    _same(obs, ref.manager_features(wrapper))
    checked = 0
    for _ in range(400):
        obs, _, terminated, truncated, _ = env.step(policy.act())
        _same(obs, ref.manager_features(wrapper))
        checked += int(obs["mask"].sum() > 0)
        if terminated or truncated:
            obs, _ = env.reset()
            _same(obs, ref.manager_features(wrapper))
    assert checked > 100  # memories were shown and compared


def test_answer_features_match_reference_and_cache_is_safe() -> None:
    env = gym.make("AnswerAgentFeatures-Synth-v0")
    wrapper = env
    while not hasattr(wrapper, "answer_from"):
        wrapper = wrapper.env
    seen = 0
    for seed in range(40):
        obs, info = env.reset(seed=seed)
        _same(obs, ref.answer_features(wrapper, info.get("shown_scores")))
        obs["memories"][:] = 7.0  # the caller's copy: the cached observation is untouched
        again, _ = env.reset(seed=seed)
        _same(again, ref.answer_features(wrapper, info.get("shown_scores")))
        seen += int(again["mask"].sum())
        env.step(0)
    assert seen > 0


TRICKY_TEXTS = ['quotes " and \\ backslash, tab\t, newline\n, é, 漢字, \x01', "", "plain"]


def test_manager_prompt_json_is_json_dumps() -> None:
    items = [{"id": str(i), "text": t} for i, t in enumerate(TRICKY_TEXTS)]
    compact = json.dumps(items, ensure_ascii=False)
    assert memory_items(compact) == items
    assert json.dumps(items, ensure_ascii=False, indent=1) in manager_prompt("A", "d", "f", items)


@pytest.mark.parametrize("count", [0, 1, 3])
@pytest.mark.parametrize("capacity", [None, (3, 8)])
def test_manager_observation_texts_equal_the_plain_renderings(
    count: int, capacity: tuple[int, int] | None
) -> None:
    entries = [MemoryEntry(f"m{i}", t, "A", "", (), 0, 0) for i, t in enumerate(TRICKY_TEXTS)]
    shown = entries[:count]
    items = [{"id": str(i), "text": m.text} for i, m in enumerate(shown)]
    compact, prompt = manager_observation_texts("A", "1 May 2023", "a fact", shown, capacity)
    assert compact == json.dumps(items, ensure_ascii=False)
    assert prompt == manager_prompt("A", "1 May 2023", "a fact", items, capacity=capacity)


def test_text_manager_observation_unchanged_by_featurized_view() -> None:
    """The featurized view stops the base rendering text; a plain env still renders it."""
    plain = gym.make("MemoryManager-Synth-v0")
    obs, _ = plain.reset(seed=0)
    assert obs["prompt"] and obs["fact"]
    feat = gym.make("MemoryManagerFeatures-Synth-v0")
    feat.reset(seed=0)
    assert feat.unwrapped.render_text is False


def test_normalise_scores_equals_the_numpy_formula() -> None:
    from memenv.wrappers.features import normalise_scores

    rng = np.random.default_rng(0)
    cases = [[], [0.0], [0.0, -1.0], [-2.0, -1.0], [3.0, 3.0]]
    cases += [list(rng.uniform(-1, 5, size=rng.integers(1, 9))) for _ in range(200)]
    for scores in cases:
        expected = np.zeros(5, np.float32)
        if scores:
            values = np.maximum(np.asarray(scores[:5], dtype=np.float64), 0.0)
            top = float(values.max())
            expected[: len(values)] = values / top if top > 0 else 1.0
        assert normalise_scores(scores, 5).tobytes() == expected.tobytes(), scores
