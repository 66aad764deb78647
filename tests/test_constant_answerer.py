"""The memory-blind constant answerer and its use as an answer-task reference."""

from __future__ import annotations

import pytest

from memenv.answerers import ConstantAnswerer, make_answerer
from memenv.memory import MemoryEntry


def test_constant_answerers_ignore_question_and_memories() -> None:
    memory = MemoryEntry("m0", "Caroline moved to Paris in 2021", "A", "", (), 0, 0)
    for name, text in (("constant-yes", "Yes"), ("constant-no", "No")):
        reader = make_answerer(name)
        assert reader.answer("Where did Caroline move?", "", [memory, None]) == (text, [])
        assert reader.answer("", "", []) == (text, [])
        assert reader.name == name


@pytest.mark.parametrize("bad", ["", "   ", None, 3])
def test_constant_answerer_rejects_an_empty_text(bad) -> None:
    with pytest.raises(ValueError, match="non-empty string"):
        ConstantAnswerer(bad)


def test_constant_reference_on_the_answer_task() -> None:
    """rl-bench scores it like any reference; on the synthetic answer task some yes/no
    questions make it right, most others wrong."""
    from agents.rl.tasks import get_task
    from memenv_app.rl_bench import reference_scores

    task = get_task("answer")
    keys = list(range(120))
    refs = reference_scores(task, keys, ["constant-yes", "constant-no"])
    for name in ("constant-yes", "constant-no"):
        scores = refs[name]
        assert len(scores) == len(keys) and all(0.0 <= s <= 1.0 for s in scores)
        assert 0 < sum(scores) < len(keys) / 2
