"""PPO trainer: a short run updates every weight, resume continues, GAE and masking by hand."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from agents.train.config import load_config
from agents.train.logs import RunLogger, read_log
from agents.train.ppo import gae, response_mask, token_logprobs, train_ppo, whiten

pytest.importorskip("accelerate")


def _setup(tmp_path: Path, *overrides: str):
    from agents.train.tasks import make_task
    from agents.train.validation import Validator

    config = load_config(
        preset="cpu-tiny", overrides=["algorithm=ppo", f"output_dir={tmp_path}", *overrides]
    )
    task = make_task(config)
    logger = RunLogger(config.output_dir, tensorboard=False)
    return config, task, logger, Validator(config, task, logger)


def _weights(folder: Path) -> dict[str, torch.Tensor]:
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32)
    return {n: p.detach().clone() for n, p in model.named_parameters()}


def test_short_run_updates_every_weight_and_logs(tmp_path: Path) -> None:
    from agents.train.model import model_path

    config, task, logger, validator = _setup(
        tmp_path,
        "train.max_steps=2",
        "train.eval_every=2",
        "train.save_every=2",
        "train.micro_batch_size=3",  # 4 sequences: micro-batches of 3 and 1, accumulated
    )
    result = train_ppo(config, task, logger, validator)
    assert result["steps"] == 2
    assert (tmp_path / "final" / "config.json").is_file()
    assert (tmp_path / "best" / "config.json").is_file()

    before, after = _weights(model_path(config)), _weights(tmp_path / "final")
    assert before.keys() == after.keys()
    unchanged = [n for n in before if torch.equal(before[n], after[n])]
    assert not unchanged, f"weights not updated: {unchanged}"
    from safetensors.torch import load_file

    trainable = load_file(tmp_path / "checkpoints" / "step-2" / "trainable.safetensors")
    assert trainable["value_head.weight"].abs().sum() > 0  # the critic learned too
    optimizer = torch.load(tmp_path / "checkpoints" / "step-2" / "optimizer.pt", weights_only=True)
    steps = {int(state["step"]) for state in optimizer["state"].values()}
    assert steps == {2 * config.ppo.ppo_epochs}  # one optimizer step per PPO epoch

    rows = read_log(tmp_path)
    train = [r for r in rows if r["kind"] == "train"]
    assert [r["step"] for r in train] == [1, 2]
    for row in train:
        for key in ("reward", "loss", "policy_loss", "value_loss", "kl", "clipfrac"):
            assert row[key] is not None and math.isfinite(row[key]), key
        assert row["response_length"] >= 1 and row["learning_rate"] > 0
        assert "f1" in row and "format" in row
    assert [r["step"] for r in rows if r["kind"] == "val"] == [2]


def test_resume_continues_from_the_last_checkpoint(tmp_path: Path) -> None:
    config, task, logger, validator = _setup(
        tmp_path, "train.max_steps=2", "train.save_every=1", "train.eval_every=0"
    )
    assert train_ppo(config, task, logger, validator)["steps"] == 2
    assert sorted(p.name for p in (tmp_path / "checkpoints").iterdir()) == ["step-1", "step-2"]

    config, _, logger, validator = _setup(
        tmp_path, "train.max_steps=3", "train.save_every=1", "train.eval_every=0"
    )
    result = train_ppo(config, task, logger, validator, resume=True)
    assert result["steps"] == 3
    rows = read_log(tmp_path)
    assert [r["step"] for r in rows if r["kind"] == "train"] == [1, 2, 3]
    assert any(r["kind"] == "info" and r["step"] == 2 for r in rows)
    assert sorted(p.name for p in (tmp_path / "checkpoints").iterdir()) == ["step-2", "step-3"]


def test_gae_by_hand() -> None:
    rewards = torch.tensor([[0.0, 0.0, 1.0], [0.5, 9.0, 9.0]])
    values = torch.tensor([[0.1, 0.2, 0.3], [0.4, 7.0, 7.0]])
    mask = torch.tensor([[1.0, 1.0, 1.0], [1.0, 0.0, 0.0]])  # row 2: one token, then padding
    gamma, lam = 0.9, 0.5
    adv, ret = gae(rewards, values, mask, gamma, lam)
    # row 1: deltas d2 = 1 - 0.3, d1 = 0 + 0.9 * 0.3 - 0.2, d0 = 0 + 0.9 * 0.2 - 0.1
    d2, d1, d0 = 0.7, 0.07, 0.08
    a2 = d2
    a1 = d1 + gamma * lam * a2
    a0 = d0 + gamma * lam * a1
    assert torch.allclose(adv[0], torch.tensor([a0, a1, a2]))
    assert torch.allclose(ret[0], torch.tensor([a0 + 0.1, a1 + 0.2, a2 + 0.3]))
    # row 2: the episode ends after its token, so padding contributes nothing
    assert torch.allclose(adv[1], torch.tensor([0.5 - 0.4, 0.0, 0.0]))
    assert torch.allclose(ret[1], torch.tensor([0.5, 0.0, 0.0]))


def test_response_mask_and_logprobs() -> None:
    eos, pad = 2, 3
    response = torch.tensor([[5, 6, eos, pad], [eos, pad, pad, pad], [5, 6, 7, 8]])
    mask = response_mask(response, [eos])
    assert mask.tolist() == [[1, 1, 1, 0], [1, 0, 0, 0], [1, 1, 1, 1]]

    logits = torch.randn(3, 4, 10)
    lp = token_logprobs(logits, response, temperature=2.0)
    expected = torch.log_softmax(logits / 2.0, dim=-1)[1, 0, eos]
    assert lp.shape == (3, 4) and torch.isclose(lp[1, 0], expected)

    x = torch.tensor([[1.0, 2.0, 3.0, 100.0]])
    w = whiten(x, torch.tensor([[1.0, 1.0, 1.0, 0.0]]))
    assert w[0, 3] == 0 and torch.isclose(w[0, :3].mean(), torch.tensor(0.0), atol=1e-6)
