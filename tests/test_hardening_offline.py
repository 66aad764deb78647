"""Issue 17 item 5: eval, train and bench make no network lookup (Hub telemetry included).

A fresh Python process, without any of the Hub's offline/telemetry variables set, installs an
audit hook that records every ``socket.getaddrinfo`` / ``socket.connect`` to a host other than
the loopback, then runs a tiny ``memenv eval`` (dense retrieval too), ``memenv train`` (GRPO
through TRL, whose trainers send telemetry) and ``memenv bench`` (envs and llm).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = r"""
import json, sys
LOCAL = {"127.0.0.1", "localhost", "::1", "0.0.0.0", None}
seen = []

def hook(event, args):
    if event == "socket.getaddrinfo":
        host = args[0].decode() if isinstance(args[0], bytes) else args[0]
        if host not in LOCAL:
            seen.append(f"{event} {host}:{args[1]}")
    elif event == "socket.connect":
        address = args[1]
        if isinstance(address, tuple) and address[0] not in LOCAL:
            seen.append(f"{event} {address}")

sys.addaudithook(hook)
from memenv_app.cli import main

out = sys.argv[1]
runs = [  # train first: a dense eval turns the Hub offline for the rest of the process
    ["train", "--preset", "cpu-tiny", "algorithm=grpo", f"output_dir={out}/grpo",
     "train.max_steps=1", "data.max_train_rows=2", "data.max_val_rows=1",
     "train.max_new_tokens=4", "train.eval_every=0", "train.save_every=0"],
    ["bench", "llm", "--backend", "tiny", "--batch-sizes", "1", "--new-tokens", "2"],
    ["bench", "--quick", "--parts", "envs"],
    ["eval", "--dataset", "synth", "--synth-kwargs", '{"n": 1}', "--limit", "3",
     "--out", out + "/eval", "--cache-dir", out + "/cache", "--no-progress"],
    ["eval", "--dataset", "synth", "--synth-kwargs", '{"n": 1}', "--limit", "3",
     "--retriever", "dense", "--out", out + "/eval-dense", "--no-cache", "--no-progress"],
]
codes = [main(args) for args in runs]
import time
time.sleep(0.5)  # telemetry runs in a daemon thread: give it the time to try
print("AUDIT " + json.dumps({"codes": codes, "lookups": seen}))
"""

HUB_SWITCHES = (
    "HF_HUB_OFFLINE",
    "TRANSFORMERS_OFFLINE",
    "HF_DATASETS_OFFLINE",
    "HF_HUB_DISABLE_TELEMETRY",
    "DISABLE_TELEMETRY",
    "DO_NOT_TRACK",
)


@pytest.mark.slow  # one Python process importing torch, transformers and TRL (about 30 s)
def test_no_network_lookup_during_eval_train_and_bench(tmp_path):
    pytest.importorskip("trl")
    env = {k: v for k, v in os.environ.items() if k not in HUB_SWITCHES}
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("AUDIT ")]
    assert lines, proc.stderr[-3000:]
    audit = json.loads(lines[-1][len("AUDIT ") :])
    assert audit["codes"] == [0] * 5, proc.stderr[-3000:]
    assert audit["lookups"] == []


def test_hub_defaults_respect_the_users_choice(monkeypatch):
    from memenv.offline import DEFAULTS, hub_offline_defaults

    for name in DEFAULTS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")  # the user wants the Hub
    added = hub_offline_defaults()
    assert os.environ["HF_HUB_OFFLINE"] == "0" and "HF_HUB_OFFLINE" not in added
    assert os.environ["HF_HUB_DISABLE_TELEMETRY"] == "1" and "HF_HUB_DISABLE_TELEMETRY" in added
