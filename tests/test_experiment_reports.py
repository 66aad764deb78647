"""The experiment report scripts: paired differences, intervals and missing-row errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from experiments.answer_agent import report as answer_report
from experiments.manager import report as manager_report


def _write(path, rows):
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")


def _answer_rows(f1s, ems):
    return [
        {"row_id": f"q{i}", "f1": f, "em": e, "format": 1.0, "words": 2.0}
        for i, (f, e) in enumerate(zip(f1s, ems, strict=True))
    ]


def test_bootstrap_interval_brackets_the_mean_and_is_deterministic():
    values = np.random.default_rng(0).random(50)
    low, high = answer_report.bootstrap(values)
    assert low < values.mean() < high
    assert answer_report.bootstrap(values) == (low, high)
    assert answer_report.bootstrap(np.ones(10)) == (1.0, 1.0)


def test_answer_report_paired_differences_to_base_and_sft(tmp_path):
    _write(tmp_path / "base_val.jsonl", _answer_rows([0.0, 0.0, 0.5, 0.5], [0, 0, 0, 0]))
    _write(tmp_path / "sft_val.jsonl", _answer_rows([0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1]))
    _write(tmp_path / "grpo_val.jsonl", _answer_rows([1.0, 0.5, 0.5, 0.5], [1, 1, 0, 1]))
    table = answer_report.summarise(tmp_path, "val")
    assert list(table) == ["base", "sft", "grpo"]
    assert table["sft"]["f1_diff"] == pytest.approx(0.25)
    assert "f1_vs_sft" not in table["sft"] and "f1_diff" not in table["base"]
    assert table["grpo"]["f1_vs_sft"] == pytest.approx(0.125)
    assert table["grpo"]["em_vs_sft"] == pytest.approx(0.25)
    text = answer_report.markdown(table, "val")
    assert "| GRPO (from SFT), seed 0 | 62.5 [" in text and "+12.5 [" in text
    assert "4 questions" in text


def test_answer_report_errors_name_the_problem(tmp_path):
    with pytest.raises(FileNotFoundError, match="base_val.jsonl"):
        answer_report.summarise(tmp_path, "val")
    _write(tmp_path / "base_val.jsonl", _answer_rows([0.0, 0.5], [0, 0]))
    _write(tmp_path / "ppo_val.jsonl", _answer_rows([0.0], [0]))
    with pytest.raises(ValueError, match=r"ppo_val.jsonl: 1 questions missing \(e.g. q1\)"):
        answer_report.summarise(tmp_path, "val")


def test_manager_report_reads_every_method_present(tmp_path):
    rows = [
        {"row_id": "f0", "reward": 1.0, "ideal_match": 1.0, "invalid": 0.0, "add": 1.0},
        {"row_id": "f1", "reward": 0.0, "ideal_match": 0.0, "invalid": 1.0, "noop": 1.0},
    ]
    for row in rows:
        for key in manager_report.METRICS:
            row.setdefault(key, 0.0)
    _write(tmp_path / "add_all_val.jsonl", rows)
    _write(tmp_path / "grpo_val.jsonl", rows)
    table = manager_report.summarise(tmp_path)
    assert set(table) == {"add_all", "grpo"}
    assert table["grpo"]["reward"] == pytest.approx(0.5)
    assert "GRPO (from SFT)" in manager_report.markdown(table)
    _write(tmp_path / "sft_val.jsonl", rows[:1])
    with pytest.raises(ValueError, match=r"sft_val.jsonl: 1 facts missing \(e.g. f1\)"):
        manager_report.summarise(tmp_path)
