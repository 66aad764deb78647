"""The Answer Agent environment: answer a question from retrieved memories."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from gymnasium import spaces

from memenv.data.records import QA, Conversation
from memenv.envs.banks import build_banks
from memenv.envs.common import MemoryEnvBase, check_positive_int, common_args
from memenv.envs.fact_sources import FactExtractor
from memenv.envs.question_memory import RetrieveFn, evidence_recall, retrieve_per_speaker
from memenv.memory import MemoryBank, MemoryEntry
from memenv.metrics import check_metric, check_reward, score_answer
from memenv.parsing import parse_answer_output
from memenv.policies import ManagerSpec
from memenv.prompts import ANSWER_SYSTEM, answer_case, memory_lines
from memenv.spaces import TextActionDict, UnicodeText

MAX_ANSWER = 1000
MAX_PROMPT = 400_000


def _mask_ids(mask: np.ndarray) -> list[int]:
    """Positions of the non-zero entries of a selection mask; NaN is an error, not a choice."""
    if mask.dtype.kind in "fc" and np.isnan(mask).any():
        raise ValueError(f"the mask holds NaN at {np.flatnonzero(np.isnan(mask)).tolist()[:10]}")
    return [int(i) for i in np.flatnonzero(mask)]


def _listed_ids(selected: Any) -> list[int]:
    """Ids from a list (or array) of integers; booleans, strings and fractions are errors."""
    ids = []
    for item in np.asarray(selected, dtype=object).ravel():
        if isinstance(item, bool | np.bool_) or not isinstance(item, int | np.integer):
            raise ValueError(f"an id must be an integer, got {item!r}")
        ids.append(int(item))
    return ids


class AnswerAgentEnv(MemoryEnvBase):
    """
    ## Description

    The Answer Agent task of Memory-R1 (arXiv 2508.19828). An episode is one question about a
    long conversation. The memory banks of both speakers were built beforehand by a memory
    manager (by default one that stores every fact); for the question, the environment retrieves
    ``memories_per_speaker`` memories from each bank (30 each, 60 in all, as in the paper). The
    agent selects the memories that matter ("memory distillation") and answers.

    ## Action Space

    ``Dict(selected=MultiBinary(2 * memories_per_speaker), answer=UnicodeText(1000))``: a mask over
    the shown memories (ids ``0..k-1`` are speaker A's, ``k..2k-1`` speaker B's) and the answer.
    ``selected`` may also be a list of ids. ``step`` also accepts the raw LLM output string:
    the selected memories as ``[id]`` references, then ``**Answer:** <answer>``. An answer is
    scored on its first 1000 characters; a mask holding NaN or ids that are not integers (``True``
    included) make the action invalid (nothing selected, ``info["invalid_action"]`` says why).

    ## Observation Space

    A ``Dict`` of ``UnicodeText`` fields: ``question``, ``question_date``, ``speaker_a``,
    ``speaker_b``, ``memories_a`` and ``memories_b`` (one memory a line: ``[id] (date) text``, best
    match first) and ``prompt`` (the task rendered for an LLM).

    ## Rewards

    The answer scored against the gold answer with ``reward``, any name of
    :data:`memenv.metrics.METRICS`, by the rules of the question's dataset
    (:mod:`memenv.metrics.registry`): ``"em"`` (normalised exact match, the paper's training
    reward, default), ``"f1"`` (LoCoMo's official F1 with its category rules on LoCoMo and
    synthetic data, plain token F1 on LongMemEval and MSC), ``"em_locomo"`` (LoCoMo's set EM),
    ``"f1_mem0"``, ``"bleu1"``, ``"em_mem0"`` (Mem0's definitions; they give no score for LoCoMo
    category 5, so they are refused as rewards when category-5 questions are included).
    ``info["scores"]`` carries every metric (``None`` where undefined), plus the gold answer, the
    category, the selected ids, whether the output had the ``**Answer:**`` marker, and the
    evidence recall of the shown memories (``None`` for questions without evidence).

    ## Episode End

    Terminates after one step.

    ## Arguments

    - ``dataset``, ``data_path``, ``split``, ``conversations``, ``include_adversarial``,
      ``synth_kwargs``: which questions (as for ``MemoryManagerEnv``).
    - ``manager``: how the banks are built: ``"add-all"`` (default), a policy, or a policy
      factory taking the MemoryManager environment.
    - ``banks``: prebuilt banks ``{conversation_id: {speaker: MemoryBank}}`` (skips building).
    - ``fact_source``, ``retriever``: as for ``MemoryManagerEnv``.
    - ``retrieve_fn``: a memory system's own retrieval, ``(banks, speakers, question, k)`` to one
      ranked ``[(entry, score)]`` list per speaker (default: each bank's ``top_k``).
    - ``memories_per_speaker``: memories shown per speaker (default 30).
    - ``reward``: see Rewards. ``render_mode``: ``"ansi"`` or None.

    Reset options: ``{"question": qa_id_or_index}`` picks the question; otherwise it is drawn with
    the environment's seeded generator. ``num_questions`` and ``questions`` list them.

    ## Version History

    - v0: initial release.
    """

    def __init__(
        self,
        dataset: str = "synth",
        *,
        data_path: str | None = None,
        split: str = "train",
        conversations: Sequence[Conversation] | None = None,
        manager: ManagerSpec = "add-all",
        banks: Mapping[str, Mapping[str, MemoryBank]] | None = None,
        fact_source: str | FactExtractor = "auto",
        retriever: str = "bm25",
        retrieve_fn: RetrieveFn | None = None,
        memories_per_speaker: int = 30,
        reward: str = "em",
        capacity: int | None = None,
        max_text_chars: int = 2000,
        include_adversarial: bool = False,
        synth_kwargs: Mapping[str, Any] | None = None,
        render_mode: str | None = None,
    ):
        check_metric(reward, "reward")
        self.reward_kind = reward
        self.k = check_positive_int("memories_per_speaker", memories_per_speaker)
        super().__init__(**common_args(locals()))
        self.questions: list[tuple[int, QA]] = [
            (ci, qa) for ci, conv in enumerate(self.conversations) for qa in conv.qa
        ]
        if not self.questions:
            raise ValueError("AnswerAgentEnv: the selected conversations have no questions")
        check_reward(reward, (qa for _, qa in self.questions))
        self._question_index = {qa.id: i for i, (_, qa) in enumerate(self.questions)}
        self.manager = manager
        self.retrieve_fn: RetrieveFn = retrieve_fn or retrieve_per_speaker
        self._banks: dict[str, Mapping[str, MemoryBank]] = dict(banks or {})

        self.observation_space = spaces.Dict(
            {
                "question": UnicodeText(4000),
                "question_date": UnicodeText(200),
                "speaker_a": UnicodeText(200),
                "speaker_b": UnicodeText(200),
                "memories_a": UnicodeText(MAX_PROMPT),
                "memories_b": UnicodeText(MAX_PROMPT),
                "prompt": UnicodeText(MAX_PROMPT),
            }
        )
        self.action_space = TextActionDict(
            {"selected": spaces.MultiBinary(2 * self.k), "answer": UnicodeText(MAX_ANSWER)}
        )
        self.qa: QA | None = None
        self.conversation: Conversation | None = None
        self.shown: list[MemoryEntry | None] = []
        self.shown_scores: list[float | None] = []
        self._last: tuple[str, list[int], float, str] | None = None
        self._obs: dict[str, str] = {}
        self._done = False
        # question index -> (k and (bank, version) per speaker, shown, observation): with the
        # default retrieval, a question asked again of unchanged banks is not re-retrieved.
        self._reset_cache: dict[int, tuple[tuple, list, list, dict[str, str], float | None]] = {}
        self._recall: float | None = None  # evidence recall of the shown memories (per reset)

    @property
    def num_questions(self) -> int:
        return len(self.questions)

    def banks_for(self, conversation: Conversation) -> Mapping[str, MemoryBank]:
        """The (cached) banks of a conversation, built with the configured manager."""
        if conversation.id not in self._banks:
            self._banks[conversation.id] = build_banks(
                conversation,
                self.manager,
                fact_source=self.fact_source,
                retriever=self.retriever,
                capacity=self.capacity,
            )
        return self._banks[conversation.id]

    def _pick(self, choice: Any) -> int:
        if isinstance(choice, int | np.integer) and not isinstance(choice, bool):
            if 0 <= choice < len(self.questions):
                return int(choice)
            raise ValueError(
                f"reset option question={choice} is out of range 0..{len(self.questions) - 1}"
            )
        if choice in self._question_index:
            return self._question_index[choice]
        raise ValueError(f"reset option question={choice!r} is not a question id of this split")

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        options = options or {}
        if "question" in options:
            index = self._pick(options["question"])
        else:
            index = int(self.np_random.integers(len(self.questions)))
        ci, qa = self.questions[index]
        conversation = self.conversations[ci]
        self.qa, self.conversation, self._done = qa, conversation, False
        banks = self.banks_for(conversation)
        speaker_a, speaker_b = conversation.speakers
        state: tuple | None = None
        if self.retrieve_fn is retrieve_per_speaker and all(
            type(banks.get(s)) is MemoryBank for s in conversation.speakers
        ):
            state = (self.k, *((banks[s], banks[s].version) for s in conversation.speakers))
            hit = self._reset_cache.get(index)
            if hit is not None and hit[0] == state:  # banks compare by identity
                self.shown, self.shown_scores, self._obs = list(hit[1]), list(hit[2]), dict(hit[3])
                self._recall = hit[4]
                return dict(self._obs), self._info()
        empty = MemoryBank(speaker_a)
        ranked = self.retrieve_fn(
            {s: banks.get(s, empty) for s in conversation.speakers},
            conversation.speakers,
            qa.question,
            self.k,
        )
        mem_a = [entry for entry, _ in ranked[0]]
        mem_b = [entry for entry, _ in ranked[1]]
        # Speaker B's ids start at k whatever A's count, so an id always names the same slot.
        pad = [None] * (self.k - len(mem_a))
        self.shown = mem_a + pad + mem_b  # type: ignore[operator]
        self.shown_scores = [s for _, s in ranked[0]] + pad + [s for _, s in ranked[1]]
        question_date = qa.question_date or (
            conversation.sessions[-1].date_str if conversation.sessions else ""
        )
        lines_a, lines_b = memory_lines(mem_a, 0), memory_lines(mem_b, self.k)
        case = answer_case(qa.question, question_date, speaker_a, speaker_b, lines_a, lines_b)
        self._obs = {
            "question": qa.question[:4000],
            "question_date": question_date[:200],
            "speaker_a": speaker_a[:200],
            "speaker_b": speaker_b[:200],
            "memories_a": lines_a[:MAX_PROMPT],
            "memories_b": lines_b[:MAX_PROMPT],
            "prompt": f"{ANSWER_SYSTEM}\n\n{case}"[:MAX_PROMPT],
        }
        self._recall = evidence_recall(qa, [m for m in self.shown if m is not None])
        if state is not None:
            cached = (
                state,
                list(self.shown),
                list(self.shown_scores),
                dict(self._obs),
                self._recall,
            )
            self._reset_cache[index] = cached
        return dict(self._obs), self._info()

    def _decode(self, action: Any) -> tuple[str, list[int], bool, str]:
        """(answer, selected ids, marker present, error) from any action."""
        if isinstance(action, str):
            parsed = parse_answer_output(action)
            return parsed.answer[:MAX_ANSWER], list(parsed.selected), parsed.has_marker, ""
        if isinstance(action, Mapping):
            if "answer" not in action:
                return "", [], False, "an action dict needs an 'answer' (and optionally 'selected')"
            answer = action["answer"]
            if not isinstance(answer, str):
                return "", [], False, f"answer must be a string, got {type(answer).__name__}"
            answer = answer[:MAX_ANSWER]
            selected = action.get("selected", ())
            try:
                if isinstance(selected, np.ndarray) and selected.shape == (2 * self.k,):
                    ids = _mask_ids(selected)  # a MultiBinary mask
                else:
                    ids = _listed_ids(selected)
            except (TypeError, ValueError, OverflowError) as exc:
                why = f"selected must be a mask or a list of integer ids ({exc}), got {selected!r}"
                return answer, [], False, why[:200]
            return answer, ids, True, ""
        return "", [], False, f"action must be a dict or a string, got {type(action).__name__}"

    def step(self, action: Any):
        if self.qa is None:
            raise RuntimeError("call reset() before step()")
        if self._done:
            raise RuntimeError("episode is over: call reset()")
        answer, ids, has_marker, error = self._decode(action)
        valid_ids = [i for i in ids if 0 <= i < len(self.shown) and self.shown[i] is not None]
        unknown = sorted(set(ids) - set(valid_ids))
        scores = score_answer(answer, self.qa)
        selected_entries = [self.shown[i] for i in valid_ids]
        info = self._info()
        info.update(
            {
                "answer": answer,
                "gold": self.qa.answer,
                "scores": scores,
                "selected_ids": valid_ids,
                "unknown_selected_ids": unknown,
                "format_ok": has_marker,
                "invalid_action": error,
                "selected_evidence_recall": evidence_recall(self.qa, selected_entries),
            }
        )
        self._done = True
        reward = float(scores[self.reward_kind])
        self._last = (answer, valid_ids, reward, error)
        if self.render_mode == "ansi":
            info["render"] = self.render()
        return dict(self._obs), reward, True, False, info

    def render(self) -> str | None:
        """The question, the shown memories' count and, after the step, the answer, the
        selected memories, the reward and any invalid-action reason (``render_mode="ansi"``)."""
        if self.render_mode != "ansi" or self.qa is None:
            return None
        text = f"Q ({self.qa.id}, category {self.qa.category}): {self.qa.question}\n"
        text += f"gold: {self.qa.answer}\n"
        text += f"{sum(1 for m in self.shown if m is not None)} memories shown\n"
        if self._done and self._last is not None:
            answer, selected, reward, error = self._last
            text += f"answer: {answer!r}  selected: {selected}  reward ({self.reward_kind}): "
            text += f"{reward:.3f}\n"
            if error:
                text += f"invalid action: {error}\n"
        return text

    def _info(self) -> dict[str, Any]:
        qa = self.qa
        return {
            "qa_id": qa.id if qa else None,
            "conversation_id": self.conversation.id if self.conversation else None,
            "category": qa.category if qa else None,
            "evidence_recall": self._recall if qa else None,
            "shown_memory_ids": [m.id if m is not None else None for m in self.shown],
            "shown_scores": list(self.shown_scores),
        }
