"""LLM-driven memory systems and the LLM answerer for ``memenv eval``.

Three memory systems decide with an LLM:

- ``llm``: the Memory-R1 manager. :class:`~agents.policies.LLMManagerPolicy` reads the
  MemoryManager observation (the new fact and the top-5 related memories of the speaker) and
  writes Mem0-style JSON, ``{"memory": [{"id", "text", "event", "old_memory"}]}``, which the
  environment parses and applies (an unreadable output is a flagged no-op).
- ``mem0-llm``: :class:`~baselines.mem0.Mem0Policy` with an :class:`LLMDecider` instead of the
  rule decider.
- ``a-mem-llm``: A-Mem's notes, keywords, tags and links, where an :class:`LLMDecider` chooses the
  operation (ADDed and UPDATEd texts become notes; the first ADD of a step gets the links).

:class:`LLMDecider` prompts the LLM with the shown memories and the fact (the manager prompt of
:mod:`agents.prompts`), parses the JSON into ``ParsedOp`` s and keeps the well-formed ones
(UPDATE/DELETE need the id of a shown memory). When the output has no readable operation list,
or none of its operations is usable, it falls back to ``ADD <fact>`` and counts the fallback.

**Choosing the backend.** The backend is picked on the command line, not at registration: each
registered factory returns a :class:`~memenv.systems.MemorySystem` with
``extra["needs_llm"] = True`` and an empty :class:`LLMSlot` in ``extra["llm"]``; the evaluation
pipeline builds the backend from ``--llm`` and calls ``system.extra["llm"].attach(backend,
params)`` before building banks. From Python, :func:`make_llm_memory_system(name, backend)`
does both. The slot pickles and goes into the bank cache without its backend (only its
statistics), so the bank cache keeps working.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

from agents.llm.base import Completion, LLMBackend, Prompt, SamplingParams
from agents.policies import LLMAnswerPolicy, LLMManagerPolicy
from agents.prompts import manager_messages
from baselines._heuristics import BankRegistry, Decision, clip, decision_of, ops_action
from baselines.a_mem import AMemPolicy, Links, _retrieve_from_extra, keywords_and_tags, note_text
from baselines.mem0 import Mem0Policy
from memenv.answerers import register_answerer
from memenv.memory import MemoryEntry
from memenv.parsing import ParsedOp, parse_answer_output, parse_manager_output
from memenv.state_codec import state_type
from memenv.systems import MemorySystem, register_manager

state_type(SamplingParams)  # LLMSlot.params is part of the bank cache
MANAGER_PARAMS = SamplingParams(max_new_tokens=256)
ANSWER_PARAMS = SamplingParams(max_new_tokens=128)
JUDGE_PARAMS = SamplingParams(max_new_tokens=32)


# ---------------------------------------------------------------------- statistics
@state_type
@dataclass
class LLMStats:
    """Counters of one LLM role (manager, answerer or judge)."""

    generate_calls: int = 0
    prompts: int = 0
    new_tokens: int = 0
    seconds: float = 0.0
    unparsed: int = 0
    """Outputs with no readable operation list / label (manager, decider, judge)."""
    invalid_ops: int = 0
    """Operations dropped as malformed (unknown event, missing id/text, id not shown)."""
    fallbacks: int = 0
    """Decider steps that fell back to ``ADD <fact>``."""

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["tokens_per_second"] = self.new_tokens / self.seconds if self.seconds else None
        return out


class CountingBackend(LLMBackend):
    """Wraps a backend and counts calls, prompts, generated tokens and seconds into ``stats``."""

    def __init__(self, backend: LLMBackend, stats: LLMStats | None = None):
        self.inner = backend
        self.stats = stats if stats is not None else LLMStats()
        self.name = getattr(backend, "name", "llm")

    def generate(
        self, prompts: Sequence[Prompt], params: SamplingParams | None = None
    ) -> list[Completion]:
        start = time.perf_counter()
        out = self.inner.generate(prompts, params)
        self.stats.seconds += time.perf_counter() - start
        self.stats.generate_calls += 1
        self.stats.prompts += len(prompts)
        self.stats.new_tokens += sum(c.num_tokens or 0 for c in out)
        return out


class DiskCachedBackend(LLMBackend):
    """Replays completions stored in a JSON-lines file, generates (and appends) the rest.

    The key is the hash of ``tag`` (the spec and model), the sampling settings and the prompt, so
    a greedy (or seeded) run that is interrupted while building banks fast-forwards through the
    decisions it already made when restarted. ``hits`` counts replayed prompts.
    """

    def __init__(self, backend: Any, path: str | os.PathLike[str], tag: str = ""):
        self.inner = backend
        self.path = Path(path)
        self.tag = tag
        self.name = getattr(backend, "name", "llm")
        self.hits = 0
        self.memory: dict[str, dict[str, Any]] = {}
        if self.path.exists():
            for line in self.path.read_text(encoding="utf-8").splitlines():
                try:
                    item = json.loads(line)
                    self.memory[item["key"]] = item
                except (ValueError, KeyError, TypeError):
                    continue  # a torn last line

    def key(self, prompt: Prompt, params: SamplingParams | None) -> str:
        blob = json.dumps([self.tag, asdict(params) if params else None, prompt], sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()

    def generate(
        self, prompts: Sequence[Prompt], params: SamplingParams | None = None
    ) -> list[Completion]:
        keys = [self.key(p, params) for p in prompts]
        missing = [i for i, k in enumerate(keys) if k not in self.memory]
        self.hits += len(prompts) - len(missing)
        if missing:
            fresh = self.inner.generate([prompts[i] for i in missing], params)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as f:
                for i, c in zip(missing, fresh, strict=True):
                    item = {
                        "key": keys[i],
                        "text": c.text,
                        "finish_reason": c.finish_reason,
                        "num_tokens": c.num_tokens,
                    }
                    self.memory[keys[i]] = item
                    f.write(json.dumps(item, ensure_ascii=False) + "\n")
        out = []
        for k in keys:
            item = self.memory[k]
            out.append(
                Completion(item["text"], [], None, item["finish_reason"], item["num_tokens"])
            )
        return out


@state_type(reset={"backend": None})
@dataclass
class LLMSlot:
    """Where the pipeline plugs the backend into an LLM memory system.

    Pickles (and encodes for the bank cache) as its statistics only: a cached bank does not
    carry a model.
    """

    backend: CountingBackend | None = None
    params: SamplingParams = field(default_factory=lambda: replace(MANAGER_PARAMS))
    stats: LLMStats = field(default_factory=LLMStats)

    def attach(self, backend: LLMBackend, params: SamplingParams | None = None) -> None:
        self.backend = CountingBackend(backend, self.stats)
        if params is not None:
            self.params = params

    def require(self) -> CountingBackend:
        if self.backend is None:
            raise ValueError(
                "this memory system decides with an LLM: pass --llm SPEC to memenv eval "
                "(or build it with baselines.llm.make_llm_memory_system(name, backend))"
            )
        return self.backend

    def __getstate__(self) -> dict[str, Any]:
        return {"backend": None, "params": self.params, "stats": self.stats}


# ---------------------------------------------------------------------- Memory-R1 manager
class CountingManagerPolicy(LLMManagerPolicy):
    """:class:`LLMManagerPolicy` that also counts unreadable outputs and malformed operations."""

    def __init__(self, slot: LLMSlot):
        super().__init__(slot.require(), slot.params)
        self.slot = slot

    def act_batch(self, observations: Any, infos: Any = None) -> list[str]:
        texts = super().act_batch(observations, infos)
        for text in texts:
            ops, error = parse_manager_output(text)
            self.slot.stats.unparsed += bool(error)
            self.slot.stats.invalid_ops += sum(bool(op.error) for op in ops)
        return texts


# ---------------------------------------------------------------------- decider
class LLMDecider:
    """A Mem0 decider that asks an LLM: ``decide(fact, speaker, date, shown, scores)``.

    Keeps the output's well-formed operations whose UPDATE/DELETE id names a shown memory; NONE
    items are dropped unless nothing else remains (then one NOOP). No readable list, or nothing
    usable: ``ADD <fact>`` (counted in ``stats.fallbacks``).
    """

    def __init__(self, slot: LLMSlot):
        self.slot = slot

    def decide(self, d: Decision) -> list[ParsedOp]:
        stats = self.slot.stats
        shown = d.shown
        memories = [{"id": str(i), "text": m.text} for i, m in enumerate(shown)]
        prompt = manager_messages(d.speaker, d.date, d.fact, memories)
        text = self.slot.require().generate([prompt], self.slot.params)[0].text
        parsed, error = parse_manager_output(text)
        stats.unparsed += bool(error)
        kept: list[ParsedOp] = []
        for op in parsed:
            usable = not op.error and (
                op.op not in ("UPDATE", "DELETE")
                or (op.target is not None and op.target.isdigit() and int(op.target) < len(shown))
            )
            if usable:
                kept.append(replace(op, text=clip(op.text)) if op.text else op)
            else:
                stats.invalid_ops += 1
        changes = [op for op in kept if op.op != "NOOP"]
        if changes:
            return changes
        if kept:
            return [ParsedOp("NOOP", None, "")]
        stats.fallbacks += 1
        return [ParsedOp("ADD", None, clip(d.fact))]


class AMemLLMPolicy(AMemPolicy):
    """A-Mem notes whose operation an :class:`LLMDecider` chooses (links for the first ADD)."""

    name = "a-mem-llm"

    def __init__(self, env: Any, registry: BankRegistry[Links], decider: LLMDecider, **kw: Any):
        super().__init__(env, registry, **kw)
        self.decider = decider

    def act(self, observation: dict[str, str], info: dict[str, Any]) -> dict[str, Any] | str:
        d = decision_of(observation, info)
        if d is None:
            return {"op": 3, "target": 0, "text": ""}
        # The LLM sees the notes' fact part (keywords/tags are derived, not decided).
        plain = [replace(m, text=m.text.split(" | keywords: ")[0]) for m in d.shown]
        ops = self.decider.decide(replace(d, shown=plain))
        out: list[ParsedOp] = []
        linked = False
        for op in ops:
            if op.op in ("ADD", "UPDATE"):
                keywords, tags = keywords_and_tags(op.text, d.speaker, self.n_keywords)
                if op.op == "ADD" and not linked:
                    # The links of the fact's own note, for the note this ADD creates.
                    fact_keywords, fact_tags = keywords_and_tags(d.fact, d.speaker, self.n_keywords)
                    self.link_next_note(d, fact_keywords, fact_tags)
                    linked = True
                out.append(replace(op, text=note_text(op.text, keywords, tags)))
            else:
                out.append(op)
        return ops_action(out)


# ---------------------------------------------------------------------- systems
def _slot_of(extra: dict[str, Any]) -> LLMSlot:
    return extra["llm"]


def _with_backend(
    system: MemorySystem, backend: LLMBackend | None, params: SamplingParams | None
) -> MemorySystem:
    if backend is not None:
        _slot_of(system.extra).attach(backend, params)
    return system


def make_llm_manager(
    backend: LLMBackend | None = None, params: SamplingParams | None = None
) -> MemorySystem:
    """``llm``: the Memory-R1 manager (the LLM's Mem0-style JSON, applied by the env)."""
    extra: dict[str, Any] = {"needs_llm": True, "llm": LLMSlot()}
    system = MemorySystem(
        "llm",
        lambda env: CountingManagerPolicy(_slot_of(extra)),
        description="Memory-R1 manager: the LLM writes Mem0-style JSON operations",
        extra=extra,
    )
    return _with_backend(system, backend, params)


def make_mem0_llm(
    backend: LLMBackend | None = None, params: SamplingParams | None = None
) -> MemorySystem:
    """``mem0-llm``: Mem0 over the top-5 shown memories, deciding with the LLM."""
    extra: dict[str, Any] = {"needs_llm": True, "llm": LLMSlot()}
    system = MemorySystem(
        "mem0-llm",
        lambda env: Mem0Policy(env, LLMDecider(_slot_of(extra))),
        description="Mem0's ADD/UPDATE/DELETE/NOOP decided by the LLM (fallback: ADD)",
        extra=extra,
    )
    return _with_backend(system, backend, params)


def make_a_mem_llm(
    backend: LLMBackend | None = None,
    params: SamplingParams | None = None,
    n_links: int = 5,
    n_keywords: int = 5,
    expand_top: int = 5,
) -> MemorySystem:
    """``a-mem-llm``: A-Mem notes and linked retrieval, operations decided by the LLM."""
    extra: dict[str, Any] = {
        "needs_llm": True,
        "llm": LLMSlot(),
        "state": BankRegistry(dict),
        "n_links": n_links,
        "expand_top": expand_top,
    }
    system = MemorySystem(
        "a-mem-llm",
        lambda env: AMemLLMPolicy(
            env,
            extra["state"],
            LLMDecider(_slot_of(extra)),
            n_links=n_links,
            n_keywords=n_keywords,
        ),
        retrieve_fn=partial(_retrieve_from_extra, extra),
        description="A-Mem notes and links; ADD/UPDATE/DELETE/NOOP decided by the LLM",
        extra=extra,
    )
    return _with_backend(system, backend, params)


LLM_MANAGERS: dict[str, Callable[..., MemorySystem]] = {
    "llm": make_llm_manager,
    "mem0-llm": make_mem0_llm,
    "a-mem-llm": make_a_mem_llm,
}
for _name, _factory in LLM_MANAGERS.items():
    register_manager(_name, _factory)


def needs_llm(system: MemorySystem) -> bool:
    """Whether ``system`` decides with an LLM (its backend must be attached before use)."""
    return bool(system.extra.get("needs_llm"))


def make_llm_memory_system(
    name: str, backend: LLMBackend, params: SamplingParams | None = None
) -> MemorySystem:
    """The registered LLM memory system ``name`` with ``backend`` attached."""
    if name not in LLM_MANAGERS:
        raise ValueError(
            f"manager {name!r} does not use an LLM; LLM managers: {sorted(LLM_MANAGERS)}"
        )
    return LLM_MANAGERS[name](backend, params)


# ---------------------------------------------------------------------- answerer
class LLMAnswerer(LLMAnswerPolicy):
    """The ``llm`` answerer: :class:`LLMAnswerPolicy` with counters and the raw outputs.

    ``answer_batch`` is one ``generate`` call for many questions; ``last_raw`` and
    ``last_has_marker`` describe the last batch (``**Answer:**`` present or not).
    """

    name = "llm"

    def __init__(
        self,
        backend: LLMBackend | None = None,
        params: SamplingParams | None = None,
        distill: bool = True,
    ):
        if backend is None:
            raise ValueError("the llm answerer needs a backend: pass --llm SPEC to memenv eval")
        self.stats = LLMStats()
        super().__init__(
            CountingBackend(backend, self.stats),
            params or replace(ANSWER_PARAMS),
            distill=distill,
        )
        self.last_raw: list[str] = []
        self.last_has_marker: list[bool] = []

    def answer_batch(
        self, items: Sequence[tuple[str, str, Sequence[MemoryEntry | None]]]
    ) -> list[tuple[str, list[int]]]:
        results = super().answer_batch(items)
        self.last_raw = [c.text for c in self.last_completions]
        self.last_has_marker = [parse_answer_output(t).has_marker for t in self.last_raw]
        self.stats.unparsed += self.last_has_marker.count(False)
        return results


register_answerer("llm", LLMAnswerer)
