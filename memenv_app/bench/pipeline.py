"""Wall time of the full LoCoMo pipeline with the fastest baseline.

For every conversation of the split: build both speakers' banks with the add-all manager
(``memenv.envs.banks.build_banks``, one MemoryManager episode, ``reward="none"``), then answer
every question through ``AnswerAgentEnv`` (reset on the question, one step). The answerer is
``memenv.answerers.extractive.ExtractiveAnswerer`` when importable, otherwise the top shown
memory's text. Split: ``"test"`` when the file holds it (the full official ``locomo10.json``),
otherwise ``"all"`` (the shared train/val file). Category-5 questions are dropped, as the envs do.
"""

from __future__ import annotations

import time
from typing import Any

from memenv.data.errors import DatasetUnavailableError
from memenv.data.registry import load_conversations
from memenv.envs.answer_agent import AnswerAgentEnv
from memenv.envs.banks import build_banks
from memenv_app.bench import default_locomo_path, median, part_main


def _answerer() -> tuple[Any, str]:
    try:
        from memenv.answerers.extractive import ExtractiveAnswerer
    except ImportError:
        return None, "top-memory"
    return ExtractiveAnswerer(), "extractive"


def _one_pass(
    conversations: list[Any], answerer: Any
) -> tuple[float, list[dict[str, Any]], list[float]]:
    """One full pipeline pass: (total seconds, per-conversation rows, per-question seconds)."""
    per_conv: list[dict[str, Any]] = []
    question_s: list[float] = []
    clock = time.perf_counter
    start = clock()
    for conversation in conversations:
        t0 = clock()
        banks = build_banks(conversation, "add-all")
        t1 = clock()
        env = AnswerAgentEnv(conversations=[conversation], banks={conversation.id: banks})
        times = []
        for q in range(env.num_questions):
            tq = clock()
            obs, _ = env.reset(options={"question": q})
            if answerer is None:
                first = next((m for m in env.shown if m is not None), None)
                action: dict[str, Any] = {
                    "selected": [0] if first is not None else [],
                    "answer": first.text if first is not None else "",
                }
            else:
                answer, used = answerer.answer(env.qa.question, obs["question_date"], env.shown)
                action = {"selected": used, "answer": answer}
            env.step(action)
            times.append(clock() - tq)
        t2 = clock()
        question_s.extend(times)
        per_conv.append(
            {
                "conversation": conversation.id,
                "memories": sum(len(b) for b in banks.values()),
                "questions": len(times),
                "bank_build_s": t1 - t0,
                "answer_s": t2 - t1,
                "total_s": t2 - t0,
            }
        )
    return clock() - start, per_conv, question_s


def run(quick: bool = False, locomo_path: str | None = None) -> dict[str, Any]:
    """The pipeline part: ``locomo_pipeline_s`` with per-conversation and per-question times."""
    path = default_locomo_path(locomo_path)
    if path is None or not path.is_file():
        return {
            "locomo_pipeline_s": None,
            "notes": ["pipeline: skipped (no --locomo-path and no shared LoCoMo file)"],
        }
    start = time.perf_counter()
    try:
        conversations = load_conversations("locomo", data_path=path, split="test")
        split = "test"
    except DatasetUnavailableError:
        conversations = load_conversations("locomo", data_path=path, split="all")
        split = "all"
    if quick:
        conversations = conversations[:1]
    load_s = time.perf_counter() - start
    answerer, answerer_name = _answerer()
    runs = [_one_pass(conversations, answerer) for _ in range(1 if quick else 3)]
    totals = [r[0] for r in runs]
    total, per_conv, question_s = sorted(runs, key=lambda r: r[0])[len(runs) // 2]
    return {
        "locomo_pipeline_s": total,
        "locomo_pipeline": {
            "runs_s": totals,
            "file": path.name,
            "split": split,
            "answerer": answerer_name,
            "manager": "add-all",
            "conversations": len(per_conv),
            "questions": len(question_s),
            "load_s": load_s,
            "per_conversation_s_mean": sum(c["total_s"] for c in per_conv) / len(per_conv),
            "per_question_ms_p50": median(question_s) * 1000,
            "per_question_ms_mean": sum(question_s) / len(question_s) * 1000,
            "per_conversation": per_conv,
        },
        "notes": [
            f"pipeline: {path.name} split {split!r}, add-all manager, {answerer_name} answerer"
        ],
    }


if __name__ == "__main__":
    part_main("pipeline", run)
