"""LoCoMo's RAG baseline: store the raw dialogue turns, no memory management.

Every turn (image captions already rendered by the environment's ``"turns"`` fact source) is
ADDed to its speaker's bank as ``"[8 May, 2023] Caroline: I went to ..."``. With
``chunk_turns=N > 1`` up to N consecutive turns of one speaker in one session share a memory:
each later turn UPDATE-appends itself to the chunk. The environment only lets a policy change a
memory it is shown, so when the open chunk is not among the shown memories the turn starts a new
chunk (ADD) instead.
"""

from __future__ import annotations

from typing import Any

from baselines._heuristics import clip, day_of, decision_of
from memenv.systems import MemorySystem, register_manager


class RagTurnsPolicy:
    """ADD each turn with a date and speaker prefix; optionally append to an open chunk."""

    name = "rag-turns"

    def __init__(self, env: Any, chunk_turns: int = 1):
        if chunk_turns < 1:
            raise ValueError(f"chunk_turns must be >= 1, got {chunk_turns}")
        self.env = env
        self.chunk_turns = chunk_turns
        # speaker -> (entry id of the open chunk, its session date, turns in it)
        self._open: dict[str, tuple[str, str, int]] = {}

    def act(self, observation: dict[str, str], info: dict[str, Any]) -> dict[str, Any]:
        d = decision_of(observation, info)
        if d is None:
            return {"op": 3, "target": 0, "text": ""}
        if info.get("fact_index") == 0:
            self._open.clear()
        line = f"{d.speaker}: {d.fact}"
        shown_ids = [m.id for m in d.shown]
        chunk = self._open.get(d.speaker)
        if chunk is not None:
            entry_id, session, count = chunk
            if session == d.date and count < self.chunk_turns and entry_id in shown_ids:
                old = d.shown[shown_ids.index(entry_id)]
                text = f"{old.text}\n{line}"
                if len(text) <= 1900:
                    self._open[d.speaker] = (entry_id, session, count + 1)
                    return {"op": 1, "target": shown_ids.index(entry_id), "text": text}
        bank = self.env.unwrapped.memory_bank(d.speaker)
        if bank is not None and self.chunk_turns > 1:
            self._open[d.speaker] = (bank.next_id, d.date, 1)
        return {"op": 0, "target": 0, "text": clip(f"[{day_of(d.date)}] {line}")}


def make_rag_turns(chunk_turns: int = 1) -> MemorySystem:
    return MemorySystem(
        "rag-turns",
        lambda env: RagTurnsPolicy(env, chunk_turns),
        fact_source="turns",
        description="raw turns with date and speaker (LoCoMo RAG baseline), no management",
        extra={"chunk_turns": chunk_turns},
    )


register_manager("rag-turns", make_rag_turns)
