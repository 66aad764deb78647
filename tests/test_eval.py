"""``memenv eval``: results files, bank cache, resume, --compare and errors."""

from __future__ import annotations

import json

import pytest

from memenv_app.cli import main
from memenv_app.evaluation import EvalConfig, run_eval
from memenv_app.evaluation.pipeline import bank_cache_key
from tests.env_cases import LOCOMO_FILE

SYNTH = {"n": 1}


def config(tmp_path, name: str = "run", **kw) -> EvalConfig:
    base = dict(
        dataset="synth",
        split="val",
        manager="add-all",
        answerer="extractive",
        out=str(tmp_path / name),
        synth_kwargs=SYNTH,
        cache_dir=str(tmp_path / "cache"),
        progress=False,
    )
    base.update(kw)
    return EvalConfig(**base)


def test_results_files_have_the_right_counts_and_keys(tmp_path):
    results = run_eval(config(tmp_path))
    saved = json.loads((tmp_path / "run" / "results.json").read_text())
    assert saved["summary"] == results["summary"]
    rows = saved["questions"]
    overall = saved["summary"]["overall"]
    assert overall["n"] == len(rows) > 0
    assert sum(b["n"] for b in saved["summary"]["by_category"].values()) == len(rows)
    assert set(saved["summary"]["by_category"]) <= {"1", "2", "3", "4"}
    for key in ("f1", "f1_mem0", "bleu1", "em", "evidence_recall"):
        assert 0.0 <= overall[key] <= 100.0
    row = rows[0]
    for key in (
        "id",
        "conversation",
        "category",
        "question",
        "gold",
        "prediction",
        "selected",
        "selected_memory_ids",
        "f1",
        "f1_mem0",
        "bleu1",
        "em",
        "evidence_recall",
    ):
        assert key in row
    assert len({r["id"] for r in rows}) == len(rows)
    for key in ("bank_building", "retrieval", "answering", "total"):
        assert saved["timings"][key] >= 0
    assert set(saved["versions"]) == {"memenv", "numpy", "gymnasium", "python"}
    assert saved["config"]["manager"] == "add-all"
    md = (tmp_path / "run" / "results.md").read_text()
    assert "1 single-hop / LoCoMo multi-hop F1" in md and "overall B1" in md
    assert " J" not in md.split("\n")[2]  # no judge, no J column


def test_second_run_hits_the_bank_cache(tmp_path):
    first = run_eval(config(tmp_path, "a"))
    second = run_eval(config(tmp_path, "b"))
    assert first["timings"]["cache_hit"] is False
    assert second["timings"]["cache_hit"] is True
    assert second["timings"]["bank_building"] == 0.0
    assert second["summary"] == first["summary"]
    assert len(list((tmp_path / "cache").glob("*.json"))) == 1
    # The key changes with the manager and the data.
    from memenv.data.registry import load_conversations

    convs = load_conversations("synth", split="val", synth_kwargs=SYNTH)
    keys = {
        bank_cache_key(config(tmp_path, manager=m, synth_kwargs=kw), convs)
        for m in ("add-all", "oracle")
        for kw in (SYNTH, {"n": 1, "seed": 3})
    }
    assert len(keys) == 4


def test_interrupted_run_resumes_without_answering_twice(tmp_path):
    full = run_eval(config(tmp_path, "full"))
    n = full["summary"]["overall"]["n"]
    seen: list[str] = []

    def stop_midway(row):
        seen.append(row["id"])
        if len(seen) == n // 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_eval(config(tmp_path, "resumed"), on_row=stop_midway)
    assert not (tmp_path / "resumed" / "results.json").exists()
    resumed = run_eval(config(tmp_path, "resumed"), on_row=lambda row: seen.append(row["id"]))
    assert len(seen) == len(set(seen)) == n  # every question answered exactly once
    assert resumed["timings"]["resumed_questions"] == n // 2
    assert resumed["summary"] == full["summary"]
    lines = (tmp_path / "resumed" / "partial.jsonl").read_text().splitlines()
    assert len(lines) == n


def test_limit_and_cli_compare_writes_a_png(tmp_path, capsys):
    for name, manager in (("a", "add-all"), ("b", "oracle")):
        code = main(
            [
                "eval",
                "--dataset",
                "synth",
                "--split",
                "val",
                "--manager",
                manager,
                "--synth-kwargs",
                '{"n": 1}',
                "--limit",
                "5",
                "--out",
                str(tmp_path / name),
                "--cache-dir",
                str(tmp_path / "cache"),
                "--no-progress",
            ]
        )
        assert code == 0
    assert json.loads((tmp_path / "a" / "results.json").read_text())["summary"]["overall"]["n"] == 5
    capsys.readouterr()
    png = tmp_path / "cmp.png"
    assert (
        main(["eval", "--compare", str(tmp_path / "a"), str(tmp_path / "b"), "--plot", str(png)])
        == 0
    )
    out = capsys.readouterr().out
    assert "a (add-all + extractive)" in out and "b (oracle + extractive)" in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--manager", "nope"], "unknown manager 'nope'"),
        (["--answerer", "nope"], "unknown answerer 'nope'"),
        (["--dataset", "locomo", "--data-path", "/nonexistent/x.json"], "x.json"),
        (["--synth-kwargs", "{bad"], "--synth-kwargs"),
        (["--no-distill"], "--no-distill applies to --answerer llm, not 'extractive'"),
    ],
)
def test_errors_exit_2_with_a_clear_message(tmp_path, capsys, args, message):
    base = [
        "eval",
        "--out",
        str(tmp_path / "r"),
        "--cache-dir",
        str(tmp_path / "c"),
        "--no-progress",
    ]
    assert main(base + args) == 2
    assert message in capsys.readouterr().err


def test_compare_of_a_missing_run_is_an_error(tmp_path, capsys):
    assert main(["eval", "--compare", str(tmp_path / "missing")]) == 2
    assert "results.json" in capsys.readouterr().err


@pytest.mark.skipif(not LOCOMO_FILE.exists(), reason="LoCoMo file not in ../shared")
def test_oracle_needs_ideal_ops(tmp_path, capsys):
    args = [
        "eval",
        "--dataset",
        "locomo",
        "--data-path",
        str(LOCOMO_FILE),
        "--split",
        "val",
        "--manager",
        "oracle",
        "--out",
        str(tmp_path / "r"),
        "--no-progress",
    ]
    assert main(args) == 2
    assert "ideal operations" in capsys.readouterr().err


@pytest.mark.parametrize("manager", ["a-mem", "memoryos"])
def test_cache_keeps_the_side_state_that_retrieval_needs(tmp_path, manager):
    from baselines import MANAGERS

    if manager not in MANAGERS:
        pytest.skip(f"{manager} is not registered")
    first = run_eval(config(tmp_path, "a", manager=manager))
    second = run_eval(config(tmp_path, "b", manager=manager))
    assert second["timings"]["cache_hit"] is True

    def answers(results):
        return [(q["prediction"], q["selected_memory_ids"]) for q in results["questions"]]

    assert answers(second) == answers(first)
    # The restored retrieve_fn reads the restored state, not a fresh empty one.
    from baselines import make_memory_system
    from memenv.data.registry import load_conversations
    from memenv_app.evaluation.pipeline import load_or_build_banks

    convs = load_conversations("synth", split="val", synth_kwargs=SYNTH)
    system, _, hit, _ = load_or_build_banks(
        config(tmp_path, manager=manager), make_memory_system(manager), convs
    )
    assert hit
    state = system.extra["state"]
    bound = getattr(system.retrieve_fn, "args", ())
    assert any(a is state or a is system.extra for a in bound)
    assert state.records
