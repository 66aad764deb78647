"""Mem0 (Chhikara et al. 2025), offline: compare each fact with the shown memories and decide.

For a new fact the policy reads the memories the environment shows (its top 5 by BM25) and asks
a *decider* for Mem0's update operations. The default :class:`HeuristicDecider` applies these
rules, first match wins (``baselines._heuristics`` defines subject, attributes and values):

1. **Cancellation** ("no longer", "gave up", "stopped", "quit", "sold", "broke up", "passed
   away", ... but not "having left X", which tells the past of an update): DELETE the shown
   memory with the same subject that shares a value with the fact (else the same attribute);
   when the fact carries a value that memory lacks ("... and is between jobs"), ADD the fact too
   (``add_on_delete``; two operations in one Mem0-style JSON action). No such memory: ADD.
2. **Near-duplicate**: the fact's content tokens are a subset of a shown memory's; or all the
   fact's value tokens appear in the memory and either their token Jaccard is at least
   ``dup_jaccard`` or both have the same subject and attribute: NOOP.
3. **Back after a cancellation**: a shown memory with the same subject and a shared single-valued
   attribute (or a shared value) is itself a cancellation ("X is single", "X is between jobs")
   and no other memory shares a value with the fact (else rule 4): ADD the fact and DELETE that
   memory.
4. **Same subject and attribute, new or richer value**: the attribute is single-valued (city, job,
   employer, partner, food, car), or the fact names a value of the memory and has a replacement
   cue ("now learning Japanese, having switched from Dutch"), or the memory's tokens are a strict
   subset of the fact's: UPDATE that memory with the merged text (the new statement plus the
   old memory's clauses about other attributes).
5. Otherwise ADD.

A decider is any object with ``decide(decision) -> list[ParsedOp]`` (a :class:`Decision`)
(targets are local ids ``"0"``, ``"1"``, ... of ``shown``): an LLM decider plugs in there.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from baselines._heuristics import (
    SINGLE_VALUED,
    Decision,
    Reading,
    clip,
    decision_of,
    jaccard,
    merge_texts,
    ops_action,
    primary_op,
    read,
)
from memenv.data.records import OPERATIONS, Conversation
from memenv.parsing import ParsedOp, parse_manager_output
from memenv.systems import MemorySystem, register_manager


class Decider(Protocol):
    def decide(self, d: Decision) -> list[ParsedOp]: ...


@dataclass
class HeuristicDecider:
    """Mem0's decision made with the rules of the module docstring."""

    dup_jaccard: float = 0.7
    add_on_delete: bool = True

    def decide(self, d: Decision) -> list[ParsedOp]:
        fact = read(d.fact, d.speaker)
        mems = [read(m.text, d.speaker) for m in d.shown]
        scores = d.scores
        add = ParsedOp("ADD", None, clip(d.fact))

        if fact.cancels and not (fact.replaces and self._new_single_value(fact, mems)):
            target = self._cancel_target(fact, mems, scores)
            if target is None:
                return [add]
            ops = [ParsedOp("DELETE", str(target), "")]
            if self.add_on_delete and fact.values - mems[target].tokens:
                ops.append(add)
            return ops

        if any(self._duplicate(fact, m) for m in mems):
            return [ParsedOp("NOOP", None, "")]

        target = self._update_target(fact, mems, scores)
        stale = [
            (i, 0)
            for i, m in enumerate(mems)
            if m.cancels
            and self._related(fact, m)
            and (fact.attributes & m.attributes & SINGLE_VALUED or fact.values & m.values)
        ]
        if stale and (target is None or not fact.values & mems[target].values):
            # "X is dating Jordan" after "X broke up with Sam, so X is single"
            return [add, ParsedOp("DELETE", str(self._best(stale, scores)), "")]
        if target is not None:
            merged = merge_texts(d.fact, mems[target].text, d.speaker)
            return [ParsedOp("UPDATE", str(target), clip(merged))]
        return [add]

    # -- rules ----------------------------------------------------------------------------------
    def _duplicate(self, fact: Reading, mem: Reading) -> bool:
        if not fact.tokens:
            return True
        if fact.tokens <= mem.tokens:
            return True
        if mem.cancels or not fact.values <= mem.tokens:
            return False  # a value the memory lacks is news, however similar the wording
        return jaccard(fact.tokens, mem.tokens) >= self.dup_jaccard or (
            fact.subject == mem.subject and bool(fact.attributes & mem.attributes)
        )

    @staticmethod
    def _related(fact: Reading, mem: Reading) -> bool:
        return fact.subject == mem.subject and bool(fact.attributes & mem.attributes)

    def _new_single_value(self, fact: Reading, mems: Sequence[Reading]) -> bool:
        """A replacement ("now works at Y, having quit X") rather than a plain cancellation."""
        return bool(fact.attributes & SINGLE_VALUED) and any(
            self._related(fact, m) and fact.values - m.tokens for m in mems
        )

    @staticmethod
    def _best(candidates: list[tuple[int, int]], scores: Sequence[float]) -> int | None:
        """The candidate (index, shared values) with most shared values, then best score."""
        if not candidates:
            return None
        return max(candidates, key=lambda c: (c[1], scores[c[0]], -c[0]))[0]

    def _cancel_target(
        self, fact: Reading, mems: Sequence[Reading], scores: Sequence[float]
    ) -> int | None:
        sharing = [
            (i, len(fact.values & m.values))
            for i, m in enumerate(mems)
            if fact.subject == m.subject and fact.values & m.values and not m.cancels
        ]
        if sharing:
            return self._best(sharing, scores)
        related = [(i, 0) for i, m in enumerate(mems) if self._related(fact, m) and not m.cancels]
        return self._best(related, scores)

    def _update_target(
        self, fact: Reading, mems: Sequence[Reading], scores: Sequence[float]
    ) -> int | None:
        candidates = []
        for i, m in enumerate(mems):
            if not self._related(fact, m) or m.cancels:
                continue
            shared = len(fact.values & m.values)
            single = bool(fact.attributes & m.attributes & SINGLE_VALUED)
            richer = m.tokens < fact.tokens
            # A shared value alone is weak evidence for multi-valued attributes ("kids" in two
            # hobby facts): it needs a replacement cue ("now", "switched").
            if single or (shared and fact.replaces) or richer:
                candidates.append((i, shared))
        return self._best(candidates, scores)


class Mem0Policy:
    """Decides from the observation's fact and the shown memories of ``info`` through a decider
    (the rule decider by default); subclasses turn the decision into other actions."""

    name = "mem0"

    def __init__(self, env: Any = None, decider: Decider | None = None):
        self.decider: Decider = decider or HeuristicDecider()

    def act(self, observation: dict[str, str], info: dict[str, Any]) -> dict[str, Any] | str:
        d = decision_of(observation, info)
        return {"op": 3, "target": 0, "text": ""} if d is None else self.action_for(d)

    def action_for(self, d: Decision) -> dict[str, Any] | str:
        return ops_action(self.decider.decide(d))


def make_mem0(decider: Decider | None = None) -> MemorySystem:
    return MemorySystem(
        "mem0",
        lambda env: Mem0Policy(env, decider),
        description="Mem0's ADD/UPDATE/DELETE/NOOP over the top-5 shown memories (rule decider)",
    )


register_manager("mem0", make_mem0)


# -- measuring operations against the synthetic ideal ones ----------------------------------------
@dataclass
class OpStats:
    """Primary operation of each action against the fact's ideal operation."""

    confusion: dict[str, dict[str, int]] = field(
        default_factory=lambda: {a: dict.fromkeys(OPERATIONS, 0) for a in OPERATIONS}
    )
    """ideal op -> predicted op -> count."""
    target_hits: int = 0
    target_total: int = 0
    """UPDATE/DELETE predicted right: how many changed the ideal target memory."""
    invalid: int = 0

    @property
    def total(self) -> int:
        return sum(sum(row.values()) for row in self.confusion.values())

    @property
    def accuracy(self) -> float:
        right = sum(self.confusion[op][op] for op in OPERATIONS)
        return right / self.total if self.total else 0.0

    def per_op(self) -> dict[str, float]:
        """Recall of each ideal operation."""
        return {
            op: (row[op] / sum(row.values()) if sum(row.values()) else 0.0)
            for op, row in self.confusion.items()
        }

    def table(self) -> str:
        """The confusion matrix as a Markdown table (rows ideal, columns predicted)."""
        lines = ["| ideal \\ predicted | " + " | ".join(OPERATIONS) + " | recall |"]
        lines.append("|---" * (len(OPERATIONS) + 2) + "|")
        for op, row in self.confusion.items():
            cells = " | ".join(str(row[p]) for p in OPERATIONS)
            lines.append(f"| {op} | {cells} | {self.per_op()[op]:.1%} |")
        return "\n".join(lines)


def measure_ops(
    make_policy: Callable[[Any], Any],
    conversations: Sequence[Conversation],
    *,
    fact_source: str = "auto",
) -> OpStats:
    """Run ``make_policy`` over each conversation and count its operations against the ideal
    ones (facts without an ideal operation are skipped)."""
    from memenv.envs.memory_manager import MemoryManagerEnv

    stats = OpStats()
    for conversation in conversations:
        env = MemoryManagerEnv(conversations=[conversation], fact_source=fact_source, reward="none")
        policy = make_policy(env)
        obs, info = env.reset(seed=0)
        done = False
        while not done:
            fact = env.current_fact
            shown = list(info["shown_memories"])
            action = policy.act(obs, info)
            obs, _, done, _, info = env.step(action)
            stats.invalid += bool(info["invalid_action"])
            if fact is None or fact.ideal_op is None:
                continue
            predicted = primary_op(action)
            stats.confusion[fact.ideal_op][predicted] += 1
            if predicted == fact.ideal_op and predicted in ("UPDATE", "DELETE"):
                stats.target_total += 1
                local = _target_of(action, predicted)
                if local is not None and 0 <= local < len(shown):
                    stats.target_hits += shown[local].provenance[:1] == (fact.ideal_target,)
    return stats


def _target_of(action: Any, op: str) -> int | None:
    if isinstance(action, dict):
        return int(action.get("target", 0))
    for parsed in parse_manager_output(action)[0]:
        if parsed.op == op and parsed.target is not None and parsed.target.isdigit():
            return int(parsed.target)
    return None
