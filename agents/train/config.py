"""Training configuration: TRL-style dataclasses (a help string per field), YAML and presets.

A run is one :class:`RunConfig`: top-level fields plus one section per concern (``model``,
``data``, ``reward``, ``train`` for what every algorithm shares, then ``grpo``, ``ppo`` and
``sft``). A YAML file holds the same nesting; ``preset: NAME`` at its top starts from one of the
presets in ``agents/train/presets``. Command-line overrides are ``section.field=value`` (the
value read as YAML), e.g. ``train.max_steps=20 model.lora=true algorithm=sft``.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
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
    autocast: str = _f(
        "none",
        "Mixed precision of the training forward and backward passes: 'none' (the weights' "
        "dtype), 'bf16' (torch.autocast to bfloat16; the float32 weights stay the master copy, "
        "so LoRA adapters and optimizer state are float32), 'auto' (bf16 on a CPU with "
        "AVX-512-BF16 or AMX, or a CUDA GPU with bfloat16; else none). GRPO generation on a "
        "CPU runs without it (measured slower: memenv bench rl).",
    )


@dataclass
class DataConfig:
    agent: str = _f("answer", "Which agent to train: 'answer' (Answer Agent) or 'manager'.")
    dataset: str = _f("locomo", "Dataset of the rows: 'locomo', 'synth', 'longmemeval', 'msc'.")
    data_path: str | None = _f(
        None,
        "Data file (locomo: None uses the cached download in $MEMENV_DATA_DIR; synth needs none).",
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
        "Memories retrieved per speaker for a question: what the answer rows show, and what the "
        "manager's frozen answerer reads (the paper: 30; 10 keeps CPU prompts short).",
    )
    distillation: bool = _f(
        True,
        "Answer rows: ask for the relevant memory ids before the answer (memory distillation).",
    )
    top_k: int = _f(5, "Manager rows: stored memories shown with each fact (the env's top_k).")
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
    progress: bool = _f(
        True,
        "Show a progress bar (step, reward, loss) and one line per validation on stderr; "
        "False prints nothing. Every value is in OUT/log.jsonl either way.",
    )


@dataclass
class GRPOSection:
    num_generations: int = _f(4, "Completions per prompt (the group).")
    beta: float = _f(0.0, "KL coefficient to the reference model (0: no reference model).")
    epsilon: float = _f(0.2, "Clipping of the probability ratio.")
    loss_type: str = _f("dapo", "TRL loss aggregation: 'grpo', 'dapo', 'dr_grpo', 'bnpo'.")
    scale_rewards: str = _f("group", "Advantage scaling: 'group', 'batch' or 'none'.")
    use_vllm: bool = _f(False, "Generate with vLLM (GPU only).")
    vllm_mode: str = _f("colocate", "'colocate' (same GPUs) or 'server'.")
    prefill_groups: bool = _f(
        True,
        "Transformers generation encodes each group's prompt once and samples its "
        "num_generations completions from that cache, held once for the group with sdpa "
        "attention (same tokens as encoding the prompt per completion; agents.llm.prefill).",
    )
    share_prompt_forward: bool = _f(
        True,
        "Training and old/reference log-probability passes run each distinct prompt of a "
        "micro-batch once and the completions on its cache (same values and gradients as the "
        "plain forward up to rounding; agents.train.shared_prompt). Off with gradient "
        "checkpointing.",
    )


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
        for name, (low, high, closed) in RANGES.items():
            section, _, key = name.rpartition(".")
            value = getattr(getattr(self, section) if section else self, key)
            if value is None:
                continue
            too_low = low is not None and (value < low if closed else value <= low)
            if too_low or (high is not None and value > high):
                raise ValueError(f"{name} must be {_range_text(low, high, closed)}, got {value!r}")
        for name, allowed in CHOICES.items():
            section, _, key = name.rpartition(".")
            value = getattr(getattr(self, section), key)
            if value not in allowed:
                raise ValueError(f"{name} must be one of {allowed}, got {value!r}")
        if self.algorithm == "grpo" and self.grpo.num_generations < 2:
            raise ValueError("grpo.num_generations must be >= 2 (a group needs two members)")
        return self

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


RANGES: dict[str, tuple[float | None, float | None, bool]] = {
    # field: (low, high, low included); None values (where allowed) are not checked.
    "seed": (0, 2**32 - 1, True),  # numpy's legacy seeding takes 32 bits
    "model.lora_r": (1, None, True),
    "model.lora_alpha": (1, None, True),
    "model.lora_dropout": (0.0, 0.99, True),
    "data.synth_train_conversations": (0, None, True),
    "data.synth_seed": (0, 2**32 - 1, True),
    "data.memories_per_speaker": (1, None, True),
    "data.top_k": (1, None, True),
    "data.extraction_window": (1, None, True),
    "data.max_train_rows": (1, None, True),
    "data.max_val_rows": (1, None, True),
    "data.max_prompt_tokens": (1, None, True),
    "reward.max_answer_words": (1, None, True),
    "reward.invalid_penalty": (0.0, None, True),
    "train.max_steps": (1, None, True),
    "train.learning_rate": (0.0, None, False),
    "train.batch_size": (1, None, True),
    "train.micro_batch_size": (1, None, True),
    "train.max_new_tokens": (1, None, True),
    "train.temperature": (0.0, None, False),
    "train.top_p": (0.0, 1.0, False),
    "train.weight_decay": (0.0, None, True),
    "train.warmup_steps": (0, None, True),
    "train.max_grad_norm": (0.0, None, False),
    "train.log_every": (1, None, True),
    "train.eval_every": (0, None, True),
    "train.save_every": (0, None, True),
    "train.eval_batch_size": (1, None, True),
    "train.num_threads": (1, None, True),
    "grpo.num_generations": (1, None, True),
    "grpo.beta": (0.0, None, True),
    "grpo.epsilon": (0.0, None, False),
    "ppo.rollouts_per_prompt": (1, None, True),
    "ppo.ppo_epochs": (1, None, True),
    "ppo.clip_range": (0.0, None, False),
    "ppo.value_clip_range": (0.0, None, False),
    "ppo.critic_learning_rate": (0.0, None, False),
    "ppo.vf_coef": (0.0, None, True),
    "ppo.kl_coef": (0.0, None, True),
    "ppo.gamma": (0.0, 1.0, True),
    "ppo.gae_lambda": (0.0, 1.0, True),
    "sft.epochs": (0.0, None, False),
}
"""Numeric bounds checked by :meth:`RunConfig.validate` (periods such as ``train.save_every``
are >= 0: 0 means "only at the end")."""

CHOICES: dict[str, tuple[str, ...]] = {
    "model.dtype": ("auto", "float32", "bfloat16", "float16"),
    "model.autocast": ("none", "bf16", "auto"),
    "grpo.loss_type": ("grpo", "dapo", "dr_grpo", "bnpo"),
    "grpo.scale_rewards": ("group", "batch", "none"),
    "grpo.vllm_mode": ("colocate", "server"),
}


def _range_text(low: float | None, high: float | None, closed: bool) -> str:
    if high is None:
        return f"{'>=' if closed else '>'} {low}"
    return f"in {'[' if closed else '('}{low}, {high}]"


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
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"{path}: not a YAML text file ({exc.reason} at byte {exc.start})"
        ) from None
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: not valid YAML ({exc})") from exc
    except RecursionError:
        raise ValueError(f"{path}: not valid YAML (nested too deeply)") from None
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


_KIND_NAMES = {
    "None": "null",
    "int": "an integer",
    "float": "a number",
    "bool": "true or false",
    "str": "a string",
    "list[str]": "a list of strings",
}


def _check_type(f: dataclasses.Field, value: Any, where: str) -> Any:
    """``value`` for field ``f``, or ValueError naming the field; YAML 1.1 reads ``1e-5`` as a
    string, so floats parse strings. Non-finite numbers are refused."""
    kinds = [k.strip() for k in str(f.type).split("|")]
    if value is None and "None" in kinds:
        return None
    if "float" in kinds and not isinstance(value, bool) and isinstance(value, int | float | str):
        try:
            number: float | None = float(value)
        except ValueError:
            number = None  # a string that is no number: another kind, or the error below
        if number is not None:
            if not math.isfinite(number):
                raise ValueError(f"{where}.{f.name}: expected a finite number, got {value!r}")
            return number
    if "int" in kinds and isinstance(value, int) and not isinstance(value, bool):
        return value
    if "bool" in kinds and isinstance(value, bool):
        return value
    if "str" in kinds and isinstance(value, str):
        return value
    if "list[str]" in kinds and isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    expected = " or ".join(_KIND_NAMES.get(k, k) for k in kinds)
    raise ValueError(f"{where}.{f.name}: expected {expected}, got {value!r:.100}")


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


RENAMED_FIELDS: dict[tuple[str, str], tuple[str, str]] = {
    ("reward", "answer_top_k"): ("data", "memories_per_speaker"),
    ("data", "manager_top_k"): ("data", "top_k"),
}
"""Old (section, field) -> new one; the old names still load, with a DeprecationWarning."""


def _rename_old_fields(data: dict[str, Any], where: str) -> dict[str, Any]:
    out = {k: dict(v) if isinstance(v, dict) else v for k, v in data.items()}
    for (section, old), (new_section, new) in RENAMED_FIELDS.items():
        values = out.get(section)
        if not isinstance(values, dict) or old not in values:
            continue
        warnings.warn(
            f"{where}: {section}.{old} is deprecated and will be removed in the next release; "
            f"use {new_section}.{new}",
            DeprecationWarning,
            stacklevel=3,
        )
        value = values.pop(old)
        target = out.setdefault(new_section, {})
        if isinstance(target, dict):
            target.setdefault(new, value)
    return out


def config_from_dict(data: dict[str, Any], where: str = "config") -> RunConfig:
    data = _rename_old_fields(_resolve_presets(data, where), where)
    return _build(RunConfig, data, where).validate()


def parse_override(text: str) -> tuple[list[str], Any]:
    if "=" not in text:
        raise ValueError(f"override {text!r} must look like section.field=value")
    key, _, raw = text.partition("=")
    try:
        value = yaml.safe_load(raw) if raw.strip() else None
    except (yaml.YAMLError, RecursionError):
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
