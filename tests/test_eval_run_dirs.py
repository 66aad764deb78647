"""`memenv eval` run folders: named from the settings, resumed only when the settings match."""

from __future__ import annotations

import json

import pytest

from memenv_app.cli import main
from memenv_app.evaluation import EvalConfig, run_eval
from memenv_app.evaluation.pipeline import run_dir

SMALL = ["--dataset", "synth", "--split", "val", "--synth-kwargs", '{"n": 1, "n_sessions": 3}']


def test_two_runs_with_other_settings_keep_both(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["eval", *SMALL, "--no-progress", "--cache-dir", str(tmp_path / "c")]) == 0
    first = capsys.readouterr().out
    argv = ["eval", *SMALL, "--manager", "mem0", "--no-progress", "--cache-dir", str(tmp_path)]
    assert main(argv) == 0
    second = capsys.readouterr().out
    runs = sorted(p.name for p in (tmp_path / "runs" / "eval").iterdir())
    assert len(runs) == 2 and runs[0].startswith("synth-val-add-all-")
    assert runs[1].startswith("synth-val-mem0-")
    for run, printed in zip(runs, (first, second), strict=True):
        folder = tmp_path / "runs" / "eval" / run
        assert json.loads((folder / "results.json").read_text())["config"]["manager"] in run
        assert f"results: runs/eval/{run}/results.json" in printed


def test_a_folder_of_other_settings_is_refused_unless_fresh(tmp_path, capsys):
    base = {"dataset": "synth", "split": "val", "synth_kwargs": {"n": 1, "n_sessions": 3}}
    out = str(tmp_path / "run")
    run_eval(EvalConfig(**base, out=out, progress=False, cache_dir=str(tmp_path / "c")))
    other = EvalConfig(**base, out=out, manager="mem0", progress=False)
    with pytest.raises(ValueError, match="other settings .*manager.* --fresh"):
        run_eval(other)
    other.fresh = True
    assert run_eval(other)["config"]["manager"] == "mem0"


def test_resume_is_announced(tmp_path, capsys):
    config = EvalConfig(
        dataset="synth", split="val", synth_kwargs={"n": 1, "n_sessions": 3}, out=str(tmp_path)
    )
    first = run_eval(config)
    capsys.readouterr()
    again = run_eval(config)
    err = capsys.readouterr().err
    n = first["summary"]["overall"]["n"]
    assert f"resuming {n} answered questions from {tmp_path / 'partial.jsonl'}" in err
    assert again["summary"] == first["summary"]
    assert run_dir(EvalConfig()) != run_dir(EvalConfig(manager="mem0"))
