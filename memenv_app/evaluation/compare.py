"""``memenv eval --compare``: several runs side by side, as a table and a bar chart."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from memenv.metrics import REGISTRY
from memenv.metrics.aggregate import bucket_order
from memenv_app.evaluation.pipeline import load_results
from memenv_app.evaluation.results import category_label


def run_label(run_dir: str | os.PathLike[str], results: Mapping[str, Any]) -> str:
    cfg = results["config"]
    return f"{Path(run_dir).name} ({cfg['manager']} + {cfg['answerer']})"


def _cell(value: Any) -> str:
    return "-" if value is None else f"{value:.2f}"


def _buckets(runs: Sequence[tuple[str, Mapping[str, Any]]]) -> list[str]:
    keys = {c for _, r in runs for c in r["summary"]["by_category"]}
    return sorted(keys, key=bucket_order)


def _dataset(runs: Sequence[tuple[str, Mapping[str, Any]]]) -> str:
    return runs[0][1]["config"].get("dataset", "locomo") if runs else "locomo"


def compare_table(runs: Sequence[tuple[str, Mapping[str, Any]]]) -> str:
    """Markdown: overall F1/BLEU-1/EM (and J when a run was judged), then F1 per category."""
    cats = _buckets(runs)
    judged = any(r["summary"]["overall"].get("judge") is not None for _, r in runs)
    metrics = ("f1", "bleu1", "em") + (("judge",) if judged else ())
    head = ["run", "n"] + [REGISTRY[m].label if m in REGISTRY else "J" for m in metrics]
    head += [f"F1 {category_label(c, _dataset(runs))}" for c in cats]
    lines = ["| " + " | ".join(head) + " |", "| --- |" + " ---: |" * (len(head) - 1)]
    for label, results in runs:
        overall, by_cat = results["summary"]["overall"], results["summary"]["by_category"]
        cells = [label, str(overall["n"])] + [_cell(overall.get(m)) for m in metrics]
        cells += [_cell(by_cat.get(c, {}).get("f1")) for c in cats]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def compare_plot(runs: Sequence[tuple[str, Mapping[str, Any]]], path: str | os.PathLike) -> Path:
    """Grouped bars of LoCoMo F1 per category and overall, one bar per run; saved as PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    cats = _buckets(runs)
    groups = [category_label(c, _dataset(runs)).replace(" / ", "\n") for c in cats] + ["overall"]
    x = np.arange(len(groups))
    width = 0.8 / max(len(runs), 1)
    fig, ax = plt.subplots(figsize=(max(6.0, 1.6 * len(groups)) + 3.5, 4.5))
    for i, (label, results) in enumerate(runs):
        summary = results["summary"]
        values = [summary["by_category"].get(c, {}).get("f1") or 0.0 for c in cats]
        values.append(summary["overall"]["f1"] or 0.0)
        ax.bar(x + (i - (len(runs) - 1) / 2) * width, values, width, label=label)
    ax.set_xticks(x, groups, fontsize=8)
    ax.set_ylabel("LoCoMo F1 (%)")
    ax.set_ylim(0, 100)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out


def compare_runs(run_dirs: Sequence[str], plot: str | os.PathLike = "compare.png") -> str:
    """The comparison table of ``run_dirs`` (printed by the CLI); also writes ``plot``."""
    if not run_dirs:
        raise ValueError("--compare needs at least one run directory")
    runs = []
    for d in run_dirs:
        results = load_results(d)
        runs.append((run_label(d, results), results))
    saved = compare_plot(runs, plot)
    return compare_table(runs) + f"\n\nbar chart: {saved}"
