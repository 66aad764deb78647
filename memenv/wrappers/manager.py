"""A numeric view of the Memory Manager environment for classic RL (SB3 and friends)."""

from __future__ import annotations

import warnings
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from memenv.data.records import OPERATIONS, Fact
from memenv.envs.memory_manager import MemoryManagerEnv
from memenv.memory import MemoryEntry
from memenv.parsing import parse_manager_action
from memenv.wrappers.features import (
    DEFAULT_DIM,
    hash_tokens,
    normalise_scores,
    overlap_row,
    text_profile,
)

ACTION_MODES = ("flat", "multi", "flat-legacy")
UPDATE_TEXTS = ("merge", "fact")
OVERLAP_FEATURES = 4  # jaccard, containment, cosine, same session date
PROGRESS_FEATURES = 4  # fact position, session position, bank fill, speaker
TOKEN_SET_KEYS = ("shared", "memory_only", "fact_only")  # F & M, M - F, F - M per shown memory
BANK_SCALE = 100  # bank size is divided by the capacity, or by this when there is none


def merge_texts(old: str, fact: str, max_chars: int) -> str:
    """UPDATE text in ``"merge"`` mode: ``"old; fact"``.

    The old text is kept alone when it already contains the fact; when the merge would exceed
    ``max_chars`` the oldest ``"; "``-separated parts are dropped, and if even the fact alone is
    too long it is cut to ``max_chars``.
    """
    old, fact = old.strip(), fact.strip()
    if not old or fact.lower() in old.lower():
        return old or fact[:max_chars]
    parts = [p for p in old.split("; ") if p] + [fact]
    while len(parts) > 1 and len("; ".join(parts)) > max_chars:
        parts.pop(0)
    return "; ".join(parts)[:max_chars]


def _as_int(action: Any) -> int | None:
    """An integer action from an int, a numpy integer or a one-element integer array."""
    if isinstance(action, bool):
        return None
    if isinstance(action, int | np.integer):
        return int(action)
    if isinstance(action, np.ndarray) and action.size == 1 and action.dtype.kind in "iu":
        return int(action.reshape(()))
    return None


class FeaturizedMemoryManager(gym.Wrapper):
    """
    ## Description

    Wraps :class:`~memenv.envs.memory_manager.MemoryManagerEnv` so that learners for numeric
    observations and discrete actions (stable-baselines3's PPO, A2C, DQN, sb3-contrib's
    MaskablePPO, any Gymnasium learner) can play it. The task, episodes and rewards are the
    underlying environment's (``reward="recall"`` by default).

    ## Action Space

    One numbering everywhere: the operations come in the base environment's order (0 ADD,
    1 UPDATE, 2 DELETE, 3 NOOP, :data:`memenv.data.records.OPERATIONS`).

    ``action="flat"`` (default): ``Discrete(2 + 2k)`` with ``k = top_k``: ``0`` ADD the fact,
    ``1 + i`` UPDATE shown memory ``i``, ``1 + k + i`` DELETE shown memory ``i``, ``1 + 2k``
    NOOP (:meth:`flat_action` gives the id of an operation by name).
    ``action="multi"``: ``MultiDiscrete([4, k])``, ``[op, slot]`` with the base environment's op
    codes (the slot is ignored for ADD and NOOP).
    ``action="flat-legacy"``: the numbering before version 0.2 (``0`` ADD, ``1`` NOOP, ``2 + i``
    UPDATE, ``2 + k + i`` DELETE), kept for one release with a ``DeprecationWarning``.

    ADD stores the fact's text. UPDATE writes ``update_text="merge"`` (default, see
    :func:`merge_texts`: ``"old; fact"``, capped at the bank's ``max_text_chars``) or ``"fact"``
    (the fact's text replaces the memory). UPDATE/DELETE of an empty slot and ADD into a full
    bank are rejected by the base environment (a no-op that costs ``invalid_penalty``);
    :meth:`action_masks` lists the valid actions for masked learners. Any other action (a dict,
    a raw LLM string) is passed to the base environment unchanged.

    ## Observation Space

    A ``Dict`` of ``Box`` features (``D = dim``, default 64; hashed texts are L2-normalised
    signed bags of words, see :mod:`memenv.wrappers.features`):

    - ``fact``: ``(D,)`` the new fact; ``memories``: ``(k, D)`` the shown memories, zero-padded;
    - ``scores``: ``(k,)`` their retrieval scores divided by the best one;
    - ``overlap``: ``(k, 4)`` fact vs memory: token Jaccard, share of the fact's tokens in the
      memory, cosine of the hashed vectors, 1 if the memory was written on the fact's date;
    - ``mask``: ``(k,)`` 1 for an occupied slot;
    - ``progress``: ``(4,)`` fact index / number of facts, session index / number of sessions,
      the speaker's bank size / capacity (or / 100, clipped to 1), 1 if the fact is the second
      speaker's.

    With ``token_features=True`` four more keys compare the fact's token set ``F`` with each
    shown memory's ``M`` (zero rows for empty slots):

    - ``shared``, ``memory_only``, ``fact_only``: ``(k, D)`` hashed vectors of ``F & M``,
      ``M - F`` and ``F - M`` (which words the two share, which the memory has and the fact
      lacks, and the reverse: "same attribute, new value" shows up here);
    - ``memory_in_fact``: ``(k,)`` the share of the memory's tokens found in the fact.

    After the last fact every feature is 0. The wrapped environment's text observation is not
    rendered (its ``render_text`` is set to False): this view never reads it.

    ## Arguments

    ``dim``, ``action``, ``update_text``, ``token_features`` (default False) as above; the base
    environment is given (build one with
    :func:`memenv.wrappers.make_featurized_manager`).

    ## Version History

    - 0.3: opt-in ``token_features`` (the default observation is unchanged).
    - 0.2: the flat numbering follows the base environment's operation order (NOOP moved from
      ``1`` to ``1 + 2k``); the previous numbering is ``action="flat-legacy"`` for one release.
    - 0.1: initial release.
    """

    def __init__(
        self,
        env: gym.Env,
        *,
        dim: int = DEFAULT_DIM,
        action: str = "flat",
        update_text: str = "merge",
        token_features: bool = False,
    ):
        super().__init__(env)
        base = env.unwrapped
        if not isinstance(base, MemoryManagerEnv):
            raise TypeError(f"FeaturizedMemoryManager wraps a MemoryManagerEnv, got {type(base)}")
        if action not in ACTION_MODES:
            raise ValueError(f"action must be one of {ACTION_MODES}, got {action!r}")
        if update_text not in UPDATE_TEXTS:
            raise ValueError(f"update_text must be one of {UPDATE_TEXTS}, got {update_text!r}")
        if not isinstance(dim, int) or dim < 1:
            raise ValueError(f"dim must be a positive int, got {dim!r}")
        if not isinstance(token_features, bool):
            raise TypeError(f"token_features must be a bool, got {token_features!r}")
        self.token_features = token_features
        self.base: MemoryManagerEnv = base
        base.render_text = False  # the text observation is dropped here: not rendered at all
        self.dim = dim
        self.k = base.top_k
        self.action_mode = action
        if action == "flat-legacy":
            warnings.warn(
                'action="flat-legacy" (0 ADD, 1 NOOP, 2+i UPDATE, 2+k+i DELETE) is deprecated and '
                'will be removed in the next release; action="flat" numbers the operations in '
                "the base environment's order (0 ADD, 1+i UPDATE, 1+k+i DELETE, 1+2k NOOP)",
                DeprecationWarning,
                stacklevel=2,
            )
        self.update_text = update_text
        self._sessions: dict[str, int] = {}  # conversation id -> last session index
        k = self.k
        features = {
            "fact": spaces.Box(-1.0, 1.0, (dim,), np.float32),
            "memories": spaces.Box(-1.0, 1.0, (k, dim), np.float32),
            "scores": spaces.Box(0.0, 1.0, (k,), np.float32),
            "overlap": spaces.Box(0.0, 1.0, (k, OVERLAP_FEATURES), np.float32),
            "mask": spaces.Box(0.0, 1.0, (k,), np.float32),
            "progress": spaces.Box(0.0, 1.0, (PROGRESS_FEATURES,), np.float32),
        }
        if token_features:
            for key in TOKEN_SET_KEYS:
                features[key] = spaces.Box(-1.0, 1.0, (k, dim), np.float32)
            features["memory_in_fact"] = spaces.Box(0.0, 1.0, (k,), np.float32)
        self.observation_space = spaces.Dict(features)
        if action != "multi":
            self.action_space = spaces.Discrete(2 + 2 * k)
        else:
            self.action_space = spaces.MultiDiscrete([4, k])

    # ------------------------------------------------------------------ gym API
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        _, info = self.env.reset(seed=seed, options=options)
        return self.features(), info

    def step(self, action: Any):
        _, reward, terminated, truncated, info = self.env.step(self.to_base_action(action))
        return self.features(), reward, terminated, truncated, info

    # ------------------------------------------------------------------ actions
    def decode(self, action: Any) -> tuple[str, int] | None:
        """``(op name, slot)`` of a flat or multi action; None if it is neither."""
        k = self.k
        if self.action_mode != "multi":
            a = _as_int(action)
            if a is None or not 0 <= a < 2 + 2 * k:
                return None
            if a == 0:
                return "ADD", 0
            if a == self._noop_id:
                return "NOOP", 0
            first = self._update_base
            if a < first + k:
                return "UPDATE", a - first
            return "DELETE", a - first - k
        arr = np.asarray(action) if isinstance(action, list | tuple | np.ndarray) else None
        if arr is None or arr.shape != (2,) or arr.dtype.kind not in "iu":
            return None
        op, slot = int(arr[0]), int(arr[1])
        if not (0 <= op < 4 and 0 <= slot < k):
            return None
        return OPERATIONS[op], slot

    def to_base_action(self, action: Any) -> Any:
        """The base environment's dict action for a flat or multi action (others pass through)."""
        decoded = self.decode(action)
        if decoded is None:
            return action
        op, slot = decoded
        if op in ("ADD", "NOOP"):
            return {"op": op, "target": 0, "text": ""}
        text = ""
        if op == "UPDATE" and self.update_text == "merge" and slot < len(self.base.shown):
            fact = self._current_fact()
            if fact is not None:
                old = self.base.shown[slot].text
                text = merge_texts(old, fact.text, self.base.max_text_chars)
        return {"op": op, "target": slot, "text": text}

    def from_base_action(self, action: Any) -> int:
        """The flat action of a base environment action (an action dict or the manager's text
        reply, as the scripted systems give them): its first operation and that operation's
        shown slot; NOOP when it holds no operation. The inverse of :meth:`to_base_action` on
        its operation and slot."""
        ops, error = parse_manager_action(action)
        if error and not isinstance(action, str):
            raise ValueError(f"not a base action: {error}: {action!r}")
        if not ops:
            return self.flat_action("NOOP")
        name, target = ops[0].op, ops[0].target
        slot = int(target) if name in ("UPDATE", "DELETE") and target is not None else 0
        return self.flat_action(name, slot)

    def flat_action(self, op: str, slot: int = 0) -> int:
        """The flat action id of ``op`` ("ADD", "UPDATE", "DELETE", "NOOP") on ``slot``."""
        op = op.upper()
        if op not in OPERATIONS:
            raise ValueError(f"op must be one of {OPERATIONS}, got {op!r}")
        if op == "ADD":
            return 0
        if op == "NOOP":
            return self._noop_id
        if not 0 <= slot < self.k:
            raise ValueError(f"slot must be in 0..{self.k - 1}, got {slot}")
        if op == "UPDATE":
            return self._update_base + slot
        return self._update_base + self.k + slot

    @property
    def _update_base(self) -> int:
        """Flat id of UPDATE slot 0 (after ADD, and after NOOP in the legacy numbering)."""
        return 2 if self.action_mode == "flat-legacy" else 1

    @property
    def _noop_id(self) -> int:
        return 1 if self.action_mode == "flat-legacy" else 1 + 2 * self.k

    def _current_fact(self) -> Fact | None:
        """The fact being decided on; None before the first reset and after the last fact."""
        try:
            return self.base.current_fact
        except RuntimeError:  # not reset yet
            return None

    def _bank_has_room(self) -> bool:
        fact = self._current_fact()
        capacity = self.base.capacity
        if fact is None or capacity is None:
            return True
        bank = self.base.banks.get(fact.speaker)
        return bank is None or len(bank) < capacity

    def action_masks(self) -> np.ndarray:
        """Valid actions (bool): ``(2 + 2k,)`` flat (indexed by flat id), or ``(4 + k,)`` op then
        slot for "multi".

        ADD needs room in the speaker's bank, UPDATE and DELETE an occupied slot; NOOP is always
        valid. In "multi" mode the slot mask is all True when no memory is shown (its value is
        then ignored), and UPDATE/DELETE are valid when any slot is occupied.
        """
        k = self.k
        shown = len(self.base.shown) if self._current_fact() is not None else 0
        occupied = np.arange(k) < shown
        add_ok = self._bank_has_room()
        if self.action_mode == "flat":
            return np.concatenate([[add_ok], occupied, occupied, [True]]).astype(bool)
        if self.action_mode == "flat-legacy":
            return np.concatenate([[add_ok, True], occupied, occupied]).astype(bool)
        any_shown = bool(shown)
        slots = occupied if any_shown else np.ones(k, dtype=bool)
        return np.concatenate([[add_ok, any_shown, any_shown, True], slots]).astype(bool)

    # ------------------------------------------------------------------ observations
    def features(self) -> dict[str, np.ndarray]:
        """The numeric observation of the base environment's current state.

        Each text's hashed vector and token set come from one cached look-up
        (:func:`~memenv.wrappers.features.text_profile`) and the rows are written in one
        assignment per array; the values equal the per-memory computation bit for bit.
        """
        k, dim = self.k, self.dim
        memories = np.zeros((k, dim), np.float32)
        overlap = np.zeros((k, OVERLAP_FEATURES), np.float32)
        mask = np.zeros(k, np.float32)
        base = self.base
        fact = self._current_fact()
        if fact is None:
            out = {
                "fact": np.zeros(dim, np.float32),
                "memories": memories,
                "scores": np.zeros(k, np.float32),
                "overlap": overlap,
                "mask": mask,
                "progress": np.zeros(PROGRESS_FEATURES, np.float32),
            }
            if self.token_features:
                out.update(self._token_set_features(frozenset(), []))
            return out
        fact_vec, fact_tokens = text_profile(fact.text, dim)
        shown: list[MemoryEntry] = base.shown[:k]
        if shown:
            n = len(shown)
            date = fact.date_str
            rows = []
            for i, memory in enumerate(shown):
                vec, tokens = text_profile(memory.text, dim)
                memories[i] = vec
                row = overlap_row(fact_tokens, tokens, fact_vec, vec)
                row.append(1.0 if memory.timestamp and memory.timestamp == date else 0.0)
                rows.append(row)
            overlap[:n] = rows
            mask[:n] = 1.0
        conversation = base.conversation
        sessions = self._sessions.get(conversation.id)
        if sessions is None:
            sessions = max((f.session_index for f in base.facts), default=0)
            self._sessions[conversation.id] = sessions
        bank = base.banks.get(fact.speaker)
        size = len(bank) if bank is not None else 0
        scale = base.capacity if base.capacity else BANK_SCALE
        speakers = conversation.speakers
        progress = np.array(
            [
                base.fact_index / max(len(base.facts), 1),
                min(max(fact.session_index / sessions, 0.0), 1.0) if sessions else 0.0,
                min(size / scale, 1.0) if scale else 1.0,
                float(len(speakers) > 1 and fact.speaker == speakers[1]),
            ],
            dtype=np.float32,
        )
        out = {
            "fact": fact_vec.copy(),
            "memories": memories,
            "scores": normalise_scores(base.shown_scores, k),
            "overlap": overlap,
            "mask": mask,
            "progress": progress,
        }
        if self.token_features:
            out.update(self._token_set_features(fact_tokens, shown))
        return out

    def _token_set_features(
        self, fact_tokens: frozenset[str], shown: list[MemoryEntry]
    ) -> dict[str, np.ndarray]:
        """The ``token_features`` keys (see the class docstring)."""
        k, dim = self.k, self.dim
        sets = {key: np.zeros((k, dim), np.float32) for key in TOKEN_SET_KEYS}
        memory_in_fact = np.zeros(k, np.float32)
        for i, memory in enumerate(shown):
            tokens = text_profile(memory.text, dim)[1]
            common = fact_tokens & tokens
            sets["shared"][i] = hash_tokens(common, dim)
            sets["memory_only"][i] = hash_tokens(tokens - fact_tokens, dim)
            sets["fact_only"][i] = hash_tokens(fact_tokens - tokens, dim)
            memory_in_fact[i] = len(common) / len(tokens) if tokens else 0.0
        return {**sets, "memory_in_fact": memory_in_fact}
