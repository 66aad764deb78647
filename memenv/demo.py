"""The main job on the embedded default: reference managers on the synthetic benchmark.

For each scripted manager (add-all, random, the ideal-operation oracle) it plays the
MemoryManager environment over the synthetic validation conversations, then answers every
question through the AnswerAgent environment with the banks it built, and prints one table.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from memenv.data.records import OPERATIONS, Conversation
from memenv.envs import AnswerAgentEnv, MemoryManagerEnv
from memenv.metrics import aggregate
from memenv.policies import AddAllPolicy, IdealOpsPolicy, Policy, RandomPolicy


@dataclass
class ManagerRun:
    name: str
    memories: int
    op_accuracy: float | None
    recall_reward: float
    banks: dict[str, dict[str, Any]]
    seconds: float


def run_manager(
    name: str, factory: Callable[[MemoryManagerEnv], Policy], conversations: list[Conversation]
) -> ManagerRun:
    """Play one manager over every conversation; collect banks, op accuracy and reward."""
    start = time.perf_counter()
    env = MemoryManagerEnv(conversations=conversations, reward="recall")
    policy = factory(env)
    banks: dict[str, dict[str, Any]] = {}
    correct = labelled = 0
    total_reward = 0.0
    for i, conversation in enumerate(conversations):
        obs, info = env.reset(seed=i, options={"conversation": i})
        terminated = False
        while not terminated:
            fact = env.current_fact
            action = policy.act(obs, info)
            obs, reward, terminated, _, info = env.step(action)
            total_reward += reward
            if fact is not None and fact.ideal_op is not None:
                labelled += 1
                correct += OPERATIONS[action["op"]] == fact.ideal_op
        banks[conversation.id] = env.banks
    return ManagerRun(
        name=name,
        memories=sum(len(b) for conv in banks.values() for b in conv.values()),
        op_accuracy=correct / labelled if labelled else None,
        recall_reward=total_reward,
        banks=banks,
        seconds=time.perf_counter() - start,
    )


def answer_all(conversations: list[Conversation], banks: dict[str, Any]) -> dict[str, Any]:
    """Answer every question with the best-ranked memory's text (no model): F1/EM summary."""
    env = AnswerAgentEnv(conversations=conversations, banks=banks, reward="f1")
    rows = []
    recalls = []
    for index in range(env.num_questions):
        obs, info = env.reset(options={"question": index})
        first = obs["memories_a"].splitlines()[:1] or obs["memories_b"].splitlines()[:1]
        answer = first[0].split(") ", 1)[-1] if first else ""
        _, _, _, _, info = env.step({"selected": [0], "answer": answer})
        rows.append((info["category"], info["scores"]))
        if info["evidence_recall"] is not None:
            recalls.append(info["evidence_recall"])
    summary = aggregate(rows, scale=100.0)
    summary["evidence_recall"] = 100.0 * sum(recalls) / len(recalls) if recalls else None
    return summary


def run_demo(split: str = "val", seed: int = 0) -> str:
    """Run the demo and return the printed report."""
    from memenv.data.registry import load_conversations

    conversations = load_conversations("synth", split=split)
    managers: list[tuple[str, Callable[[MemoryManagerEnv], Policy]]] = [
        ("add-all", lambda env: AddAllPolicy()),
        ("random", lambda env: RandomPolicy(seed)),
        ("oracle", IdealOpsPolicy),
    ]
    n_questions = sum(len(c.qa) for c in conversations)
    n_facts = sum(len(c.facts) for c in conversations)
    lines = [
        f"memenv demo: synthetic benchmark, split '{split}': {len(conversations)} conversations, "
        f"{n_facts} facts, {n_questions} questions",
        "",
        "| manager | memories | op acc. % | recall reward | evidence recall@30 % "
        "| F1 (top-memory answer) | EM | seconds |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, factory in managers:
        run = run_manager(name, factory, conversations)
        summary = answer_all(conversations, run.banks)
        overall = summary["overall"]
        acc = "-" if run.op_accuracy is None else f"{100 * run.op_accuracy:.1f}"
        lines.append(
            f"| {name} | {run.memories} | {acc} | {run.recall_reward:.1f} "
            f"| {summary['evidence_recall']:.1f} | {overall['f1']:.1f} | {overall['em']:.1f} "
            f"| {run.seconds:.2f} |"
        )
    lines += [
        "",
        "op acc.: share of facts where the manager chose the generator's ideal operation.",
        "recall reward: episode return of MemoryManager-Synth-v0 (reward='recall').",
        "F1/EM: LoCoMo F1 and exact match (x100) of answering with the best-ranked memory's text.",
    ]
    return "\n".join(lines)
