"""A numeric view of the Answer Agent environment for classic RL (SB3 and friends)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from memenv.envs.answer_agent import AnswerAgentEnv
from memenv.wrappers.features import DEFAULT_DIM, normalise_scores, overlap_row, text_profile
from memenv.wrappers.manager import _as_int

OVERLAP_FEATURES = 3  # jaccard, containment, cosine
FEATURE_CACHE_SIZE = 4096  # observations kept per wrapper (cleared when full)


def _load_answerer() -> Any | None:
    """``memenv.answerers.extractive.ExtractiveAnswerer()``, or None when it is missing."""
    try:
        from memenv.answerers.extractive import ExtractiveAnswerer
    except ImportError:
        return None
    return ExtractiveAnswerer()


class FeaturizedAnswerAgent(gym.Wrapper):
    """
    ## Description

    Wraps :class:`~memenv.envs.answer_agent.AnswerAgentEnv` for learners with numeric
    observations and a discrete action: the agent picks the one shown memory to rely on and a
    frozen extractive answerer (``memenv.answerers.extractive.ExtractiveAnswerer``) writes the
    answer from it. When that module is not importable the answer is the chosen memory's text
    (``info["answerer"]`` says which was used). The reward is the base environment's (the
    factory defaults to ``reward="f1"``, a denser signal than exact match).

    ## Action Space

    ``Discrete(2k)`` with ``k = memories_per_speaker``: slot ``i`` (``0..k-1`` speaker A's
    memories, ``k..2k-1`` speaker B's, as in the base environment). An empty slot gives the
    empty answer; :meth:`action_masks` lists the occupied slots. Any other action (a dict, a raw
    LLM string) is passed to the base environment unchanged.

    ## Observation Space

    A ``Dict`` of ``Box`` features (``D = dim``, default 64, hashed as in
    :mod:`memenv.wrappers.features`): ``question`` ``(D,)``; ``memories`` ``(2k, D)``;
    ``scores`` ``(2k,)`` retrieval scores divided by the best score of the same speaker;
    ``overlap`` ``(2k, 3)`` question vs memory token Jaccard, share of question tokens in the
    memory, hashed cosine; ``mask`` ``(2k,)`` occupied slots.
    """

    def __init__(self, env: gym.Env, *, dim: int = DEFAULT_DIM, answerer: Any | None = None):
        super().__init__(env)
        base = env.unwrapped
        if not isinstance(base, AnswerAgentEnv):
            raise TypeError(f"FeaturizedAnswerAgent wraps an AnswerAgentEnv, got {type(base)}")
        if not isinstance(dim, int) or dim < 1:
            raise ValueError(f"dim must be a positive int, got {dim!r}")
        self.base: AnswerAgentEnv = base
        self.dim = dim
        self.slots = 2 * base.k
        self._answerer = answerer
        self._answerer_loaded = answerer is not None
        n, d = self.slots, dim
        self.observation_space = spaces.Dict(
            {
                "question": spaces.Box(-1.0, 1.0, (d,), np.float32),
                "memories": spaces.Box(-1.0, 1.0, (n, d), np.float32),
                "scores": spaces.Box(0.0, 1.0, (n,), np.float32),
                "overlap": spaces.Box(0.0, 1.0, (n, OVERLAP_FEATURES), np.float32),
                "mask": spaces.Box(0.0, 1.0, (n,), np.float32),
            }
        )
        self.action_space = spaces.Discrete(n)
        self._features: dict[str, np.ndarray] | None = None
        self._cache: dict[tuple, dict[str, np.ndarray]] = {}
        self._answers: dict[tuple, str] = {}

    @property
    def answerer(self) -> Any | None:
        """The extractive answerer (loaded on first use), or None when unavailable."""
        if not self._answerer_loaded:
            self._answerer = _load_answerer()
            self._answerer_loaded = True
        return self._answerer

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        _, info = self.env.reset(seed=seed, options=options)
        self._features = self.features(info.get("shown_scores"))
        return {key: value.copy() for key, value in self._features.items()}, info

    def step(self, action: Any):
        slot = _as_int(action)
        if slot is None or not 0 <= slot < self.slots:
            _, reward, terminated, truncated, info = self.env.step(action)
            info["answerer"] = "passthrough"
        else:
            answer, kind = self.answer_from(slot)
            _, reward, terminated, truncated, info = self.env.step(
                {"selected": [slot], "answer": answer}
            )
            info["answerer"] = kind
        features = self._features if self._features is not None else self.features(None)
        obs = {key: value.copy() for key, value in features.items()}
        return obs, reward, terminated, truncated, info

    def answer_from(self, slot: int) -> tuple[str, str]:
        """``(answer, answerer kind)`` built from the memory in ``slot``."""
        base = self.base
        memory = base.shown[slot] if slot < len(base.shown) else None
        if memory is None or base.qa is None:
            return "", "empty-slot"
        answerer = self.answerer
        if answerer is None:
            return memory.text, "memory-text"
        sessions = base.conversation.sessions if base.conversation is not None else ()
        question_date = base.qa.question_date or (sessions[-1].date_str if sessions else "")
        key = (base.qa.question, question_date, memory)
        answer = self._answers.get(key)
        if answer is None:  # the frozen answerer is deterministic: same inputs, same answer
            if len(self._answers) >= FEATURE_CACHE_SIZE:
                self._answers.clear()
            answer = self._answers[key] = str(answerer.answer(*key[:2], [memory])[0])
        return answer, "extractive"

    def action_masks(self) -> np.ndarray:
        """Occupied slots (bool ``(2k,)``); all True before the first reset."""
        shown = self.base.shown
        if not shown:
            return np.ones(self.slots, dtype=bool)
        mask = np.array([m is not None for m in shown[: self.slots]], dtype=bool)
        mask = np.concatenate([mask, np.zeros(self.slots - len(mask), dtype=bool)])
        return mask if mask.any() else np.ones(self.slots, dtype=bool)

    def features(self, shown_scores: Sequence[float | None] | None) -> dict[str, np.ndarray]:
        """The numeric observation of the current question and its shown memories
        (``shown_scores``: the base environment's ``info["shown_scores"]``).

        Kept per (question, shown texts, scores) in a bounded cache: an AnswerAgent episode is
        one question, and questions repeat while the banks stay the same. Values equal the
        per-memory computation bit for bit; callers get copies.
        """
        n, base = self.slots, self.base
        if base.qa is None:
            return self._compute(None, (), shown_scores)
        question = base.qa.question
        shown = base.shown[:n]
        key = (
            question,
            tuple(None if m is None else m.text for m in shown),
            tuple(shown_scores or ()),
        )
        hit = self._cache.get(key)
        if hit is None:
            if len(self._cache) >= FEATURE_CACHE_SIZE:
                self._cache.clear()
            hit = self._cache[key] = self._compute(question, shown, shown_scores)
            for value in hit.values():
                value.flags.writeable = False
        return hit

    def _compute(
        self,
        question: str | None,
        shown: Sequence[Any],
        shown_scores: Sequence[float | None] | None,
    ) -> dict[str, np.ndarray]:
        n, d = self.slots, self.dim
        obs = {
            "question": np.zeros(d, np.float32),
            "memories": np.zeros((n, d), np.float32),
            "scores": np.zeros(n, np.float32),
            "overlap": np.zeros((n, OVERLAP_FEATURES), np.float32),
            "mask": np.zeros(n, np.float32),
        }
        if question is None:
            return obs
        q_vec, q_tokens = text_profile(question, d)
        obs["question"][:] = q_vec
        memories, overlap, mask = obs["memories"], obs["overlap"], obs["mask"]
        for i, memory in enumerate(shown):
            if memory is None:
                continue
            vec, tokens = text_profile(memory.text, d)
            memories[i] = vec
            overlap[i] = overlap_row(q_tokens, tokens, q_vec, vec)
            mask[i] = 1.0
        k = self.base.k
        for speaker in range(2):
            part = (shown_scores or [])[speaker * k : (speaker + 1) * k]
            scores = [float(x) for x in part if x is not None]
            obs["scores"][speaker * k : (speaker + 1) * k] = normalise_scores(scores, k)
        return obs
