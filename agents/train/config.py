"""Training configuration: TRL-style dataclasses (a help string per field), YAML and presets.

A run is one :class:`RunConfig`: top-level fields plus one section per concern (``model``,
``data``, ``reward``, ``train`` for what every algorithm shares, then ``grpo``, ``ppo`` and
``sft``). A YAML file holds the same nesting; ``preset: NAME`` at its top starts from one of the
presets in ``agents/train/presets``. Command-line overrides are ``section.field=value`` (the
value read as YAML), e.g. ``train.max_steps=20 model.lora=true algorithm=sft``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from memenv.metrics import JUDGE, METRICS

PRESET_DIR = Path(__file__).parent / "presets"
ALGORITHMS = ("grpo", "ppo", "sft")
AGENTS = ("answer", "manager")


def _f(default: Any, help: str, **kwargs: Any) -> Any:
    if isinstance(default, list | dict):
        return field(default_factory=lambda: type(default)(default), metadata={"help": help})
    return field(default=default, metadata={"help": help}, **kwargs)


@dataclass
class ModelConfig:
    name: str = _f(
        "tiny",
        "Policy to train: 'smollm2', 'tiny', 'transformers:PATH' or a checkpoint folder.",
    )
    dtype: str = _f("auto", "'auto' (bfloat16 on CUDA, float32 on CPU), 'float32', 'bfloat16'.")
    lora: bool = _f(False, "Train LoRA adapters (peft) instead of every weight.")
    lora_r: int = _f(16, "LoRA rank.")
    lora_alpha: int = _f(32, "LoRA scaling numerator (alpha / r scales the update).")
    lora_dropout: float = _f(0.05, "Dropout on the LoRA branch.")
    lora_target_modules: str | list[str] = _f(
        "all-linear", "Modules that get adapters: 'all-linear' or a list of module names."
    )
    gradient_checkpointing: bool = _f(False, "Recompute activations in backward (less memory).")


@dataclass
class DataConfig:
    agent: str = _f("answer", "Which agent to train: 'answer' (Answer Agent) or 'manager'.")
    dataset: str = _f("locomo", "Dataset of the rows: 'locomo', 'synth', 'longmemeval', 'msc'.")
    data_path: str | None = _f(
        "../shared/data/locomo/locomo10_trainval.json",
        "Data file (locomo: None uses the cached download; synth needs none).",
    )
    train_split: str = _f("train", "Split the training rows come from.")
    val_split: str = _f("val", "Split for validation (model selection).")
    synth_train_conversations: int = _f(
        0, "Extra training rows from this many synthetic conversations (0: none)."
    )
    synth_seed: int = _f(1000, "Seed of the extra synthetic conversations.")
    bank_manager: str = _f(
        "add-all",
        "Manager that builds the banks the rows see: a baseline name (add-all, mem0, ...) or "
        "'llm:SPEC' for an LLM manager (e.g. llm:transformers:runs/manager/best).",
    )
    memories_per_speaker: int = _f(
        10,
        "Answer rows: memories retrieved per speaker (the paper: 30; 10 keeps CPU prompts short).",
    )
    distillation: bool = _f(
        True,
        "Answer rows: ask for the relevant memory ids before the answer (memory distillation).",
    )
    manager_top_k: int = _f(5, "Manager rows: stored memories shown with each fact.")
    fact_source: str = _f(
        "auto",
        "Manager rows: fact stream ('auto': dataset facts, 'turns': raw dialogue turns, "
        "'llm:SPEC': facts an LLM extracts from each turn, e.g. llm:transformers:/models/big).",
    )
    extraction_window: int = _f(
        1, "Manager rows with an llm: fact source: turns the extractor sees (the turn + earlier)."
    )
    manager_linked_only: bool = _f(
        True, "Manager rows: only facts linked to a question (the others have no outcome reward)."
    )
    max_train_rows: int | None = _f(None, "Cap on training rows (None: all).")
    max_val_rows: int | None = _f(None, "Cap on validation rows (None: all).")
    max_prompt_tokens: int = _f(1536, "Prompts longer than this lose their first tokens.")


@dataclass
class RewardConfig:
    metric: str = _f(
        "em",
        f"Outcome metric. Answer agent: a name of memenv.metrics.METRICS ({', '.join(METRICS)}) "
        f"or '{JUDGE}'. Manager: a METRICS name scored on the frozen answerer's answers to the "
        "linked questions, or 'recall' (evidence recall).",
    )
    outcome_weight: float = _f(1.0, "Weight of the outcome metric.")
    f1_weight: float = _f(0.0, "Answer agent: extra weight on token F1 (dense shaping).")
    format_weight: float = _f(
        0.0, "Answer agent: bonus when the output has the '**Answer:**' marker."
    )
    length_weight: float = _f(
        0.0, "Answer agent: bonus when the answer has 1..max_answer_words words."
    )
    max_answer_words: int = _f(6, "Word limit of the length bonus.")
    judge: str | None = _f(None, "Backend spec of the LLM judge for metric 'judge'.")
    frozen_answerer: str = _f(
        "extractive",
        "Manager: the frozen answer agent of the outcome reward: 'extractive', 'top-memory' or "
        "'llm:SPEC' (e.g. llm:transformers:runs/answer/best).",
    )
    answer_top_k: int = _f(10, "Manager: memories per speaker the frozen answerer reads.")
    invalid_penalty: float = _f(0.1, "Manager: penalty for an unreadable or rejected operation.")


@dataclass
class TrainConfig:
    max_steps: int = _f(20, "Optimizer steps.")
    learning_rate: float = _f(1e-5, "Learning rate of the policy (actor).")
    batch_size: int = _f(4, "Prompts per optimizer step (before num_generations).")
    micro_batch_size: int = _f(2, "Sequences per forward/backward pass (gradient accumulation).")
    max_new_tokens: int = _f(32, "Longest completion in tokens.")
    temperature: float = _f(1.0, "Rollout sampling temperature (evaluation is greedy).")
    top_p: float = _f(1.0, "Rollout nucleus sampling.")
    weight_decay: float = _f(0.0, "AdamW weight decay.")
    warmup_steps: int = _f(0, "Linear learning-rate warm-up steps.")
    max_grad_norm: float = _f(1.0, "Gradient clipping.")
    log_every: int = _f(1, "Log every N steps.")
    eval_every: int = _f(10, "Validate every N steps (0: only at the end).")
    save_every: int = _f(10, "Checkpoint every N steps (0: only at the end).")
    eval_batch_size: int = _f(8, "Prompts per generation batch in validation.")
    use_cpu: bool | None = _f(None, "Force CPU (None: CPU when no CUDA device).")
    num_threads: int | None = _f(None, "torch CPU threads (None: torch's default).")
    init_checkpoint: str | None = _f(
        None, "Start from this checkpoint folder (e.g. an SFT run's best) instead of model.name."
    )
    tensorboard: bool = _f(True, "Also log to TensorBoard when it is installed.")


@dataclass
class GRPOSection:
    num_generations: int = _f(4, "Completions per prompt (the group).")
    beta: float = _f(0.0, "KL coefficient to the reference model (0: no reference model).")
    epsilon: float = _f(0.2, "Clipping of the probability ratio.")
    loss_type: str = _f("dapo", "TRL loss aggregation: 'grpo', 'dapo', 'dr_grpo', 'bnpo'.")
    scale_rewards: str = _f("group", "Advantage scaling: 'group', 'batch' or 'none'.")
    use_vllm: bool = _f(False, "Generate with vLLM (GPU only).")
    vllm_mode: str = _f("colocate", "'colocate' (same GPUs) or 'server'.")


@dataclass
class PPOSection:
    rollouts_per_prompt: int = _f(1, "Completions sampled per prompt in a rollout batch.")
    ppo_epochs: int = _f(2, "Passes over each rollout batch.")
    clip_range: float = _f(0.2, "Clipping of the policy probability ratio.")
    value_clip_range: float = _f(0.2, "Clipping of the value update.")
    critic_learning_rate: float = _f(1e-4, "Learning rate of the value head (critic).")
    vf_coef: float = _f(0.5, "Weight of the value loss.")
    kl_coef: float = _f(0.05, "Per-token KL penalty to the frozen reference policy.")
    gamma: float = _f(1.0, "Discount over tokens.")
    gae_lambda: float = _f(0.95, "GAE lambda.")
    whiten_advantages: bool = _f(True, "Normalise advantages within a rollout batch.")


@dataclass
class SFTSection:
    teacher: str = _f(
        "gold",
        "Teacher trajectories. Answer agent: 'gold' (gold answer, evidence memories). Manager: "
        "'ideal' (synthetic ideal operations) or 'baseline' (the bank manager's own actions). "
        "Either: 'logged:PATH' (JSONL rows with row_id and completion).",
    )
    epochs: float = _f(1.0, "Passes over the teacher data (max_steps caps them).")


@dataclass
class RunConfig:
    algorithm: str = _f("grpo", "'grpo', 'ppo' or 'sft'.")
    output_dir: str = _f("runs/train/default", "Where logs, checkpoints and curves go.")
    seed: int = _f(0, "Seed of sampling, shuffling and initialisation.")
    preset: str | None = _f(None, "Preset the file started from (informational).")
    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataConfig = field(default_factory=DataConfig)
    reward: RewardConfig = field(default_factory=RewardConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    grpo: GRPOSection = field(default_factory=GRPOSection)
    ppo: PPOSection = field(default_factory=PPOSection)
    sft: SFTSection = field(default_factory=SFTSection)

    def validate(self) -> RunConfig:
        """Raise ``ValueError`` naming the first bad field."""
        if self.algorithm not in ALGORITHMS:
            raise ValueError(f"algorithm must be one of {ALGORITHMS}, got {self.algorithm!r}")
        if self.data.agent not in AGENTS:
            raise ValueError(f"data.agent must be one of {AGENTS}, got {self.data.agent!r}")
        answer_metrics = (*METRICS, JUDGE)
        manager_metrics = (*METRICS, "recall")
        allowed = answer_metrics if self.data.agent == "answer" else manager_metrics
        if self.reward.metric not in allowed:
            raise ValueError(
                f"reward.metric for the {self.data.agent} agent must be one of {allowed}, "
                f"got {self.reward.metric!r}"
            )
        if self.reward.metric == "judge" and not self.reward.judge:
            raise ValueError("reward.metric 'judge' needs reward.judge (a backend spec)")
        for name in ("max_steps", "batch_size", "micro_batch_size", "max_new_tokens"):
            if getattr(self.train, name) < 1:
                raise ValueError(f"train.{name} must be >= 1, got {getattr(self.train, name)}")
        if self.algorithm == "grpo" and self.grpo.num_generations < 2:
            raise ValueError("grpo.num_generations must be >= 2 (a group needs two members)")
        if self.data.memories_per_speaker < 1:
            raise ValueError("data.memories_per_speaker must be >= 1")
        return self

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


SECTIONS = {
    "model": ModelConfig,
    "data": DataConfig,
    "reward": RewardConfig,
    "train": TrainConfig,
    "grpo": GRPOSection,
    "ppo": PPOSection,
    "sft": SFTSection,
}


def available_presets() -> list[str]:
    return sorted(p.stem for p in PRESET_DIR.glob("*.yaml"))


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: not valid YAML ({exc})") from exc
    if not isinstance(data, dict):
        raise ValueError(f"{path}: the top level must be a mapping, got {type(data).__name__}")
    return data


def _merge(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _resolve_presets(data: dict[str, Any], where: str, depth: int = 0) -> dict[str, Any]:
    name = data.get("preset")
    if not name:
        return data
    if depth > 5:
        raise ValueError(f"{where}: presets nest too deeply")
    path = PRESET_DIR / f"{name}.yaml"
    if not path.is_file():
        raise ValueError(
            f"{where}: unknown preset {name!r}; known: {', '.join(available_presets())}"
        )
    base = _resolve_presets(_read_yaml(path), str(path), depth + 1)
    return _merge(base, data)


def _check_type(f: dataclasses.Field, value: Any, where: str) -> Any:
    """``value`` for field ``f``; YAML 1.1 reads ``1e-5`` as a string, so floats parse strings."""
    kinds = {k.strip() for k in str(f.type).split("|")}
    if value is None and "None" in kinds:
        return None
    if "float" in kinds and not isinstance(value, bool):
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ValueError(f"{where}.{f.name}: expected a number, got {value!r}") from None
    if "int" in kinds and (isinstance(value, bool) or not isinstance(value, int)):
        raise ValueError(f"{where}.{f.name}: expected an integer, got {value!r}")
    if "bool" in kinds and not isinstance(value, bool):
        raise ValueError(f"{where}.{f.name}: expected true or false, got {value!r}")
    return value


def _build(cls: type, values: dict[str, Any], where: str) -> Any:
    known = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise ValueError(
            f"{where}: unknown field(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
        )
    kwargs = {}
    for name, value in values.items():
        if name in SECTIONS and cls is RunConfig:
            if not isinstance(value, dict):
                raise ValueError(f"{where}.{name}: expected a mapping, got {value!r}")
            value = _build(SECTIONS[name], value, f"{where}.{name}")
        else:
            value = _check_type(known[name], value, where)
        kwargs[name] = value
    return cls(**kwargs)


def config_from_dict(data: dict[str, Any], where: str = "config") -> RunConfig:
    return _build(RunConfig, _resolve_presets(data, where), where).validate()


def parse_override(text: str) -> tuple[list[str], Any]:
    if "=" not in text:
        raise ValueError(f"override {text!r} must look like section.field=value")
    key, _, raw = text.partition("=")
    try:
        value = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError:
        value = raw
    return key.strip().split("."), value


def load_config(
    path: str | Path | None = None,
    overrides: list[str] | tuple[str, ...] = (),
    preset: str | None = None,
) -> RunConfig:
    """A validated config from a YAML file and/or a preset, then ``section.field=value``
    overrides."""
    data: dict[str, Any] = {}
    where = "config"
    if preset:
        data["preset"] = preset
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"config file {path} not found")
        data = _merge(data, _read_yaml(path))
        where = str(path)
    data = _resolve_presets(data, where)
    for item in overrides:
        keys, value = parse_override(item)
        target = data
        for key in keys[:-1]:
            target = target.setdefault(key, {})
            if not isinstance(target, dict):
                raise ValueError(f"override {item!r}: {key} is not a section")
        target[keys[-1]] = value
    return config_from_dict(data, where)


def save_config(config: RunConfig, path: str | Path) -> None:
    Path(path).write_text(yaml.safe_dump(config.to_dict(), sort_keys=False), encoding="utf-8")
