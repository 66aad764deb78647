"""verl adapters inside verl itself: the agent loop, the reward hook through verl's reward
manager, the parquet files through RLHFDataset, and the Hydra configs composed with verl's
defaults. Runs in .venv-verl (``make test-verl``); skipped where verl is not installed."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("verl", reason="verl is not installed: run `make test-verl` (.venv-verl)")

import torch  # noqa: E402
from hydra import compose, initialize_config_dir  # noqa: E402
from omegaconf import OmegaConf  # noqa: E402

from agents.engines.episodes import EpisodeSpec, ManagerEpisode, SharedStates  # noqa: E402
from agents.engines.verl import CONFIG_DIR  # noqa: E402
from agents.engines.verl.common import env_settings, make_manager_env  # noqa: E402
from agents.engines.verl.dataset import build_verl_dataset  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
SYNTH = {"dataset": "synth", "synth_kwargs": {"n": 2, "n_sessions": 2}}


def _compose(name: str, *overrides: str):
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base=None):
        return compose(
            config_name=name, overrides=["actor_rollout_ref.model.path=/models/m", *overrides]
        )


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory):
    from agents.llm.tiny import build_tiny

    return build_tiny(tmp_path_factory.mktemp("tiny") / "model")


@pytest.fixture(scope="module")
def tokenizer(tiny_folder):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_folder)
    tok.padding_side = "left"
    return tok


def _reply(event: str, fact: str) -> str:
    return json.dumps({"memory": [{"id": "0", "event": event, "text": fact}]})


class ScriptedServer:
    """A rollout server stand-in whose generation is a script: it reads the new fact from the
    prompt it is given and answers with an ADD of that fact (or NOOP on every other call when
    ``alternate``). Records every prompt."""

    def __init__(self, tokenizer, alternate: bool = False):
        self.tokenizer, self.alternate, self.prompts = tokenizer, alternate, []

    async def generate(self, request_id, prompt_ids, sampling_params, **kwargs):
        from verl.workers.rollout.replica import TokenOutput

        text = self.tokenizer.decode(prompt_ids, skip_special_tokens=True)
        self.prompts.append(text)
        fact = [line[2:] for line in text.splitlines() if line.startswith("- ")][-1]
        event = "NONE" if self.alternate and len(self.prompts) % 2 == 0 else "ADD"
        reply = _reply(event, fact)
        ids = self.tokenizer(reply, add_special_tokens=False)["input_ids"]
        ids.append(self.tokenizer.convert_tokens_to_ids("<|im_end|>"))
        return TokenOutput(token_ids=ids, log_probs=[-0.5] * len(ids))


def _loop(tokenizer, server, response_length=2048):
    from verl.experimental.agent_loop.agent_loop import DictConfigWrap
    from verl.utils.dataset.rl_dataset import RLHFDataset

    from agents.engines.verl.agent_loop import MemenvManagerAgentLoop

    config = _compose(
        "memenv_grpo",
        f"data.max_response_length={response_length}",
        f"actor_rollout_ref.rollout.response_length={response_length}",
    )
    return MemenvManagerAgentLoop(
        trainer_config=DictConfigWrap(config),
        server_manager=server,
        tokenizer=tokenizer,
        processor=None,
        dataset_cls=RLHFDataset,
        data_config=DictConfigWrap(config.data),
        hf_model_type="llama",
        env=SYNTH,
    )


def _run(agent_loop, **kwargs):
    """Run the loop on the event loop it was built with (as verl's worker does)."""
    return agent_loop.loop.run_until_complete(
        agent_loop.run({"temperature": 1.0}, raw_prompt=[], **kwargs)
    )


def _direct_return(spec, actions):
    episode = ManagerEpisode(make_manager_env(env_settings(SYNTH)), SharedStates())
    episode.start(spec)
    for action in actions:
        if episode.done:
            break
        episode.step(action)
    return episode.finish(), episode.window_size


def test_agent_loop_drives_a_real_episode(tokenizer):
    server = ScriptedServer(tokenizer, alternate=True)
    loop = _loop(tokenizer, server)
    spec = EpisodeSpec(1, start_fact=2, max_facts=5)
    extra = {"split": "train", **spec.to_row()}
    out = _run(loop, extra_info=extra)

    expected, window = _direct_return(spec, [])  # window size only
    assert len(server.prompts) == window == 5  # one generation per fact of the window
    assert server.prompts[0].count("New facts") == 1 and server.prompts[-1].count("New facts") == 5
    mask = out.response_mask
    assert len(mask) == len(out.response_ids) and 0 in mask and 1 in mask
    assert mask[0] == 1 and mask[-1] == 1  # assistant first and last, user turns masked out
    assert len(out.response_logprobs) == len(mask)
    # The same replies on the environment directly give the same episode return.
    replies = []
    for i, prompt in enumerate(server.prompts, start=1):
        fact = [line[2:] for line in prompt.splitlines() if line.startswith("- ")][-1]
        event = "NONE" if i % 2 == 0 else "ADD"
        replies.append(_reply(event, fact))
    expected, _ = _direct_return(spec, replies)
    assert out.extra_fields["memenv_return"] == pytest.approx(expected)
    stats = out.extra_fields["memenv_stats"]
    assert stats["add"] == 3 and stats["decisions"] == 5 and stats["invalid"] == 0


def test_response_budget_ends_the_episode_with_noops(tokenizer):
    server = ScriptedServer(tokenizer)
    loop = _loop(tokenizer, server, response_length=200)
    spec = EpisodeSpec(0)
    out = _run(loop, extra_info={"split": "train", **spec.to_row()})
    assert 0 < len(server.prompts) < out.extra_fields["memenv_stats"]["window"]
    assert len(out.response_ids) <= 200
    assert (
        out.extra_fields["memenv_stats"]["decisions"] == out.extra_fields["memenv_stats"]["window"]
    )


def test_rows_of_another_split_are_refused(tokenizer):
    loop = _loop(tokenizer, ScriptedServer(tokenizer))
    extra = {"split": "val", "conversation": 0, "conversation_id": "synth-0-0"}
    with pytest.raises(ValueError, match="not in the configured data"):
        _run(loop, extra_info=extra)


def test_reward_hook_through_verls_reward_manager(tokenizer, monkeypatch):
    from tensordict import TensorDict
    from verl import DataProto
    from verl.trainer.ppo.reward import load_reward_manager

    monkeypatch.chdir(REPO)  # the config names the hook by a path relative to the repo root
    config = _compose("memenv_grpo")
    manager = load_reward_manager(config, tokenizer)
    server = ScriptedServer(tokenizer)
    spec = EpisodeSpec(0, max_facts=3)
    extra = {"split": "train", **spec.to_row()}
    agent_loop = _loop(tokenizer, server)
    out = _run(agent_loop, extra_info=extra)
    responses = torch.tensor([out.response_ids])
    data = DataProto(
        batch=TensorDict(
            {"responses": responses, "attention_mask": torch.ones_like(responses)}, batch_size=1
        ),
        non_tensor_batch={
            "data_source": np.array(["memenv_manager"], dtype=object),
            "reward_model": np.array([{"ground_truth": ""}], dtype=object),
            "extra_info": np.array([dict(extra)], dtype=object),
            "tool_extra_fields": np.array([out.extra_fields], dtype=object),
        },
    )
    result = agent_loop.loop.run_until_complete(manager.run_single(data))
    assert result["reward_score"] == pytest.approx(out.extra_fields["memenv_return"])
    assert result["reward_extra_info"]["memenv_add"] == 3.0


def test_parquet_files_load_in_rlhf_dataset(tokenizer, tmp_path):
    from verl.utils.dataset.rl_dataset import RLHFDataset

    paths = build_verl_dataset(tmp_path, SYNTH, agent="manager", window=3)
    config = _compose("memenv_grpo", "data.max_prompt_length=4096")
    dataset = RLHFDataset(str(paths["train"]), tokenizer, config.data)
    assert len(dataset) > 2
    item = dataset[1]
    assert item["agent_name"] == "memenv_manager" and item["index"] == 1
    assert item["extra_info"]["start_fact"] == 3 and item["raw_prompt"][0]["role"] == "system"


@pytest.mark.parametrize("name", ["memenv_grpo", "memenv_ppo"])
def test_configs_compose_with_verls_defaults(name, tiny_folder):
    from verl.utils.config import omega_conf_to_dataclass, validate_config
    from verl.workers.config import RolloutConfig

    config = _compose(name, f"actor_rollout_ref.model.path={tiny_folder}")
    assert config.data.train_batch_size == 128
    assert config.data.max_prompt_length == 4096 and config.data.max_response_length == 2048
    actor = config.actor_rollout_ref.actor
    assert actor.optim.lr == 1e-6 and actor.ppo_micro_batch_size_per_gpu == 2
    rollout = config.actor_rollout_ref.rollout
    assert rollout.temperature == 1.0 and rollout.name in ("vllm", "sglang")
    assert rollout.prompt_length == 4096 and rollout.response_length == 2048
    assert rollout.agent.default_agent_loop == "memenv_manager"
    assert (REPO / rollout.agent.agent_loop_config_path).is_file()
    assert (REPO / config.reward.custom_reward_function.path).is_file()
    assert config.critic.optim.lr == 1e-5
    # verl's own defaults came along (keys this project never sets)
    assert "kl_ctrl" in config.algorithm and "checkpoint" in actor
    assert isinstance(omega_conf_to_dataclass(rollout), RolloutConfig)
    use_critic = name == "memenv_ppo"
    assert config.algorithm.adv_estimator == ("gae" if use_critic else "grpo")
    if use_critic:
        assert config.critic.ppo_micro_batch_size_per_gpu == 2 and rollout.n == 1
    validate_config(config, use_reference_policy=not use_critic, use_critic=use_critic)
    OmegaConf.to_container(config, resolve=True)


def test_agent_loop_yaml_registers_the_loop():
    entries = OmegaConf.load(CONFIG_DIR / "agent_loop.yaml")
    (entry,) = entries
    assert entry.name == "memenv_manager"
    assert entry._target_ == "agents.engines.verl.agent_loop.MemenvManagerAgentLoop"
    env_settings(OmegaConf.to_container(entry.env))  # the settings are valid


def test_no_gpu_needed_here():
    assert os.environ.get("CUDA_VISIBLE_DEVICES", "") in ("", "-1") or not torch.cuda.is_available()
