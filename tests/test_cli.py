"""The memenv console script."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from memenv_app.cli import main
from tests.env_cases import LOCOMO_FILE


@pytest.mark.skipif(not LOCOMO_FILE.exists(), reason="LoCoMo file not in ../shared")
def test_data_stats_json(capsys):
    assert main(["data", "stats", "--dataset", "locomo", "--path", str(LOCOMO_FILE), "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["conversations"] == 2
    assert stats["sessions"] == 38
    assert stats["turns"] == 788
    assert stats["questions"] == 304
    assert stats["splits"]["train"] == 152 and stats["splits"]["val"] == 81


@pytest.mark.skipif(not LOCOMO_FILE.exists(), reason="LoCoMo file not in ../shared")
def test_data_stats_table(capsys):
    assert main(["data", "stats", "--dataset", "locomo", "--path", str(LOCOMO_FILE)]) == 0
    out = capsys.readouterr().out
    assert "788" in out and "304" in out


def test_missing_file_is_a_clear_error(tmp_path, capsys):
    missing = tmp_path / "nope.json"
    assert main(["data", "stats", "--dataset", "locomo", "--path", str(missing)]) == 2
    err = capsys.readouterr().err
    assert "nope.json" in err


def test_malformed_file_is_a_clear_error(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text('[{"sample_id": "x"}]')
    assert main(["data", "stats", "--dataset", "locomo", "--path", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.json" in err and "conversation" in err


def test_demo_prints_a_results_table():
    out = subprocess.run(
        [sys.executable, "-m", "memenv_app.cli", "demo", "--train-steps", "0"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "| add-all |" in out and "| oracle |" in out and "| random |" in out
    assert "GRPO demo" not in out


def test_grpo_demo_reports_before_and_after(tmp_path):
    from agents.train.demo import run_grpo_demo

    text = run_grpo_demo(steps=2, out_dir=str(tmp_path / "demo"))
    assert "| before (untrained) |" in text and "| after GRPO |" in text
    assert (tmp_path / "demo" / "final" / "config.json").is_file()
    assert (tmp_path / "demo" / "log.jsonl").is_file()
