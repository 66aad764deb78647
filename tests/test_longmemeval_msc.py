"""LongMemEval and MSC-Self-Instruct loaders, on the fixture files and broken variants of them."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from memenv.data.errors import DataFormatError, DatasetUnavailableError
from memenv.data.longmemeval import (
    LONGMEMEVAL_CATEGORIES,
    load_longmemeval,
    parse_longmemeval_date,
)
from memenv.data.msc import MSC_ANCHOR, load_msc, msc_personas
from tests.fixtures_data import (
    longmemeval_items,
    msc_lines,
    write_longmemeval_fixture,
    write_msc_fixture,
)

# --- LongMemEval -----------------------------------------------------------------------------


@pytest.fixture
def lme(tmp_path: Path) -> dict:
    convs = load_longmemeval(write_longmemeval_fixture(tmp_path / "lme.json"))
    return {c.id: c for c in convs}


def test_lme_one_conversation_per_item(lme):
    assert list(lme) == ["lme-u1", "lme-a2", "lme-m3", "lme-k4_abs"]
    for conv in lme.values():
        assert conv.dataset == "longmemeval"
        assert conv.speakers == ("user", "assistant")
        assert len(conv.qa) == 1 and conv.qa[0].id == conv.id
        assert conv.facts == ()
        assert set(conv.qa[0].evidence) <= conv.turn_ids()


def test_lme_sessions_turns_and_dia_ids(lme):
    conv = lme["lme-m3"]
    assert [s.index for s in conv.sessions] == [1, 2, 3]
    assert [t.dia_id for t in conv.sessions[2].turns] == ["D3:1", "D3:2", "D3:3"]
    assert [t.speaker for t in conv.sessions[2].turns] == ["user", "assistant", "user"]
    assert conv.sessions[2].turns[0].text == "Today I added a third bike, a Brompton."
    assert len(conv.turns) == 7


def test_lme_evidence_is_the_official_retrieval_targets(lme):
    # user turns marked has_answer inside sessions whose id contains "answer"
    assert lme["lme-u1"].qa[0].evidence == ("D2:1",)
    assert lme["lme-u1"].qa[0].raw_evidence == ("answer_u1",)
    # an assistant-side mark is not a target; it stays in the wide evidence
    assert lme["lme-a2"].qa[0].evidence == ()
    assert lme["lme-a2"].qa[0].wide_evidence == ("D1:2",)


def test_lme_wide_evidence_falls_back_to_answer_sessions(lme):
    qa = lme["lme-m3"].qa[0]
    assert qa.evidence == ()
    assert qa.wide_evidence == ("D1:1", "D1:2", "D3:1", "D3:2", "D3:3")
    assert qa.raw_evidence == ("answer_m3_1", "answer_m3_2")


def test_lme_categories_and_abstention(lme):
    assert LONGMEMEVAL_CATEGORIES == {
        "single-session-user": 1,
        "single-session-assistant": 2,
        "single-session-preference": 3,
        "multi-session": 4,
        "knowledge-update": 5,
        "temporal-reasoning": 6,
    }
    assert (lme["lme-u1"].qa[0].category, lme["lme-u1"].qa[0].category_name) == (
        1,
        "single-session-user",
    )
    assert lme["lme-m3"].qa[0].category == 4
    assert not any(lme[i].qa[0].abstention for i in ("lme-u1", "lme-a2", "lme-m3"))
    abstention = lme["lme-k4_abs"].qa[0]
    # an abstention question keeps its question type; abstention is a flag
    assert (abstention.category, abstention.category_name) == (5, "knowledge-update")
    assert abstention.abstention and abstention.dataset == "longmemeval"
    assert abstention.evidence == () and abstention.raw_evidence == ()


def test_lme_int_answer_becomes_str(lme):
    assert lme["lme-m3"].qa[0].answer == "3"


def test_lme_dates(lme):
    conv = lme["lme-u1"]
    assert conv.sessions[0].date_str == "2023/05/20 (Sat) 10:02"
    assert conv.sessions[0].date_time == datetime(2023, 5, 20, 10, 2)
    assert conv.qa[0].question_date == "2023/05/30 (Tue) 23:40"
    unparsed = lme["lme-m3"].sessions[1]
    assert (unparsed.date_time, unparsed.date_str) == (None, "sometime in June")
    assert parse_longmemeval_date("2023/02/30 (Thu) 10:00") is None
    assert parse_longmemeval_date("2023/02/03") == datetime(2023, 2, 3)


def test_lme_non_ascii_preserved(lme):
    assert lme["lme-u1"].sessions[1].turns[0].text == (
        "My favourite café in München is Café Größenwahn ☕."
    )
    assert lme["lme-a2"].qa[0].answer == "Genmaicha (玄米茶)"


def test_lme_fixture_accepts_directory(tmp_path):
    path = write_longmemeval_fixture(tmp_path)
    assert path.parent == tmp_path and len(load_longmemeval(str(path))) == 4


def _write_lme(tmp_path: Path, items) -> Path:
    path = tmp_path / "longmemeval_s.json"
    path.write_text(json.dumps(items, ensure_ascii=False), "utf-8")
    return path


def _lme_error(tmp_path: Path, items) -> str:
    with pytest.raises(DataFormatError) as info:
        load_longmemeval(_write_lme(tmp_path, items))
    message = str(info.value)
    assert message.startswith("longmemeval_s.json: ")
    return message


def test_lme_error_missing_content(tmp_path):
    items = longmemeval_items()
    del items[2]["haystack_sessions"][1][1]["content"]
    assert _lme_error(tmp_path, items) == (
        "longmemeval_s.json: [2].haystack_sessions[1][1]: missing 'content'"
    )


def test_lme_error_length_mismatch(tmp_path):
    items = longmemeval_items()
    items[1]["haystack_dates"].pop()
    message = _lme_error(tmp_path, items)
    assert "longmemeval_s.json: [1]: " in message and "(2, 1, 2)" in message


def test_lme_error_bad_role(tmp_path):
    items = longmemeval_items()
    items[0]["haystack_sessions"][0][1]["role"] = "system"
    assert "[0].haystack_sessions[0][1].role: " in _lme_error(tmp_path, items)


def test_lme_error_wrong_content_type(tmp_path):
    items = longmemeval_items()
    items[3]["haystack_sessions"][0][0]["content"] = 7
    assert "[3].haystack_sessions[0][0].content: expected str" in _lme_error(tmp_path, items)


def test_lme_error_unknown_question_type(tmp_path):
    items = longmemeval_items()
    items[1]["question_type"] = "trivia"
    assert "[1].question_type: unknown type 'trivia'" in _lme_error(tmp_path, items)


def test_lme_error_bad_answer_type(tmp_path):
    items = longmemeval_items()
    items[0]["answer"] = ["a", "b"]
    assert "[0].answer: expected str or number" in _lme_error(tmp_path, items)


def test_lme_error_bad_has_answer(tmp_path):
    items = longmemeval_items()
    items[0]["haystack_sessions"][1][0]["has_answer"] = "yes"
    assert "[0].haystack_sessions[1][0].has_answer: expected bool" in _lme_error(tmp_path, items)


def test_lme_error_session_not_a_list(tmp_path):
    items = longmemeval_items()
    items[2]["haystack_sessions"][0] = {"role": "user"}
    assert "[2].haystack_sessions[0]: expected a list of turns" in _lme_error(tmp_path, items)


def test_lme_error_missing_key_and_bad_item(tmp_path):
    items = longmemeval_items()
    del items[3]["haystack_session_ids"]
    assert _lme_error(tmp_path, items).endswith("[3]: missing 'haystack_session_ids'")
    assert "[1]: expected an object" in _lme_error(tmp_path, [longmemeval_items()[0], "oops"])


def test_lme_error_duplicate_id(tmp_path):
    items = longmemeval_items()
    items[2]["question_id"] = "lme-u1"
    assert "[2].question_id: duplicate id 'lme-u1' (first at [0])" in _lme_error(tmp_path, items)


def test_lme_error_top_level_and_invalid_json(tmp_path):
    assert "expected a JSON list" in _lme_error(tmp_path, {"question_id": "x"})
    path = tmp_path / "longmemeval_s.json"
    path.write_text('[{"question_id": "x",\n  oops}]', "utf-8")
    with pytest.raises(DataFormatError, match=r"longmemeval_s\.json: line 2 column 3: invalid"):
        load_longmemeval(path)


def test_lme_missing_file(tmp_path):
    with pytest.raises(DatasetUnavailableError, match="nope.json"):
        load_longmemeval(tmp_path / "nope.json")


# --- MSC-Self-Instruct ---------------------------------------------------------------------


@pytest.fixture
def msc(tmp_path: Path) -> list:
    return load_msc(write_msc_fixture(tmp_path / "msc.jsonl"))


def test_msc_one_conversation_per_line(msc):
    assert [c.id for c in msc] == ["msc-0", "msc-1", "msc-2"]  # the blank line is skipped
    for conv in msc:
        assert conv.dataset == "msc"
        assert conv.speakers == ("Speaker 1", "Speaker 2")
        assert conv.facts == ()
        assert [s.index for s in conv.sessions] == [1, 2, 3]


def test_msc_session_order_and_turns(msc):
    conv = msc[0]
    assert conv.sessions[0].turns[0].text == "Hi! I just got back from walking my two dogs."
    assert conv.sessions[1].turns[0].text == "How was your night shift?"
    assert conv.sessions[2].turns[0].text == "Did you sleep well?"  # current dialog last
    assert [t.dia_id for t in conv.sessions[0].turns] == ["D1:1", "D1:2", "D1:3", "D1:4"]
    assert [t.speaker for t in conv.sessions[1].turns] == ["Speaker 1", "Speaker 2", "Speaker 1"]


def test_msc_dates_from_gaps(msc):
    first = [s.date_time for s in msc[0].sessions]
    assert first == [datetime(2022, 12, 25, 8), datetime(2023, 1, 1, 8), MSC_ANCHOR]
    assert [s.date_str for s in msc[0].sessions] == [
        "2022-12-25 08:00",
        "2023-01-01 08:00",
        "2023-01-01 12:00",
    ]
    # 1 month counts as 30 days, 2 weeks as 14.
    assert [s.date_time for s in msc[1].sessions][:2] == [
        datetime(2022, 11, 18, 12),
        datetime(2022, 12, 2, 12),
    ]
    # The first gap of line 2 is missing: session 1 has no date, later ones do.
    third = msc[2].sessions
    assert (third[0].date_time, third[0].date_str) == (None, "")
    assert third[1].date_time == datetime(2022, 12, 29, 12)


def test_msc_qa(msc):
    qa = msc[0].qa
    assert len(qa) == 1
    assert qa[0].id == "msc-0/q0"
    assert qa[0].question == "Which trail did I hike near Zürich?"
    assert qa[0].answer == "The Üetliberg trail."
    assert (qa[0].category, qa[0].category_name) == (1, "self-instruct")
    assert qa[0].evidence == () and qa[0].question_date is None
    assert msc[2].qa[0].answer == "3"


def test_msc_personas_kept(msc):
    assert msc_personas(msc[0]) == (
        ("I have two dogs.", "I work as a nurse."),
        ("I love hiking.", "I live in Zürich."),
    )
    assert msc_personas(msc[1]) == (
        ("J'adore le café crème.",),
        ("Я учу русский язык.", "I play chess."),
    )
    summary = msc[0].session_summaries[0]
    assert "Speaker 1 persona:" in summary and "- I work as a nurse." in summary


def test_msc_non_ascii_preserved(msc):
    assert msc[1].sessions[1].turns[1].text == "Slowly, but I can read Пушкин now."
    assert msc[1].qa[0].answer == "Пушкин (Pushkin)"


def test_msc_without_personas(tmp_path):
    line = msc_lines()[0]
    del line["personas"]
    path = tmp_path / "msc.jsonl"
    path.write_text(json.dumps(line) + "\n", "utf-8")
    (conv,) = load_msc(path)
    assert conv.session_summaries == {} and msc_personas(conv) == ((), ())


def _msc_error(tmp_path: Path, lines: list) -> str:
    """Load ``lines`` written after a blank first line (so line k of the list is line k + 2)."""
    path = tmp_path / "msc_self_instruct.jsonl"
    text = [x if isinstance(x, str) else json.dumps(x, ensure_ascii=False) for x in lines]
    path.write_text("\n" + "\n".join(text) + "\n", "utf-8")
    with pytest.raises(DataFormatError) as info:
        load_msc(path)
    message = str(info.value)
    assert message.startswith("msc_self_instruct.jsonl: line ")
    return message


def test_msc_error_invalid_json_line(tmp_path):
    good = msc_lines()[0]
    assert "line 3: invalid JSON" in _msc_error(tmp_path, [good, '{"dialog": ['])


def test_msc_error_not_an_object(tmp_path):
    assert "line 2: expected a JSON object, got array" in _msc_error(tmp_path, [[1, 2]])


def test_msc_error_bad_speaker(tmp_path):
    lines = msc_lines()
    lines[1]["previous_dialogs"][1]["dialog"][2]["id"] = "Bob"
    message = _msc_error(tmp_path, lines)
    assert "line 3: previous_dialogs[1].dialog[2].id: expected 'Speaker 1'" in message


def test_msc_error_missing_text(tmp_path):
    lines = msc_lines()
    del lines[2]["dialog"][1]["text"]
    assert _msc_error(tmp_path, lines).endswith("line 4: dialog[1]: missing 'text'")


def test_msc_error_missing_self_instruct(tmp_path):
    lines = msc_lines()
    del lines[0]["self_instruct"]
    assert _msc_error(tmp_path, lines).endswith("line 2: missing 'self_instruct'")
    lines = msc_lines()
    del lines[1]["self_instruct"]["A"]
    assert "line 3: self_instruct: missing 'A'" in _msc_error(tmp_path, lines)


def test_msc_error_personas_shape(tmp_path):
    lines = msc_lines()
    lines[0]["personas"] = [["only one speaker"]]
    assert "line 2: personas: expected 2 persona lists" in _msc_error(tmp_path, lines)
    lines = msc_lines()
    lines[0]["personas"][1][0] = None
    assert "line 2: personas[1][0]: expected str" in _msc_error(tmp_path, lines)


def test_msc_error_bad_gap(tmp_path):
    lines = msc_lines()
    lines[0]["previous_dialogs"][0]["time_unit"] = "fortnights"
    assert "line 2: previous_dialogs[0].time_unit: unknown unit" in _msc_error(tmp_path, lines)
    lines = msc_lines()
    lines[1]["previous_dialogs"][1]["time_num"] = -2
    assert "line 3: previous_dialogs[1].time_num: expected a number" in _msc_error(tmp_path, lines)


def test_msc_missing_file(tmp_path):
    with pytest.raises(DatasetUnavailableError, match="absent.jsonl"):
        load_msc(tmp_path / "absent.jsonl")


def test_registry_keeps_longmemeval_category_5(tmp_path):
    """LongMemEval's category 5 (knowledge-update) is not LoCoMo's adversarial category."""
    import json

    from memenv.data.registry import load_conversations
    from tests.fixtures_data import longmemeval_items

    items = longmemeval_items()
    items[0]["question_type"] = "knowledge-update"
    path = tmp_path / "lme.json"
    path.write_text(json.dumps(items))
    conversations = load_conversations("longmemeval", data_path=str(path), split="all")
    assert [len(c.qa) for c in conversations] == [1] * len(items)
    assert conversations[0].qa[0].category == 5
