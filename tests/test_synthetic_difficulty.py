"""The synthetic difficulty knobs measured with the frozen extractive reader: following the
ideal operations stays answerable under varied phrasing and distractors, and trivial managers
fall behind once the bank is constrained (experiments.synthetic.difficulty)."""

from __future__ import annotations

import json

import pytest

from experiments.synthetic.difficulty import main, score
from memenv.data.registry import load_conversations

HARD = {"phrasing": "varied", "distractor_facts": 0.3}


@pytest.fixture(scope="module")
def em():
    """Validation EM (percent) per (knobs name, manager, capacity, memories per speaker)."""
    out = {}
    for name, knobs in (("templated", {}), ("varied", {"phrasing": "varied"}), ("hard", HARD)):
        conversations = load_conversations("synth", split="val", synth_kwargs=knobs)
        for manager in ("ideal-ops", "add-all", "mem0"):
            for capacity in (None, 12):
                for k, s in score(conversations, manager, capacity, [30, 3]).items():
                    out[name, manager, capacity, k] = s["em"]
    return out


def test_ideal_operations_stay_answerable_with_varied_phrasing(em):
    templated = em["templated", "ideal-ops", None, 30]
    assert templated > 70
    for name in ("varied", "hard"):
        for capacity in (None, 12):
            assert em[name, "ideal-ops", capacity, 30] >= templated - 3, name


def test_constrained_bank_and_reader_leave_room_for_management(em):
    oracle = em["hard", "ideal-ops", 12, 3]
    assert oracle - em["hard", "add-all", 12, 3] >= 30
    assert oracle - em["hard", "mem0", 12, 3] >= 15
    # on the templates the keyword rules are close to the ideal operations
    assert em["templated", "ideal-ops", 12, 3] - em["templated", "mem0", 12, 3] < 5


def test_difficulty_script_writes_its_table(tmp_path, capsys):
    out = tmp_path / "d.json"
    knobs = json.dumps({"n": 1, **HARD})
    main(
        [
            "--synth-kwargs",
            knobs,
            "--managers",
            "ideal-ops",
            "--capacity",
            "none",
            "4",
            "--memories-per-speaker",
            "2",
            "--json",
            str(out),
        ]
    )
    printed = capsys.readouterr().out
    assert "mem0 operation accuracy" in printed and "| ideal-ops | 4 | 2 |" in printed
    rows = json.loads(out.read_text())["rows"]
    assert [(r["capacity"], r["memories_per_speaker"]) for r in rows] == [(None, 2), (4, 2)]
