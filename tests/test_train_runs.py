"""Few-step training runs of the tiny random Llama (cpu-tiny preset): GRPO, SFT, LoRA, the Memory
Manager, resuming after a kill, the exported checkpoints and the ``memenv train`` CLI."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from agents.train.config import load_config
from agents.train.hf_common import latest_checkpoint, trainer_arguments
from agents.train.logs import read_log
from agents.train.model import load_base_model, trainable_parameters
from agents.train.runner import train
from memenv_app.cli import main

# Small and fast: 4 training rows, 2 validation rows, short completions, validation and export
# only at the end. A 3-word limit on the length bonus splits the tiny model's random samples
# into rewarded and unrewarded ones, so GRPO groups have non-zero advantages.
FAST = [
    "data.max_train_rows=4",
    "data.max_val_rows=2",
    "train.max_new_tokens=8",
    "train.batch_size=1",
    "train.eval_every=0",
    "train.save_every=0",
    "reward.max_answer_words=3",
]


def run_config(out: Path, *overrides: str):
    return load_config(preset="cpu-tiny", overrides=[f"output_dir={out}", *FAST, *overrides])


def final_parameters(out: Path) -> dict[str, torch.Tensor]:
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(out / "final", dtype=torch.float32)
    return dict(model.named_parameters())


def assert_every_parameter_changed(initial: dict[str, torch.Tensor], out: Path) -> None:
    final = final_parameters(out)
    assert set(initial) == set(final)
    unchanged = [name for name, value in initial.items() if torch.equal(value, final[name])]
    assert not unchanged, f"{len(unchanged)}/{len(initial)} tensors did not change: {unchanged}"


def train_rows(out: Path) -> list[dict]:
    return [r for r in read_log(out) if r["kind"] == "train"]


def assert_run_outputs(out: Path, metric: str) -> list[dict]:
    rows = read_log(out)
    train = [r for r in rows if r["kind"] == "train"]
    assert train, rows
    assert all(isinstance(r.get(metric), float) and math.isfinite(r[metric]) for r in train)
    assert [r for r in rows if r["kind"] == "val"]
    for name in ("best", "final", "curve.png", "summary.json", "config.yaml", "best.json"):
        assert (out / name).exists(), name
    for name in ("best", "final"):
        assert (out / name / "config.json").is_file()
        assert not (out / name / "adapter_config.json").exists()
    return train


@pytest.fixture(scope="module")
def grpo_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("grpo") / "run"
    config = run_config(out, "algorithm=grpo", "train.max_steps=2")
    base, _ = load_base_model(config)
    initial = trainable_parameters(base)
    result = train(config)
    return out, config, result, initial


def test_grpo_run_updates_every_weight(grpo_run):
    out, config, result, initial = grpo_run
    assert result["steps"] == 2 and result["algorithm"] == "grpo"
    assert result["shared_prefill_calls"] > 0  # each group's prompt was encoded once
    assert result["shared_prompt_passes"] > 0  # and run once per micro-batch in training
    assert result["shared_prompt_rows"] > 0  # micro-batches hold rows of one group
    train = assert_run_outputs(out, "reward")
    # Some group had different rewards (else the advantages, and the update, are zero).
    assert any((r.get("reward_std") or 0) > 0 for r in train), train
    assert_every_parameter_changed(initial, out)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["steps"] == 2 and summary["resumed_from"] is None
    val = [r for r in read_log(out) if r["kind"] == "val"]
    assert {"f1", "em", "reward", "format"} <= set(val[-1])
    assert summary["best"]["metric"] == "f1"
    assert (out / "val_last.jsonl").read_text().count("\n") == len(
        [line for line in (out / "val_last.jsonl").read_text().splitlines() if line]
    )


def test_best_checkpoint_is_an_llm_backend(grpo_run):
    from agents.llm import SamplingParams, make_backend

    out = grpo_run[0]
    backend = make_backend(f"transformers:{out}/best")
    messages = [
        {"role": "system", "content": "Answer briefly."},
        {"role": "user", "content": "Where does Nina live?"},
    ]
    [completion] = backend.generate([messages], SamplingParams(max_new_tokens=6))
    assert isinstance(completion.text, str)
    assert 1 <= len(completion.token_ids) <= 6


def test_sft_run_updates_every_weight(tmp_path, capfd):
    out = tmp_path / "run"
    config = run_config(out, "algorithm=sft", "train.max_steps=2")
    base, _ = load_base_model(config)
    initial = trainable_parameters(base)
    capfd.readouterr()
    result = train(config)
    printed = capfd.readouterr()
    # Quiet trainer output: a bar and one line per validation, no raw log dictionaries.
    assert "{'" not in printed.out + printed.err, printed
    assert "sft steps" in printed.err and "step 2 validation: " in printed.out, printed
    assert result["steps"] == 2 and result["algorithm"] == "sft"
    assert_run_outputs(out, "loss")
    assert_every_parameter_changed(initial, out)


def test_lora_grpo_exports_merged_weights(tmp_path):
    out = tmp_path / "run"
    config = run_config(out, "algorithm=grpo", "model.lora=true", "train.max_steps=2")
    base, _ = load_base_model(config)
    initial = trainable_parameters(base)
    train(config)
    assert_run_outputs(out, "reward")
    final = final_parameters(out)  # loads as a plain model: the adapters are merged in
    assert set(final) == set(initial)
    assert not any("lora" in name for name in final)
    changed = [n for n in initial if not torch.equal(initial[n], final[n])]
    assert changed, "the merged LoRA update left every weight as it was"
    assert all("proj" in n for n in changed)  # only adapted linear layers move
    assert any(torch.equal(initial[n], final[n]) for n in initial if "norm" in n)


def test_manager_grpo_run(tmp_path):
    out = tmp_path / "run"
    config = run_config(
        out,
        "algorithm=grpo",
        "data.agent=manager",
        "reward.metric=recall",
        "sft.teacher=ideal",
        "train.max_steps=1",
    )
    result = train(config)
    assert result["agent"] == "manager" and result["steps"] == 1
    train_log = assert_run_outputs(out, "reward")
    assert "train_invalid" in train_log[0]
    val = [r for r in read_log(out) if r["kind"] == "val"][-1]
    assert {"reward", "invalid", "ideal_match", "noop"} <= set(val)
    assert json.loads((out / "best.json").read_text())["metric"] == "reward"


def test_trainer_arguments_follow_gradient_checkpointing():
    config = load_config(preset="cpu-tiny")
    assert trainer_arguments(config)["gradient_checkpointing"] is False
    config = load_config(preset="cpu-tiny", overrides=["model.gradient_checkpointing=true"])
    assert trainer_arguments(config)["gradient_checkpointing"] is True


def test_trainer_arguments_follow_autocast():
    from agents.train.model import cpu_has_bf16

    assert trainer_arguments(load_config(preset="cpu-tiny"))["bf16"] is False
    on = load_config(preset="cpu-tiny", overrides=["model.autocast=bf16"])
    assert trainer_arguments(on)["bf16"] is True
    auto = load_config(preset="cpu-tiny", overrides=["model.autocast=auto"])
    assert trainer_arguments(auto)["bf16"] is cpu_has_bf16()
    with pytest.raises(ValueError, match="model.autocast"):
        load_config(preset="cpu-tiny", overrides=["model.autocast=fp8"])


def test_lora_sft_under_bf16_autocast_keeps_float32_adapters(tmp_path):
    out = tmp_path / "run"
    config = run_config(
        out, "algorithm=sft", "model.lora=true", "model.autocast=bf16", "train.max_steps=2"
    )
    result = train(config)
    assert result["steps"] == 2
    assert_run_outputs(out, "loss")
    assert all(t.dtype == torch.float32 for t in final_parameters(out).values())


def comparable_log(out: Path) -> list[dict]:
    """The train/val rows of a run without wall-clock fields (what must match after a resume)."""
    clock = {
        "time",
        "step_time",
        "train_runtime",
        "train_samples_per_second",
        "train_steps_per_second",
    }
    return [
        {k: v for k, v in r.items() if k not in clock}
        for r in read_log(out)
        if r["kind"] in ("train", "val")
    ]


def assert_same_weights(a: Path, b: Path) -> None:
    wa, wb = final_parameters(a), final_parameters(b)
    assert wa.keys() == wb.keys()
    different = [n for n in wa if not torch.equal(wa[n], wb[n])]
    assert not different, f"{len(different)} tensors differ, e.g. {different[:3]}"


@pytest.mark.slow  # a second Python process that imports torch and transformers (15-20 s)
def test_kill_and_resume(tmp_path):
    """Issue 17 item 2: GRPO killed (SIGKILL) in its second epoch and resumed from the checkpoint
    before the kill ends with the same weights and the same log as an uninterrupted run (3 rows,
    one per step: epochs of 3 steps; checkpoints every 2 steps; the kill comes after step 5, so
    the resume starts from checkpoint-4, in epoch 2, with the killed run's step 5 to forget)."""
    out = tmp_path / "run"
    overrides = [
        "algorithm=grpo",
        f"output_dir={out}",
        "train.max_steps=6",
        "train.save_every=2",
        "train.eval_every=2",
        *[o for o in FAST if not o.startswith(("train.save_every", "train.eval_every"))],
        "data.max_train_rows=3",
    ]
    cmd = [sys.executable, "-m", "memenv_app.cli", "train", "--preset", "cpu-tiny", *overrides]
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen(
        cmd, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    checkpoints = out / "checkpoints"
    try:
        deadline = time.monotonic() + 300
        while not any(r["step"] >= 5 for r in train_rows(out)):
            if proc.poll() is not None:
                pytest.fail(f"training ended before step 5: {proc.stderr.read()[-3000:]}")
            assert time.monotonic() < deadline, "no step 5 within 300 s"
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    assert not (out / "summary.json").exists()
    before = train_rows(out)
    # A save cut short by a kill (no trainer_state.json yet) is never resumed from.
    (checkpoints / "checkpoint-5").mkdir()
    (checkpoints / "checkpoint-5" / "config.json").write_text("{}")
    config = load_config(preset="cpu-tiny", overrides=overrides)
    expected = latest_checkpoint(config)
    assert expected is not None and expected.endswith("checkpoint-4")

    result = train(config, resume=True)
    assert result["steps"] == 6
    assert result["resumed_from"] == expected
    summary = json.loads((out / "summary.json").read_text())
    assert summary["steps"] == 6 and summary["resumed_from"].endswith("checkpoint-4")
    assert [r["step"] for r in before][:5] == list(range(1, 6))
    assert (out / "final" / "config.json").is_file()

    reference = tmp_path / "uninterrupted"
    train(load_config(preset="cpu-tiny", overrides=[*overrides, f"output_dir={reference}"]))
    assert_same_weights(out, reference)
    resumed_log = comparable_log(out)
    assert [r["step"] for r in resumed_log if r["kind"] == "train"] == list(range(1, 7))
    assert resumed_log == comparable_log(reference)
    assert json.loads((out / "best.json").read_text()) == json.loads(
        (reference / "best.json").read_text()
    )


def test_sft_resume_keeps_the_token_count(tmp_path):
    """Issue 17 item 2: SFT's num_tokens continues across a resume (it restarted at 0)."""
    out, reference = tmp_path / "run", tmp_path / "uninterrupted"
    overrides = ["algorithm=sft", "train.max_steps=4", "train.save_every=2", "train.eval_every=0"]
    train(run_config(reference, *overrides))
    train(run_config(out, *overrides, "train.max_steps=2"))  # a run that stopped at step 2
    train(run_config(out, *overrides), resume=True)
    tokens = [r["num_tokens"] for r in train_rows(out)]
    assert tokens == sorted(tokens) and len(set(tokens)) == 4, tokens
    assert tokens == [r["num_tokens"] for r in train_rows(reference)]
    assert_same_weights(out, reference)


# ---------------------------------------------------------------------- CLI
def printed_json(printed: str) -> dict:
    """The JSON object a command printed last (after the trainer's own log lines)."""
    lines = printed.splitlines()
    start = max(i for i, line in enumerate(lines) if line == "{")
    return json.loads("\n".join(lines[start:]))


def test_cli_train_then_refuses_to_overwrite(tmp_path, capsys):
    out = tmp_path / "run"
    args = ["train", "--preset", "cpu-tiny", "algorithm=sft", f"output_dir={out}", *FAST]
    assert main([*args, "train.max_steps=1"]) == 0
    printed = capsys.readouterr().out  # the trainer's log lines, then the summary as JSON
    assert printed_json(printed)["steps"] == 1
    assert (out / "final" / "config.json").is_file()

    assert main([*args, "train.max_steps=1"]) == 2
    err = capsys.readouterr().err
    assert "already holds a run" in err and "--resume" in err


def test_cli_bad_override_and_missing_config(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--preset", "cpu-tiny", f"output_dir={out}", "train.max_stepz=3"]) == 2
    assert "max_stepz" in capsys.readouterr().err
    assert main(["train", "--preset", "cpu-tiny", "algorithm=dpo"]) == 2
    assert "algorithm" in capsys.readouterr().err
    assert main(["train", "--config", str(tmp_path / "missing.yaml")]) == 2
    assert "missing.yaml" in capsys.readouterr().err
    assert main(["train"]) == 2
    assert "--preset" in capsys.readouterr().err
    assert not out.exists()


def test_cli_train_eval_writes_one_line_per_val_row(tmp_path, capsys):
    path = tmp_path / "evals" / "tiny.jsonl"
    argv = ["train-eval", "--preset", "cpu-tiny", "--model", "tiny", "--out", str(path)]
    assert main([*argv, "train.max_new_tokens=8"]) == 0
    printed = capsys.readouterr().out
    summary = printed_json(printed)
    config = load_config(preset="cpu-tiny")
    assert summary["rows"] == config.data.max_val_rows == 8
    assert summary["split"] == "val" and summary["model"] == "tiny"
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(lines) == summary["rows"]
    assert len({item["row_id"] for item in lines}) == len(lines)
    assert all(item["row_id"].startswith("val:") for item in lines)
    assert all({"output", "reward", "f1", "em"} <= set(item) for item in lines)
