"""How much memory management pays on synthetic data: episode EM/F1 of scripted managers.

For each generator setting (``--synth-kwargs``), bank capacity and reader budget (memories per
speaker), builds the banks of every conversation of a synthetic split with each manager (the
ideal-operation follower ``ideal-ops``, ``add-all``, ``mem0``, ...), answers every question with
the frozen extractive reader, and prints EM and F1 over questions and the mean per-conversation
EM (the episode outcome). Also prints mem0's operation accuracy against the generator's ideal
operations. Bank capacity: a full bank rejects ADD (``MemoryBank``), UPDATE and DELETE still
work; ``ideal-ops`` is the plain ideal-operation follower (``oracle`` is capacity-aware).

    python -m experiments.synthetic.difficulty --split val \
        --synth-kwargs '{"phrasing": "varied", "distractor_facts": 0.3}' \
        --capacity none 12 --memories-per-speaker 30 3
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from baselines.mem0 import Mem0Policy, measure_ops
from memenv.answerers import make_answerer
from memenv.data.registry import load_conversations
from memenv.envs import AnswerAgentEnv
from memenv.envs.banks import build_banks
from memenv.metrics import score_answer
from memenv.systems import make_memory_system


def _capacity(text: str) -> int | None:
    return None if text.lower() == "none" else int(text)


def score(
    conversations: list[Any], manager: str, capacity: int | None, budgets: list[int]
) -> dict[int, dict[str, float]]:
    """Per reader budget, for banks built by ``manager``: EM and F1 (percent) over questions
    and ``episode_em``, the mean over conversations of each conversation's EM (the episode
    outcome of the MemoryManager environment)."""
    system = make_memory_system(manager)
    banks = {
        c.id: build_banks(c, system.make_policy, fact_source=system.fact_source, capacity=capacity)
        for c in conversations
    }
    answerer = make_answerer("extractive")
    out = {}
    for k in budgets:
        env = AnswerAgentEnv(
            conversations=conversations,
            banks=banks,
            retrieve_fn=system.retrieve_fn,
            memories_per_speaker=k,
            reward="f1",
        )
        em, f1, episode_em = [], [], []
        for c in conversations:
            mine = []
            for qa in c.qa:
                obs, _ = env.reset(options={"question": qa.id})
                answer, _ = answerer.answer(obs["question"], obs["question_date"], env.shown)
                s = score_answer(answer, qa)
                em.append(s["em"])
                f1.append(s["f1"])
                mine.append(s["em"])
            if mine:
                episode_em.append(sum(mine) / len(mine))
        out[k] = {
            "em": 100 * sum(em) / len(em),
            "f1": 100 * sum(f1) / len(f1),
            "episode_em": 100 * sum(episode_em) / len(episode_em),
            "questions": len(em),
        }
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="val")
    parser.add_argument("--synth-kwargs", default="{}", help="generator knobs as JSON")
    parser.add_argument("--managers", nargs="+", default=["ideal-ops", "add-all", "mem0"])
    parser.add_argument("--capacity", nargs="+", type=_capacity, default=[None])
    parser.add_argument("--memories-per-speaker", nargs="+", type=int, default=[30])
    parser.add_argument("--json", default=None, help="also write the results here")
    args = parser.parse_args(argv)
    knobs = json.loads(args.synth_kwargs)
    t0 = time.perf_counter()
    conversations = load_conversations("synth", split=args.split, synth_kwargs=knobs)
    n_q = sum(len(c.qa) for c in conversations)
    print(f"{args.split}: {len(conversations)} conversations, {n_q} questions, knobs {knobs}")
    stats = measure_ops(Mem0Policy, conversations)
    print(f"mem0 operation accuracy: {stats.accuracy:.1%} over {stats.total} facts")
    print(stats.table())
    results: dict[str, Any] = {"knobs": knobs, "mem0_op_accuracy": stats.accuracy, "rows": []}
    print("| manager | capacity | memories/speaker | EM | F1 | episode EM |")
    print("|---|---|---|---|---|---|")
    for capacity in args.capacity:
        for manager in args.managers:
            for k, s in score(conversations, manager, capacity, args.memories_per_speaker).items():
                row = f"| {manager} | {capacity} | {k} | {s['em']:.1f} | {s['f1']:.1f} |"
                print(f"{row} {s['episode_em']:.1f} |")
                results["rows"].append(
                    {"manager": manager, "capacity": capacity, "memories_per_speaker": k, **s}
                )
    print(f"({time.perf_counter() - t0:.0f} s)")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
