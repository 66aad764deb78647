"""Issue 17 item 7: bad data files give one DataFormatError naming the file and the JSON path;
repairs give one warning with a count; bad ``synth_kwargs`` give one clear ValueError."""

from __future__ import annotations

import json
import time
import warnings
from pathlib import Path

import pytest

from memenv.data.errors import DataFormatError
from memenv.data.jsonio import MAX_DEPTH, loads
from memenv.data.locomo import load_locomo
from memenv.data.longmemeval import load_longmemeval
from memenv.data.msc import load_msc
from memenv.data.registry import load_conversations
from memenv.data.repairs import DataRepairWarning
from memenv_app.cli import main
from tests.fixtures_data import longmemeval_items, msc_lines


def locomo_item(**changes) -> dict:
    item = {
        "sample_id": "conv-x",
        "conversation": {
            "speaker_a": "Ann",
            "speaker_b": "Bob",
            "session_1_date_time": "1:56 pm on 8 May, 2023",
            "session_1": [
                {"speaker": "Ann", "dia_id": "D1:1", "text": "I moved to Lisbon."},
                {"speaker": "Bob", "dia_id": "D1:2", "text": "Nice!"},
            ],
        },
        "qa": [{"question": "Where?", "answer": "Lisbon", "evidence": ["D1:1"], "category": 4}],
    }
    item.update(changes)
    return item


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# JSON text of the three hostile values, placed in a question of each format.
DEEP = "[" * 200_000 + "]" * 200_000
HUGE = "1" * 5000
SURROGATE = '"Where did Ann \\ud800 move?"'


def locomo_text(question_json: str) -> str:
    text = json.dumps([locomo_item()])
    return text.replace('"Where?"', question_json)


def lme_text(question_json: str) -> str:
    return json.dumps(longmemeval_items()).replace(
        json.dumps(longmemeval_items()[0]["question"]), question_json, 1
    )


def msc_text(question_json: str) -> str:
    lines = [json.dumps(line) for line in msc_lines()]
    lines[1] = lines[1].replace(json.dumps(msc_lines()[1]["self_instruct"]["B"]), question_json)
    return "\n".join(lines) + "\n"


FORMATS = {
    "locomo": (locomo_text, load_locomo, "data.json", "[0].qa[0].question"),
    "longmemeval": (lme_text, load_longmemeval, "data.json", "[0].question"),
    "msc": (msc_text, load_msc, "data.jsonl", "line 2: self_instruct.B"),
}


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize(
    "value, why",
    [
        (DEEP, f"nested more than {MAX_DEPTH} levels deep"),
        ("[" * 80 + "]" * 80, f"nested more than {MAX_DEPTH} levels deep"),
        (HUGE, "an integer of 5000 digits"),
        (SURROGATE, "lone surrogate U+D800"),
        ("NaN", "NaN, which is not JSON"),
        ("1e999", "a number out of range"),
    ],
    ids=["200000-deep", "80-deep", "5000-digit-int", "lone-surrogate", "NaN", "1e999"],
)
def test_bad_json_values_are_data_format_errors_with_file_and_path(tmp_path, fmt, value, why):
    make_text, load, name, path = FORMATS[fmt]
    file = write(tmp_path / name, make_text(value))
    start = time.process_time()
    with pytest.raises(DataFormatError) as err:
        load(file)
    assert time.process_time() - start < 1.0
    message = str(err.value)
    assert why in message and name in message and path in message, message


def test_paired_surrogate_escapes_are_fine(tmp_path):
    file = write(tmp_path / "ok.json", locomo_text('"Where? \\ud83d\\ude00"'))
    (conv,) = load_locomo(file)
    assert conv.qa[0].question == "Where? \U0001f600"


def test_jsonio_paths_name_keys_and_lines():
    with pytest.raises(DataFormatError, match=r'x\.json: a\["b c"\]\[1\]: an integer'):
        loads('{"a": {"b c": [0, ' + HUGE + "]}}", "x.json")
    with pytest.raises(DataFormatError, match=r"x\.jsonl: line 7: invalid JSON"):
        loads("{", "x.jsonl", "line 7")
    with pytest.raises(DataFormatError, match=r'x\.json: a\["\\udc00"\]: a key with a lone'):
        loads('{"a": {"\\udc00": 1}}', "x.json")


def test_cli_data_stats_on_a_deep_file_is_one_error_line(tmp_path, capsys):
    file = write(tmp_path / "deep.json", locomo_text(DEEP))
    assert main(["data", "stats", "--dataset", "locomo", "--path", str(file)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("memenv: error: ") and "deep.json" in err[0]


def test_locomo_conversation_without_qa_is_an_error_and_empty_qa_is_not(tmp_path):
    item = locomo_item()
    del item["qa"]
    file = write(tmp_path / "noqa.json", json.dumps([locomo_item(sample_id="conv-y"), item]))
    with pytest.raises(DataFormatError, match=r"noqa\.json: \[1\]: item 'conv-x' has no 'qa'"):
        load_locomo(file)
    file = write(tmp_path / "emptyqa.json", json.dumps([locomo_item(qa=[])]))
    assert load_locomo(file)[0].qa == ()


def test_locomo_undated_sessions_warn_once_with_a_count(tmp_path):
    item = locomo_item()
    conv = item["conversation"]
    conv["session_2"] = [{"speaker": "Bob", "dia_id": "D2:1", "text": "Hi."}]
    conv["session_3"] = [{"speaker": "Ann", "dia_id": "D3:1", "text": "Bye."}]
    conv["session_3_date_time"] = "the day after"
    conv["session_4"] = [{"speaker": "Ann", "dia_id": "D4:1", "text": "Again."}]
    conv["session_4_date_time"] = "someday"
    file = write(tmp_path / "dates.json", json.dumps([item]))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        load_locomo(file)
    repairs = [w for w in caught if issubclass(w.category, DataRepairWarning)]
    assert len(repairs) == 1
    text = str(repairs[0].message)
    assert "dates.json" in text and "1 sessions without a date" in text
    assert "2 sessions with an unparseable date (first: conv-x session 3" in text


def test_locomo_clean_file_loads_without_warnings(tmp_path):
    file = write(tmp_path / "clean.json", json.dumps([locomo_item()]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_locomo(file)


@pytest.mark.parametrize(
    "knobs, why",
    [
        ({"bogus": 1}, "unknown synth_kwargs key 'bogus'"),
        ({"seed": "a"}, "seed must be an integer"),
        ([], "must be an object"),
        ([["n", 2]], "must be an object"),
        ({"n": True}, "n must be an integer"),  # True == 1: the parse cache must not hide it
    ],
)
def test_bad_synth_kwargs_are_clear_errors(knobs, why):
    with pytest.raises(ValueError, match=why):
        load_conversations("synth", split="val", synth_kwargs=knobs)


@pytest.mark.parametrize("knobs", ['{"bogus":1}', '{"seed":"a"}', "[]"])
def test_cli_bad_synth_kwargs_is_one_error_line(tmp_path, capsys, knobs):
    args = ["eval", "--synth-kwargs", knobs, "--out", str(tmp_path / "r"), "--no-progress"]
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("memenv: error: ") and "synth_kwargs" in err[0]
