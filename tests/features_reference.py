"""The featurized wrappers' observations as first written (a plain per-memory loop): the
reference the optimised ``features`` methods must match bit for bit."""

from __future__ import annotations

import numpy as np

from memenv.wrappers.features import hash_text, normalise_scores, overlap_features


def manager_features(wrapper) -> dict[str, np.ndarray]:
    """``FeaturizedMemoryManager.features()`` as first written."""
    k, dim = wrapper.k, wrapper.dim
    obs = {
        "fact": np.zeros(dim, np.float32),
        "memories": np.zeros((k, dim), np.float32),
        "scores": np.zeros(k, np.float32),
        "overlap": np.zeros((k, 4), np.float32),
        "mask": np.zeros(k, np.float32),
        "progress": np.zeros(4, np.float32),
    }
    base = wrapper.base
    fact = wrapper._current_fact()
    if fact is None:
        return obs
    fact_vec = hash_text(fact.text, dim)
    obs["fact"][:] = fact_vec
    shown = base.shown[:k]
    for i, memory in enumerate(shown):
        vec = hash_text(memory.text, dim)
        obs["memories"][i] = vec
        obs["overlap"][i, :3] = overlap_features(fact.text, memory.text, fact_vec, vec)
        same_date = bool(memory.timestamp) and memory.timestamp == fact.date_str
        obs["overlap"][i, 3] = float(same_date)
    obs["mask"][: len(shown)] = 1.0
    obs["scores"][:] = normalise_scores(list(base.shown_scores), k)
    conversation = base.conversation
    sessions = max((f.session_index for f in base.facts), default=0)
    bank = base.banks.get(fact.speaker)
    size = len(bank) if bank is not None else 0
    scale = base.capacity if base.capacity else 100
    obs["progress"][:] = [
        base.fact_index / max(len(base.facts), 1),
        min(max(fact.session_index / sessions, 0.0), 1.0) if sessions else 0.0,
        min(size / scale, 1.0) if scale else 1.0,
        float(len(conversation.speakers) > 1 and fact.speaker == conversation.speakers[1]),
    ]
    return obs


def answer_features(wrapper, shown_scores) -> dict[str, np.ndarray]:
    """``FeaturizedAnswerAgent.features(shown_scores)`` as first written."""
    n, d, base = wrapper.slots, wrapper.dim, wrapper.base
    obs = {
        "question": np.zeros(d, np.float32),
        "memories": np.zeros((n, d), np.float32),
        "scores": np.zeros(n, np.float32),
        "overlap": np.zeros((n, 3), np.float32),
        "mask": np.zeros(n, np.float32),
    }
    if base.qa is None:
        return obs
    question = base.qa.question
    q_vec = hash_text(question, d)
    obs["question"][:] = q_vec
    for i, memory in enumerate(base.shown[:n]):
        if memory is None:
            continue
        vec = hash_text(memory.text, d)
        obs["memories"][i] = vec
        obs["overlap"][i] = overlap_features(question, memory.text, q_vec, vec)
        obs["mask"][i] = 1.0
    k = base.k
    for speaker in range(2):
        part = (shown_scores or [])[speaker * k : (speaker + 1) * k]
        scores = [float(x) for x in part if x is not None]
        obs["scores"][speaker * k : (speaker + 1) * k] = normalise_scores(scores, k)
    return obs
