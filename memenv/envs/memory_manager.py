"""The Memory Manager environment: build a memory bank from a long dialogue, fact by fact."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from memenv.data.records import OPERATIONS, QA, Conversation, Fact
from memenv.envs.fact_sources import FactExtractor, resolve_facts
from memenv.envs.question_memory import (
    AnswerFn,
    evidence_recall,
    merged_by_score,
    top_memory_answer,
)
from memenv.memory import BankSnapshot, MemoryBank, MemoryEntry, OpResult
from memenv.metrics import check_metric, check_reward, score_answer
from memenv.parsing import ParsedOp, parse_manager_output
from memenv.prompts import manager_prompt, memories_json
from memenv.spaces import UnicodeText

REWARDS = ("recall", "answer", "none")
MAX_TEXT = 4000
MAX_PROMPT = 200_000


@dataclass
class _Episode:
    """Everything an episode needs about its conversation, computed once per conversation."""

    conversation: Conversation
    facts: list[Fact]
    linked: list[list[QA]]
    """For each fact, the questions whose evidence includes one of its source ids."""


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


class MemoryManagerEnv(gym.Env[dict[str, str], Any]):
    """
    ## Description

    The Memory Manager task of Memory-R1 (arXiv 2508.19828). An episode is one long multi-session
    conversation. Its facts (LoCoMo's extracted ``observation`` facts by default, or the raw
    turns, or the output of any extractor) arrive one per step in time order. For each new fact the
    agent sees the most related memories of that speaker's bank and chooses an operation: ADD a
    new memory, UPDATE one of the shown memories, DELETE one, or do nothing (NOOP). The memory
    banks, one per speaker, are the environment's state; they are what an answer agent later
    reads to answer questions about the conversation.

    ## Action Space

    ``Dict(op=Discrete(4), target=Discrete(top_k), text=UnicodeText(4000))``:

    - ``op``: 0 ADD, 1 UPDATE, 2 DELETE, 3 NOOP (the names are accepted too);
    - ``target``: the local id of a shown memory (UPDATE and DELETE);
    - ``text``: the memory text for ADD and UPDATE; empty means "the new fact's text".

    ``step`` also takes a raw LLM output string in Mem0's update format,
    ``{"memory": [{"id": "0", "text": "...", "event": "UPDATE", "old_memory": "..."}]}``; every
    operation it lists is applied in order (ids are the local ids shown in the observation).

    ## Observation Space

    A ``Dict`` of ``UnicodeText`` fields: ``fact`` (the new fact), ``speaker``, ``date`` (session
    date), ``source_ids`` (comma-separated dia_ids), ``memories`` (JSON list of the shown memories,
    ``[{"id": "0", "text": ...}, ...]``, at most ``top_k``, most related first) and ``prompt`` (the
    whole decision rendered for an LLM). After the last fact every field is empty.

    ## Rewards

    Chosen by ``reward``:

    - ``"recall"`` (default, no model needed): for the questions whose evidence includes the
      fact's dia_ids, the mean fraction of their evidence turns found in the provenance of the
      ``answer_top_k`` memories per speaker retrieved for the question, after the operation;
    - ``"answer"`` (the paper's outcome reward): a frozen ``answer_fn`` answers those questions
      from the same retrieved memories; the reward is the mean ``reward_metric`` (EM by default;
      any name of :data:`memenv.metrics.METRICS`, scored by the rules of the question's dataset);
    - ``"none"``: always 0 (for building banks fast).

    Facts linked to no question give 0. With ``terminal_reward=True`` the last step also gets the
    same score averaged over all questions of the conversation. An invalid action (unparseable
    output, unknown target, rejected operation) is applied as a no-op (the valid operations of a
    multi-operation output still apply), flagged in ``info["invalid_action"]`` and costs
    ``invalid_penalty``.

    ## Episode End

    Terminates after the last fact of the conversation. No truncation (wrap with ``TimeLimit`` if
    needed).

    ## Arguments

    - ``dataset``: ``"synth"`` (default, embedded), ``"locomo"``, ``"longmemeval"``, ``"msc"``.
    - ``data_path``: the dataset file (LoCoMo: downloaded and cached when omitted).
    - ``split``: ``"train"``, ``"val"``, ``"test"`` or ``"all"`` (Memory-R1's split for LoCoMo).
    - ``conversations``: records to use instead of loading ``dataset``.
    - ``fact_source``: ``"observation"``, ``"turns"``, ``"auto"`` (default) or an extractor.
    - ``reward``, ``reward_metric``, ``answer_fn``, ``terminal_reward``: see Rewards.
    - ``top_k``: memories shown per step (default 5, as Mem0). ``answer_top_k``: memories per
      speaker retrieved for a question (default 30, as the paper).
    - ``invalid_penalty``: subtracted for an invalid action (default 0.1).
    - ``capacity``, ``retriever`` (``"bm25"`` or ``"dense"``), ``max_text_chars``: bank settings.
    - ``include_adversarial``: keep LoCoMo category-5 questions (default False).
    - ``synth_kwargs``: generator knobs for ``dataset="synth"``.
    - ``render_mode``: ``"ansi"`` or None.

    Reset options: ``{"conversation": id_or_index}`` picks the episode's conversation; otherwise
    it is drawn with the environment's seeded generator.

    ## Version History

    - v0: initial release.
    """

    metadata = {"render_modes": ["ansi"], "render_fps": 4}

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
        answer_fn: AnswerFn | None = None,
        terminal_reward: bool = False,
        top_k: int = 5,
        answer_top_k: int = 30,
        invalid_penalty: float = 0.1,
        capacity: int | None = None,
        retriever: str = "bm25",
        max_text_chars: int = 2000,
        include_adversarial: bool = False,
        synth_kwargs: Mapping[str, Any] | None = None,
        render_mode: str | None = None,
    ):
        if reward not in REWARDS:
            raise ValueError(f"reward must be one of {REWARDS}, got {reward!r}")
        check_metric(reward_metric, "reward_metric")
        if not isinstance(top_k, int) or top_k < 1:
            raise ValueError(f"top_k must be a positive int, got {top_k!r}")
        if not isinstance(answer_top_k, int) or answer_top_k < 1:
            raise ValueError(f"answer_top_k must be a positive int, got {answer_top_k!r}")
        if render_mode not in (None, "ansi"):
            raise ValueError(f"render_mode must be None or 'ansi', got {render_mode!r}")
        if conversations is None:
            from memenv.data.registry import load_conversations

            conversations = load_conversations(
                dataset,
                data_path=data_path,
                split=split,
                include_adversarial=include_adversarial,
                synth_kwargs=synth_kwargs,
            )
        self.conversations: list[Conversation] = list(conversations)
        if not self.conversations:
            raise ValueError("MemoryManagerEnv needs at least one conversation")
        if reward == "answer":
            questions = (qa for c in self.conversations for qa in c.qa)
            check_reward(reward_metric, questions, "reward_metric")
        self.fact_source = fact_source
        self.reward_kind = reward
        self.reward_metric = reward_metric
        self.answer_fn: AnswerFn = answer_fn or top_memory_answer
        self.terminal_reward = terminal_reward
        self.top_k = top_k
        self.answer_top_k = answer_top_k
        self.invalid_penalty = float(invalid_penalty)
        self.capacity = capacity
        self.retriever = retriever
        self.max_text_chars = max_text_chars
        self.render_mode = render_mode

        text = UnicodeText(MAX_TEXT)
        self.observation_space = spaces.Dict(
            {
                "fact": text,
                "speaker": UnicodeText(200),
                "date": UnicodeText(200),
                "source_ids": UnicodeText(MAX_TEXT),
                "memories": UnicodeText(MAX_PROMPT),
                "prompt": UnicodeText(MAX_PROMPT),
            }
        )
        self.action_space = spaces.Dict(
            {"op": spaces.Discrete(4), "target": spaces.Discrete(top_k), "text": text}
        )
        self._episodes: dict[int, _Episode] = {}
        self._episode: _Episode | None = None
        self.banks: dict[str, MemoryBank] = {}
        self.fact_index = 0
        self.shown: list[MemoryEntry] = []
        self.shown_scores: list[float] = []
        self._last_ops: list[OpResult] = []
        # (speaker, question id, k) -> (bank, bank version, ranked): a question's top-k in a
        # bank whose version has not changed is reused (cleared on reset).
        self._question_cache: dict[tuple[str, str, int], tuple[MemoryBank, int, list]] = {}

    # ------------------------------------------------------------------ episode data
    def _episode_for(self, index: int) -> _Episode:
        if index not in self._episodes:
            conversation = self.conversations[index]
            facts = resolve_facts(self.fact_source, conversation)
            self._episodes[index] = _Episode(
                conversation, facts, _link_questions(conversation, facts)
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
        self.banks = {
            speaker: MemoryBank(
                speaker,
                capacity=self.capacity,
                max_text_chars=self.max_text_chars,
                retriever=self.retriever,
            )
            for speaker in conversation.speakers
        }
        self.fact_index = 0
        self._last_ops = []
        self._question_cache = {}
        return self._observation(), self._info()

    def step(self, action: Any):
        if self._episode is None:
            raise RuntimeError("call reset() before step()")
        fact = self.current_fact
        if fact is None:
            raise RuntimeError("episode is over: call reset()")
        bank = self._bank_for(fact)
        ops, error = self._decode_action(action, fact)
        results, rejected = self._apply(ops, bank, fact)
        invalid = "; ".join([error, *rejected]) if (error or rejected) else ""
        self._last_ops = results

        linked = self._episode.linked[self.fact_index]
        reward = self._score_questions(linked) if linked else 0.0
        if invalid:
            reward -= self.invalid_penalty
        self.fact_index += 1
        terminated = self.fact_index >= len(self._episode.facts)
        obs = self._observation()  # before info: info names the memories this observation shows
        info = self._info()
        info.update(
            {
                "invalid_action": invalid,
                "applied_ops": [r.op for r in results if r.ok],
                "op_results": results,
                "linked_questions": len(linked),
            }
        )
        if terminated and self.terminal_reward and self.reward_kind != "none":
            final = self._score_questions(list(self._episode.conversation.qa))
            info["terminal_score"] = final
            reward += final
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
            self.banks, self._question_cache = {}, {}
        self._episode = episode
        for speaker in [s for s in self.banks if s not in state.banks]:
            del self.banks[speaker]
        for speaker, snapshot in state.banks.items():
            bank = self.banks.get(speaker)
            if bank is None:
                bank = self.banks[speaker] = MemoryBank(
                    speaker,
                    capacity=self.capacity,
                    max_text_chars=self.max_text_chars,
                    retriever=self.retriever,
                )
            bank.restore(snapshot)
        self.fact_index = state.fact_index
        self._last_ops = []
        return self._observation(), self._info()

    def linked_questions(self, fact_index: int | None = None) -> list[QA]:
        """The questions linked to a fact of this episode (default: the current one)."""
        if self._episode is None:
            raise RuntimeError("call reset() first")
        index = self.fact_index if fact_index is None else fact_index
        return list(self._episode.linked[index]) if index < len(self._episode.linked) else []

    def render(self) -> str | None:
        if self.render_mode != "ansi":
            return None
        fact = self.current_fact if self._episode is not None else None
        lines = []
        if self._last_ops:
            lines.append(
                "last ops: "
                + ", ".join(
                    f"{r.op}{'' if r.ok else '(rejected)'} {r.entry_id or ''}".strip()
                    for r in self._last_ops
                )
            )
        for speaker, bank in self.banks.items():
            lines.append(f"{speaker}: {len(bank)} memories")
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
            bank = self.banks[fact.speaker] = MemoryBank(
                fact.speaker,
                capacity=self.capacity,
                max_text_chars=self.max_text_chars,
                retriever=self.retriever,
            )
        return bank

    def _decode_action(self, action: Any, fact: Fact) -> tuple[list[ParsedOp], str]:
        """Normalise a dict or raw-string action into parsed operations and an error string."""
        if isinstance(action, str):
            return parse_manager_output(action)
        if isinstance(action, Mapping):
            op = action.get("op", 3)
            if isinstance(op, str):
                name = op.strip().upper()
                name = "NOOP" if name == "NONE" else name
                if name not in OPERATIONS:
                    return [], f"unknown op {op!r}"
            elif isinstance(op, int | np.integer) and not isinstance(op, bool) and 0 <= op < 4:
                name = OPERATIONS[int(op)]
            else:
                return [], f"op must be 0..3 or a name in {OPERATIONS}, got {op!r}"
            text = action.get("text", "")
            if not isinstance(text, str):
                return [], f"text must be a string, got {type(text).__name__}"
            target = action.get("target")
            target_str = (
                None
                if target is None
                else str(int(target))
                if isinstance(target, int | np.integer)
                else str(target)
            )
            if name in ("UPDATE", "DELETE") and target_str is None:
                return [], f"{name} needs a target"
            return [ParsedOp(name, target_str if name in ("UPDATE", "DELETE") else None, text)], ""
        return [], f"action must be a dict or a string, got {type(action).__name__}"

    def _resolve_target(self, target: str | None) -> tuple[str | None, str]:
        try:
            local = int(str(target).strip())
        except (TypeError, ValueError):
            return None, f"target {target!r} is not a shown memory id"
        if not 0 <= local < len(self.shown):
            return None, f"target {local} is not a shown memory id (0..{len(self.shown) - 1} shown)"
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

    def _question_memories(self, qa: QA) -> list[MemoryEntry]:
        """``merged_by_score(retrieve_per_speaker(banks, list(banks), question, k))``, with each
        bank's ranking reused while that bank is unchanged."""
        cache = self._question_cache
        per_speaker = []
        for speaker, bank in self.banks.items():
            key = (speaker, qa.id, self.answer_top_k)
            hit = cache.get(key)
            if hit is not None and hit[0] is bank and hit[1] == bank.version:
                per_speaker.append(hit[2])
                continue
            ranked = bank.top_k(qa.question, self.answer_top_k)
            if type(bank) is MemoryBank:  # subclasses may rank with state of their own
                cache[key] = (bank, bank.version, ranked)
            per_speaker.append(ranked)
        return merged_by_score(per_speaker)

    def _score_questions(self, questions: Sequence[QA]) -> float:
        if self.reward_kind == "none" or not questions:
            return 0.0
        total = 0.0
        for qa in questions:
            memories = self._question_memories(qa)
            if self.reward_kind == "recall":
                total += evidence_recall(qa, memories) or 0.0
            else:
                total += score_answer(self.answer_fn(qa, memories), qa)[self.reward_metric]
        return total / len(questions)

    def _observation(self) -> dict[str, str]:
        fact = self.current_fact
        if fact is None:
            self.shown, self.shown_scores = [], []
            return {key: "" for key in self.observation_space.spaces}
        ranked = self._bank_for(fact).top_k(fact.text, self.top_k)
        self.shown = [entry for entry, _ in ranked]
        self.shown_scores = [score for _, score in ranked]
        listed = memories_json(self.shown)
        return {
            "fact": fact.text[:MAX_TEXT],
            "speaker": fact.speaker[:200],
            "date": fact.date_str[:200],
            "source_ids": ", ".join(fact.source_ids)[:MAX_TEXT],
            "memories": listed[:MAX_PROMPT],
            "prompt": manager_prompt(
                fact.speaker, fact.date_str, fact.text, self.shown, rendered=listed
            )[:MAX_PROMPT],
        }

    def _info(self) -> dict[str, Any]:
        episode = self._episode
        return {
            "conversation_id": episode.conversation.id if episode else None,
            "fact_index": self.fact_index,
            "num_facts": len(episode.facts) if episode else 0,
            "shown_memory_ids": [m.id for m in self.shown],
            "bank_sizes": {speaker: len(bank) for speaker, bank in self.banks.items()},
        }
