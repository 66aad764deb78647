"""Categories, splits, the dataset registry and ``memenv data stats`` figures."""

from __future__ import annotations

import hashlib
import json
import os
import sys
import types
from collections import Counter

import pytest

from memenv.data import registry
from memenv.data.categories import LOCOMO_NAMES, PAPER_NAMES, category_name
from memenv.data.errors import DatasetUnavailableError
from memenv.data.records import QA, Conversation, Fact, Session, Turn
from memenv.data.splits import SPLITS, hash_split_of, select_split
from memenv.data.stats import dataset_stats, format_stats
from tests.test_locomo import make_item


def conversation(cid: str, categories=(1, 4, 5), dataset: str = "locomo") -> Conversation:
    turns = (Turn("D1:1", "A", "hello"), Turn("D1:2", "B", "hi"))
    qa = tuple(
        QA(
            id=f"{cid}/q{i}",
            question="?",
            answer="a",
            evidence=("D1:1",),
            category=c,
            raw_evidence=("D1:1",),
        )
        for i, c in enumerate(categories)
    )
    fact = Fact("A says hello.", "A", 1, "", None, ("D1:1",))
    return Conversation(
        id=cid,
        speakers=("A", "B"),
        sessions=(Session(1, None, "", turns), Session(2, None, "", ())),
        qa=qa,
        facts=(fact,),
        dataset=dataset,
    )


@pytest.fixture(autouse=True)
def fresh_cache():
    registry.clear_cache()
    yield
    registry.clear_cache()


# -- categories ---------------------------------------------------------------------------------


def test_category_views():
    assert category_name(1) == "single-hop" == PAPER_NAMES[1] == LOCOMO_NAMES[4]
    assert category_name(1, "locomo") == "multi-hop"
    assert category_name(3, "paper") == "multi-hop"
    assert category_name(5) == category_name(5, "locomo") == "adversarial"
    assert category_name(9) == "category 9"
    with pytest.raises(ValueError, match="paper"):
        category_name(1, "mem0")


# -- splits -------------------------------------------------------------------------------------


LOCOMO_IDS = ["conv-26", "conv-30", "conv-41", "conv-42", "conv-43"]


def test_locomo_split_by_conversation():
    convs = [conversation(c) for c in LOCOMO_IDS]
    assert [c.id for c in select_split(convs, "train")] == ["conv-26"]
    assert [c.id for c in select_split(convs, "val")] == ["conv-30"]
    assert [c.id for c in select_split(convs, "test")] == ["conv-41", "conv-42", "conv-43"]
    assert [c.id for c in select_split(convs, "all")] == LOCOMO_IDS


def test_category_5_dropped_unless_asked():
    convs = [conversation("conv-26", (5, 1, 5, 2))]
    (train,) = select_split(convs, "train")
    assert [qa.category for qa in train.qa] == [1, 2]
    assert [qa.id for qa in train.qa] == ["conv-26/q1", "conv-26/q3"]
    (kept,) = select_split(convs, "train", include_adversarial=True)
    assert kept is convs[0]
    assert [qa.category for qa in convs[0].qa] == [5, 1, 5, 2]  # the input is not changed


def test_unknown_split():
    with pytest.raises(ValueError, match="train, val, test, all"):
        select_split([conversation("conv-26")], "dev")


def test_empty_test_split_says_what_is_missing():
    convs = [conversation("conv-26"), conversation("conv-30")]
    with pytest.raises(DatasetUnavailableError) as info:
        select_split(convs, "test", source="locomo10_trainval.json")
    message = str(info.value)
    assert "split 'test'" in message and "locomo10_trainval.json" in message
    assert "conv-26, conv-30" in message and "full official file" in message
    with pytest.raises(DatasetUnavailableError, match="conv-30"):
        select_split([conversation("conv-26")], "val")


def test_hash_split_is_stable_and_documented():
    ids = [f"question-{i}" for i in range(200)]
    expected = {0: "train", 1: "val"}
    for cid in ids:
        bucket = hashlib.sha1(cid.encode()).digest()[0] % 10
        assert hash_split_of(cid) == expected.get(bucket, "test")
    convs = [conversation(cid, dataset="longmemeval") for cid in ids]
    parts = {s: select_split(convs, s, dataset="longmemeval") for s in ("train", "val", "test")}
    assert sorted(c.id for p in parts.values() for c in p) == sorted(ids)
    assert all(parts.values())  # 200 ids fill every split
    assert Counter(hash_split_of(c) for c in ids)["test"] > 100
    assert len(select_split(convs, "all", dataset="msc")) == 200


def test_empty_hash_split_suggests_all():
    train_only = next(f"q{i}" for i in range(100) if hash_split_of(f"q{i}") == "train")
    with pytest.raises(DatasetUnavailableError, match="split='all'"):
        select_split([conversation(train_only, dataset="msc")], "test", dataset="msc")


# -- registry -----------------------------------------------------------------------------------


def write_locomo(path, *ids):
    items = []
    for cid in ids:
        item = make_item()
        item["sample_id"] = cid
        items.append(item)
    path.write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")
    return path


def test_registry_locomo_file(tmp_path):
    path = write_locomo(tmp_path / "small.json", "conv-26", "conv-30", "conv-50")
    train = registry.load_conversations("locomo", data_path=path)
    assert [c.id for c in train] == ["conv-26"]
    assert all(qa.category != 5 for qa in train[0].qa)
    test = registry.load_conversations("locomo", data_path=str(path), split="test")
    assert [c.id for c in test] == ["conv-50"]
    every = registry.load_conversations(
        "locomo", data_path=path, split="all", include_adversarial=True
    )
    assert sum(len(c.qa) for c in every) == 27


def test_registry_caches_parsed_files(tmp_path, monkeypatch):
    from memenv.data import locomo

    calls = []
    real = locomo.load_locomo
    monkeypatch.setattr(locomo, "load_locomo", lambda p: calls.append(p) or real(p))
    path = write_locomo(tmp_path / "small.json", "conv-26", "conv-30")
    kwargs = {"data_path": path, "split": "all", "include_adversarial": True}
    first = registry.load_conversations("locomo", **kwargs)
    second = registry.load_conversations("locomo", **kwargs)
    assert len(calls) == 1
    assert first == second and first is not second
    assert first[0] is second[0]  # the same frozen records, not a re-parse
    write_locomo(path, "conv-26")  # the file changed: parsed again
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    assert len(registry.load_conversations("locomo", data_path=path, split="all")) == 1
    assert len(calls) == 2


def test_registry_errors(tmp_path):
    with pytest.raises(ValueError, match="locomo, synth, longmemeval, msc"):
        registry.load_conversations("squad")
    with pytest.raises(ValueError, match="valid splits"):
        registry.load_conversations("locomo", data_path=tmp_path, split="dev")
    with pytest.raises(DatasetUnavailableError, match="data_path"):
        registry.load_conversations("longmemeval")
    with pytest.raises(DatasetUnavailableError, match="missing.jsonl"):
        registry.load_conversations("msc", data_path=tmp_path / "missing.jsonl")
    with pytest.raises(DatasetUnavailableError, match="nope.json"):
        registry.load_conversations("locomo", data_path=tmp_path / "nope.json")


def test_registry_locomo_without_path_uses_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MEMENV_DATA_DIR", str(tmp_path))
    with pytest.raises(DatasetUnavailableError, match="download=False"):
        registry.load_conversations("locomo", download=False)


@pytest.mark.parametrize(
    ("dataset", "module", "func"),
    [
        ("longmemeval", "memenv.data.longmemeval", "load_longmemeval"),
        ("msc", "memenv.data.msc", "load_msc"),
    ],
)
def test_registry_dispatches_file_datasets(tmp_path, monkeypatch, dataset, module, func):
    ids = [f"{dataset}-{i}" for i in range(40)]
    seen = []

    def loader(path):
        seen.append(path)
        return [conversation(cid, (1, 5), dataset=dataset) for cid in ids]

    fake = types.ModuleType(module)
    setattr(fake, func, loader)
    monkeypatch.setitem(sys.modules, module, fake)
    path = tmp_path / "data.json"
    path.write_text("{}")
    val = registry.load_conversations(dataset, data_path=path, split="val")
    assert [c.id for c in val] == [c for c in ids if hash_split_of(c) == "val"]
    assert all(len(c.qa) == 2 for c in val)  # category 5 is not adversarial outside LoCoMo
    every = registry.load_conversations(dataset, data_path=path, split="all")
    assert len(every) == 40
    assert len(seen) == 1 and seen[0] == path.resolve()


@pytest.fixture
def fake_synth(monkeypatch):
    calls = []

    def generate_conversations(n, seed, **knobs):
        calls.append((n, seed, knobs))
        return [conversation(f"synth-{seed}-{i}", (1, 5), dataset="synth") for i in range(n)]

    fake = types.ModuleType("memenv.data.synthetic")
    fake.generate_conversations = generate_conversations
    monkeypatch.setitem(sys.modules, "memenv.data.synthetic", fake)
    return calls


def test_registry_synth_splits(fake_synth):
    assert len(registry.load_conversations("synth")) == 8
    assert len(registry.load_conversations("synth", split="val")) == 4
    assert len(registry.load_conversations("synth", split="test")) == 8
    assert fake_synth == [(8, 0, {}), (4, 10_000, {}), (8, 20_000, {})]
    every = registry.load_conversations("synth", split="all")
    assert len(every) == 20 and len(fake_synth) == 3  # all three parts were cached
    assert all(qa.category != 5 for c in every for qa in c.qa)
    adversarial = registry.load_conversations("synth", split="val", include_adversarial=True)
    assert all(len(c.qa) == 2 for c in adversarial)


def test_registry_synth_kwargs(fake_synth):
    convs = registry.load_conversations(
        "synth", split="val", synth_kwargs={"n": 2, "seed": 3, "n_sessions": 4}
    )
    assert [c.id for c in convs] == ["synth-10003-0", "synth-10003-1"]
    assert fake_synth == [(2, 10_003, {"n_sessions": 4})]
    registry.load_conversations("synth", split="val", synth_kwargs={"n_sessions": 5})
    assert fake_synth[-1] == (4, 10_000, {"n_sessions": 5})
    with pytest.raises(ValueError, match="valid splits"):
        registry.load_conversations("synth", split="dev")


# -- stats --------------------------------------------------------------------------------------


def test_stats_on_records():
    convs = [conversation("conv-26", (1, 2, 5)), conversation("conv-41", (4, 4, 3, 5))]
    stats = dataset_stats(convs)
    assert stats["conversations"] == 2
    assert stats["sessions"] == 2  # sessions with turns only
    assert stats["turns"] == 4
    assert stats["questions"] == 7
    assert stats["by_category"] == {"1": 1, "2": 1, "3": 1, "4": 2, "5": 2}
    assert stats["splits"] == {"train": 2, "val": 0, "test": 3}
    assert stats["facts"] == 2
    assert stats["evidence_problems"]["total"]["problems"] == 0
    text = format_stats(stats)
    assert "category 4 (open-domain; LoCoMo: single-hop)" in text
    json.dumps(stats)  # JSON-ready for --json


def test_stats_report_evidence_problems_per_conversation(tmp_path):
    path = write_locomo(tmp_path / "small.json", "conv-26", "conv-30")
    convs = registry.load_conversations(
        "locomo", data_path=path, split="all", include_adversarial=True
    )
    stats = dataset_stats(convs)
    problems = stats["evidence_problems"]
    assert problems["total"]["problems"] == 10
    assert problems["by_conversation"]["conv-26"]["multi_id"] == 2
    text = format_stats(stats)
    assert "evidence problems" in text and "conv-30" in text and "multi id 2" in text


def test_stats_of_other_datasets():
    convs = [conversation(f"lme-{i}", (1, 5), dataset="longmemeval") for i in range(20)]
    convs.append(conversation("synth-0", (1,), dataset="synth"))
    stats = dataset_stats(convs)
    # two questions each (categories 1 and 5: LongMemEval's 5 is knowledge-update, counted);
    # the synthetic conversation has no id split
    assert sum(stats["splits"].values()) == 40
    assert stats["datasets"] == ["longmemeval", "synth"]
    text = format_stats(stats)
    assert "category 1 " in text and "single-hop" not in text  # LoCoMo names only for LoCoMo


@pytest.mark.data
def test_real_file_splits_and_stats(locomo_path):
    train = registry.load_conversations("locomo", data_path=locomo_path)
    val = registry.load_conversations("locomo", data_path=locomo_path, split="val")
    assert [c.id for c in train] == ["conv-26"] and [c.id for c in val] == ["conv-30"]
    assert sum(len(c.qa) for c in train) == 152 and sum(len(c.qa) for c in val) == 81
    with pytest.raises(DatasetUnavailableError) as info:
        registry.load_conversations("locomo", data_path=locomo_path, split="test")
    assert "locomo10_trainval.json" in str(info.value) and "conv-26, conv-30" in str(info.value)

    every = registry.load_conversations(
        "locomo", data_path=locomo_path, split="all", include_adversarial=True
    )
    stats = dataset_stats(every)
    figures = [stats[k] for k in ("conversations", "sessions", "turns", "questions", "facts")]
    assert figures == [2, 38, 788, 304, 353]
    assert stats["splits"] == {"train": 152, "val": 81, "test": 0}
    assert stats["by_category"] == {"1": 43, "2": 63, "3": 13, "4": 114, "5": 71}
    assert stats["evidence_problems"]["by_conversation"] == {
        "conv-26": {
            "multi_id": 1,
            "repaired": 0,
            "unparseable": 0,
            "unknown_ids": 0,
            "fact_unknown_ids": 0,
            "facts_without_source": 0,
            "problems": 1,
        }
    }
    assert set(SPLITS) == {"train", "val", "test", "all"}
