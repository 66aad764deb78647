"""The BASE / SFT / PPO / GRPO table of the Answer Agent experiments, with bootstrap CIs.

Reads the per-question outputs that ``memenv train-eval --out`` wrote for each method
(``experiments/results/answer_agent/<method>_val.jsonl``), and prints (and writes to
``results.md`` / ``results.json`` next to them) mean F1, EM, answer-marker rate and answer length,
each with a 95% percentile-bootstrap interval over questions, plus the paired bootstrap
differences to BASE and to SFT (the starting point of the RL runs).

    python -m experiments.answer_agent.report
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parents[1] / "results" / "answer_agent"
METHODS = {
    "base": "BASE (untrained SmolLM2-135M)",
    "sft": "SFT (gold answers + evidence ids)",
    "grpo": "GRPO (from SFT), seed 0",
    "grpo_s1": "GRPO (from SFT), seed 1",
    "ppo": "PPO (from SFT), seed 0",
    "ppo_s1": "PPO (from SFT), seed 1",
    "grpo_long": "GRPO (from SFT), 36 steps, final checkpoint",
    "grpo_base": "GRPO (from BASE, shaped reward)",
    "sft_nodistill": "SFT without memory distillation",
    "grpo_both": "GRPO answer agent on banks of the GRPO manager",
}
METRICS = ("f1", "em", "format", "words")


def read_rows(path: Path) -> dict[str, dict]:
    rows = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            rows[item["row_id"]] = item
    return rows


def bootstrap(values: np.ndarray, n: int = 10_000, seed: int = 0) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, len(values), size=(n, len(values)))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(low), float(high)


def summarise(results: Path = RESULTS, split: str = "val") -> dict:
    found = {m: results / f"{m}_{split}.jsonl" for m in METHODS}
    found = {m: p for m, p in found.items() if p.is_file()}
    if "base" not in found:
        raise FileNotFoundError(f"no {results}/base_{split}.jsonl: run the BASE evaluation first")
    base = read_rows(found["base"])
    sft = read_rows(found["sft"]) if "sft" in found else None
    ids = sorted(base)
    table = {}
    for method, path in found.items():
        rows = read_rows(path)
        missing = set(ids) - set(rows)
        if missing:
            raise ValueError(f"{path}: {len(missing)} questions missing (e.g. {min(missing)})")
        entry = {"label": METHODS[method], "n": len(ids)}
        for metric in METRICS:
            values = np.array([float(rows[i][metric]) for i in ids])
            entry[metric] = float(values.mean())
            entry[f"{metric}_ci"] = bootstrap(values)
            for ref_name, ref, key in (("base", base, "diff"), ("sft", sft, "vs_sft")):
                if ref is None or method in ("base", ref_name):
                    continue
                diff = values - np.array([float(ref[i][metric]) for i in ids])
                entry[f"{metric}_{key}"] = float(diff.mean())
                entry[f"{metric}_{key}_ci"] = bootstrap(diff)
        table[method] = entry
    return table


SPLIT_NOTES = {
    "val": "LoCoMo validation (conv-30, {n} questions, categories 1-4)",
    "synth": "held-out synthetic conversations (synth val seeds, {n} questions)",
}


def markdown(table: dict, split: str = "val") -> str:
    lines = [
        "| method | F1 | EM | marker | words | F1 - BASE | EM - BASE | F1 - SFT | EM - SFT |",
        "|---|---|---|---|---|---|---|---|---|",
    ]

    def pct(entry: dict, key: str) -> str:
        low, high = entry[f"{key}_ci"]
        return f"{100 * entry[key]:.1f} [{100 * low:.1f}, {100 * high:.1f}]"

    def diff(entry: dict, key: str, ref: str = "diff") -> str:
        if f"{key}_{ref}" not in entry:
            return ""
        low, high = entry[f"{key}_{ref}_ci"]
        return f"{100 * entry[f'{key}_{ref}']:+.1f} [{100 * low:+.1f}, {100 * high:+.1f}]"

    for entry in table.values():
        words_low, words_high = entry["words_ci"]
        lines.append(
            f"| {entry['label']} | {pct(entry, 'f1')} | {pct(entry, 'em')} | "
            f"{100 * entry['format']:.0f}% | {entry['words']:.1f} [{words_low:.1f}, "
            f"{words_high:.1f}] | {diff(entry, 'f1')} | {diff(entry, 'em')} | "
            f"{diff(entry, 'f1', 'vs_sft')} | {diff(entry, 'em', 'vs_sft')} |"
        )
    n = next(iter(table.values()))["n"]
    lines.append("")
    lines.append(
        SPLIT_NOTES.get(split, split + " ({n} questions)").format(n=n)
        + ", greedy decoding, 5 memories per speaker, 32 new tokens. Brackets: 95% bootstrap "
        "intervals over questions (10,000 resamples); the differences are paired."
    )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", default=str(RESULTS))
    parser.add_argument("--split", default="val")
    args = parser.parse_args()
    table = summarise(Path(args.results), args.split)
    text = markdown(table, args.split)
    suffix = "" if args.split == "val" else f"_{args.split}"
    Path(args.results, f"results{suffix}.md").write_text(text, encoding="utf-8")
    Path(args.results, f"results{suffix}.json").write_text(
        json.dumps(table, indent=1), encoding="utf-8"
    )
    print(text)


if __name__ == "__main__":
    main()
