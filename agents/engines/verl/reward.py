"""verl reward hook: ``reward.custom_reward_function.path=<this file>``, ``name=compute_score``.

verl calls ``compute_score(data_source, solution_str, ground_truth, extra_info)`` once per
finished trajectory; ``extra_info`` holds the dataset row's ``extra_info`` merged with the
agent loop's ``extra_fields``.

- ``memenv_manager`` rows: the score is the episode return that the MemoryManager environment
  computed while the ``memenv_manager`` agent loop played the episode (``memenv_return``); the
  episode's counts come along as extra metrics.
- ``memenv_answer`` rows (verl's ``single_turn_agent``): the AnswerAgent environment steps with
  the generated text and scores it (``metric``: em, f1, f1_mem0 or bleu1).

No verl import: the hook is plain Python, so it is tested without verl too.
"""

from __future__ import annotations

import json
from typing import Any

from agents.engines.verl.common import answer_env, env_settings, plain

METRICS = ("em", "f1", "f1_mem0", "bleu1")


def compute_score(
    data_source: str,
    solution_str: str,
    ground_truth: Any = None,
    extra_info: dict[str, Any] | None = None,
    **kwargs: Any,
) -> dict[str, float]:
    """The memenv reward of one trajectory, with its parts (see the module docstring)."""
    info = plain(extra_info or {})
    if data_source == "memenv_manager":
        if "memenv_return" not in info:
            raise ValueError(
                "compute_score: a memenv_manager row without 'memenv_return': it must be rolled "
                "out by the memenv_manager agent loop (the row's agent_name column)"
            )
        stats = info.get("memenv_stats") or {}
        parts = {f"memenv_{k}": float(v) for k, v in stats.items() if k != "episode_return"}
        return {"score": float(info["memenv_return"]), **parts}
    if data_source == "memenv_answer":
        for key in ("env", "question"):
            if key not in info:
                raise ValueError(f"compute_score: a memenv_answer row without extra_info[{key!r}]")
        metric = info.get("metric", "em")
        if metric not in METRICS:
            raise ValueError(f"compute_score: metric must be one of {METRICS}, got {metric!r}")
        settings = json.loads(info["env"]) if isinstance(info["env"], str) else info["env"]
        env = answer_env(env_settings(settings, answer=True))
        question = info["question"]
        env.reset(options={"question": question if isinstance(question, str) else int(question)})
        _, _, _, _, step_info = env.step(str(solution_str))
        scores = step_info["scores"]
        return {
            "score": float(scores[metric]),
            **{m: float(scores[m]) for m in METRICS},
            "format_ok": float(step_info["format_ok"]),
        }
    raise ValueError(
        f"compute_score: unknown data_source {data_source!r} (expected memenv_manager or "
        "memenv_answer)"
    )
