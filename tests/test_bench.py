"""``memenv bench``: the quick run produces every figure with sane values (no timing thresholds)."""

from __future__ import annotations

import json

import gymnasium as gym
import pytest

from envs_registry import env_ids
from memenv.data.longmemeval import load_longmemeval
from memenv.data.msc import load_msc
from memenv_app.bench import percentile
from memenv_app.bench.envs import VECTOR_IDS, ScriptedPolicy, write_longmemeval, write_msc
from memenv_app.bench.report import format_report
from memenv_app.bench.retrieval import ZipfText
from memenv_app.cli import main
from tests.env_cases import LOCOMO_FILE


@pytest.fixture(scope="module")
def quick_result(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "bench.json"
    locomo = ["--locomo-path", str(LOCOMO_FILE)] if LOCOMO_FILE.exists() else []
    assert main(["bench", "--quick", "--json", str(out), *locomo]) == 0
    return json.loads(out.read_text("utf-8"))


def _sane(stats: dict) -> None:
    assert stats["p50"] > 0
    assert stats["p95"] >= stats["p50"]
    assert stats["n"] > 0


def test_quick_bench_env_figures(quick_result):
    rates = quick_result["env_steps_per_s"]
    expected = [e for e in env_ids() if "LoCoMo" not in e or LOCOMO_FILE.exists()]
    assert sorted(rates) == sorted(expected)
    assert all(r > 0 for r in rates.values())
    vector = quick_result["vector_env_steps_per_s"]
    assert sorted(vector) == sorted(VECTOR_IDS)
    for modes in vector.values():
        assert sorted(modes) == ["async", "sync"]
        for by_n in modes.values():
            assert sorted(by_n) == ["1", "2", "4"]
            assert all(v > 0 for v in by_n.values())


def test_quick_bench_retrieval_figures(quick_result):
    retrieval = quick_result["retrieval_ms"]
    assert sorted(retrieval, key=int) == ["100", "1000"]
    for figures in retrieval.values():
        _sane(figures["bm25"])
        for method in ("dense_search", "dense_query", "dense_encode"):
            if method in figures:  # absent only when the MiniLM packages are missing
                _sane(figures[method])
    for ops in quick_result["bank_op_us"].values():
        for op in ("add", "update", "delete"):
            _sane(ops[op])


def test_quick_bench_pipeline_and_memory(quick_result):
    if LOCOMO_FILE.exists():
        assert quick_result["locomo_pipeline_s"] > 0
        p = quick_result["locomo_pipeline"]
        assert p["questions"] > 0 and p["per_question_ms_p50"] > 0
        assert all(c["total_s"] > 0 for c in p["per_conversation"])
    else:
        assert quick_result["locomo_pipeline_s"] is None
    assert sorted(quick_result["peak_rss_mb"]) == ["envs", "pipeline", "retrieval"]
    assert all(v > 0 for v in quick_result["peak_rss_mb"].values())
    text = format_report(quick_result)
    for heading in ("Environment throughput", "Retrieval latency", "Peak RSS"):
        assert heading in text


def test_generated_files_load(tmp_path):
    lme = load_longmemeval(write_longmemeval(tmp_path / "lme.json", 2, 3))
    assert len(lme) == 2 and all(len(c.sessions) == 3 and c.qa[0].evidence for c in lme)
    msc = load_msc(write_msc(tmp_path / "msc.jsonl", 3))
    assert len(msc) == 3 and all(len(c.sessions) == 5 for c in msc)


def test_zipf_text_is_seeded():
    a, b = ZipfText(seed=4).sentences(20), ZipfText(seed=4).sentences(20)
    assert a == b
    assert all(10 <= len(s.split()) <= 15 for s in a)


@pytest.mark.parametrize("env_id", ["MemoryManager-Synth-v0", "AnswerAgent-Synth-v0"])
def test_scripted_policy_actions_are_valid(env_id):
    env = gym.make(env_id)
    policy = ScriptedPolicy(env)
    env.reset(seed=0)
    for _ in range(30):
        _, _, terminated, _, info = env.step(policy.act())
        assert not info.get("invalid_action")
        if terminated:
            env.reset()


def test_percentile():
    assert percentile([3, 1, 2], 50) == 2
    assert percentile([1, 2, 3, 4], 95) == pytest.approx(3.85)


# ---------------------------------------------------------------------- speed work invariants
def test_memories_json_matches_json_dumps():
    import json as _json

    from memenv.memory import MemoryEntry
    from memenv.prompts import memories_json

    texts = ["plain", 'quo"te \\ back', "tab\tnew\nline", "é ☕ \U0001f600 \u2028 \x00", ""]
    entries = [MemoryEntry(f"m{i}", t, "x", "", (), 0, 0) for i, t in enumerate(texts)]
    for n in range(len(entries) + 1):
        expected = _json.dumps(
            [{"id": str(i), "text": m.text} for i, m in enumerate(entries[:n])],
            ensure_ascii=False,
        )
        assert memories_json(entries[:n]) == expected


def test_bank_version_changes_with_entries():
    from memenv.memory import MemoryBank

    bank = MemoryBank("a")
    seen = [bank.version]
    entry_id = bank.add("first memory").entry_id
    seen.append(bank.version)
    snap = bank.snapshot()
    bank.update(entry_id, "changed memory")
    seen.append(bank.version)
    bank.noop()
    assert bank.version == seen[-1]  # NOOP changes nothing
    bank.restore(snap)
    seen.append(bank.version)
    bank.delete(entry_id)
    seen.append(bank.version)
    assert len(set(seen)) == len(seen)


@pytest.mark.parametrize("reward", ["recall", "answer"])
def test_question_cache_gives_uncached_results(reward):
    from memenv.envs.memory_manager import MemoryManagerEnv
    from memenv.envs.question_memory import merged_by_score, retrieve_per_speaker
    from memenv.policies import RandomPolicy

    env = MemoryManagerEnv(
        synth_kwargs={"n": 2, "n_sessions": 6}, reward=reward, memories_per_speaker=5
    )
    policy = RandomPolicy(0)
    obs, info = env.reset(seed=0)
    checked = 0
    for _ in range(400):
        obs, _, terminated, _, info = env.step(policy.act(obs, info))
        for qa in env.conversation.qa[:5]:
            fresh = retrieve_per_speaker(env.banks, list(env.banks), qa.question, 5)
            assert env._episode.scorer.memories(qa, env.banks) == merged_by_score(fresh)
            checked += 1
        if terminated:
            obs, info = env.reset()
    assert checked


def test_answer_agent_reset_cache_matches_fresh_retrieval():
    from memenv.envs.answer_agent import AnswerAgentEnv

    env = AnswerAgentEnv(synth_kwargs={"n": 1, "n_sessions": 4})
    first = env.reset(options={"question": 0})[0]
    shown = list(env.shown)
    assert env.reset(options={"question": 0})[0] == first  # served from the cache
    assert env.shown == shown
    banks = env.banks_for(env.conversation)
    bank = banks[env.conversation.speakers[0]]
    bank.add(env.qa.question + " " + env.qa.answer)  # the bank changes: retrieve again
    again = env.reset(options={"question": 0})[0]
    fresh = AnswerAgentEnv(conversations=env.conversations, banks={env.conversation.id: banks})
    assert again == fresh.reset(options={"question": 0})[0]
    assert env.shown == fresh.shown
    assert again != first


def test_bench_llm_reports_tokens_per_second(tmp_path, capsys):
    out = tmp_path / "llm.json"
    argv = ["bench", "llm", "--backend", "tiny", "--batch-sizes", "1,2", "--new-tokens", "4"]
    assert main([*argv, "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    assert set(result["tokens_per_s"]) == {"1", "2"}
    assert all(rate > 0 for rate in result["tokens_per_s"].values())
    assert "new tokens/s" in capsys.readouterr().out


def test_bench_rl_quick_reports_every_figure(tmp_path, capsys, tiny_policy):
    """``memenv bench rl --quick``: peaks, training costs with MFU, rollouts, decode bounds, and
    the tier-1 RL training pass with its cheaper options."""
    out = tmp_path / "rl.json"
    argv = ["bench", "rl", "--quick", "--threads", "1", "--json", str(out)]
    assert main([*argv, "--rl-policy", str(tiny_policy)]) == 0
    result = json.loads(out.read_text())
    assert result["matmul_gflops"]["fp32"] > 0 and result["matmul_gflops"]["bf16"] > 0
    assert result["read_bandwidth_gb_s"] > 0
    tier1 = result["models"]["tier1"]
    assert set(tier1["train_step"]) == {
        "fp32",
        "bf16_autocast",
        "fp32_checkpointing",
        "shared_prompt_fp32",
        "shared_prompt_bf16_autocast",
        "shared_prompt_group_fp32",  # --quick: groups of 4 over micro-batches of 2
        "shared_prompt_group_bf16_autocast",
    }
    for figures in tier1["train_step"].values():
        assert figures["seconds"] > 0 and 0 < figures["mfu"] < 1.5
    assert tier1["train_step"]["shared_prompt_group_fp32"]["rows"] == 4
    assert tier1["train_step"]["fp32"]["rows"] == 2
    for group in tier1["rollout"].values():
        assert group["same_tokens_plain_vs_shared"] is True
        assert group["plain_fp32"]["seconds"] > 0 and group["speedup_shared"] > 0
    grpo = tier1["grpo_step"]
    assert grpo["before_s"] > 0 and grpo["speedup"] > 0
    assert grpo["micro_steps"] == 4  # 2 groups of 4 in micro-batches of 2
    rows = tier1["train_step"][grpo["after_uses"]["train"]]["rows"]
    assert grpo["after_micro_steps"] == 8 // rows
    assert set(tier1["decode"]) == {"1", "8", "32"}
    assert all(d["tokens_per_s"] > 0 for d in tier1["decode"].values())
    assert "smollm2" not in result["models"]  # --quick: the tier-1 model only
    rl_pass = result["rl_training_pass"]
    assert rl_pass["steps"] > 0 and 0 <= rl_pass["zero_advantage_share"] <= 1
    assert set(rl_pass["variants"]) == {
        "plain",
        "length_chunk_8",
        "skip_zero_advantage",
        "both",
    }
    for name, figures in rl_pass["variants"].items():
        assert figures["seconds"] > 0 and figures["speedup"] > 0
        # the same gradient as the plain pass, up to float rounding
        assert figures["max_grad_diff_relative"] < 1e-4, name
        skips = "skip" in name or name == "both"
        assert figures["trained_share"] == 1.0 or skips
    text = capsys.readouterr().out
    assert "training micro-step" in text and "GRPO step" in text and "decode batch" in text
    assert "tier-1 RL training pass" in text


def test_bench_rl_skips_the_training_pass_without_a_policy(monkeypatch):
    """No ``--rl-policy`` and no cached default build: the part is left out with a note."""
    import memenv_app.bench.rl as rl

    monkeypatch.setattr(rl, "default_policy", lambda: None)
    result = rl.run_rl_bench(quick=True, threads=1)
    assert "rl_training_pass" not in result
    assert any("training pass skipped" in note for note in result["notes"])
    assert "vs plain" not in rl.format_rl_report(result)  # no table, the note only


def test_bench_rl_names_a_missing_policy_folder(tmp_path, capsys):
    assert main(["bench", "rl", "--quick", "--rl-policy", str(tmp_path / "none")]) == 2
    assert "--rl-policy: no policy folder" in capsys.readouterr().err
