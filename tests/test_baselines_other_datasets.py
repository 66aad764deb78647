"""Every registered baseline builds banks on LongMemEval- and MSC-format data."""

from __future__ import annotations

import pytest

import baselines
from memenv.data.registry import load_conversations
from memenv.envs import MemoryManagerEnv
from tests.fixtures_data import write_longmemeval_fixture, write_msc_fixture

NAMES = sorted(
    n
    for n, f in baselines.MANAGERS.items()
    if not f().needs_ideal_ops and not f().extra.get("needs_llm")
)


@pytest.mark.parametrize("dataset", ["longmemeval", "msc"])
@pytest.mark.parametrize("name", NAMES)
def test_baseline_runs_without_invalid_actions(tmp_path, dataset, name):
    writer = write_longmemeval_fixture if dataset == "longmemeval" else write_msc_fixture
    conversations = load_conversations(dataset, data_path=str(writer(tmp_path)), split="all")
    system = baselines.make_memory_system(name)
    env = MemoryManagerEnv(conversations=conversations, fact_source=system.fact_source)
    policy = system.make_policy(env)
    for index in range(len(conversations)):
        obs, info = env.reset(seed=0, options={"conversation": index})
        terminated = False
        while not terminated:
            obs, _, terminated, _, info = env.step(policy.act(obs, info))
            assert info["invalid_action"] == "", (name, info["invalid_action"])
        stored = sum(len(bank) for bank in env.banks.values())
        if name in ("noop", "random"):  # stores nothing / may delete everything
            assert stored == 0 or name == "random"
        else:
            assert stored > 0
