"""Typed records shared by every dataset loader, environment and baseline.

Every loader (LoCoMo, LongMemEval, MSC, synthetic) maps its source format onto these classes, so
the environments never see a dataset's own JSON. Records are frozen: environments and policies
may share them freely without copying.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

OPERATIONS: tuple[str, ...] = ("ADD", "UPDATE", "DELETE", "NOOP")
"""The four memory operations, in the order of the environments' ``op`` index."""


@dataclass(frozen=True)
class Turn:
    """One utterance of a dialogue session."""

    dia_id: str
    """Dialogue id such as ``"D3:14"`` (session 3, turn 14)."""
    speaker: str
    text: str
    image_caption: str | None = None
    """BLIP caption of a shared image (LoCoMo ``blip_caption``), if any."""
    image_url: str | None = None
    image_query: str | None = None
    has_answer: bool | None = None
    """LongMemEval's ``has_answer`` mark of the turn (``None`` where the source has none)."""


@dataclass(frozen=True)
class Session:
    """A dated dialogue session."""

    index: int
    """1-based session number as in the source (``session_<index>``)."""
    date_time: datetime | None
    """Parsed session start, or ``None`` when the source string could not be parsed."""
    date_str: str
    """The source's own date-time string, kept verbatim (e.g. ``"1:56 pm on 8 May, 2023"``)."""
    turns: tuple[Turn, ...]
    source_id: str | None = None
    """The source's own session id (LongMemEval's ``haystack_session_ids`` entry), if any."""


@dataclass(frozen=True)
class Fact:
    """A unit of information the Memory Manager processes: one extracted fact or one raw turn."""

    text: str
    speaker: str
    """Whose bank the fact belongs to."""
    session_index: int
    date_str: str
    date_time: datetime | None
    source_ids: tuple[str, ...]
    """Dialogue ids the fact was extracted from (provenance)."""
    ideal_op: str | None = None
    """Synthetic data only: the ideal operation (one of ``OPERATIONS``)."""
    ideal_target: str | None = None
    """Synthetic data only: for UPDATE/DELETE, the first source dia_id of the fact that created
    the memory to change (so a policy finds it through the memory's provenance)."""


@dataclass(frozen=True)
class QA:
    """A question about a conversation, with its gold answer and evidence."""

    id: str
    """Unique within the dataset, e.g. ``"conv-26/q12"``."""
    question: str
    answer: str
    """Gold answer as a string (LoCoMo ints such as 2022 become ``"2022"``; empty when absent)."""
    evidence: tuple[str, ...]
    """Parsed evidence dia_ids (only well-formed ids of turns that exist)."""
    category: int
    adversarial_answer: str | None = None
    question_date: str | None = None
    """When the question is asked (LongMemEval's ``question_date``); ``None`` means after the
    last session."""
    raw_evidence: tuple[str, ...] = ()
    """The evidence strings exactly as in the source, before parsing."""
    category_name: str | None = None
    """Dataset-specific type name where the dataset has one (e.g. LongMemEval's question_type)."""
    dataset: str = "locomo"
    """The dataset the question comes from (``locomo``, ``synth``, ``longmemeval``, ``msc``): it
    decides the scoring rules (:func:`memenv.metrics.score_answer`) and the judge's rules."""
    abstention: bool = False
    """LongMemEval: an abstention question (``_abs`` in its id), which cannot be answered from the
    history; it keeps its question type as ``category``/``category_name``."""
    wide_evidence: tuple[str, ...] = ()
    """LongMemEval: a wider evidence set than ``evidence`` (the official retrieval targets): every
    turn marked ``has_answer`` (either role, any session), or, when no turn is marked, every turn
    of the sessions named in ``answer_session_ids``. Empty for the other datasets."""


@dataclass(frozen=True)
class Conversation:
    """A long multi-session dialogue between two speakers, with its questions and facts."""

    id: str
    speakers: tuple[str, str]
    sessions: tuple[Session, ...]
    qa: tuple[QA, ...]
    facts: tuple[Fact, ...] = ()
    """Extracted facts in time order (LoCoMo ``observation``); empty when the source has none."""
    session_summaries: dict[int, str] = field(default_factory=dict)
    dataset: str = "locomo"
    metadata: dict[str, Any] = field(default_factory=dict)
    """Source fields the records have no place for, kept verbatim (JSON values), e.g. MSC's
    ``init_personas``, per-session personas and time gaps."""

    @property
    def turns(self) -> tuple[Turn, ...]:
        return tuple(t for s in self.sessions for t in s.turns)

    def turn_ids(self) -> frozenset[str]:
        return frozenset(t.dia_id for s in self.sessions for t in s.turns)
