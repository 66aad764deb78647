"""The Memory Manager environment: build a memory bank from a long dialogue, fact by fact."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from gymnasium import spaces

from memenv.data.records import QA, Conversation, Fact
from memenv.envs.common import (
    MemoryEnvBase,
    check_choice,
    check_positive_int,
    common_args,
    renamed_kwarg,
)
from memenv.envs.fact_sources import FactExtractor, resolve_facts
from memenv.envs.question_memory import AnswerFn, top_memory_answer
from memenv.envs.scoring import AnswererFn, EpisodeScorer
from memenv.memory import BankSnapshot, MemoryBank, MemoryEntry, OpResult
from memenv.memory.bank import BANK_FULL
from memenv.metrics import check_metric, check_reward
from memenv.parsing import ParsedOp, parse_manager_action
from memenv.prompts import manager_observation_texts
from memenv.spaces import TextActionDict, UnicodeText

REWARDS = ("recall", "answer", "outcome", "none")
SHAPINGS = (None, "potential")
MAX_TEXT = 4000
MAX_PROMPT = 200_000


@dataclass
class _Episode:
    """Everything an episode needs about its conversation, computed once per conversation."""

    conversation: Conversation
    facts: list[Fact]
    linked: list[list[QA]]
    """For each fact, the questions whose evidence includes one of its source ids."""
    scorer: EpisodeScorer
    plan: _OraclePlan | None
    """The look-ahead of the ``oracle`` reference (synthetic data with ideal operations)."""


@dataclass
class _OraclePlan:
    """Which memory chain each fact belongs to, and which chains a question needs at the end.

    A chain is the life of one ideal memory: the fact that ADDs it, then the facts that UPDATE
    or DELETE it (their ideal target is the chain's first dia_id).
    """

    chain: list[str | None]
    """Per fact: its chain's first dia_id (None for ideal NOOPs)."""
    dia_ids: dict[str, set[str]]
    """Chain -> every source dia_id of its facts (how its memory is recognised in a bank)."""
    needed: set[str]
    """Chains alive after the last fact whose facts some question's evidence names."""


def _oracle_plan(conversation: Conversation, facts: Sequence[Fact]) -> _OraclePlan | None:
    if not facts or any(f.ideal_op is None for f in facts):
        return None
    chain: list[str | None] = []
    dia_ids: dict[str, set[str]] = {}
    alive: dict[str, bool] = {}
    for fact in facts:
        if fact.ideal_op == "ADD":
            name = fact.source_ids[0] if fact.source_ids else f"fact{len(chain)}"
            alive[name] = True
        elif fact.ideal_op in ("UPDATE", "DELETE") and fact.ideal_target is not None:
            name = fact.ideal_target
            alive[name] = fact.ideal_op == "UPDATE"
        else:
            chain.append(None)
            continue
        chain.append(name)
        dia_ids.setdefault(name, set()).update(fact.source_ids)
    evidence = {dia for qa in conversation.qa for dia in qa.evidence}
    needed = {c for c, ids in dia_ids.items() if alive.get(c) and ids & evidence}
    return _OraclePlan(chain, dia_ids, needed)


@dataclass(frozen=True)
class ManagerState:
    """A MemoryManager episode's state (see ``MemoryManagerEnv.get_state``); picklable."""

    conversation_index: int
    fact_index: int
    banks: dict[str, BankSnapshot]


def _link_questions(conversation: Conversation, facts: Sequence[Fact]) -> list[list[QA]]:
    by_turn: dict[str, list[QA]] = {}
    for qa in conversation.qa:
        for dia_id in qa.evidence:
            by_turn.setdefault(dia_id, []).append(qa)
    linked = []
    for fact in facts:
        seen: dict[str, QA] = {}
        for dia_id in fact.source_ids:
            for qa in by_turn.get(dia_id, ()):
                seen.setdefault(qa.id, qa)
        linked.append(list(seen.values()))
    return linked


class MemoryManagerEnv(MemoryEnvBase):
    """
    ## Description

    The Memory Manager task of Memory-R1 (arXiv 2508.19828). An episode is one long multi-session
    conversation. Its facts (LoCoMo's extracted ``observation`` facts by default, or the raw
    turns, or the output of any extractor) arrive one per step in time order. For each new fact the
    agent sees the most related memories of that speaker's bank and chooses an operation: ADD a
    new memory, UPDATE one of the shown memories, DELETE one, or do nothing (NOOP). The memory
    banks, one per speaker, are the environment's state; they are what an answer agent later
    reads to answer questions about the conversation.

    ```python
    import gymnasium as gym
    import memenv

    env = gym.make("MemoryManager-Synth-Medium-v0")  # bank of 8, reader sees 3 per speaker
    obs, info = env.reset(seed=0)
    obs, reward, terminated, truncated, info = env.step("UPDATE 0")
    ```

    ## Action Space

    ``Dict(op=Discrete(4), target=Discrete(top_k), text=UnicodeText(4000))``:

    - ``op``: 0 ADD, 1 UPDATE, 2 DELETE, 3 NOOP (the names are accepted too);
    - ``target``: the local id of a shown memory (UPDATE and DELETE);
    - ``text``: the memory text for ADD and UPDATE; empty means "the new fact's text".

    ``step`` also takes a raw LLM output string: the compact one-line form ``ADD``, ``NOOP``,
    ``UPDATE 2``, ``DELETE 0`` (optionally ``UPDATE 2: <new text>``), or Mem0's update format
    ``{"memory": [{"id": "0", "text": "...", "event": "UPDATE", "old_memory": "..."}]}``, every
    operation of which is applied in order (ids are the local ids shown in the observation).

    ## Observation Space

    A ``Dict`` of ``UnicodeText`` fields: ``fact`` (the new fact), ``speaker``, ``date`` (session
    date), ``source_ids`` (comma-separated dia_ids), ``memories`` (JSON list of the shown memories,
    ``[{"id": "0", "text": ...}, ...]``, at most ``top_k``, most related first), ``bank`` (how
    full the speaker's bank is: ``"5/8"`` with a capacity, else ``"5"``) and ``prompt`` (the
    whole decision rendered for an LLM). After the last fact every field is empty.

    ## Rewards

    A frozen reader answers questions from the memories retrieved for each of them:
    ``memories_per_speaker`` per speaker (30 as in the paper), best first, cut to
    ``memory_token_budget`` whitespace tokens when that is set. ``reward`` picks what is scored:

    - ``"outcome"`` (the episode-level reward of the graded tasks): after the last fact, the
      reader (``answerer``, default ``"extractive"``) answers every question of the conversation
      from the final banks; the last step's reward is their mean ``reward_metric`` (EM by
      default), also given as ``info["outcome_score"]``. Other steps get 0. With
      ``shaping="potential"`` each step instead gets the change of a potential: the reader's
      score summed over the questions whose evidence has already been said, divided by the
      number of questions. After the last fact every question counts, so the potential equals
      the outcome and the rewards of an episode sum to it exactly (penalties aside): this is
      potential-based shaping (Ng et al., 1999), which leaves the optimal policy unchanged.
    - ``"recall"`` (default, no reader): for the questions whose evidence includes the fact's
      dia_ids, the mean share of their evidence turns carried by the retrieved memories after
      the operation. A memory carries a turn only while its text still holds at least half of
      the content words of that turn's fact, so merging facts into a memory whose text keeps
      only the last one earns no credit for the others.
    - ``"answer"`` (Memory-R1's one-step reward): the reader (default: the text of the best
      memory; ``answerer="extractive"`` for a real one) answers the questions linked to the
      fact right after the operation; the reward is their mean ``reward_metric``; any name of
      :data:`memenv.metrics.METRICS`, scored by the rules of the question's dataset.
    - ``"none"``: always 0 (for building banks fast).

    With ``terminal_reward=True`` the last step of ``"recall"`` / ``"answer"`` also gets the same
    score over all questions (``info["terminal_score"]``). An invalid action (unparseable
    output, unknown target, rejected operation such as an ADD into a full bank) is applied as a
    no-op (the valid operations of a multi-operation output still apply), flagged in
    ``info["invalid_action"]`` and costs ``invalid_penalty``.

    ## Starting State

    Empty banks for both speakers of a conversation drawn with the environment's seeded
    generator (or named by the reset option ``{"conversation": id_or_index}``).

    ## Episode End

    Terminates after the last fact of the conversation. No truncation (wrap with ``TimeLimit`` if
    needed).

    ## Information

    ``conversation_id``, ``fact_index``, ``num_facts``, ``shown_memory_ids`` (bank ids of the
    shown memories), ``shown_memories`` (the shown ``MemoryEntry`` records), ``shown_scores``
    (their retrieval scores), ``bank_sizes``; after a step also ``invalid_action`` (why the
    action was invalid, ``""`` if it was not), ``bank_full`` (an ADD was rejected because the
    bank is at capacity), ``applied_ops``, ``op_results``, ``linked_questions`` and, on the last
    step, ``outcome_score`` (with ``question_scores``, each question's score) /
    ``terminal_score``. Hooks for reference policies and memory
    systems: ``memory_bank(speaker)``, ``ideal_action()``, ``oracle_action()``,
    ``get_state()`` / ``set_state(state)`` (start a group of rollouts from one state).

    ## Arguments

    - ``dataset``: ``"synth"`` (default, embedded), ``"locomo"``, ``"longmemeval"``, ``"msc"``.
    - ``data_path``: the dataset file (LoCoMo: downloaded and cached when omitted).
    - ``split``: ``"train"``, ``"val"``, ``"test"`` or ``"all"`` (Memory-R1's split for LoCoMo).
    - ``conversations``: records to use instead of loading ``dataset``.
    - ``fact_source``: ``"observation"``, ``"turns"``, ``"auto"`` (default) or an extractor.
    - ``reward``, ``reward_metric`` (``"em"``, ``"f1"``, ``"f1_mem0"``, ``"bleu1"``),
      ``answerer`` (a name of ``memenv.answerers``, e.g. ``"extractive"`` or
      ``"extractive-no-recency"``, or any object with ``answer(question, date, memories)``),
      ``answer_fn`` (a function ``(qa, memories) -> answer`` instead), ``shaping``,
      ``terminal_reward``: see Rewards.
    - ``top_k``: memories shown per step (default 5, as Mem0). ``memories_per_speaker``:
      memories per speaker retrieved for a question (default 30, as the paper; ``answer_top_k``
      is its deprecated name). ``memory_token_budget``: the most whitespace tokens of memories
      the reader sees per question (default None: no limit).
    - ``capacity``: the most memories a speaker's bank holds (default None: unbounded); an ADD
      into a full bank is rejected (an invalid action; ``info["bank_full"]``).
    - ``invalid_penalty``: subtracted for an invalid action (default 0.1).
    - ``retriever`` (``"bm25"``, ``"dense"`` or ``"dense-ivf"``), ``max_text_chars``: bank settings.
    - ``include_adversarial``: keep LoCoMo category-5 questions (default False).
    - ``synth_kwargs``: generator knobs for ``dataset="synth"`` (see
      ``memenv.data.synthetic.generate_locomo_item``; ``n`` sets conversations per split).
    - ``render_mode``: ``"ansi"`` or None.

    ## Version History

    - v0: initial release. Later additions keep the v0 ids' meaning: the ``bank`` observation
      field, the ``outcome`` reward and its shaping, ``answerer`` and ``memory_token_budget``,
      recall credited only for facts a memory's text still carries, the graded ids
      ``MemoryManager-Synth-{Easy,Medium,Hard}-v0`` and ``MemoryManager-LoCoMo-Capacity-v0``.
    """

    def __init__(
        self,
        dataset: str = "synth",
        *,
        data_path: str | None = None,
        split: str = "train",
        conversations: Sequence[Conversation] | None = None,
        fact_source: str | FactExtractor = "auto",
        reward: str = "recall",
        reward_metric: str = "em",
        answerer: str | Any | None = None,
        answer_fn: AnswerFn | None = None,
        shaping: str | None = None,
        terminal_reward: bool = False,
        top_k: int = 5,
        memories_per_speaker: int = 30,
        memory_token_budget: int | None = None,
        invalid_penalty: float = 0.1,
        capacity: int | None = None,
        retriever: str = "bm25",
        max_text_chars: int = 2000,
        include_adversarial: bool = False,
        synth_kwargs: Mapping[str, Any] | None = None,
        render_mode: str | None = None,
        answer_top_k: int | None = None,
    ):
        memories_per_speaker = renamed_kwarg(
            "MemoryManagerEnv",
            "answer_top_k",
            answer_top_k,
            "memories_per_speaker",
            memories_per_speaker,
        )
        self.reward_kind = check_choice("reward", reward, REWARDS)
        check_metric(reward_metric, "reward_metric")
        self.reward_metric = reward_metric
        self.shaping = check_choice("shaping", shaping, SHAPINGS)
        if shaping is not None and reward != "outcome":
            raise ValueError(f"shaping={shaping!r} shapes the 'outcome' reward, not {reward!r}")
        self.top_k = check_positive_int("top_k", top_k)
        self.memories_per_speaker = check_positive_int("memories_per_speaker", memories_per_speaker)
        if memory_token_budget is not None:
            check_positive_int("memory_token_budget", memory_token_budget)
        self.memory_token_budget = memory_token_budget
        super().__init__(**common_args(locals()))
        if reward in ("answer", "outcome"):
            questions = (qa for c in self.conversations for qa in c.qa)
            check_reward(reward_metric, questions, "reward_metric")
        self.answer_fn: AnswerFn = self._reader(answerer, answer_fn, reward)
        self.terminal_reward = terminal_reward
        self.invalid_penalty = float(invalid_penalty)

        text = UnicodeText(MAX_TEXT)
        self.observation_space = spaces.Dict(
            {
                "fact": text,
                "speaker": UnicodeText(200),
                "date": UnicodeText(200),
                "source_ids": UnicodeText(MAX_TEXT),
                "memories": UnicodeText(MAX_PROMPT),
                "bank": UnicodeText(200),
                "prompt": UnicodeText(MAX_PROMPT),
            }
        )
        self.action_space = TextActionDict(
            {"op": spaces.Discrete(4), "target": spaces.Discrete(top_k), "text": text}
        )
        self._episodes: dict[int, _Episode] = {}
        self._episode: _Episode | None = None
        self.banks: dict[str, MemoryBank] = {}
        self.fact_index = 0
        self.shown: list[MemoryEntry] = []
        self.shown_scores: list[float] = []
        self._last_ops: list[OpResult] = []
        self._last_reward, self._last_invalid = 0.0, ""
        self._potential = 0.0
        self.render_text = True
        """False skips rendering the text observation (every field ""): for wrappers that
        read ``shown`` / ``shown_scores`` instead (the featurized view). Rewards and info are
        unchanged."""

    def _reader(self, answerer: str | Any | None, answer_fn: AnswerFn | None, reward: str):
        """The frozen reader of the ``answer`` and ``outcome`` rewards, as an AnswerFn."""
        if answerer is not None and answer_fn is not None:
            raise ValueError("pass answerer= or answer_fn=, not both")
        if answer_fn is not None:
            return answer_fn
        if answerer is None:
            if reward != "outcome":
                return top_memory_answer
            answerer = "extractive"
        if isinstance(answerer, str):
            from memenv.answerers import make_answerer

            answerer = make_answerer(answerer)
        if not callable(getattr(answerer, "answer", None)):
            raise TypeError(
                f"answerer must be a name or have answer(question, date, memories), "
                f"got {type(answerer).__name__}"
            )
        return AnswererFn(answerer, self._question_date)

    def _question_date(self, qa: QA) -> str:
        if qa.question_date:
            return qa.question_date
        sessions = self._episode.conversation.sessions if self._episode else ()
        return sessions[-1].date_str if sessions else ""

    # ------------------------------------------------------------------ episode data
    def _episode_for(self, index: int) -> _Episode:
        if index not in self._episodes:
            conversation = self.conversations[index]
            facts = resolve_facts(self.fact_source, conversation)
            scorer = EpisodeScorer(
                conversation,
                facts,
                memories_per_speaker=self.memories_per_speaker,
                answer_fn=self.answer_fn,
                metric=self.reward_metric,
                token_budget=self.memory_token_budget,
            )
            self._episodes[index] = _Episode(
                conversation,
                facts,
                _link_questions(conversation, facts),
                scorer,
                _oracle_plan(conversation, facts),
            )
        return self._episodes[index]

    def _conversation_index(self, choice: Any) -> int:
        if isinstance(choice, int | np.integer) and not isinstance(choice, bool):
            if 0 <= choice < len(self.conversations):
                return int(choice)
            last = len(self.conversations) - 1
            raise ValueError(f"reset option conversation={choice} is out of range 0..{last}")
        for i, conversation in enumerate(self.conversations):
            if conversation.id == choice:
                return i
        known = ", ".join(c.id for c in self.conversations[:10])
        raise ValueError(f"reset option conversation={choice!r} not found (known: {known}, ...)")

    @property
    def conversation(self) -> Conversation:
        if self._episode is None:
            raise RuntimeError("call reset() first")
        return self._episode.conversation

    @property
    def facts(self) -> list[Fact]:
        if self._episode is None:
            raise RuntimeError("call reset() first")
        return self._episode.facts

    @property
    def current_fact(self) -> Fact | None:
        facts = self.facts
        return facts[self.fact_index] if self.fact_index < len(facts) else None

    # ------------------------------------------------------------------ gym API
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        options = options or {}
        if "conversation" in options:
            index = self._conversation_index(options["conversation"])
        else:
            index = int(self.np_random.integers(len(self.conversations)))
        self._episode = self._episode_for(index)
        conversation = self._episode.conversation
        self.banks = {speaker: self.new_bank(speaker) for speaker in conversation.speakers}
        self.fact_index = 0
        self._last_ops = []
        self._potential = 0.0
        self._episode.scorer.reset_caches()
        return self._observation(), self._info()

    def step(self, action: Any):
        if self._episode is None:
            raise RuntimeError("call reset() before step()")
        fact = self.current_fact
        if fact is None:
            raise RuntimeError("episode is over: call reset()")
        bank = self._bank_for(fact)
        ops, error = parse_manager_action(action)
        results, rejected = self._apply(ops, bank, fact)
        invalid = "; ".join([m for m in (error, *rejected) if m]) if rejected else error
        self._last_ops = results

        linked = self._episode.linked[self.fact_index]
        reward = self._score_questions(linked) if linked else 0.0
        self.fact_index += 1
        terminated = self.fact_index >= len(self._episode.facts)
        outcome = None
        if self.reward_kind == "outcome":
            if self.shaping == "potential":
                before, self._potential = self._potential, self._shaping_potential()
                reward = self._potential - before
                outcome = self._potential if terminated else None
            elif terminated:
                outcome = reward = self._episode.scorer.outcome(self.banks)
        if invalid:
            reward -= self.invalid_penalty
        obs = self._observation()  # before info: info names the memories this observation shows
        info = self._info()
        applied, bank_full = [], False
        for result in results:
            if result.ok:
                applied.append(result.op)
            elif result.op == "ADD" and result.reason.startswith(BANK_FULL):
                bank_full = True
        info["invalid_action"] = invalid
        info["bank_full"] = bank_full
        info["applied_ops"] = applied
        info["op_results"] = results
        info["linked_questions"] = len(linked)
        if outcome is not None:
            info["outcome_score"] = outcome
            info["question_scores"] = self._episode.scorer.question_scores(self.banks)
        if terminated and self.terminal_reward and self.reward_kind in ("recall", "answer"):
            final = self._score_questions(list(self._episode.conversation.qa))
            info["terminal_score"] = final
            reward += final
        self._last_reward, self._last_invalid = float(reward), invalid
        if self.render_mode == "ansi":
            info["render"] = self.render()
        return obs, float(reward), terminated, False, info

    # ------------------------------------------------------------------ state
    def get_state(self) -> ManagerState:
        """The episode's state now: conversation, position and a snapshot of every bank."""
        if self._episode is None:
            raise RuntimeError("call reset() before get_state()")
        index = next(i for i, e in self._episodes.items() if e is self._episode)
        snapshots = {speaker: bank.snapshot() for speaker, bank in self.banks.items()}
        return ManagerState(index, self.fact_index, snapshots)

    def set_state(self, state: ManagerState) -> tuple[dict[str, str], dict[str, Any]]:
        """Return to a state from :meth:`get_state` and give its observation and info.

        This is how a group of rollouts starts from one bank state: every member calls
        ``set_state`` with the same state before its ``step``.
        """
        if not isinstance(state, ManagerState):
            raise TypeError(f"expected a ManagerState, got {type(state).__name__}")
        if not 0 <= state.conversation_index < len(self.conversations):
            raise ValueError(f"state names conversation {state.conversation_index}, out of range")
        episode = self._episode_for(state.conversation_index)
        if not 0 <= state.fact_index <= len(episode.facts):
            raise ValueError(f"state names fact {state.fact_index}, out of range")
        if self._episode is not episode:
            self.banks = {}
        self._episode = episode
        for speaker in [s for s in self.banks if s not in state.banks]:
            del self.banks[speaker]
        for speaker, snapshot in state.banks.items():
            bank = self.banks.get(speaker)
            if bank is None:
                bank = self.banks[speaker] = self.new_bank(speaker)
            bank.restore(snapshot)
        self.fact_index = state.fact_index
        self._last_ops = []
        episode.scorer.reset_caches()
        if self.shaping == "potential":  # a function of the state: recomputed, not stored
            self._potential = self._shaping_potential()
        return self._observation(), self._info()

    def linked_questions(self, fact_index: int | None = None) -> list[QA]:
        """The questions linked to a fact of this episode (default: the current one)."""
        if self._episode is None:
            raise RuntimeError("call reset() first")
        index = self.fact_index if fact_index is None else fact_index
        return list(self._episode.linked[index]) if index < len(self._episode.linked) else []

    def memory_bank(self, speaker: str) -> MemoryBank | None:
        """The live bank of ``speaker`` in this episode (``None`` if it has none yet).

        A hook for memory systems that keep their own structures next to the bank (links,
        tiers) or retrieve with their own rules: read it, and change memories only through
        actions.
        """
        return self.banks.get(speaker)

    def ideal_action(self) -> dict[str, Any] | None:
        """The action of the data's ideal operation for the current fact (synthetic data).

        ``None`` when the fact has no ideal operation (datasets other than the synthetic one)
        or the episode is over. UPDATE/DELETE target the shown memory created from the ideal
        target's dia_id; when that memory is not shown, the best single action stands in
        (ADD the fact for an UPDATE, NOOP for a DELETE). This is the hook behind the ``oracle``
        reference policy.
        """
        fact = self.current_fact if self._episode is not None else None
        if fact is None or fact.ideal_op is None:
            return None
        if fact.ideal_op in ("ADD", "NOOP"):
            return {"op": fact.ideal_op, "target": 0, "text": ""}
        for local, entry in enumerate(self.shown):
            if entry.provenance and entry.provenance[0] == fact.ideal_target:
                return {"op": fact.ideal_op, "target": local, "text": ""}
        return {"op": "ADD" if fact.ideal_op == "UPDATE" else "NOOP", "target": 0, "text": ""}

    def oracle_action(self) -> dict[str, Any] | str | None:
        """The ``oracle`` reference's action for the current fact: the ideal operation, made
        capacity-aware with look-ahead at the conversation's questions.

        It stores a memory only if its chain (the ideal memory's life: the ADD, then its UPDATEs
        and DELETEs) is still alive after the last fact and some question's evidence names one
        of its facts; it follows the ideal UPDATEs and DELETEs of stored chains; a needed chain
        that is not stored (full bank earlier, or its memory not shown) is ADDed when there is
        room. With no capacity limit it differs from the plain ideal operations (``ideal-ops``)
        only by skipping memories no question needs. ``None`` where the data has no ideal
        operations.
        """
        episode = self._episode
        fact = self.current_fact if episode is not None else None
        plan = episode.plan if episode is not None else None
        if fact is None or plan is None:
            return None
        noop = {"op": "NOOP", "target": 0, "text": ""}
        chain = plan.chain[self.fact_index]
        if chain is None or chain not in plan.needed:
            return noop
        ids = plan.dia_ids[chain]
        stored = next((i for i, m in enumerate(self.shown) if ids.intersection(m.provenance)), None)
        bank = self._bank_for(fact)
        room = self.capacity is None or len(bank) < self.capacity
        if stored is None:
            return {"op": "ADD", "target": 0, "text": ""} if room else noop
        if fact.ideal_op in ("UPDATE", "DELETE"):
            return {"op": fact.ideal_op, "target": stored, "text": ""}
        return noop

    def render(self) -> str | None:
        if self.render_mode != "ansi":
            return None
        fact = self.current_fact if self._episode is not None else None
        lines = []
        if self.fact_index > 0:  # after a step: what it did and what it earned
            ops = ", ".join(
                f"{r.op}{'' if r.ok else '(rejected)'} {r.entry_id or ''}".strip()
                for r in self._last_ops
            )
            lines.append(f"last ops: {ops or 'none'}  reward {self._last_reward:+.3f}")
            if self._last_invalid:
                lines.append(f"invalid action: {self._last_invalid}")
        for speaker, bank in self.banks.items():
            size = f"{len(bank)}/{self.capacity}" if self.capacity else str(len(bank))
            lines.append(f"{speaker}: {size} memories")
        if fact is None:
            lines.append("(episode finished)")
        else:
            where = f"{self.fact_index + 1}/{len(self.facts)} [{fact.speaker}, {fact.date_str}]"
            lines.append(f"fact {where}: {fact.text}")
            lines.extend(f"  [{i}] {m.text}" for i, m in enumerate(self.shown))
        return "\n".join(lines) + "\n"

    # ------------------------------------------------------------------ internals
    def _bank_for(self, fact: Fact) -> MemoryBank:
        bank = self.banks.get(fact.speaker)
        if bank is None:  # a speaker outside the conversation's two (extractor output)
            bank = self.banks[fact.speaker] = self.new_bank(fact.speaker)
        return bank

    def _resolve_target(self, target: str | None) -> tuple[str | None, str]:
        try:
            local = int(str(target).strip())
        except (TypeError, ValueError):
            return None, f"target {target!r} is not a shown memory id"
        if not 0 <= local < len(self.shown):
            shown = f"0..{len(self.shown) - 1} shown" if self.shown else "no memory is shown"
            return None, f"target {local} is not a shown memory id ({shown})"
        return self.shown[local].id, ""

    def _apply(
        self, ops: list[ParsedOp], bank: MemoryBank, fact: Fact
    ) -> tuple[list[OpResult], list[str]]:
        results: list[OpResult] = []
        rejected: list[str] = []
        step = self.fact_index
        for op in ops:
            if op.error:
                rejected.append(op.error)
                continue
            text = op.text or fact.text
            if op.op == "NOOP":
                results.append(bank.noop(step=step))
                continue
            if op.op == "ADD":
                result = bank.add(
                    text, timestamp=fact.date_str, provenance=fact.source_ids, step=step
                )
            else:
                entry_id, why = self._resolve_target(op.target)
                if entry_id is None:
                    rejected.append(f"{op.op}: {why}")
                    continue
                if op.op == "UPDATE":
                    result = bank.update(
                        entry_id,
                        text,
                        timestamp=fact.date_str,
                        provenance=fact.source_ids,
                        step=step,
                    )
                else:
                    result = bank.delete(entry_id, step=step)
            results.append(result)
            if not result.ok:
                rejected.append(f"{op.op}: {result.reason}")
        return results, rejected

    def _score_questions(self, questions: Sequence[QA]) -> float:
        """The per-fact reward of ``recall`` / ``answer`` over ``questions``."""
        scorer = self._episode.scorer
        if self.reward_kind == "recall":
            return scorer.mean_recall(questions, self.banks)
        if self.reward_kind == "answer":
            return scorer.mean_score(questions, self.banks)
        return 0.0

    def _shaping_potential(self) -> float:
        return self._episode.scorer.potential(self.fact_index, self.banks)

    def _observation(self) -> dict[str, str]:
        fact = self.current_fact
        if fact is None:
            self.shown, self.shown_scores = [], []
            return {key: "" for key in self.observation_space.spaces}
        bank = self._bank_for(fact)
        ranked = bank.top_k(fact.text, self.top_k)
        self.shown = [entry for entry, _ in ranked]
        self.shown_scores = [score for _, score in ranked]
        if not self.render_text:
            return dict.fromkeys(self.observation_space.spaces, "")
        usage = f"{len(bank)}/{self.capacity}" if self.capacity else str(len(bank))
        listed, prompt = manager_observation_texts(
            fact.speaker,
            fact.date_str,
            fact.text,
            self.shown,
            capacity=(len(bank), self.capacity) if self.capacity else None,
        )
        return {
            "fact": fact.text[:MAX_TEXT],
            "speaker": fact.speaker[:200],
            "date": fact.date_str[:200],
            "source_ids": ", ".join(fact.source_ids)[:MAX_TEXT],
            "memories": listed[:MAX_PROMPT],
            "bank": usage,
            "prompt": prompt[:MAX_PROMPT],
        }

    def _info(self) -> dict[str, Any]:
        episode = self._episode
        return {
            "conversation_id": episode.conversation.id if episode else None,
            "fact_index": self.fact_index,
            "num_facts": len(episode.facts) if episode else 0,
            "shown_memory_ids": [m.id for m in self.shown],
            "shown_memories": tuple(self.shown),
            "shown_scores": list(self.shown_scores),
            "bank_sizes": {speaker: len(bank) for speaker, bank in self.banks.items()},
        }
