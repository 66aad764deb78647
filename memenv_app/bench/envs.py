"""Reset+step throughput of every registered environment id, single process and vectorised.

Data: LoCoMo ids read ``--locomo-path`` or the shared trainval file (``split="all"``; skipped
with a note when neither exists); LongMemEval and MSC ids read files written by
:func:`write_longmemeval` and :func:`write_msc` into a temporary directory (synthetic, seeded,
in each dataset's real format, with turns of realistic length); Synth ids use the default
embedded split.

Scripted policies (no model, :class:`ScriptedPolicy`): the manager cycles ADD, ADD, UPDATE 0,
NOOP, DELETE 0 (ADD instead of UPDATE/DELETE when no memory is shown); the answerer selects the
first shown memory and answers with its text. They read the unwrapped environment, so the
featurized ids are driven through their own ``Discrete`` actions (their answerer then writes the
answer). Throughput counts every ``step`` call, with the ``reset`` calls of the timed window
included in the time; AnswerAgent episodes are one reset + one step. AnswerAgent banks are built
(add-all) in a warm-up outside the timed window. Vectorised runs use default-constructed
environments and the same policies read from the batched observations
(:func:`manager_action`, :func:`answer_action`); their first window is a warm-up.
"""

from __future__ import annotations

import json
import re
import tempfile
import time
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

import memenv  # noqa: F401  (registers the ids)
from envs_registry import env_ids
from memenv_app.bench import default_locomo_path, median, part_main
from memenv_app.bench.retrieval import ZipfText

MANAGER_CYCLE = ("ADD", "ADD", "UPDATE", "NOOP", "DELETE")
_OP = {"ADD": 0, "UPDATE": 1, "DELETE": 2, "NOOP": 3}
_LINE = re.compile(r"^\[\d+\] (?:\([^)]*\) )?")
VECTOR_IDS = ("MemoryManager-Synth-v0", "AnswerAgent-Synth-v0")
VECTOR_SIZES = (1, 2, 4)


# ---------------------------------------------------------------------- data generators
def write_longmemeval(path: Path, n_items: int, n_sessions: int, seed: int = 0) -> Path:
    """A LongMemEval-format JSON file: ``n_items`` items of ``n_sessions`` sessions of 6-14
    turns (user 10-25 words, assistant 30-80 words); one ``has_answer`` user turn per item."""
    gen = ZipfText(seed=seed)
    rng = np.random.default_rng(seed)
    items = []
    for i in range(n_items):
        sessions, dates = [], []
        answer_s = int(rng.integers(n_sessions))
        for s in range(n_sessions):
            n_turns = 2 * int(rng.integers(3, 8))
            users = gen.sentences(n_turns // 2, 10, 25)
            bots = gen.sentences(n_turns // 2, 30, 80)
            turns: list[dict[str, Any]] = []
            for u, a in zip(users, bots, strict=True):
                turns.append({"role": "user", "content": u})
                turns.append({"role": "assistant", "content": a})
            if s == answer_s:
                turns[0]["has_answer"] = True
                evidence = turns[0]["content"]
            sessions.append(turns)
            dates.append(f"2023/{1 + s * 11 // n_sessions:02d}/{1 + s % 28:02d} (Mon) 10:00")
        words = evidence.rstrip(".").split()

        def session_id(s: int, i: int = i, answer_s: int = answer_s) -> str:
            # as in the official files, evidence sessions have "answer" in their id
            return f"answer_{i}_{s}" if s == answer_s else f"s{i}_{s}"

        items.append(
            {
                "question_id": f"bench-{i}",
                "question_type": "single-session-user",
                "question": "What did I say about " + " ".join(words[:6]) + "?",
                "answer": " ".join(words[-3:]),
                "question_date": "2023/12/31 (Sun) 12:00",
                "haystack_session_ids": [session_id(s) for s in range(n_sessions)],
                "haystack_dates": dates,
                "haystack_sessions": sessions,
                "answer_session_ids": [session_id(answer_s)],
            }
        )
    path.write_text(json.dumps(items, ensure_ascii=False), "utf-8")
    return path


def write_msc(path: Path, n_lines: int, n_sessions: int = 5, seed: int = 1) -> Path:
    """An MSC-Self-Instruct JSONL file: ``n_lines`` conversations of ``n_sessions`` sessions
    (the last is the current ``dialog``) of 8-14 turns of 8-20 words."""
    gen = ZipfText(seed=seed)
    rng = np.random.default_rng(seed)
    lines = []
    for _ in range(n_lines):

        def dialog() -> list[dict[str, str]]:
            texts = gen.sentences(int(rng.integers(8, 15)), 8, 20)
            return [{"id": f"Speaker {1 + t % 2}", "text": x} for t, x in enumerate(texts)]

        previous = [
            {"dialog": dialog(), "time_num": int(rng.integers(1, 10)), "time_unit": "days"}
            for _ in range(n_sessions - 1)
        ]
        first = previous[0]["dialog"][0]["text"].rstrip(".").split()
        lines.append(
            {
                "personas": [gen.sentences(3, 5, 8), gen.sentences(3, 5, 8)],
                "previous_dialogs": previous,
                "dialog": dialog(),
                "self_instruct": {
                    "B": "Do you remember " + " ".join(first[:5]) + "?",
                    "A": first[-1],
                },
            }
        )
    path.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n", "utf-8")
    return path


# ---------------------------------------------------------------------- policies
def manager_action(i: int, memories_json: str) -> dict[str, Any]:
    """The ``i``-th action of the scripted manager cycle."""
    op = MANAGER_CYCLE[i % len(MANAGER_CYCLE)]
    if op in ("UPDATE", "DELETE") and memories_json in ("", "[]"):
        op = "ADD"
    return {"op": _OP[op], "target": 0, "text": ""}


def answer_action(memories_a: str, memories_b: str, k: int) -> dict[str, Any]:
    """Select the first shown memory and answer with its text."""
    if memories_a:
        line, first = memories_a.split("\n", 1)[0], 0
    elif memories_b:
        line, first = memories_b.split("\n", 1)[0], k
    else:
        return {"selected": [], "answer": ""}
    return {"selected": [first], "answer": _LINE.sub("", line, count=1)}


class ScriptedPolicy:
    """The scripted manager or answerer for one (possibly wrapped) environment.

    Reads the unwrapped environment's shown memories, so it also drives the featurized ids
    (``Discrete`` / ``MultiDiscrete`` actions are encoded as those wrappers define them).
    """

    def __init__(self, env: gym.Env) -> None:
        self.base = env.unwrapped
        self.space = env.action_space
        self.manager = hasattr(self.base, "top_k")
        self.i = 0
        self.flat_action: Any = None
        if self.manager and isinstance(self.space, gym.spaces.Discrete):
            self.flat_action = env.get_wrapper_attr("flat_action")

    def act(self) -> Any:
        base, space = self.base, self.space
        if self.manager:
            op = MANAGER_CYCLE[self.i % len(MANAGER_CYCLE)]
            self.i += 1
            if op in ("UPDATE", "DELETE") and not base.shown:
                op = "ADD"
            if isinstance(space, gym.spaces.Discrete):  # flat: the wrapper's own numbering
                return self.flat_action(op, 0)
            if isinstance(space, gym.spaces.MultiDiscrete):
                return np.array([_OP[op], 0])
            return {"op": _OP[op], "target": 0, "text": ""}
        slot = next((i for i, m in enumerate(base.shown) if m is not None), 0)
        if isinstance(space, gym.spaces.Discrete):
            return slot
        memory = base.shown[slot] if slot < len(base.shown) else None
        return {"selected": [slot], "answer": memory.text if memory is not None else ""}


# ---------------------------------------------------------------------- measurement
def _warm_answer_env(env: Any) -> None:
    """Build (add-all) the banks of every conversation, outside the timed window."""
    base = env.unwrapped
    for conversation in base.conversations:
        base.banks_for(conversation)


def single_throughput(env_id: str, kwargs: dict[str, Any], seconds: float, repeats: int) -> dict:
    """Median steps/s of ``repeats`` windows of ``seconds`` each on one environment."""
    start = time.perf_counter()
    env = gym.make(env_id, **kwargs)
    policy = ScriptedPolicy(env)
    if not policy.manager:
        _warm_answer_env(env)
    setup = time.perf_counter() - start
    env.reset(seed=0)
    for _ in range(5):  # warm-up outside the window (lazy imports, first-use caches)
        _, _, terminated, truncated, _ = env.step(policy.act())
        if terminated or truncated:
            env.reset()
    rates, cpu_rates, steps_total = [], [], 0
    clock = time.perf_counter
    for _ in range(repeats):
        steps = 0
        c0 = time.process_time()
        t0 = clock()
        deadline = t0 + seconds
        while True:
            _, _, terminated, truncated, _ = env.step(policy.act())
            steps += 1
            if terminated or truncated:
                env.reset()
            if clock() >= deadline:
                break
        rates.append(steps / (clock() - t0))
        cpu_rates.append(steps / max(time.process_time() - c0, 1e-9))
        steps_total += steps
    env.close()
    return {
        "steps_per_s": median(rates),
        "cpu_steps_per_s": median(cpu_rates),
        "runs": rates,
        "steps": steps_total,
        "setup_s": setup,
    }


def vector_throughput(env_id: str, n: int, mode: str, seconds: float, repeats: int) -> float:
    """Median env-steps/s (vector steps x ``n``) of ``n`` copies under Sync/AsyncVectorEnv."""
    manager = "MemoryManager" in env_id
    fns = [lambda: gym.make(env_id) for _ in range(n)]
    if mode == "sync":
        venv = gym.vector.SyncVectorEnv(fns)
    else:
        venv = gym.vector.AsyncVectorEnv(fns, shared_memory=False)
    try:
        obs, _ = venv.reset(seed=list(range(n)))
        k = 0 if manager else venv.single_action_space["selected"].n // 2
        rates, i = [], 0
        clock = time.perf_counter
        for r in range(repeats + 1):  # the first window is a warm-up (AnswerAgent bank builds)
            steps = 0
            t0 = clock()
            deadline = t0 + seconds
            while clock() < deadline:
                if manager:
                    acts = [manager_action(i, m) for m in obs["memories"]]
                    action = {
                        "op": np.array([a["op"] for a in acts]),
                        "target": np.zeros(n, dtype=np.int64),
                        "text": ("",) * n,
                    }
                else:
                    acts = [
                        answer_action(a, b, k)
                        for a, b in zip(obs["memories_a"], obs["memories_b"], strict=True)
                    ]
                    selected = np.zeros((n, 2 * k), dtype=np.int8)
                    for row, a in enumerate(acts):
                        selected[row, a["selected"]] = 1
                    action = {"selected": selected, "answer": tuple(a["answer"] for a in acts)}
                obs, *_ = venv.step(action)
                i += 1
                steps += 1
            if r:
                rates.append(steps * n / (clock() - t0))
        return median(rates)
    finally:
        venv.close()


def env_kwargs(env_id: str, data_dir: Path, locomo: Path | None) -> dict[str, Any] | None:
    """``gym.make`` kwargs of ``env_id`` for the bench; ``None`` when its data is missing."""
    if "LoCoMo" in env_id:
        return None if locomo is None else {"data_path": str(locomo), "split": "all"}
    if "LongMemEval" in env_id:
        return {"data_path": str(data_dir / "longmemeval.json")}
    if "MSC" in env_id:
        return {"data_path": str(data_dir / "msc.jsonl")}
    return {}


def run(quick: bool = False, locomo_path: str | None = None) -> dict[str, Any]:
    """The envs part: ``env_steps_per_s`` and ``vector_env_steps_per_s``."""
    seconds, repeats = (0.1, 1) if quick else (1.0, 3)
    locomo = default_locomo_path(locomo_path)
    notes: list[str] = []
    single: dict[str, float] = {}
    details: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="memenv-bench-data-") as tmp:
        data_dir = Path(tmp)
        n_items, n_sessions, n_msc = (3, 6, 5) if quick else (12, 40, 60)
        write_longmemeval(data_dir / "longmemeval.json", n_items, n_sessions)
        write_msc(data_dir / "msc.jsonl", n_msc)
        notes.append(
            f"envs: LongMemEval data = {n_items} synthetic items x {n_sessions} sessions; "
            f"MSC data = {n_msc} synthetic conversations x 5 sessions"
        )
        if locomo is None or not locomo.is_file():
            notes.append("envs: LoCoMo ids skipped (no --locomo-path and no shared file)")
            locomo = None
        else:
            notes.append(f"envs: LoCoMo ids on {locomo.name}, split 'all'")
        for env_id in env_ids():
            kwargs = env_kwargs(env_id, data_dir, locomo)
            if kwargs is None:
                continue
            figures = single_throughput(env_id, kwargs, seconds, repeats)
            single[env_id] = figures["steps_per_s"]
            details[env_id] = figures
    vector: dict[str, Any] = {}
    for env_id in VECTOR_IDS:
        vector[env_id] = {
            mode: {
                str(n): vector_throughput(env_id, n, mode, seconds / 2, repeats)
                for n in VECTOR_SIZES
            }
            for mode in ("sync", "async")
        }
    return {
        "env_steps_per_s": single,
        "env_details": details,
        "vector_env_steps_per_s": vector,
        "notes": notes,
    }


if __name__ == "__main__":
    part_main("envs", run)
