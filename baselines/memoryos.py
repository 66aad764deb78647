"""MemoryOS (Kang et al. 2025), offline: short-term pages, mid-term topic segments, a profile.

Every fact is ADDed once, as a *page* ``"[short] (8 May, 2023) <fact>"``; afterwards it only moves
between three tiers, and a move relabels the page (UPDATE of its prefix), so each memory keeps
the provenance of the fact it holds. Per speaker:

- **short-term**: a FIFO of the last ``short_capacity`` (10) pages;
- **mid-term**: when the FIFO overflows, its oldest page moves to a topic segment,
  ``"[mid:seg3] ..."``: it joins the segment holding the page most similar to it (Jaccard of topic
  tokens - value tokens plus attribute classes - at least ``join_threshold``), else opens a new
  one. A segment's heat is ``w_visits * visits + w_length * pages + exp(-(steps since its last
  page) / tau)``; ``visits`` counts retrieval hits;
- **long-term profile**: when a segment's heat reaches ``promote_heat``, its pages that state an
  attribute (city, job, partner, hobby, ... of the keyword table) are promoted, ``"[profile] ..."``;
  a profile page with the same subject and single-valued attribute goes back to its segment.

One step's action is one Mem0-style JSON list: ADD the new page, then UPDATE the relabels. The
environment lets a policy change only the memories it is shown, so a relabel of a page that is not
shown waits in ``pending`` until that page is shown (the tier in the state is already the new one;
retrieval reads tiers from the state). An UPDATE appends the current fact's dia_ids to the page's
provenance (environment semantics); the first id stays the page's own. The bookkeeping lives in
``system.extra["state"]`` (a ``BankRegistry`` of :class:`Tiers`).

Retrieval (``retrieve_fn``, ``k`` per speaker): the short-term pages (all 10 when ``k >= 20``,
else the best ``k // 2``), then the best profile pages (at most half of what is left), then
mid-term pages by BM25 score (ties: hotter segment first); every segment that contributes a page
with a positive score gets a visit.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from baselines._heuristics import (
    SINGLE_VALUED,
    BankRegistry,
    clip,
    day_of,
    decision_of,
    jaccard,
    ops_action,
    read,
)
from memenv.memory import MemoryBank, MemoryEntry
from memenv.parsing import ParsedOp
from memenv.state_codec import state_type
from memenv.systems import MemorySystem, register_manager


@state_type
@dataclass
class Page:
    entry_id: str
    text: str
    """The fact."""
    day: str
    tokens: frozenset[str]

    def label(self, tier: str) -> str:
        return clip(f"[{tier}] ({self.day}) {self.text}")


@state_type
@dataclass
class Segment:
    name: str
    pages: list[Page] = field(default_factory=list)
    visits: int = 0
    last_step: int = 0
    promoted: int = 0
    """Pages already considered for the profile (a prefix of ``pages``)."""


@state_type
@dataclass
class Tiers:
    """The tier bookkeeping of one speaker's bank."""

    short: deque[Page] = field(default_factory=deque)
    segments: list[Segment] = field(default_factory=list)
    mid: dict[str, Segment] = field(default_factory=dict)
    """entry id of a mid-term page -> its segment."""
    profile: dict[str, tuple[str, Segment]] = field(default_factory=dict)
    """entry id of a profile page -> (``subject|attribute`` key or "", its home segment)."""
    pending: dict[str, str] = field(default_factory=dict)
    """entry id -> the text it must get (a relabel waiting for the page to be shown)."""
    step: int = 0


@state_type
@dataclass(frozen=True)
class MemoryOSConfig:
    short_capacity: int = 10
    join_threshold: float = 0.1
    promote_heat: float = 2.5
    w_visits: float = 1.0
    w_length: float = 0.5
    tau: float = 20.0


def heat(segment: Segment, step: int, cfg: MemoryOSConfig) -> float:
    recency = math.exp(-(step - segment.last_step) / cfg.tau)
    return cfg.w_visits * segment.visits + cfg.w_length * len(segment.pages) + recency


class MemoryOSPolicy:
    """ADDs every fact as a short-term page and relabels pages as they change tier."""

    name = "memoryos"

    def __init__(self, env: Any, registry: BankRegistry[Tiers], cfg: MemoryOSConfig):
        self.env = env
        self.registry = registry
        self.cfg = cfg

    def act(self, observation: dict[str, str], info: dict[str, Any]) -> dict[str, Any] | str:
        d = decision_of(observation, info)
        if d is None:
            return {"op": 3, "target": 0, "text": ""}
        page = Page("", d.fact.strip(), day_of(d.date), _topic(d.fact, d.speaker))
        bank = self.env.unwrapped.memory_bank(d.speaker)
        if bank is None:  # a speaker outside the conversation's two: just store the page
            return {"op": 0, "target": 0, "text": page.label("short")}
        tiers = self.registry.for_bank(d.conversation_id or "", d.speaker, bank)
        tiers.step += 1
        page.entry_id = bank.next_id  # the id this ADD gets (a clipped text cannot be rejected)
        tiers.short.append(page)
        if len(tiers.short) > self.cfg.short_capacity:
            old = tiers.short.popleft()
            segment = self._segment_for(tiers, old)
            segment.pages.append(old)
            segment.last_step = tiers.step
            tiers.mid[old.entry_id] = segment
            tiers.pending[old.entry_id] = old.label(f"mid:{segment.name}")
            if heat(segment, tiers.step, self.cfg) >= self.cfg.promote_heat:
                self._promote(tiers, segment, d.speaker)
        ops = [ParsedOp("ADD", None, page.label("short"))]
        for local, shown in enumerate(d.shown):
            text = tiers.pending.pop(shown.id, None)
            if text is not None and text != shown.text:
                ops.append(ParsedOp("UPDATE", str(local), text))
        return ops_action(ops)

    def _segment_for(self, tiers: Tiers, page: Page) -> Segment:
        best, best_sim = None, 0.0
        for segment in tiers.segments:
            sim = max(jaccard(page.tokens, p.tokens) for p in segment.pages)
            if sim >= self.cfg.join_threshold and sim > best_sim:
                best, best_sim = segment, sim
        if best is None:
            best = Segment(f"seg{len(tiers.segments)}", last_step=tiers.step)
            tiers.segments.append(best)
        return best

    @staticmethod
    def _promote(tiers: Tiers, segment: Segment, speaker: str) -> None:
        """Move the segment's attribute statements not yet considered up to the profile."""
        for page in segment.pages[segment.promoted :]:
            if page.entry_id not in tiers.mid:
                continue
            reading = read(page.text, speaker)
            if not reading.attributes:
                continue
            single = sorted(reading.attributes & SINGLE_VALUED)
            key = f"{reading.subject}|{single[0]}" if single else ""
            for other, (other_key, home) in list(tiers.profile.items()):
                if key and other_key == key:  # replaced: back to its segment
                    del tiers.profile[other]
                    tiers.mid[other] = home
                    old = next(p for p in home.pages if p.entry_id == other)
                    tiers.pending[other] = old.label(f"mid:{home.name}")
            del tiers.mid[page.entry_id]
            tiers.profile[page.entry_id] = (key, segment)
            tiers.pending[page.entry_id] = page.label("profile")
        segment.promoted = len(segment.pages)


def _topic(text: str, speaker: str) -> frozenset[str]:
    """Topic tokens: the value tokens plus one ``@class`` token per attribute class, so facts on
    one attribute ("lives in Denver", "moved to Lisbon") land in one segment."""
    reading = read(text, speaker)
    return reading.values | {f"@{a}" for a in reading.attributes}


def retrieve_tiers(
    registry: BankRegistry[Tiers],
    cfg: MemoryOSConfig,
    banks: Mapping[str, MemoryBank],
    speakers: Sequence[str],
    question: str,
    k: int,
    *,
    count_visits: bool = True,
) -> list[list[tuple[MemoryEntry, float]]]:
    """Short-term pages, then profile facts, then mid-term pages (see the module docstring)."""
    out = []
    for speaker in speakers:
        bank = banks[speaker]
        tiers = registry.find(bank)
        scored = bank.top_k(question, len(bank))
        if tiers is None:  # an unknown bank: plain top-k
            out.append(scored[:k])
            continue
        short_ids = {p.entry_id for p in tiers.short}
        short = [(e, s) for e, s in scored if e.id in short_ids][: max(1, k // 2)]
        room = k - len(short)
        profile = [(e, s) for e, s in scored if e.id in tiers.profile][: (room + 1) // 2]
        room -= len(profile)
        mids = [(e, s) for e, s in scored if e.id in tiers.mid]
        mids.sort(key=lambda es: (-round(es[1], 9), -heat(tiers.mid[es[0].id], tiers.step, cfg)))
        mids = mids[: max(room, 0)]
        if count_visits:
            hit = {id(tiers.mid[e.id]): tiers.mid[e.id] for e, s in mids if s > 0}
            for segment in hit.values():
                segment.visits += 1
        picked = short + profile + mids
        picked.sort(key=lambda es: -es[1])
        out.append(picked)
    return out


def _retrieve_from_extra(
    extra: dict[str, Any], banks: Mapping[str, MemoryBank], speakers: Sequence[str], q: str, k: int
) -> list[list[tuple[MemoryEntry, float]]]:
    # Reads extra["state"] at call time: a state restored into ``system.extra`` (a bank cache)
    # is the one used.
    return retrieve_tiers(extra["state"], extra["config"], banks, speakers, q, k)


def make_memoryos(cfg: MemoryOSConfig | None = None) -> MemorySystem:
    extra: dict[str, Any] = {"state": BankRegistry(Tiers), "config": cfg or MemoryOSConfig()}
    return MemorySystem(
        "memoryos",
        lambda env: MemoryOSPolicy(env, extra["state"], extra["config"]),
        retrieve_fn=partial(_retrieve_from_extra, extra),
        description="short-term FIFO, mid-term heat-scored segments, long-term profile (MemoryOS)",
        extra=extra,
    )


register_manager("memoryos", make_memoryos)
