"""``memenv reference ENV_ID``: scripted policies on an id's held-out episodes, with intervals.

Manager ids: every scripted memory system (random, noop, add-all, update-top, mem0, a-mem, zep,
memoryos, and ideal-ops / oracle where the data has ideal operations) plays each episode of the
split; an episode's score is its ``outcome_score`` (the graded ids' episode reward, shown in
percent) or, for ids without one, its return (shown as it is). Answer ids: the model-free
answerers (the memory-blind constant-yes and constant-no included: the floor) answer each
question (the reward, in percent). The table gives the mean and a 95%
percentile-bootstrap interval over episodes (over questions when there are fewer than 5).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from memenv.answerers import make_answerer
from memenv.envs import AnswerAgentEnv, MemoryManagerEnv
from memenv.systems import make_memory_system

MANAGER_POLICIES = (
    "random",
    "noop",
    "add-all",
    "update-top",
    "mem0",
    "a-mem",
    "zep",
    "memoryos",
    "ideal-ops",
    "oracle",
)
ANSWERERS = ("extractive", "extractive-no-recency", "top-memory", "constant-yes", "constant-no")
BOOTSTRAP_SAMPLES = 10_000
MIN_EPISODES_FOR_CI = 5
"""Below this many episodes the interval resamples the questions of the episodes instead."""


def bootstrap_ci(
    values: Sequence[float], seed: int = 0, samples: int = BOOTSTRAP_SAMPLES
) -> tuple[float, float]:
    """95% percentile-bootstrap interval of the mean of ``values``."""
    data = np.asarray(values, dtype=np.float64)
    if data.size == 0:
        return (float("nan"), float("nan"))
    rng = np.random.default_rng(seed)
    means = data[rng.integers(0, data.size, size=(samples, data.size))].mean(axis=1)
    lo, hi = np.percentile(means, [2.5, 97.5])
    return float(lo), float(hi)


def manager_episode(env: MemoryManagerEnv, policy: Any, index: int) -> tuple[float, list[float]]:
    """Play ``policy`` through conversation ``index``: the outcome score (else the return) and
    the per-question scores behind it (empty without an outcome)."""
    obs, info = env.reset(seed=index, options={"conversation": index})
    total, done = 0.0, False
    while not done:
        obs, reward, done, _, info = env.step(policy.act(obs, info))
        total += reward
    return float(info.get("outcome_score", total)), list(info.get("question_scores", {}).values())


def answer_episode(env: AnswerAgentEnv, answerer: Any, index: int) -> float:
    """One question answered by ``answerer`` from the shown memories; its reward."""
    obs, _ = env.reset(seed=index, options={"question": index})
    answer, used = answerer.answer(obs["question"], obs["question_date"], list(env.shown))
    _, reward, *_ = env.step({"selected": list(used), "answer": answer})
    return float(reward)


def _has_ideal_ops(env: MemoryManagerEnv) -> bool:
    env.reset(seed=0, options={"conversation": 0})
    return env.ideal_action() is not None


def reference_scores(
    env_id: str,
    *,
    split: str = "test",
    episodes: int | None = None,
    seed: int = 0,
    policies: Sequence[str] | None = None,
    env_kwargs: dict[str, Any] | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Scores of the scripted references on ``env_id``'s ``split`` (see the module docstring)."""
    env = gym.make(env_id, split=split, **(env_kwargs or {})).unwrapped
    if isinstance(env, MemoryManagerEnv):
        total = len(env.conversations)
        names = list(policies or MANAGER_POLICIES)
        if not _has_ideal_ops(env):
            names = [n for n in names if n not in ("ideal-ops", "oracle")]
    elif isinstance(env, AnswerAgentEnv):
        total = env.num_questions
        names = list(policies or ANSWERERS)
    else:
        raise ValueError(f"{env_id} is neither a MemoryManager nor an AnswerAgent environment")
    n = total if episodes is None else min(episodes, total)
    # Episode outcomes and answer rewards are scores in [0, 1], shown in percent; an id without
    # an outcome (the v0 manager ids) is scored by its return, shown as it is.
    outcome = isinstance(env, AnswerAgentEnv) or env.reward_kind == "outcome"
    scale = 100.0 if outcome else 1.0
    if n < 1:
        raise ValueError(f"--episodes must be positive, got {episodes}")
    out: dict[str, Any] = {
        "env_id": env_id,
        "split": split,
        "episodes": n,
        "seed": seed,
        "scale": "percent" if outcome else "return",
        "policies": {},
    }
    for name in names:
        scores, per_question = [], []
        for i in range(n):
            if isinstance(env, MemoryManagerEnv):
                policy = make_memory_system(name).make_policy(env)
                score, questions = manager_episode(env, policy, i)
                per_question += questions
            else:
                score = answer_episode(env, make_answerer(name), i)
            scores.append(score)
        # Few episodes (LoCoMo: one conversation per split): the interval resamples questions.
        by_question = n < MIN_EPISODES_FOR_CI and len(per_question) > n
        lo, hi = bootstrap_ci(per_question if by_question else scores, seed)
        out["policies"][name] = {
            "mean": scale * float(np.mean(scores)),
            "ci": [scale * lo, scale * hi],
            "ci_unit": "question" if by_question else "episode",
            "scores": [round(s, 6) for s in scores],
        }
        if progress is not None:
            row = out["policies"][name]
            progress(f"{name}: {row['mean']:.1f} [{row['ci'][0]:.1f}, {row['ci'][1]:.1f}]")
    return out


def format_table(result: dict[str, Any]) -> str:
    """The result as a markdown table, best mean first."""
    rows = sorted(result["policies"].items(), key=lambda kv: -kv[1]["mean"])
    lines = [
        f"{result['env_id']}, split {result['split']}, {result['episodes']} episodes "
        f"(mean episode {'score in percent' if result['scale'] == 'percent' else 'return'}, "
        "95% bootstrap interval over "
        f"{rows[0][1].get('ci_unit', 'episode') if rows else 'episode'}s)",
        "",
        "| policy | mean | 95% interval |",
        "| --- | ---: | ---: |",
    ]
    for name, row in rows:
        lines.append(f"| {name} | {row['mean']:.1f} | [{row['ci'][0]:.1f}, {row['ci'][1]:.1f}] |")
    return "\n".join(lines)


def _cmd_reference(args: argparse.Namespace) -> int:
    try:
        env_kwargs = json.loads(args.env_kwargs) if args.env_kwargs else {}
    except json.JSONDecodeError as exc:
        raise ValueError(f"--env-kwargs is not valid JSON: {exc}") from None
    if not isinstance(env_kwargs, dict):
        raise ValueError(f"--env-kwargs must be a JSON object, got {args.env_kwargs!r}")
    if args.data_path:
        env_kwargs["data_path"] = args.data_path
    progress = None if args.quiet else (lambda line: print(f"  {line}", flush=True))
    if progress:
        print(f"playing the references on {args.env_id} ({args.split} split) ...", flush=True)
    result = reference_scores(
        args.env_id,
        split=args.split,
        episodes=args.episodes,
        seed=args.seed,
        policies=args.policies,
        env_kwargs=env_kwargs,
        progress=progress,
    )
    print(format_table(result))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(result, indent=1), encoding="utf-8")
        print(f"\nwrote {args.json}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "reference", help="scripted policies on an id's held-out episodes, with 95%% intervals"
    )
    p.add_argument("env_id", help="a registered id, e.g. MemoryManager-Synth-Medium-v0")
    p.add_argument("--split", default="test", help="episodes to play (default: test)")
    p.add_argument("--episodes", type=int, default=None, help="at most N episodes (default all)")
    p.add_argument("--seed", type=int, default=0, help="reset and bootstrap seed")
    p.add_argument("--policies", nargs="+", default=None, help="a subset of the references")
    p.add_argument("--data-path", default=None, help="dataset file (LoCoMo ids)")
    p.add_argument(
        "--env-kwargs",
        default=None,
        help="extra gym.make kwargs as JSON, e.g. '{\"capacity\": 20}'",
    )
    p.add_argument("--json", default=None, help="also write the result to this JSON file")
    p.add_argument("--quiet", action="store_true", help="no per-policy progress lines")
    p.set_defaults(func=_cmd_reference)
