"""LLM policies for the environments, plus the LLM fact extractor and judge.

Policies return the model's raw output: the environments parse it themselves (an unreadable
output becomes a flagged no-op), so what a trainer optimises is exactly what the env scored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from functools import partial
from typing import Any

from agents.llm.base import LLMBackend, Message, SamplingParams
from agents.parsing import parse_facts, parse_judge_label
from agents.prompts import (
    answer_messages_from_memories,
    answer_messages_from_observation,
    extraction_messages,
    judge_messages,
    judge_messages_for,
    manager_messages_from_observation,
)
from memenv.data.records import QA, Conversation, Fact
from memenv.envs.fact_sources import fact_from_turn
from memenv.memory import MemoryEntry
from memenv.parsing import parse_answer_output

PromptFn = Callable[[Mapping[str, str]], "list[Message] | str"]


def split_batch(observations: Any) -> list[dict[str, str]]:
    """A list of observation dicts from a list, or from a vector env's dict of arrays."""
    if isinstance(observations, Mapping):
        keys = list(observations)
        size = len(observations[keys[0]]) if keys else 0
        return [{k: str(observations[k][i]) for k in keys} for i in range(size)]
    return [dict(o) for o in observations]


class _PromptPolicy:
    """Shared machinery: observation -> prompt -> one batched generate call -> raw texts."""

    default_params = SamplingParams(max_new_tokens=256)
    default_prompt_fn: PromptFn

    def __init__(
        self,
        backend: LLMBackend,
        params: SamplingParams | None = None,
        *,
        prompt_fn: PromptFn | None = None,
        use_env_prompt: bool = False,
    ):
        """``prompt_fn`` maps an observation to messages or text (default: this module's
        builder); ``use_env_prompt`` sends the observation's own ``prompt`` field instead."""
        self.backend = backend
        self.params = params or replace(self.default_params)
        self.prompt_fn = prompt_fn or type(self).default_prompt_fn
        self.use_env_prompt = use_env_prompt
        self.last_completions: list[Any] = []

    def prompt(self, observation: Mapping[str, str]) -> list[Message] | str:
        if self.use_env_prompt:
            return observation.get("prompt", "")
        return self.prompt_fn(observation)

    def act(self, observation: Mapping[str, str], info: Mapping[str, Any] | None = None) -> str:
        return self.act_batch([observation], [info or {}])[0]

    def act_batch(self, observations: Any, infos: Any = None) -> list[str]:
        """One ``generate`` call for a batch (a list of observations or a vector env's dict)."""
        prompts = [self.prompt(o) for o in split_batch(observations)]
        self.last_completions = self.backend.generate(prompts, self.params)
        return [c.text for c in self.last_completions]


class LLMManagerPolicy(_PromptPolicy):
    """MemoryManager policy: the raw ``{"memory": [...]}`` output of the model."""

    name = "llm-manager"
    default_params = SamplingParams(max_new_tokens=256)
    default_prompt_fn = staticmethod(manager_messages_from_observation)


class LLMAnswerPolicy(_PromptPolicy):
    """AnswerAgent policy (raw ``... **Answer:** x`` output), also usable as an answerer."""

    name = "llm-answer"
    default_params = SamplingParams(max_new_tokens=128)
    default_prompt_fn = staticmethod(answer_messages_from_observation)

    def __init__(self, *args: Any, distill: bool = True, **kwargs: Any):
        """``distill=False`` uses the prompt without memory distillation (answer line only),
        for checkpoints trained with ``data.distillation=false``; the rest as the base class."""
        if kwargs.get("prompt_fn") is None and not distill:
            kwargs["prompt_fn"] = partial(answer_messages_from_observation, distill=False)
        super().__init__(*args, **kwargs)
        self.distill = distill

    def answer(
        self, question: str, question_date: str, memories: Sequence[MemoryEntry | None]
    ) -> tuple[str, list[int]]:
        """The answerer interface: the answer and the selected positions in ``memories``."""
        return self.answer_batch([(question, question_date, memories)])[0]

    def answer_batch(
        self, items: Sequence[tuple[str, str, Sequence[MemoryEntry | None]]]
    ) -> list[tuple[str, list[int]]]:
        prompts = [answer_messages_from_memories(q, d, m, self.distill) for q, d, m in items]
        self.last_completions = self.backend.generate(prompts, self.params)
        results = []
        for completion, (_, _, memories) in zip(self.last_completions, items, strict=True):
            parsed = parse_answer_output(completion.text)
            valid = [i for i in parsed.selected if i < len(memories) and memories[i] is not None]
            results.append((parsed.answer, valid))
        return results


class LLMExtractor:
    """A ``FactExtractor``: one generation per turn, batched per session, cached per turn.

    ``window`` is how many turns the model sees: the turn itself plus ``window - 1`` earlier
    turns of the same session as context. Each fact keeps the turn's dia_id as its source, the
    turn's speaker and the session date.
    """

    def __init__(
        self,
        backend: LLMBackend,
        params: SamplingParams | None = None,
        window: int = 1,
    ):
        if window < 1:
            raise ValueError(f"window must be >= 1, got {window}")
        self.backend = backend
        self.params = params or SamplingParams(max_new_tokens=256)
        self.window = window
        self.cache: dict[tuple[str, str], list[str]] = {}
        self.raw_outputs: dict[tuple[str, str], str] = {}

    def extract(self, conversation: Conversation) -> list[Fact]:
        facts: list[Fact] = []
        for session in conversation.sessions:
            turns = list(session.turns)
            todo = [t for t in turns if (conversation.id, t.dia_id) not in self.cache]
            if todo:
                prompts = []
                for turn in todo:
                    pos = turns.index(turn)
                    context = [
                        (t.speaker, t.text) for t in turns[max(0, pos - self.window + 1) : pos]
                    ]
                    prompts.append(
                        extraction_messages(
                            turn.speaker, session.date_str, turn.text, turn.image_caption, context
                        )
                    )
                for turn, completion in zip(
                    todo, self.backend.generate(prompts, self.params), strict=True
                ):
                    key = (conversation.id, turn.dia_id)
                    self.raw_outputs[key] = completion.text
                    self.cache[key] = parse_facts(completion.text)
            for turn in turns:
                facts.extend(
                    fact_from_turn(session, turn, text)
                    for text in self.cache[(conversation.id, turn.dia_id)]
                )
        return facts


class LLMJudge:
    """LLM-as-a-judge (unreadable output: False).

    ``judge_qa(qa, answer)`` grades an answer to a QA record with the rules of its dataset and
    question type (:func:`agents.prompts.judge_rule`: Mem0's generous judge for LoCoMo, the
    per-type rules of LongMemEval's judge, ...); ``judge(question, gold, answer, rule)`` grades
    loose strings (default rule: the generous LoCoMo/Mem0 judge).
    """

    def __init__(self, backend: LLMBackend, params: SamplingParams | None = None):
        self.backend = backend
        self.params = params or SamplingParams(max_new_tokens=32)
        self.unparsed = 0
        """How many judge outputs named neither label (counted as WRONG)."""

    def judge(self, question: str, gold: str, answer: str, rule: str = "generous") -> bool:
        return self.judge_batch([(question, gold, answer, rule)])[0]

    def judge_qa(self, qa: QA, answer: str) -> bool:
        return self.judge_qa_batch([(qa, answer)])[0]

    def judge_qa_batch(self, items: Sequence[tuple[QA, str]]) -> list[bool]:
        """Verdicts for ``(qa, answer)`` pairs, each under its question's rule."""
        return self._verdicts([judge_messages_for(qa, answer) for qa, answer in items])

    def judge_batch(self, items: Sequence[tuple[str, ...]]) -> list[bool]:
        """Verdicts for ``(question, gold, answer)`` or ``(question, gold, answer, rule)``."""
        return self._verdicts([judge_messages(*item) for item in items])

    def _verdicts(self, prompts: list[list[Message]]) -> list[bool]:
        verdicts = []
        for completion in self.backend.generate(prompts, self.params):
            label = parse_judge_label(completion.text)
            self.unparsed += label is None
            verdicts.append(bool(label))
        return verdicts
