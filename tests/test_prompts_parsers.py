"""Prompt builders carry what each role needs; no string makes any output parser raise."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from agents.parsing import parse_facts, parse_judge_label
from agents.prompts import (
    answer_messages_from_observation,
    as_plain_text,
    extraction_messages,
    judge_messages,
    manager_messages,
    manager_messages_from_observation,
)
from memenv.parsing import parse_answer_output, parse_manager_output


def _both(messages) -> tuple[str, str]:
    assert [m["role"] for m in messages] == ["system", "user"]
    return messages[0]["content"], messages[1]["content"]


def test_extraction_prompt():
    messages = extraction_messages(
        "Caroline", "8 May 2023", "I went to a group yesterday", "a rainbow flag", [("Mel", "Hi")]
    )
    system, user = _both(messages)
    assert '{"facts": [' in system and "relative dates" in system
    for part in ("Caroline", "8 May 2023", "I went to a group yesterday", "a rainbow flag", "Mel"):
        assert part in user


def test_manager_prompt_from_observation():
    obs = {
        "fact": "Caroline now lives in Boston",
        "speaker": "Caroline",
        "date": "8 May 2023",
        "memories": json.dumps([{"id": "0", "text": "Lives in Denver"}]),
    }
    system, user = _both(manager_messages_from_observation(obs))
    for event in ("ADD", "UPDATE", "DELETE", "NONE"):
        assert f"- {event}:" in system
    for key in ('"memory"', '"id"', '"text"', '"event"', '"old_memory"'):
        assert key in system
    assert '"id": "0"' in user and "Lives in Denver" in user
    assert "Caroline now lives in Boston" in user and "8 May 2023" in user
    _, user = _both(manager_messages("Ann", "", ["f1", "f2"], []))
    assert "- f1\n- f2" in user and "no memories yet" in user


def test_answer_prompt_from_observation():
    obs = {
        "question": "Where does Caroline live?",
        "question_date": "9 June 2023",
        "speaker_a": "Caroline",
        "speaker_b": "Melanie",
        "memories_a": "[0] (8 May 2023) Lives in Boston",
        "memories_b": "[30] (1 May 2023) Paints",
    }
    system, user = _both(answer_messages_from_observation(obs))
    assert "most recent" in system and "absolute" in system and "six words" in system
    assert "**Answer:**" in system and "Relevant: [4] [12]" in system
    for value in obs.values():
        assert value in user


def test_judge_prompt_and_plain_text():
    messages = judge_messages("When did she go?", "7 May 2023", "May 7th")
    system, user = _both(messages)
    assert "CORRECT" in system and "WRONG" in system and "same day" in system
    assert '{"label": "CORRECT"}' in system
    assert "When did she go?" in user and "7 May 2023" in user and "May 7th" in user
    text = as_plain_text(messages)
    assert text.startswith("System: ") and "User: Question: When did she go?" in text
    assert text.endswith("Assistant:")


def test_parse_facts_shapes():
    assert parse_facts('{"facts": ["A likes jazz", "A has a dog"]}') == [
        "A likes jazz",
        "A has a dog",
    ]
    assert parse_facts('Sure!\n```json\n{"facts": ["x",]}\n```') == ["x"]
    assert parse_facts('["one", {"fact": "two"}, "", "one"]') == ["one", "two"]
    assert parse_facts("{'facts': ['single quotes']}") == ["single quotes"]
    assert parse_facts("- first fact\n- second fact\n") == ["first fact", "second fact"]
    assert parse_facts('{"facts": []}') == []
    assert parse_facts("nothing here") == [] and parse_facts(None) == []


def test_parse_judge_label_shapes():
    assert parse_judge_label('{"label": "CORRECT"}') is True
    assert parse_judge_label('```json\n{"label": "wrong"}\n```') is False
    assert parse_judge_label("{'label': 'Correct'}") is True
    assert parse_judge_label("The answer is incorrect.") is False
    assert parse_judge_label("Reasoning... so the label is CORRECT") is True
    assert parse_judge_label("first looked WRONG but it is CORRECT") is True  # the last word
    assert parse_judge_label('{"label": "maybe"} ... WRONG') is False
    assert parse_judge_label("I cannot tell") is None and parse_judge_label(3) is None


_JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["facts", "label", "memory", "id", "text", "event", "x"]),
            children,
            max_size=4,
        )
    ),
    max_leaves=12,
)
_PIECES = st.sampled_from(
    [
        "```json",
        "```",
        "{",
        "}",
        "[",
        "]",
        ",",
        '"',
        "'",
        "**Answer:**",
        "[3]",
        "CORRECT",
        "wrong",
        "\n",
        "ADD",
        "UPDATE",
        "event",
        ":",
        "facts",
        "label",
        "None",
        "1e999",
        "\\",
    ]
)
_MESSY = st.lists(_PIECES | st.text(max_size=8), max_size=25).map("".join)
_WRAPPED = st.tuples(st.text(max_size=10), _JSONISH.map(json.dumps), st.text(max_size=10)).map(
    lambda t: f"{t[0]}```json\n{t[1]}\n```{t[2]}"
)


def _all_parsers(raw: str) -> None:
    assert isinstance(parse_facts(raw), list)
    assert parse_judge_label(raw) in (True, False, None)
    ops, error = parse_manager_output(raw)
    assert isinstance(ops, list) and isinstance(error, str)
    assert isinstance(parse_answer_output(raw).answer, str)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_parsers_never_raise_on_text(raw):
    _all_parsers(raw)


@settings(max_examples=300, deadline=None)
@given(_MESSY | _WRAPPED | _JSONISH.map(json.dumps))
def test_parsers_never_raise_on_jsonish(raw):
    _all_parsers(raw)
    facts = parse_facts(raw)
    assert all(isinstance(f, str) and f for f in facts)
