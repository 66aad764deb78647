"""Reward shaping and the training tasks (rows and environment-based scoring), no model."""

from __future__ import annotations

import json

import pytest

from agents.prompts import answer_messages_from_memories
from agents.train.config import RewardConfig, load_config
from agents.train.rewards import answer_words, length_bonus, shaped_answer_reward
from agents.train.tasks import AnswerTask, ManagerTask, make_task

GARBAGE = "qwzx blorf"


# ---------------------------------------------------------------------- reward shaping
def test_length_bonus():
    assert length_bonus("", 6) == 0.0
    assert length_bonus("   ", 6) == 0.0
    assert length_bonus("Paris", 6) == 1.0
    assert length_bonus("one two three four five six", 6) == 1.0
    assert length_bonus("one two three four five six seven", 6) == 0.0
    assert length_bonus("a b", 1) == 0.0
    assert answer_words("  a  b\tc\n") == 3


def test_shaped_reward_combines_the_weighted_terms():
    config = RewardConfig(
        metric="em",
        outcome_weight=2.0,
        f1_weight=0.5,
        format_weight=0.2,
        length_weight=0.1,
        max_answer_words=3,
    )
    scores = {"em": 0.0, "f1": 0.5, "bleu1": 0.25}
    parts = shaped_answer_reward(scores, "two words", True, config)
    assert parts["outcome"] == 0.0
    assert parts["em"] == 0.0 and parts["f1"] == 0.5
    assert parts["format"] == 1.0 and parts["length"] == 1.0 and parts["words"] == 2.0
    assert parts["reward"] == pytest.approx(2.0 * 0.0 + 0.5 * 0.5 + 0.2 * 1.0 + 0.1 * 1.0)

    # Too long an answer and no marker: only the F1 term is left.
    parts = shaped_answer_reward(scores, "one two three four", False, config)
    assert parts["format"] == 0.0 and parts["length"] == 0.0
    assert parts["reward"] == pytest.approx(0.25)

    # A correct answer.
    parts = shaped_answer_reward({"em": 1.0, "f1": 1.0, "bleu1": 1.0}, "Paris", True, config)
    assert parts["reward"] == pytest.approx(2.0 + 0.5 + 0.2 + 0.1)


@pytest.mark.parametrize(("metric", "outcome"), [("em", 1.0), ("f1", 0.6), ("bleu1", 0.4)])
def test_outcome_is_the_configured_metric(metric, outcome):
    config = RewardConfig(metric=metric, format_weight=0.0, length_weight=0.0, f1_weight=0.0)
    scores = {"em": 1.0, "f1": 0.6, "bleu1": 0.4}
    parts = shaped_answer_reward(scores, "x", False, config)
    assert parts["outcome"] == pytest.approx(outcome)
    assert parts["reward"] == pytest.approx(outcome)


def test_default_reward_is_the_outcome_alone():
    parts = shaped_answer_reward({"em": 1.0, "f1": 1.0}, "Paris", True, RewardConfig())
    assert parts["reward"] == 1.0
    parts = shaped_answer_reward({"em": 0.0, "f1": 0.9}, "Paris", True, RewardConfig())
    assert parts["reward"] == 0.0


def test_judge_metric_needs_a_verdict():
    config = RewardConfig(metric="judge", judge="tiny", f1_weight=1.0)
    scores = {"em": 0.0, "f1": 0.5}
    with pytest.raises(ValueError, match="verdict"):
        shaped_answer_reward(scores, "x", True, config)
    right = shaped_answer_reward(scores, "x", True, config, judge_correct=True)
    wrong = shaped_answer_reward(scores, "x", True, config, judge_correct=False)
    assert right["outcome"] == 1.0 and wrong["outcome"] == 0.0
    assert right["reward"] == pytest.approx(1.5) and wrong["reward"] == pytest.approx(0.5)


# ---------------------------------------------------------------------- answer task
@pytest.fixture(scope="module")
def answer_task() -> AnswerTask:
    config = load_config(
        preset="cpu-tiny", overrides=["data.max_train_rows=6", "data.max_val_rows=4"]
    )
    task = make_task(config)
    assert isinstance(task, AnswerTask)
    return task


def test_a_task_builds_only_the_parts_asked_for(answer_task):
    config = load_config(
        preset="cpu-tiny", overrides=["data.max_train_rows=6", "data.max_val_rows=4"]
    )
    val_only = make_task(config, parts=("val",))
    assert val_only.train_rows == [] and set(val_only.envs) == {"val"}
    assert [r.row_id for r in val_only.val_rows] == [r.row_id for r in answer_task.val_rows]
    assert [r.prompt for r in val_only.val_rows] == [r.prompt for r in answer_task.val_rows]
    with pytest.raises(ValueError, match=r"unknown task parts \['test'\]"):
        make_task(config, parts=("test",))


def test_answer_rows_are_capped_chat_prompts(answer_task):
    assert len(answer_task.train_rows) == 6
    assert len(answer_task.val_rows) == 4
    for row in answer_task.train_rows + answer_task.val_rows:
        assert [m["role"] for m in row.prompt] == ["system", "user"]
        assert all(isinstance(m["content"], str) and m["content"] for m in row.prompt)
        assert "Question:" in row.prompt[-1]["content"]
        assert row.qa_id and row.conversation_id and row.state is None
        assert row.teacher and "**Answer:**" in row.teacher
        assert row.teacher.startswith("Relevant:")  # memory distillation is on by default
    assert {r.split for r in answer_task.train_rows} == {"train"}
    assert {r.split for r in answer_task.val_rows} == {"val"}


def test_answer_row_ids_are_unique_and_looked_up(answer_task):
    rows = answer_task.train_rows + answer_task.val_rows
    ids = [r.row_id for r in rows]
    assert len(set(ids)) == len(ids)
    for row in rows:
        assert answer_task.row(row.row_id) is row
    with pytest.raises(KeyError, match="nope"):
        answer_task.row("nope")


def test_answer_teacher_scores_full_marks_and_garbage_none(answer_task):
    rows = answer_task.train_rows + answer_task.val_rows
    teacher = answer_task.score(rows, [answer_task.teacher(r) for r in rows])
    garbage = answer_task.score(rows, [GARBAGE] * len(rows))
    for good, bad in zip(teacher, garbage, strict=True):
        assert good["em"] == 1.0 and good["f1"] == 1.0 and good["format"] == 1.0
        assert bad["em"] == 0.0 and bad["f1"] == 0.0 and bad["format"] == 0.0
        assert good["reward"] > bad["reward"]
    summary = answer_task.summary(teacher)
    assert summary["em"] == 1.0 and summary["format"] == 1.0


def test_answer_scoring_is_order_independent(answer_task):
    rows = answer_task.train_rows[:3]
    texts = [answer_task.teacher(rows[0]), GARBAGE, answer_task.teacher(rows[2])]
    forward = answer_task.score(rows, texts)
    backward = answer_task.score(rows[::-1], texts[::-1])[::-1]
    assert forward == backward


def test_answer_prompt_is_the_eval_prompt():
    """Training prompts are the ones ``memenv eval --answerer llm`` sends (all synth rows)."""
    config = load_config(
        preset="cpu-tiny", overrides=["data.max_train_rows=null", "data.max_val_rows=null"]
    )
    task = make_task(config)
    assert len(task.train_rows) > 50
    for row in task.train_rows + task.val_rows:
        env = task.envs[row.split]
        obs, _ = env.reset(options={"question": row.meta["env_index"]})
        expected = answer_messages_from_memories(obs["question"], obs["question_date"], env.shown)
        assert row.prompt == expected, row.row_id


def test_answer_rows_without_distillation():
    config = load_config(
        preset="cpu-tiny",
        overrides=["data.max_train_rows=3", "data.max_val_rows=1", "data.distillation=false"],
    )
    task = make_task(config)
    for row in task.train_rows:
        assert row.teacher.startswith("**Answer:**")
        assert "Relevant" not in row.prompt[-1]["content"]
    parts = task.score(task.train_rows, [task.teacher(r) for r in task.train_rows])
    assert all(p["em"] == 1.0 for p in parts)


def test_logged_teacher(tmp_path, answer_task):
    row = answer_task.train_rows[0]
    path = tmp_path / "logged.jsonl"
    path.write_text(json.dumps({"row_id": row.row_id, "completion": "**Answer:** x"}) + "\n")
    config = load_config(
        preset="cpu-tiny",
        overrides=["data.max_train_rows=6", "data.max_val_rows=4", f"sft.teacher=logged:{path}"],
    )
    task = make_task(config)
    assert task.teacher(task.row(row.row_id)) == "**Answer:** x"
    assert task.teacher(task.train_rows[1]) is None


# ---------------------------------------------------------------------- manager task
def manager_config(metric: str = "recall", *extra: str):
    return load_config(
        preset="cpu-tiny",
        overrides=[
            "data.agent=manager",
            f"reward.metric={metric}",
            "sft.teacher=ideal",
            "data.max_train_rows=12",
            "data.max_val_rows=6",
            *extra,
        ],
    )


@pytest.fixture(scope="module", params=["recall", "em"])
def manager_task(request) -> ManagerTask:
    task = make_task(manager_config(request.param))
    assert isinstance(task, ManagerTask)
    return task


def noop_text(task: ManagerTask, row) -> str:
    """A valid output that changes nothing: every shown memory with event NONE."""
    env = task.envs[row.split]
    env.set_state(row.state)
    items = [{"id": str(i), "text": m.text, "event": "NONE"} for i, m in enumerate(env.shown)]
    return json.dumps({"memory": items})


def bank_entries(env) -> dict:
    return {s: dict(b.snapshot().entries) for s, b in env.banks.items()}


def state_entries(state) -> dict:
    return {s: dict(snap.entries) for s, snap in state.banks.items()}


def changing_rows(task: ManagerTask):
    """Rows whose teacher output changes the banks (ADD, UPDATE or DELETE)."""
    rows = [r for r in task.train_rows + task.val_rows if r.meta["ideal_op"] != "NOOP"]
    assert rows
    return rows


def test_manager_rows(manager_task):
    rows = manager_task.train_rows + manager_task.val_rows
    assert len(manager_task.train_rows) == 12 and len(manager_task.val_rows) == 6
    assert len({r.row_id for r in rows}) == len(rows)
    for row in rows:
        assert manager_task.row(row.row_id) is row
        assert [m["role"] for m in row.prompt] == ["system", "user"]
        assert row.meta["fact"] in row.prompt[-1]["content"]
        assert row.meta["linked"]  # manager_linked_only is on
        assert row.state is not None and row.state.fact_index >= 0
        assert row.teacher is not None
        json.loads(row.teacher)


def test_manager_group_from_one_state(manager_task):
    """[x, y, x] for one row: both x get the same result though y changes the banks."""
    ops_seen = set()
    for row in changing_rows(manager_task):
        x, y = noop_text(manager_task, row), manager_task.teacher(row)
        env = manager_task.envs[row.split]
        for a, b in ((x, y), (y, x)):
            parts = manager_task.score([row, row, row], [a, b, a])
            assert parts[0] == parts[2], row.row_id
            env.set_state(row.state)
            assert bank_entries(env) == state_entries(row.state)
        changed = manager_task.score([row], [y])[0]
        ops_seen |= {k for k in ("add", "update", "delete") if changed[k]}
        # y really changed the banks (so the rule is exercised), and set_state undid it.
        assert bank_entries(env) != state_entries(row.state)
        env.set_state(row.state)
        assert bank_entries(env) == state_entries(row.state)
        assert env.fact_index == row.state.fact_index
    assert "delete" in ops_seen or "add" in ops_seen


def test_manager_rule_matters(manager_task):
    """Without ``set_state`` before each step the same output can score differently."""
    differs = 0
    for row in changing_rows(manager_task):
        env = manager_task.envs[row.split]
        x = manager_task.teacher(row)
        env.set_state(row.state)
        first = env.step(x)
        if first[2]:  # last fact of the conversation: no second step possible
            continue
        second = env.step(x)  # naive: the banks (and position) moved on
        differs += (first[1], first[4]["applied_ops"]) != (second[1], second[4]["applied_ops"])
        # With the rule, repeated scoring is identical.
        a, b = manager_task.score([row, row], [x, x])
        assert a == b
    assert differs > 0


def test_manager_unreadable_output_gets_the_penalty(manager_task):
    penalty = manager_task.config.reward.invalid_penalty
    assert penalty > 0
    for row in manager_task.train_rows[:6]:
        noop, bad, empty = manager_task.score(
            [row, row, row], [noop_text(manager_task, row), "this is not JSON at all", ""]
        )
        assert noop["invalid"] == 0.0 and noop["noop"] == 1.0
        for parts in (bad, empty):
            assert parts["invalid"] == 1.0 and parts["noop"] == 1.0
            assert parts["reward"] == pytest.approx(noop["reward"] - penalty)


def test_manager_teacher_matches_the_ideal_operations(manager_task):
    rows = manager_task.train_rows + manager_task.val_rows
    parts = manager_task.score(rows, [manager_task.teacher(r) for r in rows])
    assert all(p["invalid"] == 0.0 for p in parts)
    match = sum(p["ideal_match"] for p in parts) / len(parts)
    assert match >= 0.75, match
    garbage = manager_task.score(rows, [GARBAGE] * len(rows))
    assert all(p["ideal_match"] == 0.0 for p in garbage)
    if manager_task.config.reward.metric == "recall":
        assert manager_task.summary(parts)["reward"] > manager_task.summary(garbage)["reward"]


def test_manager_baseline_teacher_replays_the_bank_manager():
    task = make_task(manager_config("recall", "sft.teacher=baseline"))
    rows = task.train_rows + task.val_rows
    parts = task.score(rows, [task.teacher(r) for r in rows])
    # add-all builds the banks: its teacher outputs are valid ADDs.
    assert all(p["add"] == 1.0 and p["invalid"] == 0.0 for p in parts)


def test_manager_operation_parts_ignore_untouched_memories():
    """NONE items of a full memory list are not operations: a no-op output counts as no-op and
    matches only an ideal NOOP; a change never matches an ideal NOOP."""
    task = make_task(
        manager_config("recall", "data.manager_linked_only=false", "data.max_train_rows=null")
    )
    rows = task.train_rows + task.val_rows
    ideal_noop = [r for r in rows if r.meta["ideal_op"] == "NOOP"]
    other = [r for r in rows if r.meta["ideal_op"] not in ("NOOP", None)]
    assert ideal_noop and other
    for row in ideal_noop + other:
        noop = task.score([row], [noop_text(task, row)])[0]
        assert noop["noop"] == 1.0 and noop["add"] == noop["update"] == noop["delete"] == 0.0
        assert noop["ideal_match"] == float(row.meta["ideal_op"] == "NOOP")
    for row in ideal_noop:
        env = task.envs[row.split]
        env.set_state(row.state)
        items = [{"id": str(i), "text": m.text, "event": "NONE"} for i, m in enumerate(env.shown)]
        items.append({"id": str(len(items)), "text": row.meta["fact"], "event": "ADD"})
        added = task.score([row], [json.dumps({"memory": items})])[0]
        assert added["add"] == 1.0 and added["noop"] == 0.0
        assert added["ideal_match"] == 0.0
