"""Issue 17 item 8: every bad training-config value is an error naming the field (or file)."""

from __future__ import annotations

import pytest

from agents.train.config import RANGES, load_config
from memenv_app.cli import main


@pytest.mark.parametrize(
    "override, named",
    [
        ("model.name=123", "model.name: expected a string"),
        ("output_dir=[1,2]", "output_dir: expected a string"),
        ("train.num_threads=-2", "train.num_threads must be >= 1"),
        ("data.max_train_rows=-4", "data.max_train_rows must be >= 1"),
        ("seed=-1", "seed must be in [0, 4294967295]"),
        ("train.save_every=-3", "train.save_every must be >= 0"),
        ("train.eval_every=-1", "train.eval_every must be >= 0"),
        ("train.log_every=0", "train.log_every must be >= 1"),
        ("train.learning_rate=nan", "train.learning_rate: expected a finite number"),
        ("train.learning_rate=0", "train.learning_rate must be > 0"),
        ("train.top_p=1.5", "train.top_p must be in (0.0, 1.0]"),
        ("train.batch_size=2.5", "train.batch_size: expected an integer"),
        ("train.use_cpu=3", "train.use_cpu: expected true or false or null"),
        ("model.lora_target_modules=[1]", "model.lora_target_modules: expected a string or"),
        ("model.dtype=float8", "model.dtype must be one of"),
        ("grpo.loss_type=ppo", "grpo.loss_type must be one of"),
        ("ppo.gamma=2", "ppo.gamma must be in [0.0, 1.0]"),
        ("train.max_steps=[[[[1]]]]", "train.max_steps: expected an integer"),
    ],
)
def test_bad_config_values_name_the_field(override, named):
    with pytest.raises(ValueError) as err:
        load_config(preset="cpu-tiny", overrides=[override])
    assert named in str(err.value)


def test_every_range_names_a_real_field():
    config = load_config(preset="cpu-tiny")
    for name in RANGES:
        section, _, key = name.rpartition(".")
        assert hasattr(getattr(config, section) if section else config, key), name


def test_binary_yaml_file_names_the_file(tmp_path, capsys):
    path = tmp_path / "config.yaml"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff\xfe binary")
    assert main(["train", "--config", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(path) in err[0] and "not a YAML text file" in err[0]


def test_cli_bad_value_is_one_error_line(tmp_path, capsys):
    args = ["train", "--preset", "cpu-tiny", f"output_dir={tmp_path}", "train.num_threads=-2"]
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["memenv: error: train.num_threads must be >= 1, got -2"]
