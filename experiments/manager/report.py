"""The BASE / SFT / GRPO / PPO table of the Memory Manager experiment, with bootstrap CIs.

Reads ``experiments/results/manager/<method>_val.jsonl`` (per-fact outputs and scores on the
synthetic validation conversations) and writes ``results.md`` / ``results.json`` next to them.

    python -m experiments.manager.report
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from experiments.answer_agent.report import bootstrap, read_rows

RESULTS = Path(__file__).resolve().parents[1] / "results" / "manager"
METHODS = {
    "add_all": "always ADD (no model)",
    "ideal": "ideal operation (the SFT teacher, no model)",
    "base": "BASE (untrained SmolLM2-135M)",
    "sft": "SFT (ideal operations)",
    "grpo": "GRPO (from SFT)",
    "ppo": "PPO (from SFT)",
}
METRICS = ("reward", "ideal_match", "invalid", "add", "update", "delete", "noop")


def summarise(results: Path = RESULTS) -> dict:
    table = {}
    base_ids: list[str] | None = None
    for method, label in METHODS.items():
        path = results / f"{method}_val.jsonl"
        if not path.is_file():
            continue
        rows = read_rows(path)
        ids = sorted(rows) if base_ids is None else base_ids
        base_ids = ids
        missing = set(ids) - set(rows)
        if missing:
            raise ValueError(f"{path}: {len(missing)} facts missing (e.g. {min(missing)})")
        entry = {"label": label, "n": len(ids)}
        for metric in METRICS:
            values = np.array([float(rows[i][metric]) for i in ids])
            entry[metric] = float(values.mean())
            entry[f"{metric}_ci"] = bootstrap(values)
        table[method] = entry
    return table


def markdown(table: dict) -> str:
    lines = [
        "| method | reward (EM on linked questions) | op = ideal op | unreadable | ADD / UPDATE / "
        "DELETE / none |",
        "|---|---|---|---|---|",
    ]
    for e in table.values():
        low, high = e["reward_ci"]
        ilow, ihigh = e["ideal_match_ci"]
        lines.append(
            f"| {e['label']} | {e['reward']:.3f} [{low:.3f}, {high:.3f}] | "
            f"{100 * e['ideal_match']:.0f}% [{100 * ilow:.0f}, {100 * ihigh:.0f}] | "
            f"{100 * e['invalid']:.0f}% | {100 * e['add']:.0f} / {100 * e['update']:.0f} / "
            f"{100 * e['delete']:.0f} / {100 * e['noop']:.0f}% |"
        )
    n = next(iter(table.values()))["n"] if table else 0
    lines += [
        "",
        f"Synthetic validation conversations ({n} facts linked to a question), each decided from "
        "the add-all banks just before it; greedy decoding, 64 new tokens. Reward: the frozen "
        "extractive answerer's exact match on the linked questions after the operation, minus "
        "0.1 for an unreadable output. Brackets: 95% bootstrap intervals over facts.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    table = summarise()
    text = markdown(table)
    (RESULTS / "results.md").write_text(text, encoding="utf-8")
    (RESULTS / "results.json").write_text(json.dumps(table, indent=1), encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
