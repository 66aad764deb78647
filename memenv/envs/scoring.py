"""How the Memory Manager environment scores banks: a frozen reader answers questions.

One :class:`EpisodeScorer` per episode (conversation). It retrieves each question's memories
(``memories_per_speaker`` per speaker, best first, optionally cut to a token budget), caches the
retrieval while a bank is unchanged and the reader's score while the retrieved memories are, and
gives:

- :meth:`recall`: the evidence recall of the retrieved memories, crediting a memory with a
  source turn only while its text still carries that turn's fact (so piling facts into one
  memory whose text keeps only the last of them earns nothing);
- :meth:`mean_score`: the reader's mean score (EM, F1, ...) over some questions;
- :meth:`potential`: the shaping potential after ``t`` facts: the reader's score summed over the
  questions whose evidence has appeared by then, divided by the number of questions of the
  conversation. After the last fact every question counts, so the potential equals the episode
  outcome, and per-step differences of it sum to the outcome.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from memenv.data.records import QA, Conversation, Fact
from memenv.envs.question_memory import AnswerFn, merged_by_score
from memenv.memory import MemoryBank, MemoryEntry
from memenv.memory.tokenize import tokenize
from memenv.metrics import score_answer

SCORE_CACHE_SIZE = 100_000
"""Reader scores kept per conversation, keyed by question and retrieved memories (the reader
is deterministic, so a score holds across steps and episodes)."""
SURVIVAL_SHARE = 0.5
"""A memory carries a fact when it holds at least this share of the fact's content words."""


def turn_positions(conversation: Conversation) -> dict[str, tuple[int, int]]:
    """dia_id -> (session position, turn position) in dialogue order."""
    return {
        turn.dia_id: (s, t)
        for s, session in enumerate(conversation.sessions)
        for t, turn in enumerate(session.turns)
    }


def appearance_steps(
    conversation: Conversation, facts: Sequence[Fact], questions: Sequence[QA]
) -> list[int]:
    """For each question, the number of facts after which all its evidence has been said.

    A fact is placed at its latest source turn (or the start of its session); a question whose
    evidence lies after the last fact, or that has no evidence, appears only at the end.
    """
    where = turn_positions(conversation)
    fact_pos = []
    for fact in facts:
        known = [where[d] for d in fact.source_ids if d in where]
        fact_pos.append(max(known) if known else (fact.session_index, -1))
    end = len(facts)
    steps = []
    for qa in questions:
        known = [where[d] for d in qa.evidence if d in where]
        if not known:
            steps.append(end)
            continue
        last = max(known)
        # the first fact at or after the last evidence turn: all evidence is said before it
        step = next((i + 1 for i, pos in enumerate(fact_pos) if pos >= last), end)
        steps.append(step)
    return steps


def truncate_to_budget(memories: list[MemoryEntry], budget: int | None) -> list[MemoryEntry]:
    """The best-first memories that fit in ``budget`` whitespace tokens (all of them if None)."""
    if budget is None:
        return memories
    kept, used = [], 0
    for memory in memories:
        used += len(memory.text.split())
        if used > budget:
            break
        kept.append(memory)
    return kept


class EpisodeScorer:
    """Scores of one conversation's questions against the banks of one episode."""

    def __init__(
        self,
        conversation: Conversation,
        facts: Sequence[Fact],
        *,
        memories_per_speaker: int,
        answer_fn: AnswerFn,
        metric: str,
        token_budget: int | None = None,
    ):
        self.conversation = conversation
        self.questions = list(conversation.qa)
        self.k = memories_per_speaker
        self.answer_fn = answer_fn
        self.metric = metric
        self.token_budget = token_budget
        self.appears = appearance_steps(conversation, facts, self.questions)
        self._fact_tokens: dict[str, list[frozenset[str]]] = {}
        for fact in facts:
            tokens = frozenset(tokenize(fact.text))
            for dia_id in fact.source_ids:
                self._fact_tokens.setdefault(dia_id, []).append(tokens)
        self._retrieved: dict[tuple[str, str], tuple[MemoryBank, int, list]] = {}
        self._scores: dict[tuple[str, tuple[MemoryEntry, ...]], float] = {}
        self._carried: dict[tuple[str, str], frozenset[str]] = {}

    def reset_caches(self) -> None:
        """Forget cached retrievals (new bank objects after a reset or a restore)."""
        self._retrieved.clear()

    # ------------------------------------------------------------------ retrieval
    def memories(self, qa: QA, banks: Mapping[str, MemoryBank]) -> list[MemoryEntry]:
        """The question's retrieved memories, best first, within the token budget."""
        per_speaker = []
        for speaker, bank in banks.items():
            key = (speaker, qa.id)
            hit = self._retrieved.get(key)
            if hit is not None and hit[0] is bank and hit[1] == bank.version:
                per_speaker.append(hit[2])
                continue
            ranked = bank.top_k(qa.question, self.k)
            if type(bank) is MemoryBank:  # subclasses may rank with state of their own
                self._retrieved[key] = (bank, bank.version, ranked)
            per_speaker.append(ranked)
        return truncate_to_budget(merged_by_score(per_speaker), self.token_budget)

    # ------------------------------------------------------------------ scores
    def score(self, qa: QA, banks: Mapping[str, MemoryBank]) -> float:
        """The reader's ``metric`` on ``qa`` (cached while its memories are unchanged)."""
        key = (qa.id, tuple(self.memories(qa, banks)))
        hit = self._scores.get(key)
        if hit is not None:
            return hit
        if len(self._scores) >= SCORE_CACHE_SIZE:
            self._scores.clear()
        value = float(score_answer(self.answer_fn(qa, list(key[1])), qa)[self.metric])
        self._scores[key] = value
        return value

    def mean_score(self, questions: Sequence[QA], banks: Mapping[str, MemoryBank]) -> float:
        if not questions:
            return 0.0
        return sum(self.score(qa, banks) for qa in questions) / len(questions)

    def outcome(self, banks: Mapping[str, MemoryBank]) -> float:
        """The episode outcome: the mean score over every question of the conversation."""
        return self.mean_score(self.questions, banks)

    def question_scores(self, banks: Mapping[str, MemoryBank]) -> dict[str, float]:
        """Every question's score (id -> score), as the outcome averages them."""
        return {qa.id: self.score(qa, banks) for qa in self.questions}

    def potential(self, t: int, banks: Mapping[str, MemoryBank]) -> float:
        """Shaping potential after ``t`` facts (see the module docstring)."""
        if not self.questions:
            return 0.0
        total = sum(
            self.score(qa, banks)
            for qa, step in zip(self.questions, self.appears, strict=True)
            if step <= t
        )
        return total / len(self.questions)

    # ------------------------------------------------------------------ recall
    def carried_sources(self, memory: MemoryEntry) -> frozenset[str]:
        """The provenance dia_ids whose fact the memory's text still carries."""
        key = (memory.id, memory.text)
        hit = self._carried.get(key)
        if hit is not None:
            return hit
        words = set(tokenize(memory.text))
        carried = set()
        for dia_id in memory.provenance:
            for tokens in self._fact_tokens.get(dia_id, ()):
                if not tokens or len(tokens & words) >= SURVIVAL_SHARE * len(tokens):
                    carried.add(dia_id)
                    break
            else:
                if dia_id not in self._fact_tokens:  # not from this episode's facts: trust it
                    carried.add(dia_id)
        out = frozenset(carried)
        self._carried[key] = out
        return out

    def recall(self, qa: QA, banks: Mapping[str, MemoryBank]) -> float:
        """Share of the question's evidence turns carried by its retrieved memories (0 when it
        has no evidence)."""
        if not qa.evidence:
            return 0.0
        plain = self._whole_banks(banks)
        if plain is not None:
            found = sum(1 for e in qa.evidence if self._carried_by_some(e, plain))
            return found / len(qa.evidence)
        covered: set[str] = set()
        for memory in self.memories(qa, banks):
            covered |= self.carried_sources(memory)
        return sum(1 for e in qa.evidence if e in covered) / len(qa.evidence)

    def _whole_banks(self, banks: Mapping[str, MemoryBank]) -> list[MemoryBank] | None:
        """The banks, when retrieval returns each of them whole: no token budget and no bank
        above ``k`` memories, so the ranking cannot change which memories a question gets and
        recall is the same for any query. ``None`` when that does not hold, or a bank subclass
        ranks with state of its own."""
        if self.token_budget is not None or self.k <= 0:
            return None
        out = []
        for bank in banks.values():
            if type(bank) is not MemoryBank or len(bank) > self.k:
                return None
            out.append(bank)
        return out

    def _carried_by_some(self, dia_id: str, banks: list[MemoryBank]) -> bool:
        """Whether a memory citing ``dia_id`` in some bank still carries its fact."""
        for bank in banks:
            for memory in bank.citing(dia_id):
                if dia_id in self.carried_sources(memory):
                    return True
        return False

    def mean_recall(self, questions: Sequence[QA], banks: Mapping[str, MemoryBank]) -> float:
        if not questions:
            return 0.0
        return sum(self.recall(qa, banks) for qa in questions) / len(questions)


class AnswererFn:
    """An :data:`AnswerFn` from an answerer object (``answer(question, date, memories)``);
    ``question_date(qa)`` supplies the date. A class rather than a closure, so environments
    holding one pickle (async vector envs, copies)."""

    def __init__(self, answerer: Any, question_date: Callable[[QA], str]):
        self.answerer = answerer
        self.question_date = question_date

    def __call__(self, qa: QA, memories: Sequence[MemoryEntry]) -> str:
        return str(self.answerer.answer(qa.question, self.question_date(qa), list(memories))[0])
