"""Each SB3 algorithm trains briefly on the synthetic featurized env and evaluates (in-process)."""

from __future__ import annotations

import json

import gymnasium as gym
import numpy as np
import pytest

from experiments.sb3.train import ALGOS, main, train_and_evaluate

SMALL = {"synth_kwargs": {"n": 2, "n_sessions": 4}}


@pytest.mark.parametrize("algo", ALGOS)
def test_algorithm_trains_and_evaluates(algo, tmp_path):
    result = train_and_evaluate(
        algo,
        "MemoryManagerFeatures-Synth-v0",
        timesteps=256,
        seed=0,
        eval_episodes=2,
        out=tmp_path,
        env_kwargs=SMALL,
    )
    assert result["algo"] == algo and result["eval_episodes"] == 2
    assert len(result["eval_returns"]) == 2 and np.isfinite(result["eval_mean"])
    saved = json.loads((tmp_path / f"MemoryManagerFeatures-Synth-v0_{algo}_seed0.json").read_text())
    assert saved["eval_mean"] == result["eval_mean"]
    assert (tmp_path / f"MemoryManagerFeatures-Synth-v0_{algo}_seed0.zip").exists()


def test_answer_env_trains_with_dqn():
    result = train_and_evaluate(
        "dqn",
        "AnswerAgentFeatures-Synth-v0",
        timesteps=256,
        seed=0,
        eval_episodes=5,
        env_kwargs={**SMALL, "memories_per_speaker": 5},
    )
    assert 0.0 <= result["eval_mean"] <= 1.0


def test_cli_entry_point(capsys):
    result = main(["--algo", "maskable_ppo", "--timesteps", "256", "--eval-episodes", "1"])
    assert result["timesteps"] == 256
    assert '"eval_mean"' in capsys.readouterr().out


def test_graded_table_covers_only_the_levels_that_ran():
    """A run on one level writes its table (it raised KeyError on the level not run)."""
    import argparse

    from experiments.sb3.graded import command, markdown

    args = argparse.Namespace(
        timesteps=500,
        algos=["ppo"],
        levels=["Medium"],
        seeds=[0, 1, 2],
        train_conversations=None,
        token_features=False,
        warm_start=False,
    )
    results = {
        "command": command(args),
        "timesteps": 500,
        "seconds": 1.0,
        "levels": {"Medium": {"ppo": {"mean": 40.0, "ci": [38.0, 42.0]}}},
    }
    table = markdown(results)
    assert "Hard" not in table and "| ppo | 40.0 | [38.0, 42.0] |" in table
    assert results["command"].endswith("--timesteps 500 --algos ppo --levels Medium")


def test_graded_options_change_the_env_and_the_cell_name():
    from experiments.sb3.graded import cell_name, env_kwargs

    assert env_kwargs(None, False) == {} and cell_name("Medium", "ppo", 0, {}) == "Medium-ppo-s0"
    kwargs = env_kwargs(512, True)
    assert kwargs == {
        "synth_kwargs": {"n": {"train": 512, "val": 16, "test": 48}},
        "token_features": True,
    }
    assert cell_name("Medium", "ppo", 0, kwargs) == "Medium-ppo-s0-train512-tokens"
    env = gym.make("MemoryManagerFeatures-Synth-Medium-v0", split="test", **kwargs)
    assert len(env.unwrapped.conversations) == 48 and "shared" in env.observation_space.spaces


def test_imitation_probe_runs_at_a_tiny_budget():
    """The behaviour-cloning probe: rows of accuracy and outcome, token features included."""
    from experiments.sb3.imitation import markdown, run_row

    row = run_row(2, True, 0, test_conversations=1, steps=20)
    assert row["train_steps"] > 10 and 0.0 <= row["test_accuracy"] <= 1.0
    assert len(row["test_outcomes"]) == 1 and 0.0 <= row["test_outcome"] <= 100.0
    assert "| 2 | default + token_features |" in markdown([row], "cmd")


def test_warm_start_clones_the_rules_into_policy_and_value():
    import torch
    from stable_baselines3.common.monitor import Monitor

    from experiments.sb3.train import build_model, make_env
    from experiments.sb3.warm_start import behaviour_clone

    env = Monitor(
        make_env("MemoryManagerFeatures-Synth-Medium-v0", "train", {"token_features": True})
    )
    model = build_model("maskable_ppo", env, seed=0)
    before = [p.detach().clone() for p in model.policy.parameters()]
    info = behaviour_clone(model, env, seed=0, steps=5, episodes=1)
    assert info["bc_rows"] > 10 and info["bc_steps"] == 5
    after = list(model.policy.parameters())
    assert any(not torch.equal(a, b) for a, b in zip(before, after, strict=True))
    with pytest.raises(ValueError, match="warm_start"):
        train_and_evaluate("ppo", "MemoryManagerFeatures-Synth-v0", 1, warm_start=True)
