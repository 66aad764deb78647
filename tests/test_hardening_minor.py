"""Issue 17 item 10: the minor faults (and lone surrogates from an LLM server, item 7's cousin)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

import memenv  # noqa: F401  (registers the ids)
from memenv.data import download
from memenv_app.evaluation import EvalConfig, run_eval

ROOT = Path(__file__).resolve().parents[1]
SYNTH = {"synth_kwargs": {"n": 1, "n_sessions": 3}}


def manager():
    env = gym.make("MemoryManager-Synth-v0", **SYNTH)
    env.reset(seed=0)
    return env


def answerer():
    env = gym.make("AnswerAgent-Synth-v0", **SYNTH)
    env.reset(seed=0)
    return env


def test_target_true_is_not_read_as_id_1():
    env = manager()
    for _ in range(3):  # ADD the first facts so that ids 0 and 1 are shown
        env.step({"op": 0, "text": ""})
    shown = env.unwrapped.shown
    assert len(shown) >= 2
    before = shown[1].text
    _, _, _, _, info = env.step({"op": 1, "target": True, "text": "changed"})
    assert "target 'True' is not a shown memory id" in info["invalid_action"]
    assert all(e.text != "changed" for b in env.unwrapped.banks.values() for e in b) and before


def test_nan_in_an_answer_selection_mask_selects_nothing():
    env = answerer()
    mask = np.zeros(env.action_space["selected"].n)
    mask[[0, 3]] = [1.0, np.nan]
    _, _, _, _, info = env.step({"selected": mask, "answer": "x"})
    assert info["selected_ids"] == [] and "NaN" in info["invalid_action"]
    env.reset(seed=0)
    _, _, _, _, info = env.step({"selected": [True, 2], "answer": "x"})
    assert info["selected_ids"] == [] and "True" in info["invalid_action"]
    env.reset(seed=0)
    _, _, _, _, info = env.step({"selected": [0, np.int64(2)], "answer": "x"})
    assert info["selected_ids"] == [0, 2] and info["invalid_action"] == ""


@pytest.mark.parametrize(
    "action",
    [
        {"op": 0, "text": "a\ud800b"},
        '{"memory": [{"event": "ADD", "text": "x \\udfff y"}]}',
        '{"memory": [{"event": "UPDATE", "id": "0", "text": "\\ud83d"}]}',
    ],
)
def test_lone_surrogates_in_actions_never_reach_observations(action):
    env = manager()
    env.step({"op": 0, "text": ""})
    obs, _, _, _, info = env.step(action)
    assert "lone surrogate" in info["invalid_action"]
    json.dumps(obs, ensure_ascii=False).encode("utf-8")  # raises if one got through
    for bank in env.unwrapped.banks.values():
        for entry in bank:
            entry.text.encode("utf-8")


def test_invalid_action_messages_are_clean():
    env = manager()
    _, _, _, _, info = env.step({"op": 2, "target": 0})  # nothing shown yet
    message = info["invalid_action"]
    assert message == "DELETE: target 0 is not a shown memory id (no memory is shown)"
    _, _, _, _, info = env.step('{"memory": [{"event": "DELETE", "id": "7"}]}')
    assert not info["invalid_action"].startswith(";") and "0..-1" not in info["invalid_action"]


def test_torn_last_line_of_partial_jsonl_does_not_swallow_the_next_row(tmp_path):
    def config(name: str) -> EvalConfig:
        return EvalConfig(
            dataset="synth",
            split="val",
            out=str(tmp_path / name),
            synth_kwargs={"n": 1},
            cache_dir=str(tmp_path / "cache"),
            progress=False,
        )

    reference = run_eval(config("reference"))

    class Stop(Exception):
        pass

    def stop_after_two(row, seen=[]):  # noqa: B006  (a counter across calls)
        seen.append(row)
        if len(seen) == 2:
            raise Stop

    with pytest.raises(Stop):
        run_eval(config("run"), on_row=stop_after_two)
    partial = tmp_path / "run" / "partial.jsonl"
    with partial.open("a", encoding="utf-8") as f:
        f.write('{"id": "torn-by-a-kill", "f1": 0.')  # a write cut short
    resumed = run_eval(config("run"))
    assert resumed["timings"]["resumed_questions"] == 2
    assert resumed["questions"] == reference["questions"]
    lines = partial.read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(reference["questions"]) and all(json.loads(ln) for ln in lines)


class _Slow(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "1000000")
        self.end_headers()
        try:
            for _ in range(600):
                self.wfile.write(b" " * 100)
                self.wfile.flush()
                time.sleep(0.05)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *args) -> None:
        pass


def test_killed_download_leaves_no_orphan_part_file(tmp_path):
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Slow)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
    folder = tmp_path / "data"
    code = (
        "from memenv.data.download import locomo_path; "
        f"locomo_path(data_dir={str(folder)!r}, url='http://127.0.0.1:{httpd.server_address[1]}/x')"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT)
    try:
        deadline = time.monotonic() + 60
        while not list(folder.glob("*.part")):
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        httpd.shutdown()
        httpd.server_close()
    (orphan,) = folder.glob("*.part")
    # A download still running in another process (this one) keeps its file.
    running = folder / f".{download.LOCOMO_FILENAME}.{os.getpid()}.x.part"
    running.write_bytes(b"")
    good = tmp_path / "good.json"
    good.write_text("[]", encoding="utf-8")
    path = download.locomo_path(data_dir=folder, url=good.as_uri(), sha256=None)
    assert path.read_text() == "[]"
    assert not orphan.exists() and running.exists()


def test_lone_surrogate_from_an_llm_server_becomes_a_replacement_character():
    from agents.llm.openai_compat import _completion

    data = json.loads('{"choices": [{"text": "Paris \\ud800!"}]}')
    assert _completion(data, chat=False).text == "Paris \ufffd!"
