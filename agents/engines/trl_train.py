"""GRPO over whole Memory Manager (or Answer Agent) episodes with TRL's ``environment_factory``.

    python -m agents.engines.trl_train --preset trl-smollm2 [field=value ...]

The run's settings are one :class:`EpisodeTrainConfig` (YAML presets in
``agents/engines/presets``); the environments, rows and tools come from
:mod:`agents.engines.trl_env`. Tested with TRL 1.16.0 and transformers 5.24 on CPU.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from agents.engines.episodes import PREFIX_POLICIES, episode_specs
from agents.engines.trl_env import (
    answer_environment_factory,
    answer_rows,
    manager_environment_factory,
    manager_episode_rows,
    with_tool_template,
)

PRESET_DIR = Path(__file__).parent / "presets"
AGENTS = ("manager", "answer")


def _f(default: Any, help: str) -> Any:
    if isinstance(default, dict | list):
        return field(default_factory=lambda: type(default)(default), metadata={"help": help})
    return field(default=default, metadata={"help": help})


@dataclass
class EpisodeTrainConfig:
    """Settings of a TRL GRPO run over memenv episodes."""

    model: str = _f("tiny", "'tiny', 'smollm2' or a local checkpoint folder (config.json inside).")
    output_dir: str = _f("runs/trl-episodes", "Checkpoints, log.jsonl and the final model.")
    agent: str = _f("manager", "'manager' (whole MemoryManager episodes) or 'answer'.")
    dataset: str = _f("synth", "memenv dataset: synth, locomo, longmemeval or msc.")
    data_path: str | None = _f(None, "The dataset file (synth needs none).")
    split: str = _f("train", "Memory-R1 split to train on (train/val/test/all).")
    synth_kwargs: dict = _f({}, "Generator knobs for dataset=synth (n, n_sessions, ...).")
    reward: str = _f("recall", "Manager reward of the env: 'recall' or 'answer'.")
    reward_metric: str = _f("em", "Answer metric (em, f1, f1_mem0, bleu1) of the env reward.")
    terminal_reward: bool = _f(True, "Add the env's conversation-level score at the last fact.")
    window: int = _f(0, "Facts per episode; 0 plays whole conversations.")
    stride: int = _f(0, "Facts between window starts (0: equal to window).")
    prefix_policy: str = _f(
        "add-all", "Builds the shared start state of a window: add-all, ideal-ops or oracle."
    )
    max_episodes: int = _f(0, "Keep at most this many episodes (rows); 0 keeps all.")
    memories_per_speaker: int = _f(30, "Answer agent: memories shown per speaker.")
    max_steps: int = _f(4, "Optimizer steps.")
    learning_rate: float = _f(1e-6, "Actor learning rate (the paper: 1e-6).")
    per_device_train_batch_size: int = _f(4, "Completions per device per micro-step.")
    gradient_accumulation_steps: int = _f(1, "Micro-steps per optimizer step.")
    num_generations: int = _f(4, "Rollouts per episode (the GRPO group).")
    max_completion_length: int = _f(1024, "Tokens of a whole rollout (calls and tool results).")
    max_tool_calling_iterations: int = _f(0, "Tool-call rounds per rollout; 0: no limit.")
    temperature: float = _f(1.0, "Sampling temperature of rollouts (the paper: 1.0).")
    beta: float = _f(0.0, "KL coefficient against the reference model.")
    seed: int = _f(0, "Seed of everything.")
    use_cpu: bool | None = _f(None, "Force CPU (None: CPU when no GPU is visible).")
    bf16: bool = _f(False, "bfloat16 mixed precision (GPU).")
    gradient_checkpointing: bool = _f(False, "Trade compute for activation memory.")
    lora: bool = _f(False, "Train LoRA adapters instead of all weights.")
    lora_r: int = _f(16, "LoRA rank.")
    lora_alpha: int = _f(32, "LoRA alpha.")
    use_vllm: bool = _f(False, "Generate with vLLM (GPU only).")
    vllm_mode: str = _f("colocate", "'colocate' or 'server' (see TRL's GRPOConfig).")
    logging_steps: int = _f(1, "Log every N steps.")
    save_steps: int = _f(0, "Save a checkpoint every N steps; 0 saves only the final model.")

    def validate(self) -> EpisodeTrainConfig:
        if self.agent not in AGENTS:
            raise ValueError(f"agent must be one of {AGENTS}, got {self.agent!r}")
        if self.prefix_policy not in PREFIX_POLICIES:
            raise ValueError(f"prefix_policy must be one of {PREFIX_POLICIES}")
        for name in ("max_steps", "per_device_train_batch_size", "num_generations"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.num_generations < 2:
            raise ValueError("num_generations must be >= 2 (GRPO compares rollouts of a group)")
        return self


def load_episode_config(
    preset: str | None = None, path: str | None = None, overrides: list[str] = ()
) -> EpisodeTrainConfig:
    """A config from a preset name or a YAML file, then ``field=value`` overrides (YAML values)."""
    data: dict[str, Any] = {}
    for source in [PRESET_DIR / f"{preset}.yaml" if preset else None, path]:
        if source is None:
            continue
        source = Path(source)
        if not source.is_file():
            known = sorted(p.stem for p in PRESET_DIR.glob("*.yaml"))
            raise ValueError(f"no config file {source} (presets: {', '.join(known)})")
        loaded = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
        if not isinstance(loaded, dict):
            raise ValueError(f"{source}: expected a mapping of settings")
        data.update(loaded)
    for item in overrides:
        key, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"override {item!r} is not field=value")
        data[key.strip()] = yaml.safe_load(value)
    names = {f.name for f in dataclasses.fields(EpisodeTrainConfig)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise ValueError(f"unknown settings {unknown}; known: {sorted(names)}")
    return EpisodeTrainConfig(**data).validate()


def model_folder(name: str) -> Path:
    if name == "tiny":
        from agents.llm.tiny import tiny_path

        return tiny_path()
    if name == "smollm2":
        from agents.llm.smollm2 import smollm2_path

        return smollm2_path()
    path = Path(name).expanduser()
    if not (path / "config.json").is_file():
        raise FileNotFoundError(f"model {name!r} is not 'tiny', 'smollm2' or a checkpoint folder")
    return path


def build_rows_and_factory(config: EpisodeTrainConfig) -> tuple[list[dict[str, Any]], Any]:
    """Training rows and the ``environment_factory`` of ``config.agent``."""
    from memenv.data.registry import load_conversations
    from memenv.envs import AnswerAgentEnv, MemoryManagerEnv

    conversations = load_conversations(
        config.dataset,
        data_path=config.data_path,
        split=config.split,
        synth_kwargs=config.synth_kwargs or None,
    )
    if config.agent == "manager":

        def make_env() -> MemoryManagerEnv:
            return MemoryManagerEnv(
                conversations=conversations,
                reward=config.reward,
                reward_metric=config.reward_metric,
                terminal_reward=config.terminal_reward,
            )

        env = make_env()
        specs = episode_specs(
            env, window=config.window, stride=config.stride, prefix_policy=config.prefix_policy
        )
        rows = manager_episode_rows(env, specs)
        factory = manager_environment_factory(make_env)
    else:
        banks_env = AnswerAgentEnv(
            conversations=conversations, memories_per_speaker=config.memories_per_speaker
        )
        banks = {c.id: banks_env.banks_for(c) for c in conversations}

        def make_answer_env() -> AnswerAgentEnv:
            return AnswerAgentEnv(
                conversations=conversations,
                banks=banks,
                memories_per_speaker=config.memories_per_speaker,
                reward=config.reward_metric,
            )

        rows = answer_rows(banks_env)
        factory = answer_environment_factory(make_answer_env)
    if config.max_episodes and len(rows) > config.max_episodes:
        rows = rows[: config.max_episodes]
    return rows, factory


def grpo_config(config: EpisodeTrainConfig) -> Any:
    from trl import GRPOConfig

    extra: dict[str, Any] = {}
    if config.use_vllm:
        extra.update(use_vllm=True, vllm_mode=config.vllm_mode)
    if config.max_tool_calling_iterations:
        extra["max_tool_calling_iterations"] = config.max_tool_calling_iterations
    cpu = config.use_cpu
    if cpu is None:
        import torch

        cpu = not torch.cuda.is_available()
    return GRPOConfig(
        output_dir=str(Path(config.output_dir) / "checkpoints"),
        max_steps=config.max_steps,
        learning_rate=config.learning_rate,
        per_device_train_batch_size=config.per_device_train_batch_size,
        gradient_accumulation_steps=config.gradient_accumulation_steps,
        num_generations=config.num_generations,
        max_completion_length=config.max_completion_length,
        temperature=config.temperature,
        beta=config.beta,
        seed=config.seed,
        data_seed=config.seed,
        use_cpu=cpu,
        bf16=config.bf16 and not cpu,
        gradient_checkpointing=config.gradient_checkpointing,
        logging_steps=config.logging_steps,
        save_strategy="steps" if config.save_steps else "no",
        save_steps=config.save_steps or 500,
        report_to=[],
        disable_tqdm=True,
        remove_unused_columns=False,
        **extra,
    )


def train_episodes(config: EpisodeTrainConfig) -> dict[str, Any]:
    """Run GRPO over episodes; returns the steps, the log history and the final model's folder."""
    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
    import torch
    from datasets import Dataset
    from transformers import AutoModelForCausalLM
    from trl import GRPOTrainer

    from agents.train.model import load_tokenizer

    config.validate()
    folder = model_folder(config.model)
    torch.manual_seed(config.seed)
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32)
    tokenizer = with_tool_template(load_tokenizer(folder))
    rows, factory = build_rows_and_factory(config)
    peft_config = None
    if config.lora:
        from peft import LoraConfig

        peft_config = LoraConfig(
            r=config.lora_r, lora_alpha=config.lora_alpha, task_type="CAUSAL_LM"
        )
    trainer = GRPOTrainer(
        model=model,
        args=grpo_config(config),
        train_dataset=Dataset.from_list(rows),
        processing_class=tokenizer,
        environment_factory=factory,
        peft_config=peft_config,
    )
    trainer.train()
    out = Path(config.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    with (out / "log.jsonl").open("w", encoding="utf-8") as f:
        for entry in trainer.state.log_history:
            f.write(json.dumps(entry) + "\n")
    final = out / "final"
    trainer.save_model(str(final))
    tokenizer.save_pretrained(str(final))
    return {
        "steps": trainer.state.global_step,
        "log_history": list(trainer.state.log_history),
        "final": str(final),
        "trainer": trainer,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--preset", help=f"a preset in {PRESET_DIR}")
    parser.add_argument("--config", help="a YAML file of EpisodeTrainConfig fields")
    parser.add_argument("overrides", nargs="*", help="field=value settings")
    args = parser.parse_args(argv)
    try:
        config = load_episode_config(args.preset, args.config, args.overrides)
    except ValueError as exc:
        parser.error(str(exc))
    result = train_episodes(config)
    print(json.dumps({"steps": result["steps"], "final": result["final"]}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
