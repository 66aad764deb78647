"""Plain-text table of a ``memenv bench`` result."""

from __future__ import annotations

from typing import Any


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if value >= 1000:
            return f"{value:,.0f}"
        return f"{value:.{digits}g}" if value < 1 else f"{value:.{max(1, digits - 2)}f}"
    return str(value)


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    cells = [header] + [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = [
        "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in cells
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return lines


def format_report(result: dict[str, Any]) -> str:
    """The bench result as tables, one section per part present."""
    out: list[str] = []
    meta = result.get("meta", {})
    out.append(
        f"memenv bench ({'quick' if meta.get('quick') else 'full'}; "
        f"{meta.get('cpus')} CPUs, load {meta.get('load_avg_1m_at_start', 0):.2f} at start)"
    )
    if "env_steps_per_s" in result:
        out += ["", "Environment throughput (reset+step, scripted policy, single process)"]
        details = result.get("env_details", {})
        rows = [
            [
                env_id,
                rate,
                details.get(env_id, {}).get("cpu_steps_per_s"),
                details.get(env_id, {}).get("setup_s"),
            ]
            for env_id, rate in result["env_steps_per_s"].items()
        ]
        out += _table(["env id", "steps/s", "per CPU-s", "setup s"], rows)
        vector = result.get("vector_env_steps_per_s", {})
        if vector:
            out += ["", "Vectorised throughput (env-steps/s: vector steps x num_envs)"]
            rows = []
            for env_id, modes in vector.items():
                for mode, by_n in modes.items():
                    rows.append([f"{env_id} {mode}", *by_n.values()])
            sizes = next(iter(next(iter(vector.values())).values())).keys()
            out += _table(["env id / vector", *[f"n={n}" for n in sizes]], rows)
    if "retrieval_ms" in result:
        k = result.get("retrieval_k", 30)
        out += ["", f"Retrieval latency, ms per top_k(query, {k}) (p50 / p95)"]
        methods = ["bm25", "dense_search", "dense_ivf_search", "dense_query", "dense_encode"]
        rows = []
        for size, figures in result["retrieval_ms"].items():
            row: list[Any] = [f"{int(size):,}"]
            for m in methods:
                f = figures.get(m)
                row.append(f"{f['p50']:.3f} / {f['p95']:.3f}" if f else "-")
            recall = figures.get("dense_ivf_recall")
            row.append("-" if recall is None else f"{recall:.3f}")
            rows.append(row)
        out += _table(["memories", *methods, "ivf recall@k"], rows)
    if "bank_op_us" in result:
        out += ["", "MemoryBank (BM25) operation cost, us (p50 / p95)"]
        rows = []
        for size, ops in result["bank_op_us"].items():
            rows.append(
                [f"{int(size):,}"]
                + [
                    f"{ops[o]['p50']:.1f} / {ops[o]['p95']:.1f}"
                    for o in ("add", "update", "delete")
                ]
            )
        out += _table(["memories", "ADD", "UPDATE", "DELETE"], rows)
    if "locomo_pipeline_s" in result:
        out += [""]
        p = result.get("locomo_pipeline")
        if result["locomo_pipeline_s"] is None or not p:
            out.append("LoCoMo pipeline: skipped")
        else:
            out.append(
                f"LoCoMo pipeline ({p['file']}, split {p['split']}, {p['manager']} manager, "
                f"{p['answerer']} answerer): {result['locomo_pipeline_s']:.3f} s for "
                f"{p['conversations']} conversations / {p['questions']} questions "
                f"(median of {len(p['runs_s'])}; load {p['load_s']:.3f} s)"
            )
            rows = [
                [
                    c["conversation"],
                    c["memories"],
                    c["questions"],
                    c["bank_build_s"],
                    c["answer_s"],
                    c["answer_s"] / max(1, c["questions"]) * 1000,
                ]
                for c in p["per_conversation"]
            ]
            out += _table(
                ["conversation", "memories", "questions", "banks s", "answers s", "ms/question"],
                rows,
            )
    if result.get("peak_rss_mb"):
        out += [
            "",
            "Peak RSS per part (MiB): "
            + ", ".join(f"{k} {v:.0f}" for k, v in result["peak_rss_mb"].items()),
        ]
    if result.get("notes"):
        out += ["", "Notes:"] + [f"- {n}" for n in result["notes"]]
    return "\n".join(out)
