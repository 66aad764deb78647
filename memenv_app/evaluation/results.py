"""Per-question rows to a summary, the results files, and atomic writes."""

from __future__ import annotations

import json
import os
import platform
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from memenv.metrics import METRICS, REGISTRY, aggregate, bucket_label


def atomic_write(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and ``os.replace`` (no torn files)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def category_label(cat: str | int, dataset: str = "locomo") -> str:
    """``"1 single-hop / LoCoMo multi-hop"`` (LoCoMo schema: the paper's name, then the LoCoMo
    release's), ``"5 knowledge-update"`` (LongMemEval), ``"abstention"``, ..."""
    return bucket_label(dataset, str(cat))


def row_buckets(row: Mapping[str, Any]) -> list[str]:
    """The buckets a result row counts in (rows of older runs only carry their category)."""
    return list(row.get("buckets") or [str(row["category"])])


def _mean(values: Sequence[float]) -> float | None:
    return 100.0 * sum(values) / len(values) if values else None


def summarize(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Question-weighted means (percent) overall and per bucket (category; LongMemEval also
    ``"abstention"``), with evidence recall, and ``judge`` (J, LLM-as-judge accuracy) when every
    row carries a verdict. A metric that is ``None`` on a row (Mem0 metrics on LoCoMo category 5)
    is averaged over the rows that have it."""
    judged = bool(rows) and all(r.get("judge") is not None for r in rows)
    summary = aggregate(
        ((row_buckets(r), {k: r.get(k) for k in METRICS}) for r in rows),
        scale=100.0,
        metrics=METRICS,
    )
    groups: dict[str, list[Mapping[str, Any]]] = {"overall": list(rows)}
    for r in rows:
        for key in row_buckets(r):
            groups.setdefault(key, []).append(r)
    for key, members in groups.items():
        block = summary["overall"] if key == "overall" else summary["by_category"][key]
        recalls = [r["evidence_recall"] for r in members if r.get("evidence_recall") is not None]
        block["evidence_recall"] = _mean(recalls)
        if judged:
            block["judge"] = _mean([r["judge"] for r in members])
    return summary


def package_versions() -> dict[str, str]:
    import gymnasium
    import numpy

    try:
        from importlib.metadata import version

        memenv_version = version("memenv")
    except Exception:  # running from a source tree without metadata
        memenv_version = "unknown"
    return {
        "memenv": memenv_version,
        "numpy": numpy.__version__,
        "gymnasium": gymnasium.__version__,
        "python": platform.python_version(),
    }


def _cell(value: Any, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def results_markdown(results: Mapping[str, Any]) -> str:
    """The paper's layout (per-category F1 and BLEU-1, J when judged, then overall), plus a
    per-category detail table with every metric and evidence recall."""
    cfg, summary = results["config"], results["summary"]
    dataset = cfg.get("dataset", "locomo")
    cats = list(summary["by_category"])
    judged = summary["overall"].get("judge") is not None
    metrics = ["f1", "bleu1"] + (["judge"] if judged else [])
    short = {"f1": "F1", "bleu1": "B1", "judge": "J"}
    head = (
        ["method"]
        + [f"{category_label(c, dataset)} {short[m]}" for c in cats for m in metrics]
        + [f"overall {short[m]}" for m in metrics]
    )
    name = f"{cfg['manager']} + {cfg['answerer']}"
    cells = (
        [name]
        + [_cell(summary["by_category"][c].get(m)) for c in cats for m in metrics]
        + [_cell(summary["overall"].get(m)) for m in metrics]
    )
    lines = [
        f"# {cfg['dataset']} {cfg['split']}: {name}",
        "",
        "| " + " | ".join(head) + " |",
        "| --- |" + " ---: |" * (len(head) - 1),
        "| " + " | ".join(cells) + " |",
        "",
        "| category | n | " + " | ".join(m.label for m in REGISTRY.values()) + " | evidence "
        "recall@k |",
        "| --- | ---: |" + " ---: |" * (len(REGISTRY) + 1),
    ]
    blocks = [(category_label(c, dataset), summary["by_category"][c]) for c in cats]
    for label, b in blocks + [("overall", summary["overall"])]:
        cells = [_cell(b.get(m)) for m in METRICS] + [_cell(b.get("evidence_recall"))]
        lines.append(f"| {label} | {b['n']} | " + " | ".join(cells) + " |")
    t = results["timings"]
    lines += [
        "",
        f"Scores in percent; k = {cfg.get('memories_per_speaker', cfg.get('top_k'))} memories "
        "per speaker. Timings (s): banks "
        f"{t['bank_building']:.2f} (cache {'hit' if t['cache_hit'] else 'miss'}), retrieval "
        f"{t['retrieval']:.2f}, answering {t['answering']:.2f}, total {t['total']:.2f}.",
    ]
    if results.get("llm"):
        lines += ["", llm_markdown(results["llm"])]
    return "\n".join(lines) + "\n"


def llm_markdown(llm: Mapping[str, Any]) -> str:
    """One line per LLM role: calls, tokens, seconds and output quality counters."""
    lines = [
        f"LLM `{llm.get('spec')}`"
        + (f" (model {llm['model']})" if llm.get("model") else "")
        + f", sampling {json.dumps(llm.get('sampling', {}))}:",
        "",
        "| role | generate calls | prompts | new tokens | seconds | unparsed | invalid ops "
        "| fallbacks | format rate |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for role in ("manager", "answerer", "judge"):
        s = llm.get(role)
        if not s:
            continue
        name = role + (" (bank cache)" if s.get("from_bank_cache") else "")
        lines.append(
            f"| {name} | {s['generate_calls']} | {s['prompts']} | {s['new_tokens']} "
            f"| {s['seconds']:.1f} | {s['unparsed']} | {s['invalid_ops']} | {s['fallbacks']} "
            f"| {_cell(s.get('format_rate'), 1)} |"
        )
    return "\n".join(lines)


def read_jsonl(path: Path) -> Iterable[dict[str, Any]]:
    """The rows of a JSON-lines file; a torn last line (interrupted write) is skipped."""
    if not path.exists():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return rows
