"""Zep / Graphiti (Rasmussen et al. 2025), offline: temporal facts, invalidated but never deleted.

Each fact is stored as ``"<fact> (valid from 8 May, 2023)"`` (the session's day). The Mem0 decider
(:class:`baselines.mem0.HeuristicDecider`, or any decider) is asked about the new fact against the
currently valid shown memories (validity suffix removed):

- NOOP: nothing;
- ADD: ADD the fact;
- UPDATE or DELETE of a memory: that memory is kept but closed, UPDATEd to
  ``"<old fact> (valid from X until Y)"``, and the new fact is ADDed (valid from Y); the two
  operations go in one Mem0-style JSON action. A cancellation fact ("no longer works at X") is
  itself stored, so the bank says when the old fact stopped holding.

Retrieval (``retrieve_fn``) ranks by BM25 and, at equal score, currently valid facts before closed
ones; the validity ranges are in the texts the answerer reads. No per-conversation state.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from typing import Any

from baselines._heuristics import Decision, clip, day_of, ops_action
from baselines.mem0 import Decider, Mem0Policy
from memenv.memory import MemoryBank, MemoryEntry
from memenv.parsing import ParsedOp
from memenv.systems import MemorySystem, register_manager

_VALIDITY = re.compile(r"\s*\(valid from (?P<start>[^()]*?)(?: until (?P<end>[^()]*))?\)\s*$")


def split_validity(text: str) -> tuple[str, str, str | None]:
    """``"X (valid from A until B)"`` -> ``("X", "A", "B")``; no range -> ``(text, "", None)``."""
    m = _VALIDITY.search(text)
    if m is None:
        return text, "", None
    return text[: m.start()], m.group("start"), m.group("end")


def is_closed(text: str) -> bool:
    """Has this memory been invalidated (it carries an ``until``)?"""
    return split_validity(text)[2] is not None


class ZepPolicy(Mem0Policy):
    """Mem0's decisions turned into invalidations: nothing is ever deleted."""

    name = "zep"

    def action_for(self, d: Decision) -> dict[str, Any] | str:
        day = day_of(d.date)
        valid = [i for i, m in enumerate(d.shown) if not is_closed(m.text)]
        view = [
            dataclasses.replace(d.shown[i], text=split_validity(d.shown[i].text)[0]) for i in valid
        ]
        scores = [d.scores[i] for i in valid]
        decided = self.decider.decide(dataclasses.replace(d, shown=view, scores=scores))
        if all(op.op == "NOOP" for op in decided):
            return {"op": 3, "target": 0, "text": ""}
        new = ParsedOp("ADD", None, clip(f"{d.fact.strip()} (valid from {day})"))
        closes: list[ParsedOp] = []
        for op in decided:
            if op.op in ("UPDATE", "DELETE") and op.target is not None:
                local = valid[int(op.target)]
                old, start, _ = split_validity(d.shown[local].text)
                since = f"valid from {start} until {day}" if start else f"valid until {day}"
                closed = ParsedOp("UPDATE", str(local), clip(f"{old.strip()} ({since})"))
                if closed not in closes:
                    closes.append(closed)
        return ops_action([*closes, new])


def retrieve_valid_first(
    banks: Mapping[str, MemoryBank], speakers: Sequence[str], question: str, k: int
) -> list[list[tuple[MemoryEntry, float]]]:
    """Top ``k`` per speaker by BM25; at equal score valid facts come before closed ones."""
    out = []
    for speaker in speakers:
        ranked = banks[speaker].top_k(question, 2 * k)
        order = sorted(
            range(len(ranked)),
            key=lambda i: (-round(ranked[i][1], 9), is_closed(ranked[i][0].text), i),
        )
        out.append([ranked[i] for i in order[:k]])
    return out


def make_zep(decider: Decider | None = None) -> MemorySystem:
    return MemorySystem(
        "zep",
        lambda env: ZepPolicy(env, decider),
        retrieve_fn=retrieve_valid_first,
        description="temporal facts with validity ranges; replaced facts are closed, not deleted",
    )


register_manager("zep", make_zep)
