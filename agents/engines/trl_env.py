"""TRL environments: Memory Manager and Answer Agent episodes for ``GRPOTrainer``.

TRL's ``GRPOTrainer(environment_factory=...)`` (TRL >= 1.0; tested with 1.16.0) creates one
environment per rollout, calls its ``reset(**row)`` with the dataset row (the returned text is
appended to the prompt), exposes every other public method as a tool (name, type hints and
Google-style docstring become the tool schema), runs the model's tool calls against it, and
scores the finished rollout with ``get_reward()``.

:class:`MemoryManagerToolEnv` plays a whole Memory Manager episode (or a window of one, see
:mod:`agents.engines.episodes`) this way: the operations are the tools ``add``, ``update``,
``delete`` and ``noop``; each call decides the current fact and returns the next one with its
related memories, until the window ends. The reward is the environment's episode return
(its per-step rewards plus, with ``terminal_reward=True``, its terminal score). Every rollout of
a dataset row restores the same start state (one :class:`SharedStates` per factory), so a GRPO
group shares its bank state.

:class:`AnswerAgentToolEnv` exposes the Answer Agent: one tool, ``answer``, scored by the
AnswerAgent environment.

Tool calling needs a chat template that renders tool calls and that TRL can parse back; models
with a plain ChatML template (SmolLM2, the ``tiny`` test model) get TRL's Qwen2.5 template,
which uses the same ``<|im_start|>``/``<|im_end|>`` tokens (:func:`with_tool_template`).
Only this module and :mod:`agents.engines.trl_train` import TRL.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from agents.engines.episodes import EpisodeSpec, ManagerEpisode, SharedStates
from memenv.envs import AnswerAgentEnv, MemoryManagerEnv

MANAGER_TOOL_SYSTEM = """You manage the long-term memory of both speakers of a conversation. \
The facts of the conversation arrive one at a time, each with the memories of its speaker that \
are most related to it (each memory has an id). Decide every fact with exactly one tool call:
- add: the fact is new information; store it as a new memory.
- update: the fact refines or changes a shown memory; rewrite that memory (by id).
- delete: the fact shows a shown memory is no longer true; remove it (by id).
- noop: the fact is already known or not worth keeping.
Each call returns the next fact, until the episode is over."""

ANSWER_TOOL_SYSTEM = """You answer a question about a long conversation between two people, \
using only the memories retrieved from each person's memory bank (each memory has an id in \
brackets and the date it was recorded). Trust the most recent memory when memories disagree, \
and turn relative dates into absolute ones. Give your answer, six words at most, with one call \
of the answer tool, listing the ids of the memories you used."""

END_OF_EPISODE = "The episode is over: every fact has been decided. Stop calling tools."


def fact_text(episode: ManagerEpisode) -> str:
    """The current fact of an episode and its related memories, as a tool result shows them."""
    if episode.done:
        return END_OF_EPISODE
    obs = episode.observation
    try:
        memories = json.loads(obs.get("memories") or "[]")
    except ValueError:
        memories = []
    lines = [f"[{m.get('id')}] {m.get('text')}" for m in memories if isinstance(m, dict)]
    shown = "\n".join(lines) if lines else "(none yet)"
    speaker, date = obs.get("speaker", ""), obs.get("date", "") or "unknown date"
    return (
        f"Fact {episode.position} of {episode.window_size} ({speaker}, {date}): "
        f"{obs.get('fact', '')}\nRelated memories of {speaker}:\n{shown}"
    )


class MemoryManagerToolEnv:
    """A Memory Manager episode as a TRL environment: one tool call per fact.

    ``reset(**row)`` reads the episode from the row's ``conversation``, ``start_fact``,
    ``max_facts`` and ``prefix_policy`` fields (:class:`EpisodeSpec`), restores its shared start
    state and returns the first fact. An invalid call (an id that is not shown) is applied as a
    no-op and costs the environment's ``invalid_penalty``, as in the environment itself.
    """

    def __init__(self, env: MemoryManagerEnv, states: SharedStates | None = None):
        self._episode = ManagerEpisode(env, states)
        self._closed = False

    def reset(self, **row: Any) -> str:
        self._episode.start(EpisodeSpec.from_row(row))
        self._closed = False
        return "\n\n" + fact_text(self._episode)

    def _act(self, action: dict[str, Any]) -> str:
        if not self._episode.started:
            raise RuntimeError("the environment was not reset")
        if self._episode.done:
            return END_OF_EPISODE
        _, _, _, info = self._episode.step(action)
        note = (
            f"(invalid: {info['invalid_action']}; applied as a no-op)\n"
            if info["invalid_action"]
            else ""
        )
        return note + fact_text(self._episode)

    def add(self, text: str) -> str:
        """Store the current fact as a new memory of its speaker.

        Args:
            text: The memory to store: the fact, possibly rewritten as one short sentence.
                An empty string stores the fact as it is.

        Returns:
            The next fact with its related memories, or the end of the episode.
        """
        return self._act({"op": "ADD", "text": str(text or "")})

    def update(self, memory_id: int, text: str) -> str:
        """Rewrite a shown memory with the information of the current fact.

        Args:
            memory_id: The id of the shown memory to rewrite.
            text: The new text of that memory, merging the old memory and the fact.

        Returns:
            The next fact with its related memories, or the end of the episode.
        """
        return self._act({"op": "UPDATE", "target": str(memory_id), "text": str(text or "")})

    def delete(self, memory_id: int) -> str:
        """Remove a shown memory that the current fact shows to be no longer true.

        Args:
            memory_id: The id of the shown memory to remove.

        Returns:
            The next fact with its related memories, or the end of the episode.
        """
        return self._act({"op": "DELETE", "target": str(memory_id), "text": ""})

    def noop(self) -> str:
        """Leave the memories unchanged: the current fact is known already or not worth keeping.

        Returns:
            The next fact with its related memories, or the end of the episode.
        """
        return self._act({"op": "NOOP", "text": ""})

    def get_reward(self) -> float:
        """The episode return; undecided facts of the window are played as NOOP first."""
        return float(self._episode.finish())

    @property
    def episode(self) -> ManagerEpisode:
        return self._episode


class AnswerAgentToolEnv:
    """An Answer Agent question as a TRL environment with one tool, ``answer``.

    ``reset(**row)`` shows the row's ``question`` (an index into the environment's questions or
    a question id) with the retrieved memories; the reward is the AnswerAgent environment's
    score of the answer (0 when the model never answers).
    """

    def __init__(self, env: AnswerAgentEnv):
        self._env = env
        self._reward: float | None = None
        self._ready = False

    def reset(self, **row: Any) -> str:
        if "question" not in row:
            raise ValueError(f"answer row has no 'question' field (fields: {sorted(row)})")
        choice = row["question"]
        choice = int(choice) if not isinstance(choice, str) else choice
        obs, _ = self._env.reset(options={"question": choice})
        self._reward, self._ready = None, True
        return (
            f"\n\nMemories of {obs['speaker_a']}:\n{obs['memories_a'] or '(none)'}\n\n"
            f"Memories of {obs['speaker_b']}:\n{obs['memories_b'] or '(none)'}\n\n"
            f"Question{' (asked on ' + obs['question_date'] + ')' if obs['question_date'] else ''}:"
            f" {obs['question']}"
        )

    def answer(self, answer: str, memory_ids: list[int]) -> str:
        """Give the final answer to the question.

        Args:
            answer: The answer, six words at most.
            memory_ids: The ids of the memories the answer relies on.

        Returns:
            A confirmation; the question is then closed.
        """
        if not self._ready:
            return "The question is closed: the answer was already given."
        ids = [int(i) for i in memory_ids] if isinstance(memory_ids, list | tuple) else []
        _, reward, _, _, _ = self._env.step({"answer": str(answer), "selected": ids})
        self._reward, self._ready = float(reward), False
        return "Answer recorded."

    def get_reward(self) -> float:
        if self._reward is None:
            if not self._ready:
                raise RuntimeError("the environment was not reset")
            _, reward, _, _, _ = self._env.step({"answer": "", "selected": []})
            self._reward, self._ready = float(reward), False
        return self._reward


# ---------------------------------------------------------------------- factories and data
def manager_environment_factory(
    make_env: Callable[[], MemoryManagerEnv],
) -> Callable[[], MemoryManagerToolEnv]:
    """A TRL ``environment_factory``: each call makes a tool environment over a fresh
    MemoryManager environment; all of them share one :class:`SharedStates`."""
    states = SharedStates()

    def factory() -> MemoryManagerToolEnv:
        return MemoryManagerToolEnv(make_env(), states)

    factory.states = states  # type: ignore[attr-defined]
    return factory


def answer_environment_factory(
    make_env: Callable[[], AnswerAgentEnv],
) -> Callable[[], AnswerAgentToolEnv]:
    """A TRL ``environment_factory`` for Answer Agent questions."""
    return lambda: AnswerAgentToolEnv(make_env())


def manager_episode_rows(
    env: MemoryManagerEnv, specs: Sequence[EpisodeSpec]
) -> list[dict[str, Any]]:
    """Dataset rows for :class:`MemoryManagerToolEnv`: a conversational prompt and the spec."""
    rows = []
    for spec in specs:
        conversation = env.conversations[spec.conversation]
        a, b = (list(conversation.speakers) + ["", ""])[:2]
        user = (
            f"Conversation {conversation.id} between {a} and {b}. Decide every fact below with "
            "one tool call, in order."
        )
        rows.append(
            {
                "prompt": [
                    {"role": "system", "content": MANAGER_TOOL_SYSTEM},
                    {"role": "user", "content": user},
                ],
                **spec.to_row(),
            }
        )
    return rows


def answer_rows(env: AnswerAgentEnv) -> list[dict[str, Any]]:
    """Dataset rows for :class:`AnswerAgentToolEnv`: one per question of ``env``."""
    return [
        {
            "prompt": [
                {"role": "system", "content": ANSWER_TOOL_SYSTEM},
                {"role": "user", "content": "Answer the question below."},
            ],
            "question": index,
        }
        for index in range(env.num_questions)
    ]


def with_tool_template(tokenizer: Any) -> Any:
    """``tokenizer`` with a chat template that renders and parses tool calls.

    A template TRL already supports is kept. A plain ChatML template (``<|im_start|>`` /
    ``<|im_end|>`` tokens, as SmolLM2 and the tiny test model have) is replaced by TRL's
    Qwen2.5 template, which uses the same tokens; anything else is an error.
    """
    from trl.chat_template_utils import qwen2_5_chat_template, supports_tool_calling

    if supports_tool_calling(tokenizer):
        return tokenizer
    vocab = tokenizer.get_vocab()
    missing = [t for t in ("<|im_start|>", "<|im_end|>") if t not in vocab]
    if missing:
        raise ValueError(
            f"the tokenizer's chat template cannot render tool calls and it lacks the ChatML "
            f"tokens {missing}; give it a tool-calling chat template"
        )
    tokenizer.chat_template = qwen2_5_chat_template
    return tokenizer
