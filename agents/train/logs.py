"""Training logs: JSONL (always), TensorBoard (when installed) and a learning-curve PNG."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

LOG_NAME = "log.jsonl"
CURVE_NAME = "curve.png"


class RunLogger:
    """Appends one JSON object per event to ``OUT/log.jsonl``.

    Events have a ``kind``: ``train`` (reward, loss, kl, response length, ...), ``val``
    (validation metrics) or ``info``. Appending makes a resumed run continue the same file.
    """

    def __init__(self, out_dir: str | Path, tensorboard: bool = True):
        self.out_dir = Path(out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.path = self.out_dir / LOG_NAME
        self.start = time.time()
        self.writer = None
        if tensorboard:
            try:
                from torch.utils.tensorboard import SummaryWriter

                self.writer = SummaryWriter(str(self.out_dir / "tensorboard"))
            except Exception:  # tensorboard not installed: JSONL only
                self.writer = None

    def log(self, kind: str, step: int, values: dict[str, Any]) -> dict[str, Any]:
        row = {"kind": kind, "step": int(step), "time": round(time.time() - self.start, 2)}
        for key, value in values.items():
            if hasattr(value, "item"):
                value = value.item()
            if isinstance(value, float) and not math.isfinite(value):
                value = None
            row[key] = value
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(row) + "\n")
        if self.writer is not None:
            for key, value in row.items():
                if isinstance(value, int | float) and key not in ("step", "time"):
                    self.writer.add_scalar(f"{kind}/{key}", value, step)
            self.writer.flush()
        return row

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def read_log(path: str | Path) -> list[dict[str, Any]]:
    path = Path(path)
    if path.is_dir():
        path = path / LOG_NAME
    if not path.is_file():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rows.append(json.loads(line))
        except ValueError:
            continue  # a line torn by a kill
    return rows


def plot_curve(out_dir: str | Path, metric: str = "reward") -> Path | None:
    """Training reward and validation metrics against steps, as ``OUT/curve.png``."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    rows = read_log(out_dir)
    train = [r for r in rows if r["kind"] == "train"]
    val = [r for r in rows if r["kind"] == "val"]
    if not train and not val:
        return None
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    for key in dict.fromkeys((metric, "loss", "kl")):
        points = [(r["step"], r[key]) for r in train if r.get(key) is not None]
        if points:
            axes[0].plot(*zip(*points, strict=True), label=key, alpha=1.0 if key == metric else 0.6)
    axes[0].set_title("training")
    axes[0].set_xlabel("step")
    axes[0].legend()
    for key in ("f1", "em", "reward", "format"):
        points = [(r["step"], r[key]) for r in val if r.get(key) is not None]
        if points:
            axes[1].plot(*zip(*points, strict=True), marker="o", label=key)
    axes[1].set_title("validation (greedy)")
    axes[1].set_xlabel("step")
    axes[1].legend()
    fig.tight_layout()
    path = Path(out_dir) / CURVE_NAME
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
