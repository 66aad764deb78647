"""Exact-resume checkpoints of an RL run: model, extra modules, optimizer, iteration and logs.

Tensors go to safetensors (the optimizer's per-parameter state flattened to named tensors),
everything else to JSON; nothing is pickled. A checkpoint is written to a temporary folder and
renamed into place, so a kill leaves either the previous checkpoint or the new one.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

STATE = "state.json"


def _module_tensors(modules: list[torch.nn.Module]) -> dict[str, torch.Tensor]:
    return {
        f"m{i}.{k}": v.detach().contiguous().clone()
        for i, m in enumerate(modules)
        for k, v in m.state_dict().items()
    }


def _optimizer_tensors(optimizer: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], Any]:
    state = optimizer.state_dict()
    tensors: dict[str, torch.Tensor] = {}
    scalars: dict[str, dict[str, float]] = {}
    for pid, entries in state["state"].items():
        for name, value in entries.items():
            if torch.is_tensor(value):
                tensors[f"{pid}.{name}"] = value.detach().contiguous().clone()
            else:
                scalars.setdefault(str(pid), {})[name] = value
    return tensors, {"param_groups": state["param_groups"], "scalars": scalars}


def save_checkpoint(
    folder: Path,
    modules: list[torch.nn.Module],
    optimizer: torch.optim.Optimizer,
    info: dict[str, Any],
) -> None:
    """Write the checkpoint atomically to ``folder`` (replacing an older one)."""
    folder = Path(folder)
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    save_file(_module_tensors(modules), str(tmp / "modules.safetensors"))
    tensors, meta = _optimizer_tensors(optimizer)
    save_file(tensors, str(tmp / "optimizer.safetensors"))
    (tmp / STATE).write_text(json.dumps({**info, "optimizer": meta}, indent=1) + "\n")
    old = folder.with_name(folder.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if folder.exists():
        folder.rename(old)
    tmp.rename(folder)
    shutil.rmtree(old, ignore_errors=True)


def find_checkpoint(folder: Path) -> Path | None:
    """The complete checkpoint at ``folder`` (or its ``.old`` twin after a kill mid-rename)."""
    folder = Path(folder)
    for candidate in (folder, folder.with_name(folder.name + ".old")):
        if (candidate / STATE).is_file():
            return candidate
    return None


def load_checkpoint(
    folder: Path, modules: list[torch.nn.Module], optimizer: torch.optim.Optimizer
) -> dict[str, Any]:
    """Restore modules and optimizer in place; give the JSON info back."""
    info = json.loads((folder / STATE).read_text())
    tensors = load_file(str(folder / "modules.safetensors"))
    for i, m in enumerate(modules):
        prefix = f"m{i}."
        own = {k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)}
        m.load_state_dict(own, strict=True)
    meta = info.pop("optimizer")
    opt_tensors = load_file(str(folder / "optimizer.safetensors"))
    state: dict[int, dict[str, Any]] = {}
    for key, value in opt_tensors.items():
        pid, name = key.split(".", 1)
        state.setdefault(int(pid), {})[name] = value
    for pid, scalars in meta["scalars"].items():
        state.setdefault(int(pid), {}).update(scalars)
    optimizer.load_state_dict({"state": state, "param_groups": meta["param_groups"]})
    return info
