"""Tests of the synthetic generator's difficulty knobs: churn and length, varied phrasing,
distractor facts and false changes (memenv.data.synthetic)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from memenv.data import synthetic_distractors as D
from memenv.data import synthetic_vocab as V
from memenv.data.synthetic import (
    KNOBS,
    generate_conversations,
    generate_locomo_item,
)
from memenv.data.synthetic_phrasing import VARIED

HARD = {"phrasing": "varied", "distractor_facts": 0.3, "false_change_rate": 0.15}
ROOT = Path(__file__).resolve().parents[1]


def digest(item: dict) -> str:
    return hashlib.sha256(json.dumps(item, sort_keys=True).encode()).hexdigest()


def facts_of(item: dict) -> list[tuple[str, str, str, str, str | None]]:
    """(speaker, dia_id, text, op, target) of every observation fact, in session order."""
    out = []
    n = sum(1 for k in item["observation"])
    for s in range(1, n + 1):
        key = f"session_{s}_observation"
        for speaker, facts in item["observation"][key].items():
            ops = item["ideal_operations"][key][speaker]
            for (text, dia), (op, target) in zip(facts, ops, strict=True):
                out.append((speaker, dia, text, op, target))
    return out


def turn_texts(item: dict) -> dict[str, str]:
    conv = item["conversation"]
    return {
        t["dia_id"]: t["text"]
        for k, v in conv.items()
        if re.fullmatch(r"session_\d+", k)
        for t in v
    }


def check_against_ideal_bank(item: dict) -> None:
    """Replay the ideal operations on a dict model of the banks (memory key: the dia_id that
    created it; value: (text, dia_id of the latest write)) and check every gold answer."""
    banks: dict[str, dict[str, tuple[str, str]]] = {s: {} for s in _speakers(item)}
    op_of: dict[str, tuple[str, str, str | None]] = {}
    for speaker, dia, text, op, target in sorted(facts_of(item), key=lambda f: _order(f[1])):
        where = f"{item['sample_id']} {dia} {op} {target}: {text}"
        bank = banks[speaker]
        op_of[dia] = (speaker, op, target)
        if op in ("ADD", "NOOP"):
            assert target is None, where
        if op == "ADD":
            assert dia not in bank, where
            bank[dia] = (text, dia)
        elif op == "UPDATE":
            assert target in bank, where
            bank[target] = (text, dia)
        elif op == "DELETE":
            assert target in bank, where
            del bank[target]
        else:
            assert op == "NOOP", where
    latest = {last: text for bank in banks.values() for text, last in bank.values()}
    turns = turn_texts(item)
    for q in item["qa"]:
        if q["category"] == 5:
            assert q["answer"] == V.NOT_MENTIONED and q["adversarial_answer"], q
            continue
        if q["answer"] == "No":  # "does X still ...?": the evidence deleted that memory
            speaker, op, target = op_of[q["evidence"][0]]
            assert op == "DELETE" and target not in banks[speaker], q
            continue
        # The last evidence is the latest write of a memory of the final ideal bank, and the
        # gold answer is in the memories the evidence names.
        assert q["evidence"][-1] in latest, q
        texts = [latest[e] for e in q["evidence"] if e in latest]
        if q["category"] != 3:  # open-domain answers are inferred ("Portugal" from "Lisbon")
            for part in q["answer"].split(", "):
                assert any(part in t for t in texts), (q, texts)
        if q["category"] == 4 and "hobby" not in q["question"]:
            # ... and the speaker said it in the evidence turn.
            said = turns[q["evidence"][0]].lower()
            assert q["answer"].split()[-1].lower() in said, (q, said)


def _speakers(item: dict) -> tuple[str, str]:
    return item["conversation"]["speaker_a"], item["conversation"]["speaker_b"]


def _order(dia: str) -> tuple[int, int]:
    s, t = dia[1:].split(":")
    return int(s), int(t)


# -- templated output is unchanged -------------------------------------------------------------

# sha256 of json.dumps(item, sort_keys=True), computed with the generator before the difficulty
# knobs existed (commit ed408b7).
BEFORE = [
    (0, {}, "fc6430dbc6b61b265a251a75239eee719996579a9cb03b3f84c2730a90446781"),
    (1, {}, "ff5b0106928d8164a6b3d735b2e0e557c97ebef2646ee3abede0a82a68075fa8"),
    (7, {}, "1e18489bd58ef3e05408ea988e68cd90874d72fd67bc295f1ad3e3b0faa5095d"),
    (123456789, {}, "a3c2803cfbf3edecdc948c3dc86d02a60d6e3dd805bdad6fe82d3f8e7134bc25"),
    (
        3,
        {"n_sessions": 12, "facts_per_session": 9},
        "030ff77b404d87a56cd3326b1351270f09f89710d73ed4dc4dd2f335714a4d52",
    ),
    (
        5,
        {"update_rate": 0.6, "delete_rate": 0.3, "distractor_rate": 0.2},
        "968bb6c89e88e9fe4cf46e714650a730ee62d6dd6b47f72551e23d74396ed8be",
    ),
    (
        11,
        {"n_sessions": 3, "restate_rate": 0.4},
        "7094784e6458e52f35532fd3ef299e96b2b151deff523111bfeabef2b068fdde",
    ),
    (2, {"n_sessions": 16}, "108cb1e8c58837edbdd4d0dad4d5bf2e8700098294c8c314a724eac1d4eff2a8"),
    (
        4,
        {"n_sessions": 1, "facts_per_session": 1, "distractor_rate": 0.0},
        "0fd62957f9668a54ff4259533f87d5c618ca9efebdb70ff945be6da6065c3060",
    ),
]


@pytest.mark.parametrize(("seed", "knobs", "expected"), BEFORE)
def test_templated_output_is_unchanged(seed, knobs, expected):
    assert digest(generate_locomo_item(seed, **knobs)) == expected
    explicit = {
        "phrasing": "templated",
        "distractor_facts": 0.0,
        "false_change_rate": None,
        "saturation": "restate",
    }
    assert digest(generate_locomo_item(seed, **knobs, **explicit)) == expected


# -- determinism ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "knobs", [HARD, {"phrasing": "varied", "n_sessions": 12, "saturation": "churn"}]
)
def test_same_seed_and_knobs_give_the_same_item(knobs):
    assert digest(generate_locomo_item(9, **knobs)) == digest(generate_locomo_item(9, **knobs))
    assert digest(generate_locomo_item(9, **knobs)) != digest(generate_locomo_item(10, **knobs))
    assert generate_conversations(2, 5, **knobs) == generate_conversations(2, 5, **knobs)


def test_items_do_not_depend_on_the_process_or_hash_seed():
    code = (
        "import hashlib, json\n"
        "from memenv.data.synthetic import generate_locomo_item\n"
        f"item = generate_locomo_item(21, n_sessions=6, **{HARD!r})\n"
        "print(hashlib.sha256(json.dumps(item, sort_keys=True).encode()).hexdigest())\n"
    )
    here = digest(generate_locomo_item(21, n_sessions=6, **HARD))
    for hash_seed in ("0", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        out = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
        )
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip() == here


# -- knob validation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("knob", "value"),
    [
        ("phrasing", "fancy"),
        ("phrasing", None),
        ("distractor_facts", -0.1),
        ("distractor_facts", 0.8),
        ("distractor_facts", "0.3"),
        ("false_change_rate", 0.9),
        ("false_change_rate", True),
        ("saturation", "refill"),
    ],
)
def test_knob_validation(knob, value):
    with pytest.raises(ValueError, match=knob):
        generate_locomo_item(0, **{knob: value})


def test_extra_share_validation():
    with pytest.raises(ValueError, match="distractor_facts \\+ false_change_rate"):
        generate_locomo_item(0, distractor_facts=0.5, false_change_rate=0.3)


def test_unknown_knob_is_named():
    with pytest.raises(ValueError, match="'phrase'"):
        generate_conversations(1, 0, phrase="varied")
    assert {"phrasing", "distractor_facts", "false_change_rate", "saturation"} <= set(KNOBS)


# -- ideal operations agree with the dialogue ------------------------------------------------------


@pytest.mark.parametrize(
    "knobs",
    [
        {},
        {"phrasing": "varied"},
        HARD,
        {**HARD, "update_rate": 0.6, "delete_rate": 0.3, "restate_rate": 0.0},
        {"distractor_facts": 0.5, "false_change_rate": 0.25, "facts_per_session": 2},
    ],
)
def test_ideal_operations_replay_to_the_gold_answers(knobs):
    ops: Counter[str] = Counter()
    for seed in range(40):
        item = generate_locomo_item(seed, **knobs)
        check_against_ideal_bank(item)
        ops.update(f[3] for f in facts_of(item))
    assert set(ops) == {"ADD", "UPDATE", "DELETE", "NOOP"}


@pytest.mark.parametrize("saturation", ["restate", "churn"])
def test_32_session_conversations_stay_consistent(saturation):
    for seed in range(6):
        item = generate_locomo_item(seed, n_sessions=32, saturation=saturation, **HARD)
        assert len(item["conversation"]["session_32"]) > 0
        check_against_ideal_bank(item)
        questions = [q["question"] for q in item["qa"]]
        assert len(questions) == len(set(questions))


def test_value_pools_do_not_run_dry_in_32_sessions():
    """No person holds the same value of a kind twice in 32 heavily churning sessions."""
    for seed in range(10):
        item = generate_locomo_item(
            seed, n_sessions=32, update_rate=0.5, delete_rate=0.2, saturation="churn"
        )
        values: dict[tuple[str, str], list[str]] = {}
        for speaker, _, text, op, _ in facts_of(item):
            if op in ("ADD", "UPDATE"):
                values.setdefault((speaker, op), []).append(text)
        # every UPDATE of a city names a city this person never lived in before
        for speaker in _speakers(item):
            cities = [
                c
                for text in values.get((speaker, "UPDATE"), [])
                for c, _ in (*V.CITIES, *V.CITIES_MORE)
                if f"{speaker} now lives in {c}," in text
            ]
            assert len(cities) == len(set(cities)), cities
        check_against_ideal_bank(item)


def test_churn_keeps_long_conversations_changing():
    def late_noop_share(saturation: str) -> float:
        ops = [
            op
            for seed in range(8)
            for _, dia, _, op, _ in facts_of(
                generate_locomo_item(seed, n_sessions=24, saturation=saturation)
            )
            if _order(dia)[0] > 12
        ]
        return ops.count("NOOP") / len(ops)

    restate, churn = late_noop_share("restate"), late_noop_share("churn")
    assert restate > 0.35
    assert churn < 0.3


# -- varied phrasing -----------------------------------------------------------------------------


def test_varied_phrasing_tells_the_same_events_in_other_words():
    for seed in range(10):
        plain = generate_locomo_item(seed)
        varied = generate_locomo_item(seed, phrasing="varied", false_change_rate=0.0)
        a, b = facts_of(plain), facts_of(varied)
        assert [(s, d, op, t) for s, d, _, op, t in a] == [(s, d, op, t) for s, d, _, op, t in b]
        changed = sum(x[2] != y[2] for x, y in zip(a, b, strict=True))
        assert changed > len(a) // 2
        assert (
            plain["conversation"]["session_1_date_time"]
            == (varied["conversation"]["session_1_date_time"])
        )


def test_varied_phrasing_uses_many_wordings():
    texts = {
        text
        for seed in range(30)
        for _, _, text, op, _ in facts_of(generate_locomo_item(seed, phrasing="varied"))
        if op != "NOOP"
    }
    templated = {
        text
        for seed in range(30)
        for _, _, text, op, _ in facts_of(generate_locomo_item(seed))
        if op != "NOOP"
    }

    def shapes(ts: set[str]) -> set[str]:  # the wording without names, values and dates
        return {" ".join(w for w in t.split() if w.islower()) for t in ts}

    assert len(shapes(texts)) > 1.3 * len(shapes(templated))
    indirect = [t for t in texts if "made the move to" in t or "not with" in t]
    assert indirect


def test_phrasing_rules():
    fields = {
        "n": "Maya",
        "pos": "her",
        "sub": "she",
        "obj": "her",
        "other": "Leo",
        "v": "V",
        "a": "a",
        "field": "f",
        "country": "c",
        "sp": "dog",
        "open_q": "",
        "name": "Sam",
        "status": "dating",
        "event": "got engaged",
        "event_inf": "get engaged",
        "act": "act",
        "kin": "sister",
        "sib": "Ana",
        "rel": "REL",
        "since": "SINCE",
        "when": "WHEN",
    }
    fields |= {f"old_{k}": f"OLD_{v}" for k, v in list(fields.items())}
    for kind, text in VARIED.items():
        templated = V.KINDS[kind]
        for event in ("add", "add_t", "upd", "upd_t", "dele", "dele_t", "restate"):
            pairs = getattr(text, event)
            assert not pairs or getattr(templated, event), (kind, event)
            for turn, fact in pairs:
                turn_s, fact_s = turn.format_map(fields), fact.format_map(fields)
                where = (kind, event, turn, fact)
                timed = event.endswith("_t")
                assert ("REL" in turn_s) == timed, where
                assert ("SINCE" in fact_s or "WHEN" in fact_s) == timed, where
                assert "REL" not in fact_s and "SINCE" not in turn_s, where
                value = "dating Sam" if kind == "partner" and event != "restate" else "V"
                if kind == "partner" and event in ("dele", "dele_t", "restate"):
                    value = "Sam"
                assert value in fact_s, where
                assert fact_s.rstrip().endswith(".") and "{" not in fact_s, where


def test_distractor_texts_format():
    people = {"whom": "cousin", "who": "Ivy", "x": "X", "xa": "a", "xsp": "cat"}
    base = {"n": "Maya", "pos": "her", "sub": "she", "obj": "her", "other": "Leo"}
    held = {"v": "V", "sp": "dog", "a": "a", "name": "Sam", "status": "dating", "kin": "sister"}
    held |= {"sib": "Ana", "rel": "today", "since": "1 May 2023", "when": "on 1 May 2023"}
    for group in (D.OTHERS, D.ONE_OFF, D.FALSE_CHANGES):
        for text in group:
            for turn, fact in text.pairs:
                for t in (turn, fact):
                    t.format_map({**base, **people, **held})
                assert ("{rel}" in turn) == text.timed and ("{when}" in fact) == text.timed
                assert "{n}" in fact, fact
                if text.needs is None:  # nothing held: nothing of the speaker's to name
                    assert "{v}" not in turn + fact and "{name}" not in turn + fact, fact
    taken = {n for n, _ in V.SPEAKERS} | {*V.PARTNERS, *V.PARTNERS_MORE, *V.SISTERS, *V.BROTHERS}
    assert not set(D.OTHER_NAMES) & taken


# -- distractor facts and false changes ----------------------------------------------------------


def inserted_facts(plain: dict, noisy: dict) -> list[tuple[str, str, str, str, str | None]]:
    """The facts of ``noisy`` that ``plain`` lacks, checking that ``noisy`` holds every fact of
    ``plain`` (speaker, text, op), in order."""
    extra = []
    rest = iter(facts_of(noisy))
    for speaker, _, text, op, _ in facts_of(plain):
        for fact in rest:
            if (fact[0], fact[2], fact[3]) == (speaker, text, op):
                break
            extra.append(fact)
        else:
            pytest.fail(f"fact {text!r} missing from the item with distractors")
    return extra + list(rest)


def test_distractors_are_inserted_without_changing_the_events():
    for seed in range(10):
        plain = generate_locomo_item(seed, phrasing="varied", false_change_rate=0.0)
        noisy = generate_locomo_item(seed, **HARD)
        extra = inserted_facts(plain, noisy)
        assert len(extra) == len(facts_of(noisy)) - len(facts_of(plain)) > 0
        assert len(noisy["qa"]) == len(plain["qa"])
        for q_plain, q_noisy in zip(plain["qa"], noisy["qa"], strict=True):
            assert (q_plain["question"], q_plain["answer"]) == (
                q_noisy["question"],
                q_noisy["answer"],
            )


def test_distractor_facts_are_noop_and_no_question_needs_them():
    for seed in range(10):
        noisy = generate_locomo_item(seed, **HARD)
        extra = inserted_facts(
            generate_locomo_item(seed, phrasing="varied", false_change_rate=0.0), noisy
        )
        evidence = {e for q in noisy["qa"] for e in q["evidence"]}
        for _, dia, text, op, target in extra:
            assert op == "NOOP" and target is None, text
            assert dia not in evidence, text


@pytest.mark.parametrize(("distractors", "false"), [(0.3, 0.0), (0.0, 0.2), (0.3, 0.15)])
def test_extra_fact_shares(distractors, false):
    plain, extra = 0, 0
    for seed in range(30):
        a = facts_of(generate_locomo_item(seed, phrasing="varied", false_change_rate=0.0))
        b = facts_of(
            generate_locomo_item(
                seed, phrasing="varied", distractor_facts=distractors, false_change_rate=false
            )
        )
        plain, extra = plain + len(a), extra + len(b) - len(a)
    share = extra / (plain + extra)
    assert abs(share - (distractors + false)) < 0.05


def test_varied_phrasing_has_false_changes_by_default():
    shapes = [
        re.compile(re.sub(r"\\\{\w+\\\}", ".+", re.escape(fact)) + "$")
        for text in D.FALSE_CHANGES
        for _, fact in text.pairs
    ]
    for seed in range(5):
        item = generate_locomo_item(seed, phrasing="varied")
        plain = generate_locomo_item(seed, phrasing="varied", false_change_rate=0.0)
        added = Counter(f[2] for f in facts_of(item)) - Counter(f[2] for f in facts_of(plain))
        assert added
        for text in added:
            assert any(shape.match(text) for shape in shapes), text
