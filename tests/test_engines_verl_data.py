"""verl dataset builder and reward hook: plain Python, run in the main venv and in .venv-verl."""

from __future__ import annotations

import json

import pytest

pd = pytest.importorskip("pandas", reason="the verl dataset builder needs pandas and pyarrow")
pytest.importorskip("pyarrow", reason="the verl dataset builder needs pandas and pyarrow")

from agents.engines.episodes import EpisodeSpec, ManagerEpisode, SharedStates  # noqa: E402
from agents.engines.verl.common import env_settings, make_manager_env  # noqa: E402
from agents.engines.verl.dataset import build_verl_dataset, main  # noqa: E402
from agents.engines.verl.reward import compute_score  # noqa: E402

SYNTH = {"dataset": "synth", "synth_kwargs": {"n": 3, "n_sessions": 2}}


def test_manager_parquet_rows_follow_the_split(tmp_path):
    paths = build_verl_dataset(tmp_path, SYNTH, agent="manager", window=4)
    assert set(paths) == {"train", "val"}
    train = pd.read_parquet(paths["train"])
    assert set(train.columns) >= {
        "data_source",
        "agent_name",
        "prompt",
        "reward_model",
        "extra_info",
    }
    assert (train["agent_name"] == "memenv_manager").all()
    info = train["extra_info"].iloc[1]
    assert info["split"] == "train" and info["start_fact"] == 4 and info["max_facts"] == 4
    assert list(train["extra_info"].map(lambda i: i["index"])) == list(range(len(train)))
    prompt = list(train["prompt"].iloc[0])
    assert prompt[0]["role"] == "system" and "New facts" in prompt[1]["content"]
    val = pd.read_parquet(paths["val"])
    assert set(val["extra_info"].map(lambda i: i["conversation_id"])).isdisjoint(
        set(train["extra_info"].map(lambda i: i["conversation_id"]))
    )


def test_locomo_rows_use_the_memory_r1_split(tmp_path, locomo_path):
    paths = build_verl_dataset(
        tmp_path, {"dataset": "locomo", "data_path": str(locomo_path)}, agent="manager"
    )
    train, val = (pd.read_parquet(paths[s]) for s in ("train", "val"))
    assert list(train["extra_info"].map(lambda i: i["conversation_id"])) == ["conv-26"]
    assert list(val["extra_info"].map(lambda i: i["conversation_id"])) == ["conv-30"]
    answers = build_verl_dataset(
        tmp_path / "qa", {"dataset": "locomo", "data_path": str(locomo_path)}, agent="answer"
    )
    assert len(pd.read_parquet(answers["train"])) == 152  # conv-26 without category 5
    assert len(pd.read_parquet(answers["val"])) == 81


def test_manager_reward_is_the_env_episode_return():
    settings = env_settings(SYNTH)
    episode = ManagerEpisode(make_manager_env(settings), SharedStates())
    episode.start(EpisodeSpec(0))
    episode.step('{"memory": [{"id": "0", "event": "ADD", "text": "x"}]}')
    total = episode.finish()
    extra = {"split": "train", "memenv_return": total, "memenv_stats": episode.stats()}
    result = compute_score("memenv_manager", "ignored", "", extra)
    assert result["score"] == pytest.approx(total)
    assert result["memenv_add"] == 1.0 and result["memenv_decisions"] == episode.window_size
    with pytest.raises(ValueError, match="memenv_manager agent loop"):
        compute_score("memenv_manager", "text", "", {"split": "train"})
    with pytest.raises(ValueError, match="unknown data_source"):
        compute_score("gsm8k", "text", "", {})


def test_answer_reward_steps_the_answer_env(tmp_path):
    paths = build_verl_dataset(tmp_path, SYNTH, agent="answer", splits=["val"], metric="f1")
    row = pd.read_parquet(paths["val"]).iloc[0]
    info = dict(row["extra_info"])
    gold = row["reward_model"]["ground_truth"]
    assert json.loads(info["env"])["split"] == "val"
    right = compute_score("memenv_answer", f"Relevant: [0]\n**Answer:** {gold}", gold, info)
    assert right["score"] == pytest.approx(1.0) and right["format_ok"] == 1.0
    wrong = compute_score("memenv_answer", "no marker, nothing", gold, info)
    assert wrong["score"] < 1.0
    with pytest.raises(ValueError, match="metric"):
        compute_score("memenv_answer", "x", gold, {**info, "metric": "rouge"})


def test_cli_names_bad_input(tmp_path, capsys):
    assert main(["--out", str(tmp_path), "--synth-kwargs", '{"n": 2}']) == 0
    assert (tmp_path / "train.parquet").is_file()
    with pytest.raises(SystemExit):
        main(["--out", str(tmp_path), "--env", '{"rewrd": 1}'])
    assert "unknown keys ['rewrd']" in capsys.readouterr().err
