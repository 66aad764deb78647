"""Question-weighted aggregation of per-question scores, overall and per category."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from memenv.metrics.qa import METRICS

__all__ = ["aggregate", "format_table"]


def _summarise(rows: list[Mapping[str, float]], metrics: Sequence[str], scale: float) -> dict:
    out: dict[str, Any] = {"n": len(rows)}
    for m in metrics:
        values = [r[m] for r in rows if r.get(m) is not None]
        out[m] = scale * sum(values) / len(values) if values else None
    return out


def aggregate(
    rows: Iterable[tuple[int, Mapping[str, float]]],
    *,
    scale: float = 1.0,
    metrics: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Mean of each metric over questions, overall and per category.

    ``rows`` are ``(category, scores)`` pairs. Returns
    ``{"overall": {"n": N, metric: mean * scale, ...}, "by_category": {"1": {...}, ...}}`` with
    category keys as strings in numeric order. Every question weighs the same, so the overall
    mean is the n-weighted mean of the category means. ``metrics`` defaults to the keys seen in
    the rows (first-seen order), or :data:`~memenv.metrics.qa.METRICS` when there are no rows; a
    metric missing from some rows is averaged over the rows that have it, and is ``None`` (never
    NaN) when no row has it, e.g. for empty input.
    """
    rows = [(int(cat), scores) for cat, scores in rows]
    if metrics is None:
        seen: dict[str, None] = {}
        for _, scores in rows:
            seen.update(dict.fromkeys(scores))
        metrics = tuple(seen) if seen else METRICS
    by_cat: dict[int, list[Mapping[str, float]]] = {}
    for cat, scores in rows:
        by_cat.setdefault(cat, []).append(scores)
    return {
        "overall": _summarise([s for _, s in rows], metrics, scale),
        "by_category": {
            str(cat): _summarise(by_cat[cat], metrics, scale) for cat in sorted(by_cat)
        },
    }


def format_table(
    summary: Mapping[str, Any],
    metrics: Sequence[str] = ("f1", "bleu1"),
    names: Mapping[str, str] | Mapping[int, str] | None = None,
    digits: int = 2,
) -> str:
    """Markdown table of an :func:`aggregate` summary: one row per category, then overall.

    ``names`` maps category keys (``"1"`` or ``1``) to display names; ``None`` values print "-".
    """
    names = names or {}

    def cell(v: Any) -> str:
        return "-" if v is None else f"{v:.{digits}f}"

    lines = [
        "| category | n | " + " | ".join(metrics) + " |",
        "| --- | ---: |" + " ---: |" * len(metrics),
    ]
    items = list(summary.get("by_category", {}).items()) + [("overall", summary["overall"])]
    for key, row in items:
        label = names.get(key) or (names.get(int(key)) if key.isdigit() else None) or key
        cells = " | ".join(cell(row.get(m)) for m in metrics)
        lines.append(f"| {label} | {row['n']} | {cells} |")
    return "\n".join(lines)
