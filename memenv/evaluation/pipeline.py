"""``run_eval``: build banks with a memory system, answer every question, write the results.

Banks are built through the MemoryManager environment (:func:`memenv.pipeline.build_banks`) and
cached as one pickle per (data, conversations, manager, config, code) key. Side state that
retrieval needs (A-Mem links, MemoryOS tiers) is cached with the banks: the pickle holds the
banks, ``MemorySystem.retrieve_fn`` and ``MemorySystem.extra`` together, so a ``retrieve_fn``
that is a ``functools.partial`` over the system's state comes back bound to the restored state.
A system whose ``retrieve_fn`` or ``extra`` cannot be pickled (a lambda, a closure) is rebuilt
on every run, as is one that sets ``extra["cacheable"] = False``.

Answers go through the AnswerAgent environment, one question per episode. Each answered row is
appended to ``DIR/partial.jsonl`` as it is produced, so an interrupted run resumes where it
stopped; ``results.json`` and ``results.md`` are written atomically at the end.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from memenv.data.records import Conversation
from memenv.evaluation.results import (
    atomic_write,
    package_versions,
    read_jsonl,
    results_markdown,
    summarize,
)

CACHE_VERSION = 1
RowCallback = Callable[[dict[str, Any]], None]


@dataclass
class EvalConfig:
    """What ``memenv eval`` runs; the CLI flags map one to one."""

    dataset: str = "synth"
    split: str = "val"
    manager: str = "add-all"
    answerer: str = "extractive"
    out: str = "runs/eval"
    data_path: str | None = None
    retriever: str = "bm25"
    top_k: int = 30
    include_adversarial: bool = False
    limit: int | None = None
    synth_kwargs: dict[str, Any] | None = None
    cache_dir: str | None = None
    use_cache: bool = True
    progress: bool = True
    answerer_kwargs: dict[str, Any] = field(default_factory=dict)


def cache_dir(config: EvalConfig) -> Path:
    """``config.cache_dir``, else ``$MEMENV_CACHE_DIR``, else ``~/.cache/memenv/banks``."""
    chosen = config.cache_dir or os.environ.get("MEMENV_CACHE_DIR")
    return Path(chosen or "~/.cache/memenv/banks").expanduser()


def _file_sha(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def data_fingerprint(config: EvalConfig) -> dict[str, Any]:
    """What identifies the data: the file's sha256, or the synthetic generator arguments."""
    if config.dataset == "synth":
        return {"synth": config.synth_kwargs or {}}
    if config.data_path is None:
        from memenv.data.download import locomo_path

        path = locomo_path(None, download=False) if config.dataset == "locomo" else None
    else:
        path = Path(config.data_path).expanduser()
    return {"sha256": _file_sha(path) if path and path.is_file() else str(path)}


def code_fingerprint() -> str:
    """Hash of the code that shapes banks (baselines, policies, envs, memory, data loaders and
    the synthetic generator), so that editing a manager invalidates its cached banks."""
    import baselines
    import memenv

    roots = [Path(baselines.__file__).parent, Path(memenv.__file__).parent]
    files = sorted(
        f
        for f in [
            *roots[0].rglob("*.py"),
            *(roots[1] / "memory").rglob("*.py"),
            *(roots[1] / "envs").rglob("*.py"),
            *(roots[1] / "data").rglob("*.py"),
            roots[1] / "policies.py",
            roots[1] / "pipeline.py",
        ]
        if "answerers" not in f.parts
    )
    digest = hashlib.sha256()
    for f in files:
        digest.update(f.name.encode())
        digest.update(f.read_bytes())
    return digest.hexdigest()[:16]


def bank_cache_key(config: EvalConfig, conversations: list[Conversation]) -> str:
    """Hash of the data, the conversation ids, the manager and the bank-building config."""
    key = {
        "version": CACHE_VERSION,
        "dataset": config.dataset,
        "data": data_fingerprint(config),
        "conversations": [c.id for c in conversations],
        "manager": config.manager,
        "retriever": config.retriever,
        "code": code_fingerprint(),
    }
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:24]


def _check_system(system: Any, conversations: list[Conversation]) -> None:
    facts = [f for c in conversations for f in c.facts]
    if system.needs_ideal_ops and (not facts or any(f.ideal_op is None for f in facts)):
        raise ValueError(
            f"manager {system.name!r} needs ideal operations, which only the synthetic dataset "
            "has (use --dataset synth)"
        )


def load_or_build_banks(
    config: EvalConfig, system: Any, conversations: list[Conversation]
) -> tuple[Any, dict[str, Any], bool, float]:
    """(system, banks by conversation id, cache hit, seconds spent building)."""
    from memenv.pipeline import build_banks

    path = cache_dir(config) / f"{config.manager}-{bank_cache_key(config, conversations)}.pkl"
    cacheable = config.use_cache and system.extra.get("cacheable", True)
    if cacheable and path.exists():
        try:
            with path.open("rb") as f:
                payload = pickle.load(f)
            system.retrieve_fn = payload["retrieve_fn"]
            system.extra = payload["extra"]
            return system, payload["banks"], True, 0.0
        except Exception as exc:  # a stale or torn cache file: rebuild
            print(f"memenv: ignoring unreadable bank cache {path}: {exc}", file=sys.stderr)
    start = time.perf_counter()
    banks: dict[str, Any] = {}
    bar = _bar(len(conversations), "banks", config.progress)
    for conversation in conversations:
        banks[conversation.id] = build_banks(
            conversation,
            system.make_policy,
            fact_source=system.fact_source,
            retriever=config.retriever,
        )
        bar.update(1)
    bar.close()
    seconds = time.perf_counter() - start
    if cacheable:
        _save_cache(path, system, banks)
    return system, banks, False, seconds


def _save_cache(path: Path, system: Any, banks: dict[str, Any]) -> None:
    # One pickle for all three keeps shared objects shared: a retrieve_fn that is a
    # partial over the system's state still points at the (restored) state after loading.
    payload = {"banks": banks, "retrieve_fn": system.retrieve_fn, "extra": system.extra}
    try:
        data = pickle.dumps(payload)
    except (pickle.PicklingError, AttributeError, TypeError) as exc:
        print(
            f"memenv: not caching the banks of {system.name!r} (its retrieve_fn or extra state "
            f"cannot be pickled: {exc}); they are rebuilt on every run",
            file=sys.stderr,
        )
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _bar(total: int, desc: str, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, file=sys.stderr, disable=not enabled, leave=False)


def _config_dict(config: EvalConfig) -> dict[str, Any]:
    out = asdict(config)
    out.pop("progress")
    return out


def _resume_rows(out: Path, config: EvalConfig) -> list[dict[str, Any]]:
    """Rows of an earlier interrupted run with the same config (else start afresh)."""
    partial, stamp = out / "partial.jsonl", out / "partial.config.json"
    wanted = {
        k: v
        for k, v in _config_dict(config).items()
        if k not in ("limit", "cache_dir", "use_cache")
    }
    if stamp.exists() and json.loads(stamp.read_text()) == wanted:
        return list(read_jsonl(partial))
    partial.unlink(missing_ok=True)
    atomic_write(stamp, json.dumps(wanted, sort_keys=True))
    return []


def run_eval(config: EvalConfig, *, on_row: RowCallback | None = None) -> dict[str, Any]:
    """Run one evaluation and write ``results.json`` / ``results.md`` under ``config.out``.

    ``on_row`` is called after each newly answered question (tests use it to interrupt a run).
    Returns the results dict (what ``results.json`` holds).
    """
    from baselines import make_memory_system
    from baselines.answerers import make_answerer
    from memenv.data.registry import load_conversations
    from memenv.envs import AnswerAgentEnv

    t0 = time.perf_counter()
    system = make_memory_system(config.manager)
    answerer = make_answerer(config.answerer, **config.answerer_kwargs)
    if config.top_k < 1:
        raise ValueError(f"--top-k must be positive, got {config.top_k}")
    if config.limit is not None and config.limit < 1:
        raise ValueError(f"--limit must be positive, got {config.limit}")
    conversations = load_conversations(
        config.dataset,
        data_path=config.data_path,
        split=config.split,
        include_adversarial=config.include_adversarial,
        synth_kwargs=config.synth_kwargs,
    )
    questions = [(c, qa) for c in conversations for qa in c.qa]
    if config.limit is not None:
        questions = questions[: config.limit]
    if not questions:
        raise ValueError(f"{config.dataset} split {config.split!r} has no questions")
    needed = [c for c in conversations if any(c is qc for qc, _ in questions)]
    _check_system(system, needed)

    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    system, banks, cache_hit, build_seconds = load_or_build_banks(config, system, needed)

    done = {row["id"]: row for row in _resume_rows(out, config)}
    env = AnswerAgentEnv(
        conversations=needed,
        banks=banks,
        retrieve_fn=system.retrieve_fn,
        memories_per_speaker=config.top_k,
        reward="f1",
    )
    retrieval = answering = 0.0
    todo = [qa for _, qa in questions if qa.id not in done]
    bar = _bar(len(questions), "questions", config.progress)
    bar.update(len(questions) - len(todo))
    with (out / "partial.jsonl").open("a", encoding="utf-8") as partial:
        for qa in todo:
            t = time.perf_counter()
            obs, info = env.reset(options={"question": qa.id})
            t_reset = time.perf_counter()
            answer, selected = answerer.answer(obs["question"], obs["question_date"], env.shown)
            t_answer = time.perf_counter()
            _, _, _, _, info = env.step({"selected": selected, "answer": answer})
            retrieval += t_reset - t
            answering += t_answer - t_reset
            row = {
                "id": qa.id,
                "conversation": info["conversation_id"],
                "category": qa.category,
                "question": qa.question,
                "gold": qa.answer,
                "prediction": answer,
                "selected": info["selected_ids"],
                "selected_memory_ids": [env.shown[i].id for i in info["selected_ids"]],
                **{k: info["scores"][k] for k in ("f1", "f1_mem0", "bleu1", "em")},
                "evidence_recall": info["evidence_recall"],
            }
            partial.write(json.dumps(row, ensure_ascii=False) + "\n")
            partial.flush()
            done[qa.id] = row
            bar.update(1)
            if on_row is not None:
                on_row(row)
    bar.close()

    rows = [done[qa.id] for _, qa in questions]
    results = {
        "config": _config_dict(config),
        "versions": package_versions(),
        "summary": summarize(rows),
        "timings": {
            "bank_building": build_seconds,
            "cache_hit": cache_hit,
            "retrieval": retrieval,
            "answering": answering,
            "total": time.perf_counter() - t0,
            "resumed_questions": len(questions) - len(todo),
            "conversations": len(needed),
        },
        "questions": rows,
    }
    atomic_write(out / "results.json", json.dumps(results, indent=2, ensure_ascii=False))
    atomic_write(out / "results.md", results_markdown(results))
    return results


def load_results(run_dir: str | os.PathLike[str]) -> Mapping[str, Any]:
    """The ``results.json`` of a run directory (FileNotFoundError naming it otherwise)."""
    path = Path(run_dir) / "results.json"
    if not path.is_file():
        raise FileNotFoundError(f"no results.json in {run_dir}")
    return json.loads(path.read_text(encoding="utf-8"))
