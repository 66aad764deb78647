"""Issue 17 item 4: nothing a user could be handed is unpickled (bank cache, PPO checkpoints).

Each test plants a pickle whose loading would create a marker file, where the old code read
one, and checks that the run neither creates the marker nor fails.
"""

from __future__ import annotations

import json
import pickle
import re
from pathlib import Path

import numpy as np
import pytest

from memenv.state_codec import StateFormatError, decode_state, encode_state
from memenv_app.evaluation import EvalConfig, run_eval

ROOT = Path(__file__).resolve().parents[1]


class _Planted:
    """Unpickling this calls ``exec`` with code that writes the marker file."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (exec, (f"open({str(self.marker)!r}, 'w').write('ran')",))


def planted_pickle(marker: Path) -> bytes:
    data = pickle.dumps(_Planted(marker))
    return data


def eval_config(tmp_path: Path, name: str, manager: str) -> EvalConfig:
    return EvalConfig(
        dataset="synth",
        split="val",
        manager=manager,
        answerer="extractive",
        out=str(tmp_path / name),
        synth_kwargs={"n": 1},
        cache_dir=str(tmp_path / "cache"),
        progress=False,
    )


def answers(results: dict) -> list:
    return [(q["prediction"], q["selected_memory_ids"]) for q in results["questions"]]


@pytest.mark.parametrize("manager", ["add-all", "memoryos"])
def test_planted_pickle_in_the_bank_cache_runs_nothing(tmp_path, manager):
    marker = tmp_path / "marker"
    first = run_eval(eval_config(tmp_path, "a", manager))
    (cached,) = (tmp_path / "cache").glob("*.json")
    # Where the old code looked (NAME-KEY.pkl) and where the new one does (NAME-KEY.json).
    cached.with_suffix(".pkl").write_bytes(planted_pickle(marker))
    cached.write_bytes(planted_pickle(marker))
    second = run_eval(eval_config(tmp_path, "b", manager))
    assert not marker.exists()
    assert second["timings"]["cache_hit"] is False  # unreadable: rebuilt
    assert answers(second) == answers(first)
    # A JSON cache naming classes that are not registered is refused, not imported.
    for node in (
        {"@type": "os.system", "@id": 0, "@attrs": {}},
        {"@class": "builtins.eval"},
        {"@type": "subprocess.Popen", "@id": 0, "@attrs": {"args": "touch x"}},
    ):
        cached.write_text(json.dumps({"@id": 0, "@dict": [["banks", node]]}))
        third = run_eval(eval_config(tmp_path, "c", manager))
        assert third["timings"]["cache_hit"] is False
        assert answers(third) == answers(first)
    for text in ("[" * 100_000 + "]" * 100_000, '{"@id": 0, "@list": [1'):
        cached.write_text(text)
        assert run_eval(eval_config(tmp_path, "c", manager))["timings"]["cache_hit"] is False
    fourth = run_eval(eval_config(tmp_path, "d", manager))  # the rebuilt cache is good again
    assert fourth["timings"]["cache_hit"] is True and answers(fourth) == answers(first)
    assert not marker.exists()


def test_state_codec_round_trip_keeps_shared_objects():
    from collections import deque

    from memenv.memory import MemoryBank

    bank = MemoryBank("A")
    bank.add("Alice moved to Lisbon", timestamp="8 May 2023", provenance=["D1:1"])
    shared = [1, 2]
    state = {"bank": bank, "again": bank, "a": shared, "b": (shared, frozenset({"x"}))}
    state["q"] = deque([shared, 3.5, float("nan")], maxlen=5)
    back = decode_state(json.loads(json.dumps(encode_state(state))))
    assert back["bank"] is back["again"] and back["a"] is back["b"][0] is back["q"][0]
    assert [e.text for e in back["bank"].entries()] == ["Alice moved to Lisbon"]
    assert back["bank"].top_k("Lisbon", 1)[0][0].provenance == ("D1:1",)
    assert back["q"].maxlen == 5 and np.isnan(back["q"][2])
    with pytest.raises(StateFormatError, match="not registered"):
        decode_state({"@type": "pathlib.Path", "@id": 0, "@attrs": {}})
    planted = encode_state(bank)
    planted["@bank"]["snapshot"]["@attrs"]["next_id"] = "os.system"
    with pytest.raises(StateFormatError, match="bad owner or next_id"):
        decode_state(planted)
    with pytest.raises(TypeError, match="cannot encode"):
        encode_state({"f": Path("x")})


def test_ppo_checkpoint_with_planted_pickles_runs_nothing(tmp_path):
    torch = pytest.importorskip("torch")
    from agents.train.ppo import (
        OPTIMIZER_FILE,
        STATE_FILE,
        TRAINABLE_FILE,
        RowSampler,
        load_checkpoint,
        save_checkpoint,
    )

    marker = tmp_path / "marker"
    agent = torch.nn.Linear(3, 2)
    optimizer = torch.optim.AdamW(agent.parameters())
    agent(torch.ones(1, 3)).sum().backward()
    optimizer.step()
    sampler = RowSampler(5, seed=0)
    sampler.take(3)
    path = save_checkpoint(tmp_path, 4, agent, optimizer, sampler)
    assert {p.name for p in path.iterdir()} == {TRAINABLE_FILE, OPTIMIZER_FILE, STATE_FILE}

    fresh = torch.nn.Linear(3, 2)
    fresh_opt = torch.optim.AdamW(fresh.parameters())
    fresh_sampler = RowSampler(5, seed=1)
    assert load_checkpoint(path, fresh, fresh_opt, fresh_sampler) == 4
    assert torch.equal(fresh.weight, agent.weight)
    assert fresh_sampler.take(4) == sampler.take(4)

    for name in (TRAINABLE_FILE, OPTIMIZER_FILE, STATE_FILE):
        good = (path / name).read_bytes()
        (path / name).write_bytes(planted_pickle(marker))
        with pytest.raises(Exception):  # noqa: B017  (safetensors, torch and JSON errors differ)
            load_checkpoint(path, fresh, fresh_opt, fresh_sampler)
        (path / name).write_bytes(good)
    assert not marker.exists()
    # The files of the old format are not read at all.
    (path / "state.pt").write_bytes(planted_pickle(marker))
    (path / "trainable.pt").write_bytes(planted_pickle(marker))
    load_checkpoint(path, fresh, fresh_opt, fresh_sampler)
    assert not marker.exists()


UNSAFE_LOADS = re.compile(
    r"pickle\.loads?\(|weights_only\s*=\s*False|allow_pickle\s*=\s*True|yaml\.load\(|"
    r"yaml\.unsafe_load|marshal\.loads?\(|dill\.|cloudpickle\.|shelve\.open"
)


def test_no_unsafe_loader_in_the_code():
    hits = []
    for folder in ("memenv", "agents", "baselines", "experiments", "envs_registry"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if UNSAFE_LOADS.search(line):
                    hits.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert not hits, "\n".join(hits)
