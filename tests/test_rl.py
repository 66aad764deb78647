"""Multi-step RL on tier 1 (agents.rl): collector, algorithms, trainer and resume, on a tiny
tier-1 build made once per module."""

from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from agents.rl.algorithms import ALGORITHMS, AlgoConfig, make_algorithm  # noqa: E402
from agents.rl.algorithms.base import rewards_to_go  # noqa: E402
from agents.rl.algorithms.ppo import gae  # noqa: E402
from agents.rl.collector import EnvPool, Episode, Step, collect  # noqa: E402
from agents.rl.policy import LMPolicy  # noqa: E402
from agents.rl.sft import SFTConfig, build_sft  # noqa: E402
from agents.rl.tasks import get_task  # noqa: E402
from agents.rl.trainer import RLConfig, minibatch_backward, train  # noqa: E402


@pytest.fixture(scope="module")
def manager_episodes(tiny_policy):
    policy = LMPolicy.load(tiny_policy)
    pool = EnvPool(get_task("manager-medium"), "train")
    gen = torch.Generator().manual_seed(0)
    rng = np.random.default_rng(0)
    episodes = collect(policy, pool, [3, 5], 2, gen, branches=1, branch_size=2, rng=rng)
    return policy, episodes


def test_collector_logprobs_and_masks_match_a_forward_pass(manager_episodes):
    policy, episodes = manager_episodes
    steps = [s for e in episodes for s in e.steps][:40]
    with torch.no_grad():
        out = policy.forward([s.prompt_ids for s in steps], [s.completion_ids for s in steps])
    for i, s in enumerate(steps):
        n = len(s.completion_ids)
        assert out.mask[i].sum() == n and out.mask[i, :n].all()
        assert torch.allclose(out.logprobs[i, :n], torch.tensor(s.logprobs), atol=1e-4)
        assert torch.allclose(out.hidden[i], s.hidden, atol=1e-4)
        # a completion ends at end-of-sequence or at the token budget
        assert (
            s.completion_ids[-1] == policy.eos_id or n == get_task("manager-medium").max_new_tokens
        )


def test_groups_start_from_one_shared_state(manager_episodes):
    _, episodes = manager_episodes
    main = [e for e in episodes if e.start_step == 0]
    assert [e.group for e in main] == [0, 0, 1, 1] and [e.key for e in main] == [3, 3, 5, 5]
    assert main[0].steps[0].prompt_ids == main[1].steps[0].prompt_ids
    assert main[0].steps[0].prompt_ids != main[2].steps[0].prompt_ids
    branched = [e for e in episodes if e.start_step > 0]
    assert len(branched) == 2 and branched[0].group == branched[1].group == 2
    assert branched[0].steps[0].prompt_ids == branched[1].steps[0].prompt_ids
    # a branch runs from its start step to the end of the conversation
    parent = next(e for e in main if e.key == branched[0].key)
    assert len(branched[0].steps) == len(parent.steps) - branched[0].start_step
    # sampling differs between members, so the group is not a copy of one episode
    assert any(
        a.completion_ids != b.completion_ids
        for a, b in zip(main[0].steps, main[1].steps, strict=False)
    )
    # the outcome arrives on the last step
    assert all(e.steps[-1].reward != 0 or e.score == 0 for e in main)


def _episode(group: int, rewards: list[float]) -> Episode:
    hidden = torch.zeros(4)
    steps = [Step([1], [2], [-1.0], hidden, "", r, True, False) for r in rewards]
    return Episode(group, 0, 0, steps)


def test_advantages_of_each_algorithm():
    eps = [_episode(0, [0, 1.0]), _episode(0, [0, 0.0]), _episode(1, [0.5]), _episode(1, [0.3])]
    cfg = AlgoConfig()
    grpo, _ = make_algorithm("grpo", cfg, 4).advantages(eps)
    assert grpo[0][0] == pytest.approx(1.0, abs=1e-3) and grpo[1][1] == pytest.approx(
        -1.0, abs=1e-3
    )
    dr, _ = make_algorithm("dr_grpo", cfg, 4).advantages(eps)
    assert dr[0].tolist() == [0.5, 0.5] and dr[2][0] == pytest.approx(0.1)
    rloo, _ = make_algorithm("rloo", cfg, 4).advantages(eps)
    assert rloo[0][0] == pytest.approx(1.0) and rloo[3][0] == pytest.approx(-0.2)
    reinforce = make_algorithm("reinforce", cfg, 4)
    first, _ = reinforce.advantages(eps)
    assert first[0][0] == pytest.approx(1.0 - 0.45)
    assert reinforce.extra_state()["baseline"] == pytest.approx(0.45)
    assert gae(np.array([0, 0, 1.0]), np.zeros(3), 1.0, 1.0).tolist() == [1.0, 1.0, 1.0]
    assert rewards_to_go(np.array([1.0, 2.0, 3.0]), 0.5).tolist() == [2.75, 3.5, 3.0]
    # per step: rewards-to-go compared across the group at each step index
    step = [_episode(0, [0.1, 0.5]), _episode(0, [0.3, 0.1]), _episode(0, [0.2, 0.0])]
    per_step = AlgoConfig(per_step=True)
    adv, to_go = make_algorithm("dr_grpo", per_step, 4).advantages(step)
    assert to_go[0].tolist() == pytest.approx([0.6, 0.5])
    assert adv[0].tolist() == pytest.approx([0.6 - 0.4, 0.5 - 0.2])
    loo, _ = make_algorithm("rloo", per_step, 4).advantages(step)
    assert loo[1].tolist() == pytest.approx([0.4 - 0.4, 0.1 - 0.25])
    scaled, _ = make_algorithm("grpo", per_step, 4).advantages(step)
    assert scaled[0][1] == pytest.approx(0.3 / (np.std([0.5, 0.1, 0.0]) + 1e-4))
    # gamma 0: each step compares only its own reward (with shaping, the score change it made)
    myopic, own = make_algorithm("dr_grpo", AlgoConfig(per_step=True, gamma=0.0), 4).advantages(
        step
    )
    assert own[0].tolist() == [0.1, 0.5]
    assert myopic[0].tolist() == pytest.approx([0.1 - 0.2, 0.5 - 0.2])
    ppo = make_algorithm("ppo", AlgoConfig(gamma=0.0), 4)
    ppo.critic[-1].weight.data.zero_()
    ppo.critic[-1].bias.data.zero_()  # values 0: the advantage is the step's own reward
    _, ppo_returns = ppo.advantages([_episode(0, [0.1, 0.5])])
    assert ppo_returns[0].tolist() == pytest.approx([0.1, 0.5])
    with pytest.raises(ValueError, match="unknown algorithm 'nope'; known: dr_grpo"):
        make_algorithm("nope", cfg, 4)


def _tiny_config(algo: str, iterations: int, **kw) -> RLConfig:
    settings = {"groups": 1, "group_size": 2, "eval_every": 0, "minibatch_size": 64, "lr": 1e-3}
    return RLConfig(algo=algo, iterations=iterations, **{**settings, **kw})


@pytest.mark.parametrize("algo", sorted(ALGORITHMS))
def test_every_algorithm_trains(tiny_policy, tmp_path, algo):
    before = {k: v.clone() for k, v in LMPolicy.load(tiny_policy).model.state_dict().items()}
    record = train(_tiny_config(algo, 1), tiny_policy, tmp_path)
    after = LMPolicy.load(tmp_path / "final").model.state_dict()
    assert any(not torch.equal(before[k], after[k]) for k in before)
    (entry,) = record["logs"]
    assert np.isfinite(entry["return"]) and np.isfinite(entry["loss"])
    assert record["samples"]["steps"] > 20 and entry["malformed"] >= 0


def test_resume_equals_an_uninterrupted_run(tiny_policy, tmp_path):
    config = _tiny_config("ppo", 2, eval_every=1, eval_episodes=1)
    whole = train(config, tiny_policy, tmp_path / "whole")
    train(_tiny_config("ppo", 1, eval_every=1, eval_episodes=1), tiny_policy, tmp_path / "cut")
    resumed = train(config, tiny_policy, tmp_path / "cut")

    def strip(record):
        return [{k: v for k, v in e.items() if k != "seconds"} for e in record["logs"]]

    assert strip(resumed) == strip(whole) and resumed["curve"] == whole["curve"]
    a = LMPolicy.load(tmp_path / "whole" / "final").model.state_dict()
    b = LMPolicy.load(tmp_path / "cut" / "final").model.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    state = json.loads((tmp_path / "cut" / "checkpoint" / "state.json").read_text())
    assert state["iteration"] == 2
    with pytest.raises(ValueError, match="other settings"):
        train(_tiny_config("grpo", 2), tiny_policy, tmp_path / "cut")


def test_value_epochs_fit_the_critic_alone(tiny_policy, tmp_path):
    """Critic-only passes move the critic, not the policy, and lower its fit loss."""
    plain = train(_tiny_config("ppo", 1), tiny_policy, tmp_path / "plain")
    fitted = train(_tiny_config("ppo", 1, value_epochs=30), tiny_policy, tmp_path / "fitted")
    a = LMPolicy.load(tmp_path / "plain" / "final").model.state_dict()
    b = LMPolicy.load(tmp_path / "fitted" / "final").model.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)  # the policy's update is the same
    (before,), (after,) = plain["logs"], fitted["logs"]
    assert "critic_fit_loss" not in before
    assert after["critic_fit_loss"] < before["value_loss"]
    grpo = train(_tiny_config("grpo", 1, value_epochs=3), tiny_policy, tmp_path / "grpo")
    assert "critic_fit_loss" not in grpo["logs"][0]  # no critic: nothing to fit
    assert "value_epochs" not in _tiny_config("ppo", 1).resume_key()  # old runs still resume
    with pytest.raises(ValueError, match="value_epochs"):
        _tiny_config("ppo", 1, value_epochs=-1)
    with pytest.raises(ValueError, match="eval_episodes must be >= 1, got 0"):
        _tiny_config("ppo", 1, eval_episodes=0)  # an empty validation curve would read nan


@pytest.mark.parametrize("algo", ["ppo", "grpo"])
def test_micro_batches_give_the_minibatch_gradient(manager_episodes, algo):
    """Micro-batching (for SmolLM2's memory) changes no gradient beyond float rounding: the
    policy's (through log-probabilities), and PPO's critic's and trunk's (through the hidden
    states the value loss reads)."""
    from agents.rl.algorithms import flatten

    policy, episodes = manager_episodes
    algorithm = make_algorithm(algo, AlgoConfig(), policy.hidden_size, 0)
    advantages, returns = algorithm.advantages(episodes)
    mb = flatten(episodes, advantages, returns).select(torch.arange(40))

    def gradients(micro: int):
        modules = [policy.model, *algorithm.modules()]
        for m in modules:
            m.zero_grad(set_to_none=True)
        loss, stats = minibatch_backward(
            policy, algorithm, mb, _tiny_config(algo, 1, micro_batch_size=micro)
        )
        grads = [p.grad.clone() for m in modules for p in m.parameters() if p.grad is not None]
        return float(loss.detach()), stats, grads

    whole, chunked = gradients(0), gradients(7)
    assert chunked[0] == pytest.approx(whole[0], rel=1e-5)
    assert chunked[1] == pytest.approx(whole[1], rel=1e-4, abs=1e-6)
    assert len(chunked[2]) == len(whole[2]) > 0
    for a, b in zip(whole[2], chunked[2], strict=True):
        assert torch.allclose(a, b, atol=1e-6, rtol=1e-4)
    policy.model.zero_grad(set_to_none=True)
    assert "micro_batch_size" not in _tiny_config(algo, 1).resume_key()  # old runs still resume
    with pytest.raises(ValueError, match="micro_batch_size"):
        _tiny_config(algo, 1, micro_batch_size=-1)


@pytest.mark.parametrize("algo", ["grpo", "dr_grpo", "reinforce", "ppo"])
def test_length_chunks_and_skipped_zero_advantages_give_the_minibatch_gradient(
    manager_episodes, algo
):
    """Sorting the training pass by length and leaving zero-advantage steps out change no
    loss or gradient beyond float rounding (alone, together, with micro-batches); PPO and a KL
    term keep every step (the critic, the KL read them)."""
    from agents.rl.algorithms import flatten
    from agents.rl.trainer import trained_rows

    policy, episodes = manager_episodes
    algorithm = make_algorithm(algo, AlgoConfig(), policy.hidden_size, 0)
    advantages, returns = algorithm.advantages(episodes)
    batch = flatten(episodes, advantages, returns)
    batch.advantages[::3] = 0.0  # as where the members of a group agree on a step
    mb = batch.select(torch.arange(40))

    def gradients(**kw):
        modules = [policy.model, *algorithm.modules()]
        for m in modules:
            m.zero_grad(set_to_none=True)
        config = _tiny_config(algo, 1, **kw)
        loss, stats = minibatch_backward(policy, algorithm, mb, config)
        grads = [p.grad.clone() for m in modules for p in m.parameters() if p.grad is not None]
        return float(loss.detach()), stats, grads, len(trained_rows(algorithm, mb, config))

    whole = gradients()
    for kw in (
        {"length_chunk": 6},
        {"skip_zero_advantage": True},
        {"skip_zero_advantage": True, "length_chunk": 6, "micro_batch_size": 9},
    ):
        other = gradients(**kw)
        assert other[0] == pytest.approx(whole[0], rel=1e-5, abs=1e-7)
        assert len(other[2]) == len(whole[2]) > 0
        for a, b in zip(whole[2], other[2], strict=True):
            assert torch.allclose(a, b, atol=1e-6, rtol=1e-4)
    skipped = gradients(skip_zero_advantage=True)[3]
    assert skipped == (40 if algo == "ppo" else 40 - 14)  # rows 0, 3, ..., 39 have advantage 0
    assert gradients(skip_zero_advantage=True, algo_config=AlgoConfig(kl_coef=0.1))[3] == 40
    mb.advantages[:] = 0.0  # nothing to learn: still a (zero) gradient for every parameter
    none = gradients(skip_zero_advantage=True)
    assert len(none[2]) == len(whole[2])
    assert algo == "ppo" or all(not g.any() for g in none[2])  # PPO's critic still learns
    policy.model.zero_grad(set_to_none=True)
    config = _tiny_config(algo, 1)
    assert not {"length_chunk", "skip_zero_advantage"} & set(config.resume_key())
    with pytest.raises(ValueError, match="length_chunk must be >= 0"):
        _tiny_config(algo, 1, length_chunk=-1)


def test_sft_initial_policy_is_cached_and_deterministic(tiny_tier1, tmp_path, monkeypatch):
    monkeypatch.setenv("MEMENV_CACHE_DIR", str(tmp_path / "cache"))
    config = SFTConfig(conversations=1, steps=2, batch_size=4, noise=0.3)
    first = build_sft(tiny_tier1, config)
    again = build_sft(tiny_tier1, config, tmp_path / "other")
    assert first.parent == tmp_path / "cache" / "tier1-sft"
    a = (first / "model.safetensors").read_bytes()
    assert a == (again / "model.safetensors").read_bytes()
    assert a != (tiny_tier1 / "model.safetensors").read_bytes()
    info = json.loads((first / "sft_info.json").read_text())
    assert info["rows"] > 20 and info["config"]["noise"] == 0.3
    with pytest.raises(ValueError, match="noise must be in"):
        SFTConfig(noise=2)


def test_cleanrl_grpo_file_runs(tiny_policy, monkeypatch, capsys):
    from experiments.rl import grpo_cleanrl

    argv = ["grpo_cleanrl", "--init", str(tiny_policy), "--iterations", "1", "--groups", "1"]
    monkeypatch.setattr("sys.argv", [*argv, "--group-size", "2", "--eval-conversations", "1"])
    before = LMPolicy.load(tiny_policy).model.state_dict()["model.norm.weight"].clone()
    trained = grpo_cleanrl.main()
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("iteration 0: val ") and lines[1].startswith("iteration 1: score")
    assert lines[-1].startswith("final: val ")
    assert not torch.equal(before, trained.state_dict()["model.norm.weight"])


def test_the_documented_algorithm_example_registers_and_trains():
    """docs/rl.md's one-file algorithm: its code block runs as written."""
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "rl.md").read_text()
    block = text.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict = {}
    exec(compile(block, "docs/rl.md", "exec"), namespace)
    try:
        algo = make_algorithm("group_pg", AlgoConfig(), 4)
        eps = [_episode(0, [1.0]), _episode(0, [0.0])]
        adv, _ = algo.advantages(eps)
        assert adv[0][0] > 0 > adv[1][0]
    finally:
        ALGORITHMS.pop("group_pg", None)
