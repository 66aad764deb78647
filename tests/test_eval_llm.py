"""``memenv eval`` with LLM parts: the Memory-R1 manager, LLM deciders, the LLM answerer and the
judge, on the tiny model and against a scripted OpenAI-compatible server on 127.0.0.1."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from agents.llm.base import Completion, LLMBackend, Prompt, SamplingParams
from baselines._heuristics import Decision
from baselines.llm import DiskCachedBackend, LLMDecider, LLMSlot, make_llm_memory_system
from memenv.memory import MemoryBank
from memenv_app.cli import main
from memenv_app.evaluation import EvalConfig
from memenv_app.evaluation.compare import compare_table
from memenv_app.evaluation.pipeline import bank_cache_key

SYNTH = '{"n": 1, "n_sessions": 2}'


# ---------------------------------------------------------------------- scripted server
def _scripted_reply(messages: list[dict[str, str]]) -> str:
    """A well-behaved model: manager ADDs the fact, answerer cites [0], judge says CORRECT."""
    system, user = messages[0]["content"], messages[-1]["content"]
    if system.startswith("You grade"):
        gold = re.search(r"Gold answer: (.*)", user).group(1)  # type: ignore[union-attr]
        answer = re.search(r"Generated answer: (.*)", user).group(1)  # type: ignore[union-attr]
        label = "CORRECT" if gold.lower() in answer.lower() else "WRONG"
        return json.dumps({"label": label})
    if system.startswith("You manage"):
        fact = re.search(r"^- (.*)$", user, re.MULTILINE).group(1)  # type: ignore[union-attr]
        return json.dumps({"memory": [{"id": "new", "text": fact, "event": "ADD"}]})
    if system.startswith("You answer"):
        return "Relevant: [0]\n**Answer:** scripted answer"
    return "?"


class _Handler(BaseHTTPRequestHandler):
    requests: list[tuple[str, dict[str, Any]]]

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.requests.append((self.path, body))
        text = _scripted_reply(body.get("messages") or [{"content": body.get("prompt", "")}])
        payload = json.dumps(
            {
                "choices": [
                    {"message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
                ],
                "usage": {"completion_tokens": 5},
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


@pytest.fixture
def server():
    handler = type("Handler", (_Handler,), {"requests": []})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    handler.url = f"openai:http://127.0.0.1:{httpd.server_address[1]}/v1"  # type: ignore[attr-defined]
    yield handler
    httpd.shutdown()
    httpd.server_close()


def _eval(tmp_path: Path, name: str, *extra: str) -> int:
    args = [
        "eval",
        "--dataset",
        "synth",
        "--split",
        "val",
        "--synth-kwargs",
        SYNTH,
        "--limit",
        "4",
        "--out",
        str(tmp_path / name),
        "--cache-dir",
        str(tmp_path / "cache"),
        "--no-progress",
        *extra,
    ]
    return main(args)


def _results(tmp_path: Path, name: str) -> dict[str, Any]:
    return json.loads((tmp_path / name / "results.json").read_text())


# ---------------------------------------------------------------------- end to end
def test_tiny_llm_manager_and_answerer_run_to_the_end(tmp_path):
    args = ["--manager", "llm", "--answerer", "llm", "--llm", "tiny", "--max-new-tokens", "4"]
    assert _eval(tmp_path, "tiny", *args) == 0
    results = _results(tmp_path, "tiny")
    llm = results["llm"]
    assert llm["spec"] == "tiny" and llm["sampling"]["temperature"] == 0.0
    manager, answerer = llm["manager"], llm["answerer"]
    assert manager["generate_calls"] == manager["prompts"] > 0
    assert manager["new_tokens"] <= 4 * manager["prompts"] and manager["seconds"] > 0
    assert manager["unparsed"] <= manager["prompts"]
    # four questions, batch size 8: one generate call
    assert answerer["generate_calls"] == 1 and answerer["prompts"] == 4
    assert 0.0 <= answerer["format_rate"] <= 100.0
    rows = results["questions"]
    assert len(rows) == 4 and all("raw_output" in r and "answer_format_ok" in r for r in rows)
    md = (tmp_path / "tiny" / "results.md").read_text()
    assert "LLM `tiny`" in md and "| manager |" in md and "overall J" not in md
    # the manager's completions are logged for replay
    assert list((tmp_path / "cache" / "llm-completions").glob("*.jsonl"))


def test_openai_answerer_and_judge_against_a_scripted_server(tmp_path, server):
    args = ["--answerer", "llm", "--llm", server.url, "--model", "m", "--judge", server.url]
    assert _eval(tmp_path, "oa", *args, "--batch-size", "3") == 0
    results = _results(tmp_path, "oa")
    rows = results["questions"]
    assert [r["prediction"] for r in rows] == ["scripted answer"] * 4
    assert all(r["answer_format_ok"] and r["judge"] == 0.0 for r in rows)
    assert results["summary"]["overall"]["judge"] == 0.0
    assert results["llm"]["answerer"]["format_rate"] == 100.0
    assert results["llm"]["answerer"]["generate_calls"] == 2  # 4 questions in batches of 3
    assert results["llm"]["judge"]["prompts"] == 4 and results["llm"]["judge"]["unparsed"] == 0
    assert "manager" not in results["llm"]
    bodies = [b for path, b in server.requests if path.endswith("/chat/completions")]
    assert {b["model"] for b in bodies} >= {"m"} and len(bodies) == 8
    assert "overall J" in (tmp_path / "oa" / "results.md").read_text()


def test_judge_scores_correct_answers(tmp_path, server):
    # the extractive answerer gets most synthetic answers right; the judge must agree with EM
    assert _eval(tmp_path, "j", "--judge", server.url) == 0
    results = _results(tmp_path, "j")
    for row in results["questions"]:
        assert row["judge"] == float(row["gold"].lower() in row["prediction"].lower())
    assert results["summary"]["overall"]["judge"] is not None
    assert set(results["llm"]) >= {"judge", "sampling"}
    table = compare_table([("j", results)])
    assert "| J |" in table


@pytest.mark.parametrize("manager", ["llm", "mem0-llm", "a-mem-llm"])
def test_llm_managers_store_what_the_scripted_model_adds(tmp_path, server, manager):
    args = ["--manager", manager, "--llm", server.url]
    assert _eval(tmp_path, manager, *args) == 0
    results = _results(tmp_path, manager)
    stats = results["llm"]["manager"]
    assert stats["prompts"] > 0 and stats["unparsed"] == 0 and stats["fallbacks"] == 0
    assert results["summary"]["overall"]["evidence_recall"] > 0
    # second run: bank cache hit, no manager requests
    before = len(server.requests)
    assert _eval(tmp_path, manager + "-again", *args) == 0
    again = _results(tmp_path, manager + "-again")
    assert again["timings"]["cache_hit"] and len(server.requests) == before
    assert again["llm"]["manager"]["from_bank_cache"]


def test_rebuild_replays_the_manager_from_the_completion_log(tmp_path, server):
    args = ["--manager", "llm", "--llm", server.url]
    assert _eval(tmp_path, "r", *args) == 0
    for pickled in (tmp_path / "cache").glob("*.json"):
        pickled.unlink()  # as if the first build had been interrupted
    before = len(server.requests)
    assert _eval(tmp_path, "r2", *args) == 0
    stats = _results(tmp_path, "r2")["llm"]["manager"]
    assert not _results(tmp_path, "r2")["timings"]["cache_hit"]
    assert len(server.requests) == before and stats["replayed_from_disk"] == stats["prompts"]
    # --no-cache: neither the banks nor the completions are reused
    assert _eval(tmp_path, "r3", *args, "--no-cache") == 0
    assert len(server.requests) == before + stats["prompts"]


def test_llm_parts_need_a_backend(tmp_path, capsys):
    assert _eval(tmp_path, "x", "--manager", "llm") == 2
    assert "--llm" in capsys.readouterr().err
    assert _eval(tmp_path, "y", "--answerer", "llm") == 2
    assert "--llm" in capsys.readouterr().err


def test_bank_cache_key_includes_llm_settings():
    from memenv.data.registry import load_conversations

    convs = load_conversations("synth", split="val", synth_kwargs={"n": 1})
    base = EvalConfig(manager="llm", llm="tiny", synth_kwargs={"n": 1})
    key = bank_cache_key(base, convs, uses_llm=True)
    for change in ({"llm": "smollm2"}, {"max_new_tokens": 9}, {"temperature": 0.5}, {"model": "x"}):
        other = EvalConfig(**{**base.__dict__, **change})
        assert bank_cache_key(other, convs, uses_llm=True) != key
    same = EvalConfig(**{**base.__dict__, "batch_size": 2, "top_k": 5})
    assert bank_cache_key(same, convs, uses_llm=True) == key
    assert bank_cache_key(base, convs) != key  # non-LLM managers ignore the LLM settings


# ---------------------------------------------------------------------- units
class _Scripted(LLMBackend):
    def __init__(self, texts: list[str]):
        self.texts = list(texts)
        self.calls = 0

    def generate(
        self, prompts: Sequence[Prompt], params: SamplingParams | None = None
    ) -> list[Completion]:
        self.calls += 1
        return [Completion(self.texts.pop(0), []) for _ in prompts]


def test_decider_parses_filters_and_falls_back():
    bank = MemoryBank("Ann")
    bank.add("Ann lives in Paris.")
    shown = bank.entries()
    outputs = [
        '```json\n{"memory": [{"id": "0", "text": "Ann lives in Rome.", "event": "UPDATE"}]}\n```',
        "I think we should add it.",
        '{"memory": [{"id": "7", "event": "DELETE"}]}',
        '{"memory": [{"id": "0", "text": "Ann lives in Paris.", "event": "NONE"}]}',
    ]
    slot = LLMSlot()
    slot.attach(_Scripted(outputs))
    decider = LLMDecider(slot)
    decision = Decision("Ann moved to Rome.", "Ann", "", shown, [1.0], None)
    ops = [decider.decide(decision) for _ in outputs]
    assert [(o.op, o.target, o.text) for o in ops[0]] == [("UPDATE", "0", "Ann lives in Rome.")]
    assert [(o.op, o.text) for o in ops[1]] == [("ADD", "Ann moved to Rome.")]
    assert [(o.op, o.text) for o in ops[2]] == [("ADD", "Ann moved to Rome.")]
    assert [o.op for o in ops[3]] == ["NOOP"]
    s = slot.stats
    assert (s.unparsed, s.invalid_ops, s.fallbacks, s.prompts) == (1, 1, 2, 4)


def test_make_llm_memory_system_and_slot_pickles_without_the_model(tmp_path):
    import pickle

    system = make_llm_memory_system("mem0-llm", _Scripted(["x"]))
    assert system.extra["needs_llm"] and system.extra["llm"].backend is not None
    restored = pickle.loads(pickle.dumps(system.extra))
    assert restored["llm"].backend is None and restored["llm"].stats == system.extra["llm"].stats
    with pytest.raises(ValueError, match="does not use an LLM"):
        make_llm_memory_system("add-all", _Scripted([]))
    with pytest.raises(ValueError, match="--llm"):
        LLMSlot().require()


def test_disk_cache_replays_identical_prompts(tmp_path):
    inner = _Scripted(["a", "b"])
    params = SamplingParams(max_new_tokens=3)
    first = DiskCachedBackend(inner, tmp_path / "c.jsonl", "tag")
    assert [c.text for c in first.generate(["p", "q"], params)] == ["a", "b"]
    second = DiskCachedBackend(_Scripted([]), tmp_path / "c.jsonl", "tag")
    assert [c.text for c in second.generate(["q", "p"], params)] == ["b", "a"]
    assert second.hits == 2
    other = DiskCachedBackend(_Scripted(["z"]), tmp_path / "c.jsonl", "other-model")
    assert other.generate(["p"], params)[0].text == "z"
