"""A-Mem (Xu et al. 2025), offline: every fact becomes a note with keywords, tags and links.

Each fact is ADDed as ``"<fact> | keywords: a, b, c | tags: city, job"``: keywords are the fact's
value tokens then its other content words (at most ``n_keywords``; names, generic attribute words
and time words left out), tags its attribute classes from the shared keyword table (``general``
when none). At insertion the note is linked to the (at most) ``n_links`` nearest existing notes of
the same bank (BM25 through ``bank.top_k`` with the note's keywords and tags as the query,
positive scores only), in both directions. Nothing is deleted or rewritten (A-Mem's
note evolution is left out).

Links live in the :class:`MemorySystem`'s state (``system.extra["state"]``, a ``BankRegistry``
keyed by bank), written by the policy and read by ``retrieve_fn``: the top ``k`` notes by BM25,
plus the links of the ``expand_top`` best notes, each linked note scored just below the note that
links it (``score - eps * rank``); duplicates keep their best score, and ``k`` notes are kept per
speaker.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

from baselines._heuristics import (
    NEUTRAL,
    TIME_WORDS,
    BankRegistry,
    Decision,
    clip,
    content_tokens,
    decision_of,
    read,
)
from memenv.memory import MemoryBank, MemoryEntry
from memenv.systems import MemorySystem, register_manager

Links = dict[str, list[str]]
"""entry id -> linked entry ids (creation links first, then notes that linked to it later)."""


def keywords_and_tags(fact_text: str, speaker: str, n_keywords: int = 5) -> tuple[list, list]:
    """A note's keywords (value tokens, then other content words that are neither names, generic
    attribute words nor time words) and tags (attribute classes, ``general`` when none)."""
    reading = read(fact_text, speaker)
    skip = set(content_tokens(reading.subject)) | set(content_tokens(speaker)) | NEUTRAL
    tokens = content_tokens(fact_text)
    ordered = [t for t in tokens if t in reading.values]
    ordered += [t for t in tokens if t not in skip and t not in TIME_WORDS and not t.isdigit()]
    keywords = list(dict.fromkeys(ordered))[:n_keywords]
    return keywords, sorted(reading.attributes) or ["general"]


def note_text(fact_text: str, keywords: list[str], tags: list[str]) -> str:
    """The note for a fact: the fact, its keywords and its tags."""
    suffix = f" | keywords: {', '.join(keywords)} | tags: {', '.join(tags)}"
    return clip(fact_text.strip(), 1900 - len(suffix)) + suffix


class AMemPolicy:
    """ADD every fact as a note and record its links in the shared registry."""

    name = "a-mem"

    def __init__(
        self, env: Any, registry: BankRegistry[Links], n_links: int = 5, n_keywords: int = 5
    ):
        self.env = env
        self.registry = registry
        self.n_links = n_links
        self.n_keywords = n_keywords

    def act(self, observation: dict[str, str], info: dict[str, Any]) -> dict[str, Any]:
        d = decision_of(observation, info)
        if d is None:
            return {"op": 3, "target": 0, "text": ""}
        keywords, tags = keywords_and_tags(d.fact, d.speaker, self.n_keywords)
        text = note_text(d.fact, keywords, tags)
        self.link_next_note(d, keywords, tags)
        return {"op": 0, "target": 0, "text": text}

    def link_next_note(self, d: Decision, keywords: list[str], tags: list[str]) -> None:
        """Record the links of the note that the next ADD of ``d.speaker`` creates."""
        bank = self.env.unwrapped.memory_bank(d.speaker)
        if bank is not None:
            links = self.registry.for_bank(d.conversation_id or "", d.speaker, bank)
            new_id = bank.next_id  # the id this ADD gets (ADD of a clipped text cannot fail)
            # Nearest by the note's keywords and tags: the full fact would match every note of
            # the speaker on the name alone.
            query = " ".join(keywords + [t for t in tags if t != "general"])
            near = [e.id for e, score in bank.top_k(query, self.n_links) if score > 0]
            links[new_id] = list(near)
            for other in near:
                links.setdefault(other, []).append(new_id)


def retrieve_linked(
    registry: BankRegistry[Links],
    banks: Mapping[str, MemoryBank],
    speakers: Sequence[str],
    question: str,
    k: int,
    *,
    expand_top: int = 5,
    links_per_note: int = 5,
    eps: float = 1e-3,
) -> list[list[tuple[MemoryEntry, float]]]:
    """A-Mem's retrieval: top-k notes plus the notes linked to the best of them (k per speaker)."""
    out = []
    for speaker in speakers:
        bank = banks[speaker]
        ranked = bank.top_k(question, k)
        links = registry.find(bank) or {}
        offers: list[tuple[MemoryEntry, float]] = []
        for rank, (entry, score) in enumerate(ranked):
            offers.append((entry, score))
            if rank < expand_top:
                for j, linked_id in enumerate(links.get(entry.id, [])[:links_per_note]):
                    linked = bank.get(linked_id)
                    if linked is not None:
                        offers.append((linked, score - eps * (j + 1)))
        best: dict[str, tuple[float, int, MemoryEntry]] = {}  # id -> (best score, order, entry)
        for entry, score in offers:
            if entry.id not in best or score > best[entry.id][0]:
                order = best[entry.id][1] if entry.id in best else len(best)
                best[entry.id] = (score, order, entry)
        kept = sorted(best.values(), key=lambda t: (-t[0], t[1]))[:k]
        out.append([(entry, score) for score, _, entry in kept])
    return out


def _retrieve_from_extra(
    extra: dict[str, Any], banks: Mapping[str, MemoryBank], speakers: Sequence[str], q: str, k: int
) -> list[list[tuple[MemoryEntry, float]]]:
    # Reads extra["state"] at call time: a state restored into ``system.extra`` (a bank cache)
    # is the one used.
    return retrieve_linked(extra["state"], banks, speakers, q, k, expand_top=extra["expand_top"])


def make_a_mem(n_links: int = 5, n_keywords: int = 5, expand_top: int = 5) -> MemorySystem:
    registry: BankRegistry[Links] = BankRegistry(dict)
    extra = {"state": registry, "n_links": n_links, "expand_top": expand_top}
    return MemorySystem(
        "a-mem",
        lambda env: AMemPolicy(env, extra["state"], n_links, n_keywords),
        retrieve_fn=partial(_retrieve_from_extra, extra),
        description="notes with keywords, tags and links to the 5 nearest notes (A-Mem)",
        extra=extra,
    )


register_manager("a-mem", make_a_mem)
