"""Question-weighted aggregation of per-question scores, overall and per bucket."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from memenv.metrics.registry import METRICS

__all__ = ["aggregate", "bucket_order", "format_table"]


def _summarise(rows: list[Mapping[str, Any]], metrics: Sequence[str], scale: float) -> dict:
    out: dict[str, Any] = {"n": len(rows)}
    for m in metrics:
        values = [r[m] for r in rows if r.get(m) is not None]
        out[m] = scale * sum(values) / len(values) if values else None
    return out


def bucket_order(key: str) -> tuple[int, int, str]:
    """Sort key of bucket names: numeric categories in numeric order, then named buckets."""
    stripped = key.lstrip("-")
    return (0, int(key), "") if stripped.isdigit() else (1, 0, key)


def aggregate(
    rows: Iterable[tuple[int | str | Sequence[int | str], Mapping[str, Any]]],
    *,
    scale: float = 1.0,
    metrics: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Mean of each metric over questions, overall and per bucket.

    ``rows`` are ``(bucket, scores)`` pairs, where ``bucket`` is a category, or a sequence of
    bucket names when a question counts in several (LongMemEval's abstention questions count in
    their type and in ``"abstention"``; see :func:`~memenv.metrics.registry.question_buckets`).
    Returns ``{"overall": {"n": N, metric: mean * scale, ...}, "by_category": {"1": {...}, ...}}``
    with bucket keys as strings, numeric ones first in numeric order. Every question weighs the
    same and counts once overall. ``metrics`` defaults to the keys seen in the rows (first-seen
    order), or :data:`~memenv.metrics.registry.METRICS` when there are no rows; a metric that is
    ``None`` or missing in some rows is averaged over the rows that have it (Mem0 metrics skip
    LoCoMo's category 5), and is ``None`` (never NaN) when no row has it, e.g. for empty input.
    """
    pairs: list[tuple[tuple[str, ...], Mapping[str, Any]]] = []
    for bucket, scores in rows:
        keys = (bucket,) if isinstance(bucket, int | str) else tuple(bucket)
        pairs.append((tuple(str(int(k)) if isinstance(k, int) else str(k) for k in keys), scores))
    if metrics is None:
        seen: dict[str, None] = {}
        for _, scores in pairs:
            seen.update(dict.fromkeys(scores))
        metrics = tuple(seen) if seen else METRICS
    by_bucket: dict[str, list[Mapping[str, Any]]] = {}
    for keys, scores in pairs:
        for key in keys:
            by_bucket.setdefault(key, []).append(scores)
    return {
        "overall": _summarise([s for _, s in pairs], metrics, scale),
        "by_category": {
            key: _summarise(by_bucket[key], metrics, scale)
            for key in sorted(by_bucket, key=bucket_order)
        },
    }


def format_table(
    summary: Mapping[str, Any],
    metrics: Sequence[str] = ("f1", "bleu1"),
    names: Mapping[str, str] | Mapping[int, str] | None = None,
    digits: int = 2,
) -> str:
    """Markdown table of an :func:`aggregate` summary: one row per bucket, then overall.

    ``names`` maps bucket keys (``"1"`` or ``1``) to display names; ``None`` values print "-".
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
