"""Run configs of ``agents.train``: presets, YAML files, overrides and validation errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.train.config import (
    RunConfig,
    available_presets,
    config_from_dict,
    load_config,
    save_config,
)


def test_presets_are_the_three_documented_ones():
    assert set(available_presets()) >= {"cpu-tiny", "cpu-smollm2", "gpu-paper"}


@pytest.mark.parametrize("preset", available_presets())
def test_every_preset_loads_and_validates(preset):
    config = load_config(preset=preset)
    assert isinstance(config, RunConfig)
    assert config.validate() is config
    assert config.algorithm in ("grpo", "ppo", "sft")
    assert config.data.agent in ("answer", "manager")
    # The preset name is kept (informational) and every algorithm's section is filled in.
    assert config.preset == preset
    assert config.grpo.num_generations >= 2
    assert config.ppo.ppo_epochs >= 1


def test_cpu_tiny_preset_values():
    config = load_config(preset="cpu-tiny")
    assert config.model.name == "tiny"
    assert config.data.dataset == "synth"
    assert config.train.use_cpu is True
    assert config.train.max_steps == 4
    assert config.reward.metric == "f1"


def test_overrides_are_read_as_yaml():
    config = load_config(
        preset="cpu-tiny",
        overrides=["train.max_steps=3", "model.lora=true", "algorithm=sft", "train.use_cpu=null"],
    )
    assert config.train.max_steps == 3 and isinstance(config.train.max_steps, int)
    assert config.model.lora is True
    assert config.algorithm == "sft"
    assert config.train.use_cpu is None
    # Untouched fields keep the preset's values.
    assert config.model.name == "tiny"
    assert config.train.batch_size == 2


def test_override_of_a_list_and_a_float():
    config = load_config(
        preset="cpu-tiny",
        overrides=["model.lora_target_modules=[q_proj, v_proj]", "train.learning_rate=2e-4"],
    )
    assert config.model.lora_target_modules == ["q_proj", "v_proj"]
    assert config.train.learning_rate == pytest.approx(2e-4)


def test_float_fields_accept_yaml_1_1_exponents_and_ints(tmp_path):
    # PyYAML reads "1e-5" (no dot) as a string; float fields turn it into a number.
    config = load_config(preset="cpu-tiny", overrides=["train.learning_rate=1e-5", "sft.epochs=3"])
    assert config.train.learning_rate == pytest.approx(1e-5)
    assert isinstance(config.sft.epochs, float) and config.sft.epochs == 3.0
    path = tmp_path / "run.yaml"
    path.write_text("preset: cpu-tiny\nppo:\n  critic_learning_rate: 3e-5\n", encoding="utf-8")
    assert load_config(path).ppo.critic_learning_rate == pytest.approx(3e-5)


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ("train.max_steps=abc", "train.max_steps"),
        ("train.max_steps=2.5", "train.max_steps"),
        ("train.learning_rate=fast", "train.learning_rate"),
        ("model.lora=maybe", "model.lora"),
        ("train.use_cpu=1", "train.use_cpu"),
        ("seed=true", "seed"),
    ],
)
def test_wrongly_typed_values_name_the_field(override, field):
    message = _error([override])
    assert field in message
    assert override.partition("=")[2].lower() in message.lower()


def test_yaml_file_with_preset_and_its_own_overrides(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text(
        "preset: cpu-tiny\n"
        "algorithm: sft\n"
        "output_dir: somewhere/else\n"
        "train:\n"
        "  max_steps: 7\n"
        "reward:\n"
        "  format_weight: 0.5\n",
        encoding="utf-8",
    )
    config = load_config(path)
    assert config.algorithm == "sft"
    assert config.output_dir == "somewhere/else"
    assert config.train.max_steps == 7
    assert config.reward.format_weight == 0.5
    # The rest of each section still comes from the preset (sections merge, not replace).
    assert config.train.batch_size == 2
    assert config.reward.length_weight == 0.2
    assert config.model.name == "tiny"
    # Command-line overrides win over the file.
    config = load_config(path, ["train.max_steps=2"])
    assert config.train.max_steps == 2
    assert config.algorithm == "sft"


def test_file_wins_over_the_preset_argument(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text("train:\n  max_steps: 9\n", encoding="utf-8")
    config = load_config(path, preset="cpu-tiny")
    assert config.train.max_steps == 9
    assert config.model.name == "tiny"


def test_saved_config_loads_back_the_same(tmp_path):
    config = load_config(preset="cpu-tiny", overrides=["train.max_steps=5", "model.lora=true"])
    save_config(config, tmp_path / "config.yaml")
    again = load_config(tmp_path / "config.yaml")
    assert again.to_dict() == config.to_dict()


def test_defaults_without_a_preset_validate():
    config = config_from_dict({})
    assert config.to_dict() == RunConfig().to_dict()


def _error(overrides=(), data=None) -> str:
    with pytest.raises(ValueError) as info:
        if data is not None:
            config_from_dict(data)
        else:
            load_config(preset="cpu-tiny", overrides=list(overrides))
    return str(info.value)


def test_unknown_field_names_the_field():
    message = _error(["train.max_stepz=3"])
    assert "max_stepz" in message and "unknown" in message
    assert "config.train" in message


def test_unknown_top_level_field_and_section():
    assert "colour" in _error(["colour=blue"])
    message = _error(["optimizer.lr=1"])
    assert "optimizer" in message and "unknown" in message


def test_section_given_a_scalar():
    message = _error(data={"train": 3})
    assert "train" in message and "mapping" in message


def test_override_without_equals_sign():
    assert "section.field=value" in _error(["train.max_steps"])


def test_override_into_a_scalar_is_rejected():
    assert "algorithm" in _error(["algorithm.x=1"])


def test_bad_algorithm():
    message = _error(["algorithm=dpo"])
    assert "algorithm" in message and "dpo" in message


def test_bad_agent():
    message = _error(["data.agent=retriever"])
    assert "data.agent" in message and "retriever" in message


@pytest.mark.parametrize(
    ("agent", "metric"),
    [("answer", "recall"), ("manager", "rouge"), ("manager", "judge"), ("answer", "rouge")],
)
def test_reward_metric_not_allowed_for_the_agent(agent, metric):
    message = _error([f"data.agent={agent}", f"reward.metric={metric}"])
    assert "reward.metric" in message and metric in message and agent in message


def test_allowed_metrics_validate():
    """Every name of memenv.metrics.METRICS for both agents, and 'recall' for the manager."""
    from memenv.metrics import METRICS

    pairs = [(agent, m) for agent in ("answer", "manager") for m in METRICS]
    for agent, metric in [*pairs, ("manager", "recall")]:
        config = load_config(
            preset="cpu-tiny", overrides=[f"data.agent={agent}", f"reward.metric={metric}"]
        )
        assert config.reward.metric == metric


def test_judge_metric_needs_a_judge_backend():
    assert "reward.judge" in _error(["reward.metric=judge"])
    config = load_config(preset="cpu-tiny", overrides=["reward.metric=judge", "reward.judge=tiny"])
    assert config.reward.judge == "tiny"


def test_grpo_group_needs_two_generations():
    message = _error(["grpo.num_generations=1"])
    assert "grpo.num_generations" in message
    # Only GRPO cares about the group size.
    config = load_config(preset="cpu-tiny", overrides=["grpo.num_generations=1", "algorithm=sft"])
    assert config.grpo.num_generations == 1


@pytest.mark.parametrize("field", ["max_steps", "batch_size", "micro_batch_size", "max_new_tokens"])
def test_train_counts_must_be_positive(field):
    assert f"train.{field}" in _error([f"train.{field}=0"])


def test_memories_per_speaker_must_be_positive():
    assert "data.memories_per_speaker" in _error(["data.memories_per_speaker=0"])


def test_unknown_preset(tmp_path):
    message = _error(data={"preset": "no-such-preset"})
    assert "no-such-preset" in message and "cpu-tiny" in message


def test_missing_config_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.yaml"):
        load_config(tmp_path / "nope.yaml")


def test_invalid_yaml_and_non_mapping_files(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("train: [1, 2\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not valid YAML"):
        load_config(bad)
    listed = tmp_path / "list.yaml"
    listed.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(ValueError, match="mapping"):
        load_config(listed)


def test_unknown_field_in_a_yaml_file_names_the_file(tmp_path):
    path = Path(tmp_path) / "run.yaml"
    path.write_text("preset: cpu-tiny\nmodel:\n  size: big\n", encoding="utf-8")
    with pytest.raises(ValueError) as info:
        load_config(path)
    assert "size" in str(info.value) and "run.yaml" in str(info.value)
