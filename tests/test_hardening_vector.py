"""Issue 17 item 9: async vector environments with gymnasium's defaults (shared memory) for every
registered memenv id, and a batch of raw LLM strings as a vector environment's action."""

from __future__ import annotations

import copy
import multiprocessing as mp

import gymnasium as gym
import pytest

import memenv  # noqa: F401  (registers the ids)
from memenv.spaces import UnicodeText
from tests.env_cases import kwargs_for
from tests.test_registered_envs import same


def memenv_ids() -> list[str]:
    return sorted(
        env_id
        for env_id, spec in gym.registry.items()
        if isinstance(spec.entry_point, str) and spec.entry_point.startswith("memenv")
    )


@pytest.fixture(scope="module")
def fixture_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("env_data")


RAW = [
    '{"memory": [{"event": "ADD", "text": "Ann likes tea \\u2615"}]} [0] **Answer:** tea',
    "[1] [2]\n**Answer:** 7 May 2023",
]


def test_every_registered_id_is_covered():
    assert set(memenv_ids()) == {
        i for i, spec in gym.registry.items() if str(spec.entry_point).startswith("memenv")
    }


@pytest.mark.parametrize("env_id", memenv_ids())
def test_async_vector_env_with_defaults_matches_sync(env_id, fixture_dir):
    kwargs = kwargs_for(env_id, fixture_dir)
    if "AnswerAgent" in env_id and "Synth" not in env_id:
        kwargs["memories_per_speaker"] = 5  # smaller shared-memory observations, same code
    venvs = {
        mode: gym.make_vec(env_id, num_envs=2, vectorization_mode=mode, **kwargs)
        for mode in ("async", "sync")
    }
    try:
        out = {mode: [venv.reset(seed=[1, 2])[0]] for mode, venv in venvs.items()}
        text = "Features" not in env_id
        venvs["sync"].action_space.seed(0)
        sampled = [venvs["sync"].action_space.sample() for _ in range(3)]
        for mode, venv in venvs.items():
            for action in [*sampled, RAW] if text else sampled:
                obs, rewards, terminated, truncated, _ = venv.step(action)
                out[mode].append((obs, rewards, terminated, truncated))
        assert same(out["async"], out["sync"])
        if text:
            assert all(isinstance(p, str) for p in out["async"][-1][0]["prompt"])
    finally:
        for venv in venvs.values():
            venv.close()


def test_raw_string_batch_of_the_wrong_size_is_a_clear_error():
    venv = gym.make_vec("MemoryManager-Synth-v0", num_envs=2, synth_kwargs={"n": 1})
    venv.reset(seed=0)
    with pytest.raises(ValueError, match="expected 2 actions, one per sub-environment, got 3"):
        venv.step(["a", "b", "c"])
    with pytest.raises(TypeError, match="one action"):
        venv.step("one string for two environments")
    # Dicts and raw strings may be mixed, one per sub-environment.
    _, _, _, _, info = venv.step([{"op": 0, "target": 0, "text": ""}, "NOOP please"])
    assert list(info["invalid_action"]) == ["", "no JSON list of memory operations found"]
    venv.close()


def test_unicode_text_shared_memory_round_trip():
    from gymnasium.vector.utils import (
        create_shared_memory,
        read_from_shared_memory,
        write_to_shared_memory,
    )

    space = UnicodeText(16)
    memory = create_shared_memory(space, n=3, ctx=mp.get_context("spawn"))
    values = ["caf\u00e9 \U0001f600", "", "x" * 16]
    for i, value in enumerate(values):
        write_to_shared_memory(space, i, value, memory)
    view = read_from_shared_memory(space, memory, n=3)
    assert tuple(view) == tuple(values)
    write_to_shared_memory(space, 1, "later", memory)  # the view follows the buffer
    assert view[1] == "later" and copy.deepcopy(view) == (values[0], "later", values[2])
