"""``memenv bench``: throughput, retrieval latency and pipeline wall time of memenv.

Each part (:data:`PARTS`) is a module ``memenv_app.bench.<part>`` with ``run(quick, locomo_path)``
returning a JSON-able dict. :func:`run_bench` runs every part in a fresh ``python -m
memenv_app.bench.<part>`` subprocess, so each part's peak resident memory (``peak_rss_mb``) is its
own, and merges the results.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from memenv.data.download import locomo_path
from memenv.data.errors import DatasetUnavailableError

PARTS: tuple[str, ...] = ("envs", "retrieval", "pipeline")


def default_locomo_path(path: str | os.PathLike[str] | None = None) -> Path | None:
    """``path`` if given, else the cached official download (``$MEMENV_DATA_DIR``) when it is
    there, else ``None`` (the LoCoMo parts are then skipped; nothing is downloaded)."""
    if path is not None:
        return Path(path)
    try:
        return locomo_path(None, download=False)
    except DatasetUnavailableError:
        return None


def peak_rss_mb() -> float:
    """This process's peak resident set size in MiB (``ru_maxrss`` is KiB on Linux)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0..100, linear interpolation) of ``values``."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("percentile of no values")
    pos = (len(ordered) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def median(values: Sequence[float]) -> float:
    return percentile(values, 50)


def timed_calls(fn: Callable[[], Any], n: int) -> list[float]:
    """Wall seconds of ``n`` calls of ``fn``, one figure per call."""
    out = []
    clock = time.perf_counter
    for _ in range(n):
        start = clock()
        fn()
        out.append(clock() - start)
    return out


def part_main(name: str, run: Callable[[bool, str | None], dict[str, Any]]) -> None:
    """Entry point of ``python -m memenv_app.bench.<part> [--quick] [--locomo-path F] --out F``."""
    parser = argparse.ArgumentParser(prog=f"python -m memenv_app.bench.{name}")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--locomo-path", default=None)
    parser.add_argument("--out", required=True, help="JSON file to write the results to")
    args = parser.parse_args()
    start = time.perf_counter()
    result = run(args.quick, args.locomo_path)
    result["part_wall_s"] = time.perf_counter() - start
    result["peak_rss_mb"] = peak_rss_mb()
    Path(args.out).write_text(json.dumps(result, indent=1, ensure_ascii=False), "utf-8")


def run_part(name: str, *, quick: bool = False, locomo_path: str | None = None) -> dict[str, Any]:
    """Run one part in a fresh interpreter and return its results."""
    if name not in PARTS:
        raise ValueError(f"unknown bench part {name!r}; parts: {', '.join(PARTS)}")
    with tempfile.TemporaryDirectory(prefix="memenv-bench-") as tmp:
        out = Path(tmp) / f"{name}.json"
        cmd = [sys.executable, "-m", f"memenv_app.bench.{name}", "--out", str(out)]
        if quick:
            cmd.append("--quick")
        if locomo_path is not None:
            cmd += ["--locomo-path", str(locomo_path)]
        env = dict(os.environ)
        root = str(Path(__file__).resolve().parents[2])  # so `baselines` imports too
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(
                f"bench part {name!r} failed (exit {proc.returncode}):\n{proc.stderr[-4000:]}"
            )
        return json.loads(out.read_text("utf-8"))


def run_bench(
    parts: Sequence[str] = PARTS,
    *,
    quick: bool = False,
    locomo_path: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Run ``parts`` (each in its own subprocess) and merge them into one result dict.

    Top-level keys: ``env_steps_per_s``, ``vector_env_steps_per_s`` (envs), ``retrieval_ms``,
    ``bank_op_us`` (retrieval), ``locomo_pipeline_s`` (pipeline), ``peak_rss_mb`` per part,
    ``notes`` and ``meta``.
    """
    result: dict[str, Any] = {
        "meta": {
            "quick": quick,
            "parts": list(parts),
            "python": sys.version.split()[0],
            "cpus": os.cpu_count(),
            "load_avg_1m_at_start": os.getloadavg()[0],
        },
        "peak_rss_mb": {},
        "part_wall_s": {},
        "notes": [],
    }
    for name in parts:
        if progress:
            progress(f"running part {name!r}...")
        part = run_part(name, quick=quick, locomo_path=locomo_path)
        result["peak_rss_mb"][name] = part.pop("peak_rss_mb")
        result["part_wall_s"][name] = part.pop("part_wall_s")
        result["notes"].extend(part.pop("notes", []))
        result.update(part)
    return result


__all__ = [
    "PARTS",
    "default_locomo_path",
    "median",
    "peak_rss_mb",
    "percentile",
    "run_bench",
    "run_part",
]
