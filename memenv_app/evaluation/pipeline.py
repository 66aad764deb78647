"""``run_eval``: build banks with a memory system, answer every question, write the results.

Banks are built through the MemoryManager environment (:func:`memenv.envs.banks.build_banks`) and
cached as one JSON file per (data, conversations, manager, config, code) key, in the format of
:mod:`memenv.state_codec`: reading it cannot run code (no pickle). Side state that retrieval
needs (A-Mem links, MemoryOS tiers) is cached with the banks: the file holds the banks and
``MemorySystem.extra`` together, and the restored ``extra`` is put into the fresh system's own
``extra`` dict, which its ``retrieve_fn`` (a module-level function, or a ``functools.partial`` of
one over that dict) reads. A system with any other ``retrieve_fn`` (a lambda, a closure) or with
``extra`` state of unregistered types is rebuilt on every run, as is one that sets
``extra["cacheable"] = False``.

Answers go through the AnswerAgent environment, one question per episode. Each answered row is
appended to ``DIR/partial.jsonl`` as it is produced, so an interrupted run resumes where it
stopped; ``results.json`` and ``results.md`` are written atomically at the end.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
import types
import warnings
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from memenv.data.records import Conversation
from memenv.metrics import METRICS, question_buckets
from memenv_app.evaluation.results import (
    atomic_write,
    package_versions,
    read_jsonl,
    results_markdown,
    summarize,
)

CACHE_VERSION = 2  # 2: JSON (memenv.state_codec) instead of pickle
RowCallback = Callable[[dict[str, Any]], None]


@dataclass
class EvalConfig:
    """What ``memenv eval`` runs; the CLI flags map one to one."""

    dataset: str = "synth"
    split: str = "val"
    manager: str = "add-all"
    answerer: str = "extractive"
    out: str | None = None
    """Run directory; None: ``runs/eval/<dataset>-<split>-<manager>-<answerer>-<settings hash>``,
    so runs with other settings never share one (see :func:`run_dir`)."""
    fresh: bool = False
    """Start over: drop the answers an earlier run with the same settings left in the folder."""
    data_path: str | None = None
    retriever: str = "bm25"
    memories_per_speaker: int = 30
    """Memories retrieved per speaker for each question (the paper: 30)."""
    include_adversarial: bool = False
    limit: int | None = None
    synth_kwargs: dict[str, Any] | None = None
    cache_dir: str | None = None
    use_cache: bool = True
    progress: bool = True
    answerer_kwargs: dict[str, Any] = field(default_factory=dict)
    llm: str | None = None
    """Backend spec of the LLM manager/answerer (``smollm2``, ``tiny``, ``transformers:PATH``,
    ``openai:URL``); required by ``--manager llm|mem0-llm|a-mem-llm`` and ``--answerer llm``."""
    model: str | None = None
    """Model name for ``openai:URL`` backends."""
    judge: str | None = None
    """Backend spec of the LLM judge; adds the J metric when set."""
    judge_model: str | None = None
    max_new_tokens: int | None = None
    """Generation budget of the manager and the answerer (None: 256 and 128)."""
    temperature: float = 0.0
    """Sampling temperature of the manager and the answerer (0: greedy). The judge is greedy."""
    batch_size: int = 8
    """Questions per answer/judge ``generate`` call (and the local backends' micro-batch)."""
    seed: int = 0
    device: str = "auto"
    api_key: str | None = field(default=None, repr=False)
    """Key for ``openai:URL`` (else ``$MEMENV_OPENAI_KEY`` / ``$OPENAI_API_KEY``); never saved."""
    top_k: int | None = field(default=None, repr=False)
    """Deprecated name of ``memories_per_speaker`` (removed in the next release)."""

    def __post_init__(self) -> None:
        if self.top_k is not None:
            warnings.warn(
                "EvalConfig(top_k=...) is deprecated and will be removed in the next release; "
                "use memories_per_speaker=...",
                DeprecationWarning,
                stacklevel=3,
            )
            self.memories_per_speaker, self.top_k = self.top_k, None


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
            roots[1] / "systems.py",
        ]
    )
    digest = hashlib.sha256()
    for f in files:
        digest.update(f.name.encode())
        digest.update(f.read_bytes())
    return digest.hexdigest()[:16]


def llm_fingerprint(config: EvalConfig) -> dict[str, Any]:
    """What shapes an LLM manager's banks: spec, model, sampling, and the prompt/parser code."""
    import agents
    import memenv

    root, lib = Path(agents.__file__).parent, Path(memenv.__file__).parent
    digest = hashlib.sha256()
    for f in (root / "prompts.py", root / "policies.py", lib / "prompts.py", lib / "parsing.py"):
        digest.update(f.read_bytes())
    params = manager_params(config)
    return {
        "spec": config.llm,
        "model": config.model,
        "max_new_tokens": params.max_new_tokens,
        "temperature": params.temperature,
        "seed": params.seed if params.temperature > 0 else None,
        "code": digest.hexdigest()[:16],
    }


def bank_cache_key(
    config: EvalConfig, conversations: list[Conversation], *, uses_llm: bool = False
) -> str:
    """Hash of the data, the conversation ids, the manager and the bank-building config (plus
    the LLM spec, model, sampling settings and prompt code when the manager is an LLM)."""
    key = {
        "version": CACHE_VERSION,
        "dataset": config.dataset,
        "data": data_fingerprint(config),
        "conversations": [c.id for c in conversations],
        "manager": config.manager,
        "retriever": config.retriever,
        "code": code_fingerprint(),
    }
    if uses_llm:
        key["llm"] = llm_fingerprint(config)
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
    from memenv.envs.banks import build_banks

    uses_llm = bool(system.extra.get("needs_llm"))
    key = bank_cache_key(config, conversations, uses_llm=uses_llm)
    path = cache_dir(config) / f"{config.manager}-{key}.json"
    cacheable = config.use_cache and system.extra.get("cacheable", True)
    if cacheable and not _retrieval_reads_extra(system):
        print(
            f"memenv: not caching the banks of {system.name!r} (its retrieve_fn is not a "
            "module-level function or a partial of one over its extra dict); they are rebuilt "
            "on every run",
            file=sys.stderr,
        )
        cacheable = False
    if cacheable and path.exists():
        try:
            banks, extra = _load_cache(path, config)
            system.extra.clear()
            system.extra.update(extra)  # the dict system.retrieve_fn reads
            return system, banks, True, 0.0
        except (OSError, ValueError) as exc:  # a stale, torn or planted cache file: rebuild
            print(f"memenv: ignoring unreadable bank cache {path}: {exc}", file=sys.stderr)
    start = time.perf_counter()
    banks: dict[str, Any] = {}
    facts = _fact_count(system.fact_source, conversations)
    bar = _bar(facts, f"banks ({config.manager}, facts)", config.progress)
    for conversation in conversations:
        banks[conversation.id] = build_banks(
            conversation,
            system.make_policy,
            fact_source=system.fact_source,
            retriever=config.retriever,
            on_step=lambda: bar.update(1),
        )
    bar.close()
    seconds = time.perf_counter() - start
    if cacheable:
        _save_cache(path, system, banks)
    return system, banks, False, seconds


def _fact_count(fact_source: Any, conversations: list[Conversation]) -> int | None:
    """How many facts the banks are built from (None for an extractor: known only after)."""
    from memenv.envs.fact_sources import resolve_facts

    if not isinstance(fact_source, str):
        return None
    return sum(len(resolve_facts(fact_source, c)) for c in conversations)


def _retrieval_reads_extra(system: Any) -> bool:
    """Whether ``system.retrieve_fn`` keeps no state of its own beyond ``system.extra``."""

    def plain(fn: Any) -> bool:
        return isinstance(fn, types.FunctionType) and "<" not in fn.__qualname__

    fn = system.retrieve_fn
    if fn is None or plain(fn):
        return True
    return (
        isinstance(fn, partial)
        and plain(fn.func)
        and not fn.keywords
        and len(fn.args) == 1
        and fn.args[0] is system.extra
    )


def _load_cache(path: Path, config: EvalConfig) -> tuple[dict[str, Any], dict[str, Any]]:
    """(banks by conversation id, extra) from a cache file; ValueError if it is not one."""
    from memenv.state_codec import decode_state

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except RecursionError:
        raise ValueError("nested too deeply") from None
    payload = decode_state(data, retriever=config.retriever)
    if (
        not isinstance(payload, dict)
        or payload.get("version") != CACHE_VERSION
        or not isinstance(payload.get("banks"), dict)
        or not isinstance(payload.get("extra"), dict)
    ):
        raise ValueError("not a bank cache of this version")
    return payload["banks"], payload["extra"]


def _save_cache(path: Path, system: Any, banks: dict[str, Any]) -> None:
    # One document for both keeps shared objects shared: the side state refers to the banks.
    from memenv.state_codec import encode_state

    payload = {"version": CACHE_VERSION, "banks": banks, "extra": system.extra}
    try:
        data = json.dumps(encode_state(payload))
    except (TypeError, ValueError) as exc:
        print(
            f"memenv: not caching the banks of {system.name!r} (its extra state cannot be "
            f"encoded: {exc}); they are rebuilt on every run",
            file=sys.stderr,
        )
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(data, encoding="utf-8")
    os.replace(tmp, path)


def _bar(total: int | None, desc: str, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, file=sys.stderr, disable=not enabled, leave=True)


def _config_dict(config: EvalConfig) -> dict[str, Any]:
    out = asdict(config)
    for key in ("progress", "api_key", "top_k", "fresh"):
        out.pop(key)
    return out


RESUME_IGNORES = ("out", "limit", "cache_dir", "use_cache", "device")
"""Settings that do not change the answers: a run may resume across them."""


def _answer_settings(config: EvalConfig) -> dict[str, Any]:
    return {k: v for k, v in _config_dict(config).items() if k not in RESUME_IGNORES}


def run_dir(config: EvalConfig) -> Path:
    """``config.out``, or a folder under ``runs/eval`` named from the settings."""
    if config.out is not None:
        return Path(config.out)
    digest = hashlib.sha256(
        json.dumps(_answer_settings(config), sort_keys=True, default=str).encode()
    ).hexdigest()[:8]
    name = f"{config.dataset}-{config.split}-{config.manager}-{config.answerer}-{digest}"
    return Path("runs/eval") / name.replace("/", "_").replace(":", "_")


def _resume_rows(out: Path, config: EvalConfig) -> list[dict[str, Any]]:
    """Rows of an earlier run in ``out`` with the same settings, announced on stderr.

    A folder holding a run with other settings is an error (never silently reused or
    overwritten) unless ``config.fresh``; ``config.fresh`` also drops same-setting rows.
    """
    partial, stamp = out / "partial.jsonl", out / "partial.config.json"
    wanted = json.loads(json.dumps(_answer_settings(config), sort_keys=True, default=str))
    if stamp.exists() and not config.fresh:
        try:
            held = json.loads(stamp.read_text(encoding="utf-8"))
        except ValueError:
            held = None
        if held == wanted:
            _drop_torn_tail(partial)  # else the next row is appended to the torn line and lost
            rows = list(read_jsonl(partial)) if partial.exists() else []
            if rows and config.progress:
                print(f"resuming {len(rows)} answered questions from {partial}", file=sys.stderr)
            return rows
        if isinstance(held, dict):
            diff = sorted(k for k in set(held) | set(wanted) if held.get(k) != wanted.get(k))
            raise ValueError(
                f"{out} holds an evaluation with other settings ({', '.join(diff[:6])} differ): "
                "pass another --out (or none, for a folder named from the settings), or --fresh "
                "to replace it"
            )
    partial.unlink(missing_ok=True)
    for name in ("results.json", "results.md"):
        (out / name).unlink(missing_ok=True)
    atomic_write(stamp, json.dumps(wanted, sort_keys=True))
    return []


def _drop_torn_tail(path: Path) -> None:
    """Cut a JSON-lines file after its last newline: a row whose write was interrupted."""
    if not path.exists():
        return
    with path.open("rb+") as f:
        data = f.read()
        if data and not data.endswith(b"\n"):
            f.truncate(data.rfind(b"\n") + 1)


def manager_params(config: EvalConfig) -> Any:
    """Sampling settings of an LLM manager (``--max-new-tokens`` default 256)."""
    from agents.llm import SamplingParams

    return SamplingParams(
        max_new_tokens=config.max_new_tokens or 256,
        temperature=config.temperature,
        seed=config.seed if config.temperature > 0 else None,
    )


def answer_params(config: EvalConfig) -> Any:
    """Sampling settings of the LLM answerer (``--max-new-tokens`` default 128)."""
    from agents.llm import SamplingParams

    return SamplingParams(
        max_new_tokens=config.max_new_tokens or 128,
        temperature=config.temperature,
        seed=config.seed if config.temperature > 0 else None,
    )


def make_llm_backend(config: EvalConfig, spec: str, model: str | None) -> Any:
    """The backend of ``spec`` (``openai:URL`` gets ``model`` and the key; local backends the
    device and ``batch_size`` as their micro-batch)."""
    from agents.llm import make_backend

    if spec.startswith("openai:"):
        return make_backend(spec, model=model, api_key=config.api_key)
    return make_backend(spec, device=config.device, batch_size=config.batch_size)


class _Backends:
    """Backends built on first use, one per (spec, model): manager and answerer share one."""

    def __init__(self, config: EvalConfig):
        self.config = config
        self.built: dict[tuple[str, str | None], Any] = {}

    def get(self, spec: str | None, model: str | None, who: str) -> Any:
        if not spec:
            raise ValueError(f"{who} needs an LLM: pass --llm SPEC (smollm2, tiny, ...)")
        if (spec, model) not in self.built:
            self.built[(spec, model)] = make_llm_backend(self.config, spec, model)
        return self.built[(spec, model)]


def _chunks(items: list[Any], size: int) -> list[list[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def run_eval(config: EvalConfig, *, on_row: RowCallback | None = None) -> dict[str, Any]:
    """Run one evaluation and write ``results.json`` / ``results.md`` under :func:`run_dir`.

    ``on_row`` is called after each newly answered question (tests use it to interrupt a run).
    Returns the results dict (what ``results.json`` holds).

    LLM parts: a memory system with ``extra["needs_llm"]`` gets the ``config.llm`` backend
    attached (``extra["llm"].attach``) before its banks are built; ``answerer="llm"`` gets the
    same backend; ``config.judge`` adds an :class:`agents.policies.LLMJudge` verdict per
    question (``judge`` in the rows, J in the summary). An answerer with ``answer_batch`` is
    called with ``batch_size`` questions at a time.
    """
    from memenv.answerers import make_answerer
    from memenv.data.registry import load_conversations
    from memenv.envs import AnswerAgentEnv
    from memenv.systems import make_memory_system

    t0 = time.perf_counter()
    if config.memories_per_speaker < 1:
        raise ValueError(
            f"--memories-per-speaker must be positive, got {config.memories_per_speaker}"
        )
    if config.limit is not None and config.limit < 1:
        raise ValueError(f"--limit must be positive, got {config.limit}")
    if config.batch_size < 1:
        raise ValueError(f"--batch-size must be positive, got {config.batch_size}")
    backends = _Backends(config)
    system = make_memory_system(config.manager)
    uses_llm = bool(system.extra.get("needs_llm"))
    if uses_llm and not config.llm:
        raise ValueError(f"manager {config.manager!r} needs an LLM: pass --llm SPEC")
    answerer_kwargs = dict(config.answerer_kwargs)
    if config.answerer == "llm":
        answerer_kwargs.setdefault(
            "backend", backends.get(config.llm, config.model, "--answerer llm")
        )
        answerer_kwargs.setdefault("params", answer_params(config))
    answerer = make_answerer(config.answerer, **answerer_kwargs)
    judge = None
    if config.judge:
        from agents.policies import LLMJudge
        from baselines.llm import JUDGE_PARAMS, CountingBackend

        judge_backend = backends.get(config.judge, config.judge_model, "--judge")
        judge = LLMJudge(CountingBackend(judge_backend), JUDGE_PARAMS)
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

    out = run_dir(config)
    out.mkdir(parents=True, exist_ok=True)
    if uses_llm:
        # Attached lazily: a bank cache hit never loads the model.
        system.extra["llm"].attach(manager_backend(config, backends), manager_params(config))
    system, banks, cache_hit, build_seconds = load_or_build_banks(config, system, needed)

    done = {row["id"]: row for row in _resume_rows(out, config)}
    batch = config.batch_size if hasattr(answerer, "answer_batch") else 1
    envs = [
        AnswerAgentEnv(
            conversations=needed,
            banks=banks,
            retrieve_fn=system.retrieve_fn,
            memories_per_speaker=config.memories_per_speaker,
            reward="f1",
        )
        for _ in range(batch)
    ]
    retrieval = answering = judging = 0.0
    todo = [qa for _, qa in questions if qa.id not in done]
    bar = _bar(len(questions), "questions", config.progress)
    bar.update(len(questions) - len(todo))
    with (out / "partial.jsonl").open("a", encoding="utf-8") as partial:
        for chunk in _chunks(todo, batch):
            t = time.perf_counter()
            observations = [
                env.reset(options={"question": qa.id})[0]
                for env, qa in zip(envs, chunk, strict=False)
            ]
            t_reset = time.perf_counter()
            items = [
                (obs["question"], obs["question_date"], env.shown)
                for env, obs in zip(envs, observations, strict=False)
            ]
            if batch > 1:
                answers = answerer.answer_batch(items)
            else:
                answers = [answerer.answer(*items[0])]
            t_answer = time.perf_counter()
            retrieval += t_reset - t
            answering += t_answer - t_reset
            raw = list(getattr(answerer, "last_raw", []) or [])
            marks = list(getattr(answerer, "last_has_marker", []) or [])
            rows = []
            for i, (env, qa, (answer, selected)) in enumerate(
                zip(envs, chunk, answers, strict=False)
            ):
                _, _, _, _, info = env.step({"selected": selected, "answer": answer})
                row = {
                    "id": qa.id,
                    "conversation": info["conversation_id"],
                    "category": qa.category,
                    "buckets": list(question_buckets(qa)),
                    "question": qa.question,
                    "gold": qa.answer,
                    "prediction": answer,
                    "selected": info["selected_ids"],
                    "selected_memory_ids": [env.shown[j].id for j in info["selected_ids"]],
                    **{k: info["scores"][k] for k in METRICS},
                    "evidence_recall": info["evidence_recall"],
                }
                if len(raw) == len(chunk):
                    row["raw_output"] = raw[i]
                    row["answer_format_ok"] = marks[i]
                rows.append(row)
            if judge is not None:
                t_judge = time.perf_counter()
                verdicts = judge.judge_qa_batch(
                    [(qa, r["prediction"]) for qa, r in zip(chunk, rows, strict=True)]
                )
                for r, ok in zip(rows, verdicts, strict=True):
                    r["judge"] = float(ok)
                judging += time.perf_counter() - t_judge
            for row in rows:
                partial.write(json.dumps(row, ensure_ascii=False) + "\n")
                partial.flush()
                done[row["id"]] = row
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
            "judging": judging,
            "total": time.perf_counter() - t0,
            "resumed_questions": len(questions) - len(todo),
            "conversations": len(needed),
        },
        "questions": rows,
    }
    llm = llm_report(config, system, answerer, judge, rows, cache_hit)
    if llm:
        results["llm"] = llm
    atomic_write(out / "results.json", json.dumps(results, indent=2, ensure_ascii=False))
    atomic_write(out / "results.md", results_markdown(results))
    return results


def completion_cache_path(config: EvalConfig) -> Path:
    """The manager's completion log: ``CACHE/llm-completions/<hash of spec and model>.jsonl``."""
    tag = hashlib.sha256(json.dumps([config.llm, config.model]).encode()).hexdigest()[:16]
    return cache_dir(config) / "llm-completions" / f"{tag}.jsonl"


def manager_backend(config: EvalConfig, backends: _Backends) -> Any:
    """The LLM manager's backend: built on first use (a bank cache hit never loads the model)
    and, unless ``use_cache`` is off, replaying completions logged by earlier runs
    (:func:`completion_cache_path`; keyed by spec, model, sampling settings and prompt), so an
    interrupted bank build fast-forwards through the decisions it already made."""
    from baselines.llm import DiskCachedBackend

    lazy = _LazyBackend(backends, config)
    if not config.use_cache:
        return lazy
    return DiskCachedBackend(
        lazy, completion_cache_path(config), json.dumps([config.llm, config.model])
    )


class _LazyBackend:
    """Builds the manager's backend on its first ``generate`` (not at all on a cache hit)."""

    def __init__(self, backends: _Backends, config: EvalConfig):
        self.backends, self.config = backends, config
        self.name = config.llm or "llm"

    def generate(self, prompts: Any, params: Any = None) -> Any:
        backend = self.backends.get(self.config.llm, self.config.model, "the manager")
        return backend.generate(prompts, params)


def llm_report(
    config: EvalConfig,
    system: Any,
    answerer: Any,
    judge: Any,
    rows: list[dict[str, Any]],
    cache_hit: bool,
) -> dict[str, Any]:
    """The ``llm`` block of results.json: spec, sampling, and per-role generation statistics
    (calls, prompts, new tokens, seconds, unparsed/invalid outputs, decider fallbacks); the
    answerer's ``format_rate`` is the share of answers with ``**Answer:**`` (over all rows,
    resumed ones included). Counters cover this process only (see ``timings``); the manager's
    include completions replayed from the completion log (``replayed_from_disk``)."""
    report: dict[str, Any] = {}
    slot = system.extra.get("llm") if system.extra.get("needs_llm") else None
    stats = getattr(answerer, "stats", None)
    if slot is None and stats is None and judge is None:
        return report
    report["spec"] = config.llm
    report["model"] = config.model
    report["sampling"] = {
        "max_new_tokens": {
            "manager": manager_params(config).max_new_tokens,
            "answerer": answer_params(config).max_new_tokens,
        },
        "temperature": config.temperature,
        "batch_size": config.batch_size,
        "seed": config.seed,
    }
    if slot is not None:
        replayed = getattr(getattr(slot.backend, "inner", None), "hits", 0)
        report["manager"] = {
            **slot.stats.as_dict(),
            "from_bank_cache": cache_hit,
            "replayed_from_disk": replayed,
        }
        if replayed:  # replayed prompts take no time: a rate would be meaningless
            report["manager"]["tokens_per_second"] = None
    if stats is not None:
        marks = [r["answer_format_ok"] for r in rows if "answer_format_ok" in r]
        report["answerer"] = {
            **stats.as_dict(),
            "format_rate": 100.0 * sum(marks) / len(marks) if marks else None,
        }
    if judge is not None:
        report["judge"] = {
            "spec": config.judge,
            "model": config.judge_model,
            **judge.backend.stats.as_dict(),
            "unparsed": judge.unparsed,
        }
    return report


def load_results(run_dir: str | os.PathLike[str]) -> Mapping[str, Any]:
    """The ``results.json`` of a run directory (FileNotFoundError naming it otherwise)."""
    path = Path(run_dir) / "results.json"
    if not path.is_file():
        raise FileNotFoundError(f"no results.json in {run_dir}")
    return json.loads(path.read_text(encoding="utf-8"))
