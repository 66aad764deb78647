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

from baselines._heuristics import clip, day_of
from baselines.base import MemorySystem, register_manager


class RagTurnsPolicy:
    """ADD each turn with a date and speaker prefix; optionally append to an open chunk."""

    name = "rag-turns"

    def __init__(self, env: Any, chunk_turns: int = 1):
        if chunk_turns < 1:
            raise ValueError(f"chunk_turns must be >= 1, got {chunk_turns}")
        self.env = env
        self.chunk_turns = chunk_turns
        # speaker -> (entry id of the open chunk, its session, turns in it)
        self._open: dict[str, tuple[str, int, int]] = {}

    def act(self, observation: dict[str, str], info: dict[str, Any]) -> dict[str, Any]:
        fact = self.env.current_fact
        if fact is None:
            return {"op": 3, "target": 0, "text": ""}
        if self.env.fact_index == 0:
            self._open.clear()
        line = f"{fact.speaker}: {fact.text}"
        shown_ids = [m.id for m in self.env.shown]
        chunk = self._open.get(fact.speaker)
        if chunk is not None:
            entry_id, session, count = chunk
            if session == fact.session_index and count < self.chunk_turns and entry_id in shown_ids:
                old = self.env.banks[fact.speaker].get(entry_id)
                text = f"{old.text}\n{line}"
                if len(text) <= 1900:
                    self._open[fact.speaker] = (entry_id, session, count + 1)
                    return {"op": 1, "target": shown_ids.index(entry_id), "text": text}
        bank = self.env.banks.get(fact.speaker)
        if bank is not None and self.chunk_turns > 1:
            self._open[fact.speaker] = (bank.next_id, fact.session_index, 1)
        return {"op": 0, "target": 0, "text": clip(f"[{day_of(fact.date_str)}] {line}")}


def make_rag_turns(chunk_turns: int = 1) -> MemorySystem:
    return MemorySystem(
        "rag-turns",
        lambda env: RagTurnsPolicy(env, chunk_turns),
        fact_source="turns",
        description="raw turns with date and speaker (LoCoMo RAG baseline), no management",
        extra={"chunk_turns": chunk_turns},
    )


register_manager("rag-turns", make_rag_turns)
