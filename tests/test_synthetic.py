"""Tests of the synthetic LoCoMo-schema generator (memenv.data.synthetic)."""

from __future__ import annotations

import importlib.util
import json
import re
import time
from datetime import datetime, timedelta

import pytest

from memenv.data.synthetic import generate_conversations, generate_locomo_item, item_seed
from memenv.data.synthetic_vocab import KINDS, MONTHS, NOT_MENTIONED, WEEKDAYS

DATE_TIME = re.compile(
    r"(1[0-2]|[1-9]):[0-5]\d (am|pm) on ([1-9]|[12]\d|3[01]) (" + "|".join(MONTHS) + r"), \d{4}"
)
DAY = re.compile(r"([1-9]|[12]\d|3[01]) (" + "|".join(MONTHS) + r") \d{4}")
HAS_LOADER = importlib.util.find_spec("memenv.data.locomo") is not None
needs_loader = pytest.mark.skipif(not HAS_LOADER, reason="memenv.data.locomo not available yet")


def dump(item: dict) -> str:
    return json.dumps(item, sort_keys=True)


def sessions(item: dict) -> list[int]:
    conv = item["conversation"]
    return sorted(int(k.split("_")[1]) for k in conv if re.fullmatch(r"session_\d+", k))


def turns(item: dict) -> dict[str, dict]:
    conv = item["conversation"]
    return {t["dia_id"]: t for s in sessions(item) for t in conv[f"session_{s}"]}


def session_date(item: dict, s: int) -> datetime:
    return datetime.strptime(
        item["conversation"][f"session_{s}_date_time"], "%I:%M %p on %d %B, %Y"
    )


def ops_of(item: dict) -> list[str]:
    return [
        op for per in item["ideal_operations"].values() for ops in per.values() for op, _ in ops
    ]


def replay(item: dict) -> dict[str, dict[str, tuple[str, list[str]]]]:
    """Apply the ideal operations to a dict model of the banks, checking every target exists.

    Returns speaker -> {first source id: (memory text, provenance ids)} at the end.
    """
    a, b = item["conversation"]["speaker_a"], item["conversation"]["speaker_b"]
    banks: dict[str, dict[str, tuple[str, list[str]]]] = {a: {}, b: {}}
    for s in sessions(item):
        key = f"session_{s}_observation"
        for speaker, facts in item["observation"][key].items():
            ops = item["ideal_operations"][key][speaker]
            bank = banks[speaker]
            for (text, dia), (op, target) in zip(facts, ops, strict=True):
                where = f"{item['sample_id']} {dia} {op} {target}"
                if op in ("ADD", "NOOP"):
                    assert target is None, where
                if op == "ADD":
                    assert dia not in bank, where
                    bank[dia] = (text, [dia])
                elif op == "UPDATE":
                    assert target in bank, where
                    bank[target] = (text, bank[target][1] + [dia])
                elif op == "DELETE":
                    assert target in bank, where
                    del bank[target]
                else:
                    assert op == "NOOP", where
                    assert any(text.rstrip(".").split()[-1] in t for t, _ in bank.values()), where
    return banks


# -- determinism ---------------------------------------------------------------------------------


def test_same_seed_gives_identical_item():
    assert dump(generate_locomo_item(11)) == dump(generate_locomo_item(11))
    knobs = {"n_sessions": 3, "update_rate": 0.5, "distractor_rate": 0.2}
    assert dump(generate_locomo_item(4, **knobs)) == dump(generate_locomo_item(4, **knobs))


def test_different_seeds_differ():
    items = [dump({**generate_locomo_item(s), "sample_id": ""}) for s in range(5)]
    assert len(set(items)) == 5


def test_knobs_change_the_item():
    base = generate_locomo_item(2)
    assert dump(base) != dump(generate_locomo_item(2, update_rate=0.0))
    assert dump(base) != dump(generate_locomo_item(2, start_date="2024-03-01"))


# -- schema --------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_locomo_schema(seed):
    item = generate_locomo_item(seed, conversation_id="my-id", n_sessions=5)
    assert item["sample_id"] == "my-id"
    assert {"conversation", "qa", "observation", "session_summary", "event_summary"} <= set(item)
    conv = item["conversation"]
    a, b = conv["speaker_a"], conv["speaker_b"]
    assert a != b
    assert sessions(item) == [1, 2, 3, 4, 5]
    previous = None
    for s in sessions(item):
        assert DATE_TIME.fullmatch(conv[f"session_{s}_date_time"])
        date = session_date(item, s)
        assert previous is None or timedelta(days=1) <= date - previous <= timedelta(days=60)
        previous = date
        for i, turn in enumerate(conv[f"session_{s}"], start=1):
            assert set(turn) == {"speaker", "dia_id", "text"}
            assert turn["dia_id"] == f"D{s}:{i}"
            assert turn["speaker"] in (a, b) and turn["text"]
        key = f"session_{s}_observation"
        assert set(item["observation"][key]) == {a, b}
        assert set(item["ideal_operations"][key]) == {a, b}
        spoken = {t["dia_id"]: t["speaker"] for t in conv[f"session_{s}"]}
        for speaker, facts in item["observation"][key].items():
            assert len(facts) == len(item["ideal_operations"][key][speaker])
            for text, dia in facts:
                assert spoken[dia] == speaker and text.startswith(speaker)
        assert item["session_summary"][f"session_{s}_summary"].startswith(f"{a} and {b}")
        events = item["event_summary"][f"events_session_{s}"]
        assert events["date"] == conv[f"session_{s}_date_time"].split(" on ")[1]
    for q in item["qa"]:
        assert {"question", "answer", "evidence", "category"} <= set(q)
        assert isinstance(q["answer"], str) and q["answer"] and q["question"].endswith("?")
        assert q["category"] in (1, 2, 3, 4, 5)
        assert (q["category"] == 5) == ("adversarial_answer" in q)


def test_distractors_carry_no_facts():
    item = generate_locomo_item(5, distractor_rate=0.5)
    with_fact = {d for o in item["observation"].values() for f in o.values() for _, d in f}
    share = 1 - len(with_fact) / len(turns(item))
    assert 0.4 <= share <= 0.6
    none = generate_locomo_item(5, distractor_rate=0.0)
    with_fact = {d for o in none["observation"].values() for f in o.values() for _, d in f}
    assert with_fact == set(turns(none))


def test_default_size():
    item = generate_locomo_item(8)
    n_facts = sum(len(f) for o in item["observation"].values() for f in o.values())
    assert len(sessions(item)) == 8
    assert 80 <= len(turns(item)) <= 200
    assert 30 <= n_facts <= 60
    assert 20 <= len(item["qa"]) <= 40


# -- questions -----------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(8))
def test_evidence_ids_exist(seed):
    item = generate_locomo_item(seed)
    ids = set(turns(item))
    for q in item["qa"]:
        assert q["evidence"] and set(q["evidence"]) <= ids, q


def test_questions_are_unique():
    for seed in range(20):
        questions = [q["question"] for q in generate_locomo_item(seed)["qa"]]
        assert len(questions) == len(set(questions))


def test_every_category_present():
    cats = {q["category"] for s in range(3) for q in generate_locomo_item(s)["qa"]}
    assert cats == {1, 2, 3, 4, 5}


@pytest.mark.parametrize("seed", range(6))
def test_gold_answers_live_in_the_ideal_bank(seed):
    """Single-hop, multi-hop and temporal answers are in the final ideal memories, and a current
    value is found through the provenance of its evidence (the latest statement)."""
    item = generate_locomo_item(seed)
    banks = replay(item)
    memories = [m for bank in banks.values() for m in bank.values()]
    for q in item["qa"]:
        if q["category"] == 5:
            assert q["answer"] == NOT_MENTIONED and q["adversarial_answer"]
            continue
        if q["category"] == 3 or q["answer"] == "No":
            continue
        for part in q["answer"].split(", "):
            assert any(part in text for text, _ in memories), q
        if q["category"] == 4:
            assert any(q["evidence"][0] in ids and q["answer"] in text for text, ids in memories), q


@pytest.mark.parametrize("seed", range(6))
def test_temporal_answers_resolve_against_the_session_date(seed):
    item = generate_locomo_item(seed)
    facts = {d: text for o in item["observation"].values() for f in o.values() for text, d in f}
    temporal = [q for q in item["qa"] if q["category"] == 2]
    for q in temporal:
        dia = q["evidence"][0]
        assert q["answer"] in facts[dia]
        if DAY.fullmatch(q["answer"]):
            said = session_date(item, int(dia[1:].split(":")[0])).date()
            delta = said - datetime.strptime(q["answer"], "%d %B %Y").date()
            assert timedelta(0) <= delta <= timedelta(days=7), q


def test_timed_templates_carry_their_time():
    for name, kind in KINDS.items():
        for template in kind.add_t + kind.upd_t + kind.dele_t:
            assert "{rel}" in template, (name, template)
        for template in kind.add + kind.upd + kind.dele + kind.restate:
            assert "{rel}" not in template, (name, template)
        for template in kind.fact_add_t + kind.fact_upd_t + kind.fact_dele_t:
            assert "{since}" in template or "{when}" in template, (name, template)
        for template in kind.fact_add + kind.fact_upd + kind.fact_dele + kind.now:
            assert "{since}" not in template and "{when}" not in template, (name, template)


def test_facts_hold_resolved_dates_only():
    relative = re.compile(
        r"\b(today|yesterday|ago|this morning|last (week|month|year|" + "|".join(WEEKDAYS) + r"))\b"
    )
    for seed in range(10):
        item = generate_locomo_item(seed)
        for per in item["observation"].values():
            for facts in per.values():
                for text, _ in facts:
                    assert not relative.search(text), text


def test_changes_happen_after_the_previous_session():
    """A dated UPDATE/DELETE never predates the session where the old value was still true."""
    for seed in range(10):
        item = generate_locomo_item(seed, update_rate=0.5, delete_rate=0.2)
        for s in sessions(item)[1:]:
            before, now = session_date(item, s - 1).date(), session_date(item, s).date()
            key = f"session_{s}_observation"
            for speaker, facts in item["observation"][key].items():
                ops = item["ideal_operations"][key][speaker]
                for (text, _), (op, _) in zip(facts, ops, strict=True):
                    day = DAY.search(text)
                    if op in ("UPDATE", "DELETE") and day and "week before" not in text:
                        said = datetime.strptime(day[0], "%d %B %Y").date()
                        assert before < said <= now, text


def test_deleted_things_are_asked_about():
    qs = [q for s in range(5) for q in generate_locomo_item(s)["qa"] if q["answer"] == "No"]
    assert qs and all(q["category"] == 4 for q in qs)


# -- ideal operations ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "knobs",
    [{}, {"update_rate": 0.6, "delete_rate": 0.3}, {"n_sessions": 12, "facts_per_session": 9}],
)
def test_ideal_operations_replay(knobs):
    seen: set[str] = set()
    for seed in range(10):
        item = generate_locomo_item(seed, **knobs)
        replay(item)
        seen.update(ops_of(item))
    assert seen == {"ADD", "UPDATE", "DELETE", "NOOP"}


def test_update_keeps_the_first_source_id():
    """A memory updated twice is targeted by its creator's id both times."""
    item = generate_locomo_item(0, n_sessions=12, update_rate=0.8, delete_rate=0.0)
    targets = [
        t for per in item["ideal_operations"].values() for ops in per.values() for op, t in ops
    ]
    assert any(targets.count(t) >= 2 for t in targets if t)
    replay(item)


def test_rates_have_an_effect():
    no_updates = [ops_of(generate_locomo_item(s, update_rate=0.0)) for s in range(5)]
    assert all("UPDATE" not in ops for ops in no_updates)
    no_deletes = [ops_of(generate_locomo_item(s, delete_rate=0.0)) for s in range(5)]
    assert all("DELETE" not in ops for ops in no_deletes)
    many = ops_of(generate_locomo_item(1, update_rate=0.7, delete_rate=0.2))
    assert many.count("UPDATE") > ops_of(generate_locomo_item(1)).count("UPDATE") > 0


def test_size_knobs():
    item = generate_locomo_item(3, n_sessions=2, facts_per_session=2)
    assert sessions(item) == [1, 2]
    for per in item["observation"].values():
        assert all(1 <= len(facts) <= 2 for facts in per.values())


@pytest.mark.parametrize(
    ("knob", "value"),
    [
        ("n_sessions", 0),
        ("n_sessions", 2.5),
        ("facts_per_session", 0),
        ("update_rate", -0.1),
        ("delete_rate", 1.5),
        ("distractor_rate", 1.0),
        ("restate_rate", "x"),
        ("start_date", "5 Jan 2023"),
        ("conversation_id", ""),
    ],
)
def test_knob_validation(knob, value):
    with pytest.raises(ValueError, match=knob):
        generate_locomo_item(0, **{knob: value})


def test_rate_sum_validation():
    with pytest.raises(ValueError, match="update_rate \\+ delete_rate"):
        generate_locomo_item(0, update_rate=0.7, delete_rate=0.4)
    with pytest.raises(ValueError, match="seed"):
        generate_locomo_item(-1)


# -- through the loader --------------------------------------------------------------------------


@needs_loader
def test_generate_conversations_round_trip():
    convs = generate_conversations(3, 7, n_sessions=4)
    assert [c.id for c in convs] == ["synth-7-0", "synth-7-1", "synth-7-2"]
    for i, conv in enumerate(convs):
        item = generate_locomo_item(item_seed(7, i), conversation_id=conv.id, n_sessions=4)
        assert conv.dataset == "synth"
        assert len(conv.sessions) == 4 and all(s.date_time is not None for s in conv.sessions)
        assert len(conv.qa) == len(item["qa"])
        assert all(q.evidence == q.raw_evidence for q in conv.qa)
        assert len(conv.facts) == sum(
            len(f) for o in item["observation"].values() for f in o.values()
        )
        keys = [(f.session_index, int(f.source_ids[0].split(":")[1])) for f in conv.facts]
        assert keys == sorted(keys)
        for fact in conv.facts:
            assert fact.ideal_op in ("ADD", "UPDATE", "DELETE", "NOOP")
            assert (fact.ideal_target is not None) == (fact.ideal_op in ("UPDATE", "DELETE"))


@needs_loader
def test_generate_conversations_is_deterministic_and_prefix_stable():
    first = generate_conversations(4, 3)
    assert first == generate_conversations(4, 3)
    assert first[:2] == generate_conversations(2, 3)
    assert first[0].qa != generate_conversations(1, 4)[0].qa


@needs_loader
def test_generate_conversations_validates():
    with pytest.raises(ValueError, match="update_rate"):
        generate_conversations(1, 0, update_rate=2.0)
    with pytest.raises(ValueError, match="n must"):
        generate_conversations(-1, 0)


def test_speed():
    start = time.perf_counter()
    for s in range(20):
        generate_locomo_item(item_seed(0, s))
    assert time.perf_counter() - start < 5.0
