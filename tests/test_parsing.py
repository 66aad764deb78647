"""Parsers of raw LLM actions and the UnicodeText space."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from memenv.parsing import ParsedOp, parse_answer_output, parse_manager_action, parse_manager_output
from memenv.spaces import UnicodeText


def test_mem0_json_with_fence_and_prose():
    raw = (
        "Sure! Here are the operations:\n```json\n"
        '{"memory": [{"id": "0", "text": "Likes tea", "event": "NONE"},\n'
        ' {"id": "1", "text": "Lives in Rome", "event": "UPDATE",'
        ' "old_memory": "Lives in Paris"},\n'
        ' {"id": "5", "text": "Has a cat", "event": "ADD"}]}\n```\nDone.'
    )
    ops, error = parse_manager_output(raw)
    assert error == ""
    assert ops == [
        ParsedOp("NOOP", None, "Likes tea"),
        ParsedOp("UPDATE", "1", "Lives in Rome"),
        ParsedOp("ADD", None, "Has a cat"),
    ]


def test_single_quotes_trailing_commas_and_bare_objects():
    ops, error = parse_manager_output("{'memory': [{'id': 2, 'event': 'delete',},],}")
    assert error == "" and ops == [ParsedOp("DELETE", "2", "")]
    ops, error = parse_manager_output('{"event": "ADD", "text": "x"}')
    assert ops == [ParsedOp("ADD", None, "x")]
    ops, error = parse_manager_output('[{"event": "remove", "id": "3"}]')
    assert ops == [ParsedOp("DELETE", "3", "")]


def test_malformed_operations_carry_errors():
    ops, error = parse_manager_output(
        '{"memory": [{"event": "UPDATE", "text": "no id"}, {"event": "ADD"}, {"event": "FLY"}, 3]}'
    )
    assert error == ""
    assert [bool(op.error) for op in ops] == [True, True, True, True]
    assert "without an 'id'" in ops[0].error and "unknown event" in ops[2].error


@pytest.mark.parametrize("raw", ["", "   ", "no json here", "{broken", None, 17, "[1, 2"])
def test_unparseable_outputs(raw):
    ops, error = parse_manager_output(raw)
    assert ops == [] and error


def test_answer_parsing():
    parsed = parse_answer_output("Relevant: [3], [17] and [3]\n**Answer:** 7 May 2023\nextra")
    assert parsed.answer == "7 May 2023"
    assert parsed.selected == (3, 17)
    assert parsed.has_marker
    last = parse_answer_output("**Answer:** wrong\nthinking...\nAnswer: right")
    assert last.answer == "right"
    none = parse_answer_output("I think it was Paris.\nParis")
    assert none.answer == "Paris" and not none.has_marker and none.selected == ()


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_no_string_makes_parsers_raise(raw):
    parse_manager_output(raw)
    parse_answer_output(raw)


@settings(max_examples=100, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(),
        lambda c: st.lists(c) | st.dictionaries(st.text(), c),
        max_leaves=10,
    )
)
def test_no_json_value_makes_manager_parser_raise(value):
    import json

    parse_manager_output(json.dumps({"memory": value}))
    parse_manager_output(json.dumps(value))


def test_unicode_text_space():
    space = UnicodeText(10, seed=0)
    assert space.contains("\u201chi\u201d \U0001f600\u200b")
    assert not space.contains("x" * 11)
    assert not space.contains(b"bytes")
    samples = [space.sample() for _ in range(50)]
    assert all(space.contains(s) for s in samples)
    again = UnicodeText(10, seed=0)
    assert samples == [again.sample() for _ in range(50)]
    assert pickle.loads(pickle.dumps(space)) == space
    with pytest.raises(ValueError, match="max_length"):
        UnicodeText(0)


@pytest.mark.parametrize(
    ("action", "ops", "error"),
    [
        ({"op": "add", "text": "x"}, [ParsedOp("ADD", None, "x")], ""),
        ({"op": np.int64(2), "target": np.int32(1)}, [ParsedOp("DELETE", "1", "")], ""),
        ({"op": "NONE", "target": 4}, [ParsedOp("NOOP", None, "")], ""),
        ("UPDATE 0: y", parse_manager_output("UPDATE 0: y")[0], ""),
        ({"op": "DELETE"}, [], "DELETE needs a target"),
        ({"op": True}, [], "op must be 0..3"),
        ({"op": "MERGE"}, [], "unknown op"),
        ({"op": 0, "text": 3}, [], "text must be a string"),
        ({"target": 1}, [], "needs an 'op'"),
        (3.5, [], "action must be a dict or a string"),
    ],
)
def test_manager_action_dicts_and_replies(action, ops, error):
    got, got_error = parse_manager_action(action)
    assert got == ops
    assert (error in got_error) if error else got_error == ""
