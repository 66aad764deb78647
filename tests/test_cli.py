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
        [sys.executable, "-m", "memenv_app.cli", "demo", "--rl-iterations", "0", "--episodes", "4"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.startswith("memenv demo: what it does")  # the plan comes first
    assert "| add-all |" in out and "| oracle |" in out and "| random |" in out
    assert "RL with the tier-1 model" not in out and "What next:" in out


def test_demo_settings_defaults_come_from_demo_settings():
    from memenv_app.cli import build_parser, demo_settings
    from memenv_app.demo import DemoSettings

    assert demo_settings(build_parser().parse_args(["demo"])) == DemoSettings()
    args = build_parser().parse_args(["demo", "--train-steps", "3", "--episodes", "5"])
    assert demo_settings(args) == DemoSettings(episodes=5, rl_iterations=3)
    args = build_parser().parse_args(["demo", "--threads", "1"])
    assert demo_settings(args) == DemoSettings(threads=1)


def test_demo_rejects_bad_settings(capsys):
    assert main(["demo", "--episodes", "0"]) == 2
    assert "episodes must be in 1..48" in capsys.readouterr().err
    assert main(["demo", "--threads", "-1"]) == 2
    assert "threads must be >= 0" in capsys.readouterr().err


def test_demo_rl_part_reports_before_and_after(tiny_tier1, tmp_path, monkeypatch):
    from memenv_app.demo import DemoSettings, run_rl

    monkeypatch.setenv("MEMENV_CACHE_DIR", str(tmp_path / "cache"))
    settings = DemoSettings(
        episodes=2, rl_iterations=1, groups=1, group_size=2, sft_steps=2, model=str(tiny_tier1)
    )
    lines = run_rl(settings)
    text = "\n".join(lines)
    assert "| initial (SFT on mem0, noise 0.3) |" in text and "| after 1 GRPO iterations |" in text
    assert "Paired difference (after - initial) on the same 2 conversations" in text
