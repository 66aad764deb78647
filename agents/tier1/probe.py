"""How a tier-1 model behaves on real environment prompts: format rates, not a policy score.

Manager: prompts rendered from ``MemoryManager-Synth-v0`` validation observations (the banks
evolve once under store-everything and once under the ideal operations; ``n`` prompts are drawn
from both passes with a seeded generator); a completion is *well formed* when its first line
parses as ``OP [id][: text]``, *valid* when, in addition, its id names a shown memory, and *ideal*
when it is the action of the generator's ideal operations for that state (op, and target for
UPDATE/DELETE).
Answer: ``AnswerAgent-Synth-v0`` validation questions (5 memories per speaker); an answer is
*short* when it is non-empty, at most ``max_answer_words`` words and ends with end-of-sequence;
it is also scored by the environment (F1, EM).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np

from agents.llm.base import LLMBackend, SamplingParams
from agents.tier1.prompts import (
    MANAGER_OPS,
    parse_answer,
    parse_manager_action,
    render_manager_prompt,
)


@dataclass(frozen=True)
class ManagerProbe:
    """A manager prompt from a real observation, with the ideal action for that state."""

    prompt: str
    shown: int
    """Number of memories the prompt shows."""
    ideal_op: str
    ideal_target: int | None


def manager_probe_prompts(n: int = 200, seed: int = 0, split: str = "val") -> list[ManagerProbe]:
    """``n`` manager prompts from real ``MemoryManager-Synth`` observations of ``split``."""
    from memenv.envs import MemoryManagerEnv
    from memenv.policies import IdealOpsPolicy

    env = MemoryManagerEnv("synth", split=split, reward="none")
    oracle = IdealOpsPolicy(env)
    pool: list[ManagerProbe] = []
    for behaviour in ("add-all", "oracle"):
        for ci in range(len(env.conversations)):
            obs, info = env.reset(options={"conversation": ci})
            terminated = not obs["fact"]
            while not terminated:
                ideal = oracle.act(obs, info)
                op = ideal["op"]  # an op index or an op name, depending on the env version
                op = op.upper() if isinstance(op, str) else MANAGER_OPS[int(op)]
                target = int(ideal["target"]) if op in ("UPDATE", "DELETE") else None
                shown = len(json.loads(obs["memories"] or "[]"))
                pool.append(ManagerProbe(render_manager_prompt(obs), shown, op, target))
                action = ideal if behaviour == "oracle" else {"op": 0}
                obs, _, terminated, _, info = env.step(action)
    if n > len(pool):
        raise ValueError(f"asked for {n} manager prompts, the {split} split has {len(pool)}")
    picked = np.random.default_rng(seed).choice(len(pool), size=n, replace=False)
    return [pool[int(i)] for i in sorted(picked)]


def probe_manager(
    backend: LLMBackend, n: int = 200, temperature: float = 1.0, seed: int = 0
) -> dict[str, Any]:
    """Well-formed and valid rates of sampled manager actions, their operation counts, and how
    often they equal the ideal action (op, and target for UPDATE/DELETE)."""
    items = manager_probe_prompts(n, seed)
    params = SamplingParams(max_new_tokens=32, temperature=temperature, seed=seed)
    start = time.perf_counter()
    completions = backend.generate([item.prompt for item in items], params)
    seconds = time.perf_counter() - start
    ops: Counter[str] = Counter()
    well = valid = ideal = 0
    for item, completion in zip(items, completions, strict=True):
        action = parse_manager_action(completion.text)
        if action is None:
            ops["malformed"] += 1
            continue
        well += 1
        ops[action.op] += 1
        if parse_manager_action(completion.text, item.shown) is not None:
            valid += 1
            ideal += (action.op, action.target) == (item.ideal_op, item.ideal_target)
    return {
        "prompts": n,
        "temperature": temperature,
        "well_formed_rate": well / n,
        "valid_rate": valid / n,
        "ideal_action_rate": ideal / n,
        "ops": dict(sorted(ops.items())),
        "ideal_ops": dict(sorted(Counter(item.ideal_op for item in items).items())),
        "examples": [c.text for c in completions[:5]],
        "seconds": round(seconds, 2),
    }


def probe_answers(
    backend: LLMBackend,
    temperature: float = 1.0,
    seed: int = 0,
    per_speaker: int = 5,
    max_answer_words: int = 6,
    split: str = "val",
) -> dict[str, Any]:
    """Rate of non-empty short answers on answer prompts, and their F1/EM from the env."""
    from agents.tier1.prompts import render_answer_prompt
    from memenv.envs import AnswerAgentEnv

    env = AnswerAgentEnv("synth", split=split, memories_per_speaker=per_speaker)
    prompts = []
    for qi in range(env.num_questions):
        obs, _ = env.reset(options={"question": qi})
        prompts.append(render_answer_prompt(obs, per_speaker=per_speaker))
    params = SamplingParams(max_new_tokens=24, temperature=temperature, seed=seed)
    completions = backend.generate(prompts, params)
    short = 0
    f1 = em = 0.0
    for qi, completion in enumerate(completions):
        answer = parse_answer(completion.text)
        words = len(answer.split())
        if completion.finish_reason == "stop" and 0 < words <= max_answer_words:
            short += 1
        env.reset(options={"question": qi})
        _, _, _, _, info = env.step({"answer": answer, "selected": []})
        f1 += info["scores"]["f1"]
        em += info["scores"]["em"]
    n = len(prompts)
    return {
        "prompts": n,
        "temperature": temperature,
        "short_answer_rate": short / n,
        "f1": f1 / n,
        "em": em / n,
        "examples": [c.text for c in completions[:5]],
    }


def generation_speed(
    backend: LLMBackend, batch_sizes: tuple[int, ...] = (1, 32), new_tokens: int = 32
) -> dict[int, float]:
    """New tokens/s when generating exactly ``new_tokens`` per manager prompt, per batch size."""
    prompts = [item.prompt for item in manager_probe_prompts(max(batch_sizes))]
    params = SamplingParams(
        max_new_tokens=new_tokens, min_new_tokens=new_tokens, temperature=1.0, seed=0
    )
    out = {}
    saved = getattr(backend, "config", None)
    for size in batch_sizes:
        if saved is not None:
            saved.batch_size = size
        backend.generate(prompts[:size], params)  # warm-up
        start = time.perf_counter()
        completions = backend.generate(prompts[:size], params)
        seconds = time.perf_counter() - start
        out[size] = sum(len(c.token_ids) for c in completions) / seconds
    return out
