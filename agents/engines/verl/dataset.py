"""Parquet files for verl: one row per Memory Manager episode or per Answer Agent question.

    python -m agents.engines.verl.dataset --out data/memenv-verl --agent manager \
        --dataset locomo --data-path ../shared/data/locomo/locomo10_trainval.json

writes ``train.parquet`` and ``val.parquet`` from the Memory-R1 split (LoCoMo: train = conv-26,
val = conv-30; synthetic and other datasets: their ``train``/``val`` splits). Columns follow
verl's RLHFDataset: ``data_source``, ``agent_name``, ``prompt`` (chat messages), ``ability``,
``reward_model`` and ``extra_info`` (``index``, ``split`` and the episode or question).

Manager rows (``agent_name=memenv_manager``) carry the :class:`EpisodeSpec`; their prompt is
the episode's first turn (the agent loop re-renders it from the environment). Answer rows use
verl's ``single_turn_agent``; banks are built by ``add-all`` and the reward hook scores the
answer with the AnswerAgent environment described by ``extra_info.env``.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from agents.engines.episodes import (
    PREFIX_POLICIES,
    ManagerEpisode,
    SharedStates,
    episode_specs,
    turn_messages,
)
from agents.engines.verl.common import answer_env, env_settings, make_manager_env
from agents.prompts import answer_messages_from_observation

SPLITS = ("train", "val")


def manager_rows(
    settings: Mapping[str, Any],
    split: str,
    *,
    window: int = 0,
    stride: int = 0,
    prefix_policy: str = "add-all",
) -> list[dict[str, Any]]:
    """One row per episode of ``split`` (whole conversations, or windows of facts)."""
    settings = env_settings({**settings, "split": split})
    env = make_manager_env(settings)
    episode = ManagerEpisode(env, SharedStates())
    rows = []
    for index, spec in enumerate(
        episode_specs(env, window=window, stride=stride, prefix_policy=prefix_policy)
    ):
        obs = episode.start(spec)
        rows.append(
            {
                "data_source": "memenv_manager",
                "agent_name": "memenv_manager",
                "prompt": turn_messages(obs, first=True),
                "ability": "memory_manager",
                "reward_model": {"style": "env", "ground_truth": ""},
                "extra_info": {
                    "index": index,
                    "split": split,
                    **spec.to_row(),
                    "conversation_id": env.conversation.id,
                    "facts": episode.window_size,
                },
            }
        )
    return rows


def answer_rows(
    settings: Mapping[str, Any], split: str, *, metric: str = "em", distill: bool = True
) -> list[dict[str, Any]]:
    """One row per question of ``split``, for verl's ``single_turn_agent``."""
    settings = env_settings({**settings, "split": split}, answer=True)
    env = answer_env(settings)
    rows = []
    for index, (_, qa) in enumerate(env.questions):
        obs, _ = env.reset(options={"question": index})
        rows.append(
            {
                "data_source": "memenv_answer",
                "agent_name": "single_turn_agent",
                "prompt": answer_messages_from_observation(obs, distill=distill),
                "ability": "answer_agent",
                "reward_model": {"style": "env", "ground_truth": qa.answer},
                "extra_info": {
                    "index": index,
                    "split": split,
                    "question": index,
                    "qa_id": qa.id,
                    "metric": metric,
                    "env": json.dumps(settings, sort_keys=True),
                },
            }
        )
    return rows


def build_verl_dataset(
    out_dir: str | Path,
    settings: Mapping[str, Any],
    *,
    agent: str = "manager",
    splits: Sequence[str] = SPLITS,
    window: int = 0,
    stride: int = 0,
    prefix_policy: str = "add-all",
    metric: str = "em",
) -> dict[str, Path]:
    """Write ``<split>.parquet`` for each split; returns their paths."""
    import pandas as pd

    if agent not in ("manager", "answer"):
        raise ValueError(f"agent must be 'manager' or 'answer', got {agent!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {}
    for split in splits:
        if agent == "manager":
            rows = manager_rows(
                settings, split, window=window, stride=stride, prefix_policy=prefix_policy
            )
        else:
            rows = answer_rows(settings, split, metric=metric)
        if not rows:
            raise ValueError(f"split {split!r} gives no rows")
        path = out / f"{split}.parquet"
        pd.DataFrame(rows).to_parquet(path, index=False)
        paths[split] = path
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write verl parquet files for memenv.")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--agent", choices=("manager", "answer"), default="manager")
    parser.add_argument("--dataset", default="synth")
    parser.add_argument("--data-path", default=None)
    parser.add_argument("--synth-kwargs", default=None, help="JSON generator knobs (synth)")
    parser.add_argument("--env", default=None, help="JSON of further environment settings")
    parser.add_argument("--window", type=int, default=0, help="facts per episode (0: whole)")
    parser.add_argument("--stride", type=int, default=0)
    parser.add_argument("--prefix-policy", choices=PREFIX_POLICIES, default="add-all")
    parser.add_argument("--metric", default="em", help="answer metric (answer rows)")
    args = parser.parse_args(argv)
    try:
        settings: dict[str, Any] = json.loads(args.env) if args.env else {}
        settings.update(dataset=args.dataset, data_path=args.data_path)
        if args.synth_kwargs:
            settings["synth_kwargs"] = json.loads(args.synth_kwargs)
        paths = build_verl_dataset(
            args.out,
            settings,
            agent=args.agent,
            window=args.window,
            stride=args.stride,
            prefix_policy=args.prefix_policy,
            metric=args.metric,
        )
    except ValueError as exc:  # json.JSONDecodeError is a ValueError
        parser.error(str(exc))
    print(json.dumps({k: str(v) for k, v in paths.items()}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
