"""``MemoryManagerEnv.get_state`` / ``set_state`` / ``linked_questions``."""

from __future__ import annotations

import pickle

import pytest

from memenv.data.registry import load_conversations
from memenv.envs import ManagerState, MemoryManagerEnv
from memenv.policies import IdealOpsPolicy

ADD, UPDATE, DELETE, NOOP = 0, 1, 2, 3


@pytest.fixture(scope="module")
def synth():
    return load_conversations("synth", split="train", synth_kwargs={"n": 2})


def banks_of(env: MemoryManagerEnv) -> dict:
    """Comparable bank contents: entries, next id and history per speaker."""
    out = {}
    for speaker, bank in env.banks.items():
        snap = bank.snapshot()
        out[speaker] = (dict(snap.entries), snap.next_id, snap.history)
    return out


def advance(env: MemoryManagerEnv, steps: int):
    """``steps`` ideal operations from the current position; the last observation and info."""
    policy = IdealOpsPolicy(env)
    info = env._info()
    obs = None
    for _ in range(steps):
        obs, _, _, _, info = env.step(policy.act({}, info))
    return obs, info


def test_round_trip_restores_banks_position_and_observation(synth):
    env = MemoryManagerEnv(conversations=synth)
    env.reset(options={"conversation": 0})
    obs, info = advance(env, 12)
    state = env.get_state()
    assert isinstance(state, ManagerState)
    assert state.conversation_index == 0 and state.fact_index == 12
    before_banks, before_shown = banks_of(env), list(env.shown)
    assert sum(len(b) for b in env.banks.values()) > 0

    # Change the banks a lot, then go back.
    first = env.step({"op": ADD, "target": 0, "text": "A brand new memory."})
    advance(env, 5)
    assert banks_of(env) != before_banks
    obs2, info2 = env.set_state(state)
    assert banks_of(env) == before_banks
    assert env.fact_index == 12
    assert obs2 == obs
    assert info2["fact_index"] == info["fact_index"]
    assert info2["shown_memory_ids"] == info["shown_memory_ids"]
    assert [m.id for m in env.shown] == [m.id for m in before_shown]

    # The same action from the restored state gives the same outcome.
    again = env.step({"op": ADD, "target": 0, "text": "A brand new memory."})
    assert again[0] == first[0]
    assert again[1] == first[1]
    assert again[4]["applied_ops"] == first[4]["applied_ops"]


def test_state_is_a_snapshot_not_a_view(synth):
    env = MemoryManagerEnv(conversations=synth)
    env.reset(options={"conversation": 0})
    advance(env, 6)
    state = env.get_state()
    frozen = pickle.loads(pickle.dumps(state))  # picklable, and a deep copy to compare with
    advance(env, 6)
    env.set_state(state)
    advance(env, 3)
    assert state == frozen  # stepping after set_state never writes into the saved state


def test_set_state_switches_conversation(synth):
    env = MemoryManagerEnv(conversations=synth)
    env.reset(options={"conversation": 0})
    advance(env, 8)
    state0 = env.get_state()
    banks0 = banks_of(env)
    speakers0 = set(synth[0].speakers)

    env.reset(options={"conversation": 1})
    advance(env, 4)
    assert env.conversation.id == synth[1].id
    obs, info = env.set_state(state0)
    assert env.conversation.id == synth[0].id
    assert info["conversation_id"] == synth[0].id
    assert set(env.banks) == speakers0
    assert banks_of(env) == banks0
    assert env.fact_index == 8
    assert obs["fact"] == env.facts[8].text

    # And back again to the other conversation's start.
    env.reset(options={"conversation": 1})
    state1 = env.get_state()
    env.set_state(state0)
    env.set_state(state1)
    assert env.conversation.id == synth[1].id
    assert env.fact_index == 0
    assert all(len(bank) == 0 for bank in env.banks.values())


def test_set_state_on_a_fresh_environment(synth):
    env = MemoryManagerEnv(conversations=synth)
    env.reset(options={"conversation": 1})
    obs, _ = advance(env, 7)
    state, banks = env.get_state(), banks_of(env)

    fresh = MemoryManagerEnv(conversations=synth)
    obs2, _ = fresh.set_state(pickle.loads(pickle.dumps(state)))
    assert obs2 == obs
    assert banks_of(fresh) == banks
    policy = IdealOpsPolicy(env)
    action = policy.act({}, env._info())
    assert fresh.step(action)[1] == env.step(action)[1]


def test_state_at_the_end_of_an_episode(synth):
    env = MemoryManagerEnv(conversations=synth, reward="none")
    env.reset(options={"conversation": 0})
    n = len(env.facts)
    advance(env, n)
    state = env.get_state()
    assert state.fact_index == n
    env.reset(options={"conversation": 0})
    obs, info = env.set_state(state)
    assert env.current_fact is None
    assert info["fact_index"] == n
    assert obs["fact"] == ""
    with pytest.raises(RuntimeError):
        env.step({"op": NOOP})


def test_out_of_range_states_are_rejected(synth):
    env = MemoryManagerEnv(conversations=synth)
    env.reset(options={"conversation": 0})
    state = env.get_state()
    n = len(env.facts)
    bad_conversation = ManagerState(len(synth), 0, state.banks)
    with pytest.raises(ValueError, match="conversation"):
        env.set_state(bad_conversation)
    with pytest.raises(ValueError, match="conversation"):
        env.set_state(ManagerState(-1, 0, state.banks))
    with pytest.raises(ValueError, match="fact"):
        env.set_state(ManagerState(0, n + 1, state.banks))
    with pytest.raises(ValueError, match="fact"):
        env.set_state(ManagerState(0, -1, state.banks))


def test_set_state_type_error_and_get_state_before_reset(synth):
    env = MemoryManagerEnv(conversations=synth)
    with pytest.raises(RuntimeError):
        env.get_state()
    with pytest.raises(TypeError, match="ManagerState"):
        env.set_state({"conversation_index": 0, "fact_index": 0, "banks": {}})
    with pytest.raises(TypeError, match="ManagerState"):
        env.set_state(None)


def test_linked_questions_match_the_rewarded_ones(synth):
    env = MemoryManagerEnv(conversations=synth)
    obs, info = env.reset(options={"conversation": 0})
    with pytest.raises(RuntimeError):
        MemoryManagerEnv(conversations=synth).linked_questions()
    seen_linked = 0
    policy = IdealOpsPolicy(env)
    for index in range(len(env.facts)):
        linked = env.linked_questions()
        assert linked == env.linked_questions(index)
        fact = env.current_fact
        for qa in linked:
            assert set(qa.evidence) & set(fact.source_ids)
        obs, reward, done, _, info = env.step(policy.act(obs, info))
        assert info["linked_questions"] == len(linked)
        if not linked:
            assert reward == 0.0
        seen_linked += bool(linked)
    assert seen_linked > 0
    assert env.linked_questions() == []  # past the last fact
