"""The LoCoMo loader: every known quirk on small hand-made items, and the real file if present."""

from __future__ import annotations

import copy
import json
from collections import Counter
from datetime import datetime

import pytest

from memenv.data.errors import DataFormatError, DatasetUnavailableError
from memenv.data.locomo import (
    evidence_report,
    load_locomo,
    parse_evidence,
    parse_locomo_datetime,
    parse_locomo_item,
)


def turn(dia_id: str, speaker: str, text: str, **extra) -> dict:
    return {"speaker": speaker, "dia_id": dia_id, "text": text, **extra}


def make_item() -> dict:
    """A LoCoMo-shaped item with three sessions (1, 2, 10) and one quirk of every kind."""
    return {
        "sample_id": "conv-x",
        "conversation": {
            "speaker_a": "Ann",
            "speaker_b": "Bob",
            "session_1_date_time": "1:56 pm on 8 May, 2023",
            "session_1": [
                turn("D1:1", "Ann", "Hi Bob \u2014 long time! \U0001f31f"),
                turn(
                    "D1:2",
                    "Bob",
                    "Look at\u200b this \u201cphoto\u201d.",
                    img_url=["https://example.org/a.jpg"],
                    blip_caption="a photo of a dog",
                    query="dog park",
                    **{"re-download": True},
                ),
                turn("D1:3", "Ann", "Cute!", img_url="https://example.org/b.jpg"),
            ],
            "session_10_date_time": "9:55 am on 22 October, 2023",
            "session_10": [turn("D10:1", "Bob", "Session ten."), turn("D10:2", "Ann", "Yes.")],
            "session_2_date_time": "12:19 am on 4 January, 2024",
            "session_2": [turn("D2:1", "Ann", "I moved."), turn("D2:2", "Bob", "Where?")],
            # A date without turns (conv-26 has such keys for sessions 20-35).
            "session_11_date_time": "1:00 pm on 1 May, 2024",
        },
        "qa": [
            {"question": "Q0?", "answer": "Paris", "evidence": ["D1:1"], "category": 1},
            {"question": "Year?", "answer": 2022, "evidence": ["D2:1"], "category": 2},
            {"question": "Q2?", "answer": "x", "evidence": ["D1:2; D2:2"], "category": 4},
            {"question": "Q3?", "answer": "x", "evidence": ["D2:1 D1:1 D1:3"], "category": 3},
            {"question": "Q4?", "answer": "x", "evidence": ["D"], "category": 4},
            {"question": "Q5?", "answer": "x", "evidence": ["D:10:2"], "category": 4},
            {"question": "Q6?", "answer": "x", "evidence": ["D7:3", "D1:3"], "category": 4},
            {"question": "Adv?", "adversarial_answer": "yes", "evidence": [], "category": 5},
            {
                "question": "Both?",
                "adversarial_answer": "Yes",
                "answer": "No",
                "evidence": ["D1:2"],
                "category": 5,
            },
        ],
        "observation": {
            "session_10_observation": {"Bob": [["Bob has a session ten.", "D10:1"]]},
            "session_1_observation": {
                "Ann": [["Ann shines.", "D1:3"], ["Ann greets Bob.", "D1:1"]],
                "bob": [["Bob has a dog.", "D1:2, D1:3"]],
            },
            "session_2_observation": {"Ann": [["Ann moved.", ["D2:1", "D2:2"]]]},
        },
        "session_summary": {"session_1_summary": "They met.", "session_2_summary": "A move."},
        "event_summary": {"events_session_1": {"Ann": [], "Bob": [], "date": "8 May, 2023"}},
    }


@pytest.fixture
def conv():
    return parse_locomo_item(make_item(), source="hand.json")


def test_sessions_are_the_turn_lists_in_numeric_order(conv):
    assert [s.index for s in conv.sessions] == [1, 2, 10]
    assert [len(s.turns) for s in conv.sessions] == [3, 2, 2]
    assert conv.sessions[1].date_str == "12:19 am on 4 January, 2024"
    assert conv.sessions[1].date_time == datetime(2024, 1, 4, 0, 19)
    assert conv.speakers == ("Ann", "Bob")
    assert conv.dataset == "locomo"


def test_answers_are_strings_and_ids_follow_the_source_index(conv):
    assert [qa.id for qa in conv.qa] == [f"conv-x/q{i}" for i in range(9)]
    assert conv.qa[1].answer == "2022"
    assert all(isinstance(qa.answer, str) for qa in conv.qa)


def test_adversarial_answers(conv):
    only_adversarial, both = conv.qa[7], conv.qa[8]
    assert (only_adversarial.answer, only_adversarial.adversarial_answer) == ("", "yes")
    assert (both.answer, both.adversarial_answer) == ("No", "Yes")
    assert conv.qa[0].adversarial_answer is None


def test_malformed_evidence_is_parsed_and_kept_raw(conv):
    assert conv.qa[2].evidence == ("D1:2", "D2:2")
    assert conv.qa[3].evidence == ("D2:1", "D1:1", "D1:3")
    assert conv.qa[4].evidence == ()
    assert conv.qa[5].evidence == ("D10:2",)
    assert conv.qa[6].evidence == ("D1:3",)  # D7:3 names no turn
    assert conv.qa[2].raw_evidence == ("D1:2; D2:2",)
    assert conv.qa[6].raw_evidence == ("D7:3", "D1:3")


def test_evidence_that_is_not_a_list_of_strings():
    item = make_item()
    item["qa"][0]["evidence"] = "D1:1"
    item["qa"][1]["evidence"] = [5, "D2:1"]
    del item["qa"][2]["evidence"]
    conv = parse_locomo_item(item)
    assert (conv.qa[0].evidence, conv.qa[0].raw_evidence) == (("D1:1",), ("D1:1",))
    assert (conv.qa[1].evidence, conv.qa[1].raw_evidence) == (("D2:1",), ("5", "D2:1"))
    assert (conv.qa[2].evidence, conv.qa[2].raw_evidence) == ((), ())
    (report,) = evidence_report([conv]).conversations
    assert report.unparseable == 2  # "5" here, "D" in q4


def test_evidence_report_counts_every_problem(conv):
    (report,) = evidence_report([conv]).conversations
    assert report.conversation == "conv-x"
    assert (report.multi_id, report.repaired, report.unparseable, report.unknown_ids) == (
        2,
        1,
        1,
        1,
    )
    assert report.problems == 5
    assert len(report.details) == 5
    assert any("conv-x/q4" in line for line in report.details)


@pytest.mark.parametrize(
    ("raw", "ids", "problems"),
    [
        (["D8:6; D9:17"], ("D8:6", "D9:17"), []),
        (["D9:1 D4:4 D4:6"], ("D9:1", "D4:4", "D4:6"), []),
        (["D"], (), ["D"]),
        (["D:11:26"], ("D11:26",), []),
        (["D3:07"], ("D3:7",), []),
        (["D5:1"], (), ["D5:1"]),
        (["D8:6", "D8:6"], ("D8:6",), []),
        ([""], (), [""]),
        (["D8:6 and D"], ("D8:6",), ["and", "D"]),
        ([None], (), ["None"]),
    ],
)
def test_parse_evidence(raw, ids, problems):
    valid = {"D8:6", "D9:17", "D9:1", "D4:4", "D4:6", "D11:26", "D3:7"}
    assert parse_evidence(raw, valid) == (ids, problems)


def test_facts_in_time_order_with_every_dia_id_form(conv):
    got = [(f.session_index, f.speaker, f.text, f.source_ids) for f in conv.facts]
    assert got == [
        (1, "Ann", "Ann greets Bob.", ("D1:1",)),
        (1, "Bob", "Bob has a dog.", ("D1:2", "D1:3")),
        (1, "Ann", "Ann shines.", ("D1:3",)),
        (2, "Ann", "Ann moved.", ("D2:1", "D2:2")),
        (10, "Bob", "Bob has a session ten.", ("D10:1",)),
    ]
    assert conv.facts[0].date_str == "1:56 pm on 8 May, 2023"
    assert conv.facts[-1].date_time == datetime(2023, 10, 22, 9, 55)
    assert all(f.ideal_op is None and f.ideal_target is None for f in conv.facts)


def test_facts_with_the_same_first_turn_keep_source_order():
    item = make_item()
    item["observation"]["session_2_observation"] = {
        "Bob": [["Bob asks.", "D2:2"], ["Bob hears.", "D2:1"]],
        "Ann": [["Ann says.", "D2:1"]],
    }
    conv = parse_locomo_item(item)
    assert [f.text for f in conv.facts if f.session_index == 2] == [
        "Bob hears.",
        "Ann says.",
        "Bob asks.",
    ]


def test_fact_of_an_unknown_speaker_is_an_error():
    item = make_item()
    item["observation"]["session_2_observation"]["Carol"] = [["Carol?", "D2:1"]]
    with pytest.raises(DataFormatError) as info:
        parse_locomo_item(item, source="hand.json", index=3)
    message = str(info.value)
    assert "hand.json" in message and "[3].observation.session_2_observation.Carol" in message


def test_fact_provenance_problems_are_reported():
    item = make_item()
    item["observation"]["session_2_observation"]["Bob"] = [["Ghost.", "D2:9"], ["No id.", "D"]]
    conv = parse_locomo_item(item)
    ghost = next(f for f in conv.facts if f.text == "Ghost.")
    assert ghost.source_ids == ("D2:9",)
    (report,) = evidence_report([conv]).conversations
    assert (report.fact_unknown_ids, report.facts_without_source) == (1, 1)
    # The fact without an id goes last in its session.
    assert [f.text for f in conv.facts if f.session_index == 2][-1] == "No id."


def test_ideal_operations_attach_to_facts():
    item = make_item()
    item["ideal_operations"] = {
        "session_1_observation": {
            "Ann": [["UPDATE", "D1:1"], ["ADD", None]],
            "bob": [["NOOP", None]],
        },
        "session_2_observation": {"Ann": [["DELETE", "D1:3"]]},
    }
    conv = parse_locomo_item(item)
    ops = {f.text: (f.ideal_op, f.ideal_target) for f in conv.facts}
    assert ops["Ann shines."] == ("UPDATE", "D1:1")
    assert ops["Ann greets Bob."] == ("ADD", None)
    assert ops["Bob has a dog."] == ("NOOP", None)
    assert ops["Ann moved."] == ("DELETE", "D1:3")
    assert ops["Bob has a session ten."] == (None, None)


@pytest.mark.parametrize(
    ("ideal", "path"),
    [
        ({"session_2_observation": {"Ann": [["MERGE", None]]}}, "[0].ideal_operations"),
        ({"session_2_observation": {"Ann": [["ADD", None], ["ADD", None]]}}, ".Ann"),
        ({"session_2_observation": {"Bob": [["ADD", None]]}}, ".Bob"),
        ({"session_2_observation": {"Ann": [["UPDATE", 3]]}}, "[0][1]"),
    ],
)
def test_bad_ideal_operations(ideal, path):
    item = make_item()
    item["ideal_operations"] = ideal
    with pytest.raises(DataFormatError, match="ideal_operations") as info:
        parse_locomo_item(item)
    assert path in str(info.value)


def test_turn_extras_and_verbatim_text(conv):
    first, second, third = conv.sessions[0].turns
    assert first.text == "Hi Bob \u2014 long time! \U0001f31f"
    assert second.text == "Look at\u200b this \u201cphoto\u201d."
    assert second.image_url == "https://example.org/a.jpg"
    assert second.image_caption == "a photo of a dog"
    assert second.image_query == "dog park"
    assert third.image_url == "https://example.org/b.jpg"
    assert first.image_url is first.image_caption is first.image_query is None


def test_session_summaries(conv):
    assert conv.session_summaries == {1: "They met.", 2: "A move."}


def _set(item: dict, keys: tuple, value) -> dict:
    item = copy.deepcopy(item)
    target = item
    for k in keys[:-1]:
        target = target[k]
    if value is _DELETE:
        del target[keys[-1]]
    else:
        target[keys[-1]] = value
    return item


_DELETE = object()


@pytest.mark.parametrize(
    ("keys", "value", "path"),
    [
        (("conversation",), _DELETE, "[0]: item 'conv-x' has no 'conversation'"),
        (("conversation",), [], "[0].conversation: expected an object"),
        (("conversation", "session_2", 1, "dia_id"), _DELETE, "[0].conversation.session_2[1]"),
        (("conversation", "session_2", 0, "text"), _DELETE, "[0].conversation.session_2[0]"),
        (("conversation", "session_2", 0, "text"), 5, "session_2[0].text: expected a string"),
        (("conversation", "session_2", 0), "hi", "[0].conversation.session_2[0]: expected an"),
        (("conversation", "session_1"), {}, "[0].conversation.session_1: expected a list"),
        (("conversation", "speaker_b"), _DELETE, "[0].conversation: missing key 'speaker_b'"),
        (("qa",), {}, "[0].qa: expected a list"),
        (("qa", 3), "Q", "[0].qa[3]: expected an object"),
        (("qa", 3, "category"), "4", "[0].qa[3].category"),
        (("qa", 3, "answer"), ["x"], "[0].qa[3].answer"),
        (("qa", 3, "evidence"), {"D1": 1}, "[0].qa[3].evidence"),
        (("observation", "session_1_observation", "Ann", 0), ["x"], "observation.session_1_"),
        (("observation", "session_2_observation", "Ann", 0, 1), 7, "session_2_observation.Ann"),
        (("observation", "session_one"), {}, "[0].observation.session_one"),
        (("session_summary", "s1"), "x", "[0].session_summary.s1"),
        (("conversation", "session_1", 2, "img_url"), [1], "[0].conversation.session_1[2]"),
        (("sample_id",), None, "[0].sample_id"),
    ],
)
def test_bad_structure_names_file_and_path(keys, value, path):
    item = _set(make_item(), keys, value)
    with pytest.raises(DataFormatError) as info:
        parse_locomo_item(item, source="hand.json")
    message = str(info.value)
    assert message.startswith("hand.json: ")
    assert path in message


def test_load_locomo_file_errors(tmp_path):
    not_a_list = tmp_path / "obj.json"
    not_a_list.write_text('{"sample_id": "x"}')
    with pytest.raises(DataFormatError, match="obj.json: .*expected a list"):
        load_locomo(not_a_list)
    broken = tmp_path / "broken.json"
    broken.write_text("[{")
    with pytest.raises(DataFormatError, match="broken.json: line 1"):
        load_locomo(broken)
    with pytest.raises(DatasetUnavailableError, match="missing.json"):
        load_locomo(tmp_path / "missing.json")
    twice = tmp_path / "twice.json"
    twice.write_text(json.dumps([make_item(), make_item()]))
    with pytest.raises(DataFormatError, match=r"\[1\].sample_id: duplicate 'conv-x'"):
        load_locomo(twice)


def test_load_locomo_round_trip_with_report(tmp_path):
    second = make_item()
    second["sample_id"] = "conv-y"
    second["qa"] = second["qa"][:2]
    path = tmp_path / "two.json"
    path.write_text(json.dumps([make_item(), second], ensure_ascii=False), encoding="utf-8")
    convs, report = load_locomo(path, report=True)
    assert [c.id for c in convs] == ["conv-x", "conv-y"]
    assert [r.problems for r in report.conversations] == [5, 0]
    assert report.total()["problems"] == 5
    assert [r.conversation for r in report.with_problems()] == ["conv-x"]
    assert load_locomo(path) == convs


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1:56 pm on 8 May, 2023", datetime(2023, 5, 8, 13, 56)),
        ("12:19 am on 4 January, 2024", datetime(2024, 1, 4, 0, 19)),
        ("12:05 PM on 30 Sept, 2023", datetime(2023, 9, 30, 12, 5)),
        ("  10:00 am  on 1 Jun 2023 ", datetime(2023, 6, 1, 10, 0)),
        ("8 May, 2023", datetime(2023, 5, 8)),
        ("13:00 pm on 8 May, 2023", None),
        ("1:56 pm on 31 February, 2023", None),
        ("1:56 pm on 8 Mayo, 2023", None),
        ("yesterday", None),
        ("", None),
    ],
)
def test_parse_locomo_datetime(text, expected):
    assert parse_locomo_datetime(text) == expected


# -- the real file ------------------------------------------------------------------------------


@pytest.mark.data
def test_real_file(locomo_path):
    convs, report = load_locomo(locomo_path, report=True)
    by_id = {c.id: c for c in convs}
    assert list(by_id) == ["conv-26", "conv-30"]
    c26, c30 = by_id["conv-26"], by_id["conv-30"]
    assert (len(c26.sessions), len(c26.turns), len(c26.qa), len(c26.facts)) == (19, 419, 199, 184)
    assert (len(c30.sessions), len(c30.turns), len(c30.qa)) == (19, 369, 105)
    assert Counter(qa.category for qa in c26.qa) == {1: 32, 2: 37, 3: 13, 4: 70, 5: 47}
    assert [s.index for s in c26.sessions] == list(range(1, 20))
    assert all(isinstance(qa.answer, str) for c in convs for qa in c.qa)

    odd = [qa for qa in c26.qa if qa.raw_evidence == ("D8:6; D9:17",)]
    assert len(odd) == 1 and odd[0].evidence == ("D8:6", "D9:17")
    assert report.total()["problems"] == 1

    for c in convs:
        ids = c.turn_ids()
        assert all(set(qa.evidence) <= ids for qa in c.qa)
        assert all(f.source_ids and set(f.source_ids) <= ids for f in c.facts)
        keys = [(f.session_index, min(int(s.split(":")[1]) for s in f.source_ids)) for f in c.facts]
        assert keys == sorted(keys)
        assert all(s.date_time is not None for s in c.sessions)
        assert set(c.session_summaries) == {s.index for s in c.sessions}
    assert any(len(f.source_ids) > 1 for f in c30.facts)  # list / comma-joined dia_ids
    adversarial = [qa for qa in c26.qa if qa.category == 5]
    assert sum(qa.answer == "" for qa in adversarial) == 45
    assert all(qa.adversarial_answer for qa in adversarial)
