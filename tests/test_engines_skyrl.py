"""SkyRL-gym adapter: memenv environments as BaseTextEnv text environments."""

from __future__ import annotations

import pytest

skyrl_gym = pytest.importorskip(
    "skyrl_gym", reason="SkyRL-gym is not installed (pip install -e '.[skyrl]')"
)

from agents.engines.episodes import EpisodeSpec, episode_specs  # noqa: E402
from agents.engines.skyrl import (  # noqa: E402
    ANSWER_ENV,
    MANAGER_ENV,
    AnswerAgentTextEnv,
    MemoryManagerTextEnv,
    answer_rows,
    manager_rows,
    register_skyrl_envs,
)
from memenv.envs import MemoryManagerEnv  # noqa: E402

CONFIG = {"dataset": "synth", "split": "train", "synth_kwargs": {"n": 3, "n_sessions": 2}}
ADD = '{"memory": [{"id": "0", "event": "ADD", "text": "%s"}]}'


def _make(env_id, row, config=CONFIG, **extra):
    register_skyrl_envs()
    extras = {k: v for k, v in row.items() if k not in ("prompt", "env_class")}
    return skyrl_gym.make(env_id, env_config=config, extras={**extras, **extra})


def test_registered_and_a_base_text_env():
    from skyrl_gym.envs.base_text_env import BaseTextEnv

    register_skyrl_envs()
    register_skyrl_envs()  # idempotent
    assert MANAGER_ENV in skyrl_gym.registry and ANSWER_ENV in skyrl_gym.registry
    assert issubclass(MemoryManagerTextEnv, BaseTextEnv)
    assert issubclass(AnswerAgentTextEnv, BaseTextEnv)


def test_manager_episode_rewards_sum_to_the_env_return():
    rows = manager_rows(CONFIG, [EpisodeSpec(1)])
    env = _make(MANAGER_ENV, rows[0])
    prompt, info = env.init(rows[0]["prompt"])
    assert prompt == rows[0]["prompt"] and prompt[0]["role"] == "system"
    total, done, turns, texts = 0.0, False, 0, []
    while not done:
        texts.append(env.episode.env.current_fact.text)  # memories that carry their facts
        out = env.step(ADD % texts[-1])
        total += out["reward"]
        done = out["done"]
        turns += 1
        assert out["observations"] == [] if done else out["observations"][0]["role"] == "user"
    assert turns == info["facts"]

    # The same actions on MemoryManagerEnv directly (terminal reward on) give the same return.
    direct = MemoryManagerEnv(conversations=env.episode.env.conversations, terminal_reward=True)
    direct.reset(options={"conversation": 1})
    expected, done = 0.0, False
    for text in texts:
        _, r, done, _, _ = direct.step(ADD % text)
        expected += r
    assert total == pytest.approx(expected) and total > 0
    assert env.get_metrics()["add"] == turns


def test_max_turns_cuts_the_episode_and_plays_the_rest_as_noop():
    row = manager_rows(CONFIG, [EpisodeSpec(0)])[0]
    env = _make(MANAGER_ENV, row, max_turns=2)
    env.init(row["prompt"])
    assert not env.step("not json at all")["done"]  # invalid: a no-op with the penalty
    last = env.step(ADD % "x")
    assert last["done"] and last["observations"] == []
    metrics = env.get_metrics()
    assert metrics["decisions"] == metrics["window"] and metrics["invalid"] == 1


def test_trajectories_of_one_prompt_share_the_start_state():
    spec = EpisodeSpec(2, start_fact=3, max_facts=2)
    row = manager_rows(CONFIG, [spec])[0]
    first, second = _make(MANAGER_ENV, row), _make(MANAGER_ENV, row)
    assert first.init()[0] == second.init()[0] == row["prompt"]
    first.step(ADD % "changes the banks")
    assert second.episode.env.get_state() != first.episode.env.get_state()
    third = _make(MANAGER_ENV, row)
    third.init()
    assert third.episode.env.get_state() == second.episode.env.get_state()


def test_windows_as_rows():
    env = MemoryManagerEnv(**{k: v for k, v in CONFIG.items()})
    rows = manager_rows(CONFIG, episode_specs(env, window=4))
    assert {r["extra_info"]["start_fact"] for r in rows} >= {0, 4}
    assert all(r["env_class"] == MANAGER_ENV for r in rows)


def test_answer_env_scores_with_the_env():
    config = {**CONFIG, "reward": "f1", "memories_per_speaker": 5}
    rows = answer_rows(config)
    env = _make(ANSWER_ENV, rows[0], config=config)
    prompt, _ = env.init(rows[0]["prompt"])
    assert prompt == rows[0]["prompt"]
    gold = rows[0]["reward_spec"]["ground_truth"]
    out = env.step(f"Relevant: [0]\n**Answer:** {gold}")
    assert out["done"] and out["reward"] == pytest.approx(1.0)
    env.init()
    assert env.step("**Answer:** certainly not that")["reward"] < 1.0


def test_bad_config_and_rows_are_named():
    with pytest.raises(ValueError, match="unknown keys"):
        MemoryManagerTextEnv({**CONFIG, "rewrd": "recall"}, {"extra_info": {"conversation": 0}})
    with pytest.raises(ValueError, match="conversation"):
        MemoryManagerTextEnv(CONFIG, {"extra_info": {}})
    with pytest.raises(ValueError, match="question"):
        AnswerAgentTextEnv(CONFIG, {})
