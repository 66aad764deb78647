"""Tier 1: prompt renderers on real observations, corpus, tokenizer, deterministic build, cache,
backend."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("tokenizers")

from agents.tier1.build import (  # noqa: E402
    BUILD_INFO,
    WEIGHTS,
    Tier1Config,
    Tier1NotBuiltError,
    build_key,
    build_tier1,
    load_tier1,
)
from agents.tier1.corpus import (  # noqa: E402
    MIN_CORPUS_SEED,
    CorpusConfig,
    build_corpus,
    corpus_conversations,
)
from agents.tier1.pretrain import TrainConfig, lr_at, pack_rows  # noqa: E402
from agents.tier1.prompts import (  # noqa: E402
    format_manager_action,
    parse_answer,
    parse_manager_action,
    render_answer_prompt,
    render_manager_prompt,
    short_date,
)
from agents.tier1.tokenizer import (  # noqa: E402
    BOS,
    TokenizerConfig,
    encode_documents,
    train_tokenizer,
)
from memenv.envs import AnswerAgentEnv, MemoryManagerEnv  # noqa: E402

TINY = replace(Tier1Config.tiny(), eval_conversations=1)


@pytest.fixture(scope="module")
def tiny_build(tmp_path_factory) -> Path:
    return build_tier1(tmp_path_factory.mktemp("tier1") / "build", seed=0, config=TINY)


# ---------------------------------------------------------------- prompts


def _manager_observations(n: int = 12):
    env = MemoryManagerEnv("synth", split="val", reward="none")
    obs, info = env.reset(options={"conversation": 0})
    out = []
    for _ in range(n):
        out.append(obs)
        obs, *_ = env.step({"op": 0})
    return out


def test_manager_prompt_from_real_observations():
    observations = _manager_observations()
    assert any(json.loads(o["memories"]) for o in observations)
    for obs in observations:
        prompt = render_manager_prompt(obs)
        memories = json.loads(obs["memories"])
        assert prompt.startswith(f"fact: {obs['fact']}\nmemories:\n")
        assert prompt.endswith("\naction:")
        for m in memories:
            assert f"\n{m['id']}: {m['text']}\n" in prompt
        if not memories:
            assert "\n(none)\n" in prompt


def test_manager_prompt_example_of_the_brief():
    obs = {
        "fact": "Maya moved to Lisbon.",
        "memories": json.dumps(
            [
                {"id": "0", "text": "Maya lives in Austin."},
                {"id": "1", "text": "Maya works as a nurse."},
            ]
        ),
    }
    expected = (
        "fact: Maya moved to Lisbon.\nmemories:\n0: Maya lives in Austin.\n"
        "1: Maya works as a nurse.\naction:"
    )
    assert render_manager_prompt(obs) == expected
    with pytest.raises(ValueError, match="memories"):
        render_manager_prompt({"fact": "x", "memories": "not json"})
    with pytest.raises(ValueError, match="fact"):
        render_manager_prompt({"memories": "[]"})


def test_answer_prompt_from_real_observation():
    env = AnswerAgentEnv("synth", split="val", memories_per_speaker=30)
    obs, _ = env.reset(options={"question": 3})
    prompt = render_answer_prompt(obs, per_speaker=4)
    lines = prompt.splitlines()
    assert lines[0] == f"question: {obs['question']}"
    assert lines[1] == f"date: {short_date(obs['question_date'])}"
    assert re.fullmatch(r"date: \d{1,2} [A-Z][a-z]+ \d{4}", lines[1])
    assert lines[2] == f"memories of {obs['speaker_a']}:"
    ids = [int(line.split(":")[0]) for line in lines if re.match(r"^\d+: ", line)]
    assert ids == [0, 1, 2, 3, 30, 31, 32, 33]  # the environment's ids (B's start at k=30)
    first = obs["memories_a"].splitlines()[0]
    text = first.split(") ", 1)[1]
    assert lines[3].endswith(text) and lines[3].startswith("0: (")
    assert prompt.endswith("\nanswer:")


def test_short_date():
    assert short_date("3:36 pm on 5 January, 2023") == "5 January 2023"
    assert short_date("2023/05/07 (Sun) 17:00") == "2023/05/07 (Sun) 17:00"


@pytest.mark.parametrize(
    ("text", "shown", "expected"),
    [
        (" ADD", 0, ("ADD", None, "")),
        (" NOOP\nmore", 0, ("NOOP", None, "")),
        (" UPDATE 0", 1, ("UPDATE", 0, "")),
        (" UPDATE 1: Maya lives in Lisbon.", 2, ("UPDATE", 1, "Maya lives in Lisbon.")),
        (" DELETE 4", 5, ("DELETE", 4, "")),
        (" DELETE 5", 5, None),  # not a shown memory
        (" DELETE", 5, None),
        (" ADD 3", 5, None),
        (" NOOP: text", 5, None),
        (" add", 0, None),
        ("", 0, None),
        ("fact: x", 0, None),
    ],
)
def test_parse_manager_action(text, shown, expected):
    action = parse_manager_action(text, shown)
    assert (None if action is None else (action.op, action.target, action.text)) == expected


def test_format_manager_action_round_trip():
    for op, target, text in [("ADD", None, ""), ("UPDATE", 2, "new text"), ("DELETE", 0, "")]:
        action = parse_manager_action(format_manager_action(op, target, text), 3)
        assert action is not None and (action.op, action.target, action.text) == (op, target, text)
    with pytest.raises(ValueError):
        format_manager_action("DELETE")
    assert parse_answer("\n  7 May 2023 \nmore") == "7 May 2023"


# ---------------------------------------------------------------- corpus


def test_corpus_deterministic_and_teaches_format_not_policy():
    config = CorpusConfig(n_conversations=3)
    first, second = build_corpus(config), build_corpus(config)
    assert first.sha256() == second.sha256()
    assert build_corpus(replace(config, seed=config.seed + 7)).sha256() != first.sha256()
    counts = first.counts()
    assert all(counts[k] > 0 for k in counts)
    ops = {"ADD": 0, "UPDATE": 0, "DELETE": 0, "NOOP": 0}
    with_memories = 0
    for doc in first.documents:
        if doc.kind != "manager":
            continue
        prompt, completion = doc.text.rsplit("action:", 1)
        shown = len(re.findall(r"^\d+: ", prompt, flags=re.M))
        action = parse_manager_action(completion, shown)
        assert action is not None, doc.text  # every example is well formed and valid
        ops[action.op] += 1
        with_memories += shown > 0
    total = sum(ops.values())
    # uniform over valid ops: each op near its share, nothing like an ideal policy's mix
    assert with_memories / total > 0.8
    for op in ops:
        assert 0.15 < ops[op] / total < 0.35, ops
    answers = [d.text for d in first.documents if d.kind == "answer"]
    assert answers and all(
        "\nanswer: " in a and a.rsplit("answer: ", 1)[1].strip() for a in answers
    )


def test_corpus_conversations_are_not_in_the_synthetic_splits():
    from memenv.data.registry import SYNTH_SPLITS
    from memenv.data.synthetic import item_seed

    convs = corpus_conversations(CorpusConfig(n_conversations=4))
    corpus_seeds = {item_seed(int(c.id.split("-")[1]), 0) for c in convs}
    split_seeds = {
        item_seed(base + shift, i)
        for base, n in SYNTH_SPLITS.values()
        for shift in range(0, 1000)
        for i in range(n)
    }
    assert not corpus_seeds & split_seeds
    assert all(int(c.id.split("-")[1]) >= MIN_CORPUS_SEED for c in convs)
    with pytest.raises(ValueError, match="corpus seed"):
        CorpusConfig(seed=10_000)


# ---------------------------------------------------------------- tokenizer


def test_tokenizer_round_trip_and_determinism():
    texts = build_corpus(CorpusConfig(n_conversations=2)).texts()
    tok = train_tokenizer(texts, TokenizerConfig(vocab_size=500))
    again = train_tokenizer(texts, TokenizerConfig(vocab_size=500))
    assert tok.backend_tokenizer.to_str() == again.backend_tokenizer.to_str()
    for text in [*texts[:50], "Zoë moved to Zürich 🎉 on 7 May 2023.\n  two  spaces"]:
        ids = tok(text, add_special_tokens=False)["input_ids"]
        assert tok.decode(ids) == text
    [doc] = encode_documents(tok, ["fact: x\naction: ADD"])
    assert doc[0] == tok.bos_token_id and doc[-1] == tok.eos_token_id
    assert tok.convert_ids_to_tokens(doc[0]) == BOS
    assert tok.pad_token_id not in (tok.bos_token_id, tok.eos_token_id)


# ---------------------------------------------------------------- training pieces


def test_pack_rows_and_schedule():
    docs = [[1, 2, 3], [4, 5], [6, 7, 8, 9]]
    rows = pack_rows(docs, 4, seed=0)
    assert rows.shape == (2, 4)
    assert np.array_equal(rows, pack_rows(docs, 4, seed=0))
    assert set(rows.ravel().tolist()) <= set(range(1, 10)) and len(set(rows.ravel().tolist())) == 8
    config = TrainConfig(steps=100, lr=1.0, warmup_steps=10, min_lr_ratio=0.1)
    assert lr_at(0, config) == pytest.approx(0.1)
    assert lr_at(9, config) == pytest.approx(1.0)
    assert lr_at(99, config) == pytest.approx(0.1, abs=1e-3)
    assert (
        TrainConfig(budget_seconds=100).total_steps != TrainConfig(budget_seconds=200).total_steps
    )


# ---------------------------------------------------------------- build, cache, backend


def test_build_is_deterministic(tiny_build, tmp_path):
    again = build_tier1(tmp_path / "again", seed=0, config=TINY)
    assert (again / WEIGHTS).read_bytes() == (tiny_build / WEIGHTS).read_bytes()
    info = json.loads((tiny_build / BUILD_INFO).read_text())
    assert info["key"] == build_key(TINY, 0) and info["steps"] == 6 and info["seed"] == 0
    for field in ("final_loss", "eval_loss", "wall_seconds", "cpu_seconds", "parameters"):
        assert info[field] > 0
    assert info["corpus"]["sha256"] == build_corpus(TINY.corpus).sha256()
    other = build_tier1(tmp_path / "seed1", seed=1, config=TINY)
    assert (other / WEIGHTS).read_bytes() != (tiny_build / WEIGHTS).read_bytes()
    assert not any(p.suffix in (".bin", ".pt", ".pkl") for p in tiny_build.iterdir())


def test_cache_hit_on_second_call(tmp_path, monkeypatch):
    monkeypatch.setenv("MEMENV_CACHE_DIR", str(tmp_path))
    config = replace(TINY, train=replace(TINY.train, steps=2))
    first = build_tier1(seed=3, config=config)
    assert first == tmp_path / "tier1" / build_key(config, 3)
    stamp = (first / WEIGHTS).stat().st_mtime_ns
    messages: list[str] = []
    assert build_tier1(seed=3, config=config, log=messages.append) == first
    assert (first / WEIGHTS).stat().st_mtime_ns == stamp
    assert any("already built" in m for m in messages)
    assert build_key(config, 3) != build_key(config, 4)
    assert build_key(config, 3) != build_key(
        replace(config, train=replace(config.train, steps=3)), 3
    )


def test_backend_loads_the_build_and_generates(tiny_build):
    from agents.llm import SamplingParams
    from agents.llm.factory import make_backend

    backend = make_backend(f"tier1:{tiny_build}", num_threads=1)
    assert backend.name == "tier1"
    prompts = [render_manager_prompt(o) for o in _manager_observations(3)]
    params = SamplingParams(max_new_tokens=8, temperature=1.0, seed=0)
    out = backend.generate(prompts, params)
    assert len(out) == 3 and all(0 < len(c.token_ids) <= 8 for c in out)
    assert all(c.logprobs is not None and len(c.logprobs) == len(c.token_ids) for c in out)
    assert [c.text for c in backend.generate(prompts, params)] == [c.text for c in out]
    assert backend.encode(prompts[0])[0] == backend.tokenizer.bos_token_id


def test_missing_build_names_the_command(tmp_path, monkeypatch):
    from agents.llm.factory import make_backend

    monkeypatch.setenv("MEMENV_CACHE_DIR", str(tmp_path))
    with pytest.raises(Tier1NotBuiltError, match="memenv tier1 build"):
        make_backend("tier1")
    with pytest.raises(Tier1NotBuiltError, match="not a complete tier-1 build"):
        load_tier1(tmp_path)


def test_cli_build_and_errors(tmp_path, capsys):
    import argparse

    from agents.tier1.cli import main, register

    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(
        ["tier1", "build", "--seed", "2", "--out", str(tmp_path / "b"), "--budget-seconds", "30"]
    )
    assert (args.seed, args.budget_seconds, args.out) == (2, 30.0, str(tmp_path / "b"))
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "file.txt").write_text("x")
    assert main(["build", "--out", str(tmp_path / "junk"), "--steps", "1"]) == 2
    assert "not a tier-1 build" in capsys.readouterr().err


def test_probe_rates_on_real_prompts(tiny_build):
    from agents.llm.factory import make_backend
    from agents.tier1.probe import manager_probe_prompts, probe_answers, probe_manager

    items = manager_probe_prompts(12, seed=1)
    assert items == manager_probe_prompts(12, seed=1)
    assert all(item.prompt.endswith("\naction:") for item in items)
    assert all(
        (item.ideal_target is not None) == (item.ideal_op in ("UPDATE", "DELETE"))
        and (item.ideal_target is None or item.ideal_target < item.shown)
        for item in items
    )
    backend = make_backend(f"tier1:{tiny_build}", num_threads=1)
    report = probe_manager(backend, n=12)
    assert sum(report["ops"].values()) == 12 == sum(report["ideal_ops"].values())
    assert 0 <= report["ideal_action_rate"] <= report["valid_rate"] <= report["well_formed_rate"]
    answers = probe_answers(backend)
    assert answers["prompts"] > 0 and 0 <= answers["short_answer_rate"] <= 1
