"""Training rows and their rewards, built from (and scored by) the environments.

A task owns the environments of one agent and turns them into what a trainer needs:

- rows (:class:`TrainRow`): a chat prompt plus whatever the environment needs to score an
  output for it (the question id, or the MemoryManager state);
- ``score(rows, texts)``: one reward (and its parts) per output, computed by stepping the
  environment with the raw text, exactly as at evaluation time;
- ``teacher(row)``: a reference output for supervised fine-tuning.

**Answer Agent** (:class:`AnswerTask`): one row per question; the banks of both speakers are
built once by ``data.bank_manager`` and the AnswerAgent environment retrieves
``data.memories_per_speaker`` memories per speaker. **Memory Manager** (:class:`ManagerTask`):
one row per fact linked to a question; the state is the banks just before that fact, as built
by the bank manager, saved with :meth:`MemoryManagerEnv.get_state`. Every output for a row is
scored from that same state (``set_state`` before each ``step``), so all members of a GRPO
group start from one bank state.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from agents.llm.base import Message
from agents.prompts import answer_messages_from_observation, manager_messages_from_observation
from agents.train.config import RunConfig
from agents.train.rewards import shaped_answer_reward
from memenv.answerers import make_answerer
from memenv.data.records import Conversation
from memenv.envs import AnswerAgentEnv, ManagerState, MemoryManagerEnv
from memenv.systems import make_memory_system


@dataclass
class TrainRow:
    """One prompt of a training or validation set."""

    row_id: str
    prompt: list[Message]
    split: str
    conversation_id: str
    qa_id: str | None = None
    state: ManagerState | None = None
    teacher: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)


def _mean(values: Sequence[float]) -> float:
    return float(np.mean(values)) if len(values) else 0.0


def load_split(config: RunConfig, split: str, *, extra_synth: bool = False) -> list[Conversation]:
    """The conversations of ``split`` (plus the extra synthetic ones for training)."""
    from memenv.data.registry import load_conversations

    data = config.data
    conversations = load_conversations(
        data.dataset,
        data_path=None if data.dataset == "synth" else data.data_path,
        split=split,
    )
    if extra_synth and data.synth_train_conversations > 0:
        conversations += load_conversations(
            "synth",
            split="train",
            synth_kwargs={"n": data.synth_train_conversations, "seed": data.synth_seed},
        )
    return conversations


def _bank_system(name: str, backend_cache: dict[str, Any]) -> Any:
    """The MemorySystem that builds the banks: a baseline name or ``llm:SPEC``."""
    if name.startswith("llm:"):
        from agents.llm import SamplingParams, make_backend

        spec = name[4:]
        if spec not in backend_cache:
            backend_cache[spec] = make_backend(spec)
        return make_memory_system("llm", backend=backend_cache[spec], params=SamplingParams(256))
    return make_memory_system(name)


def _build_banks(system: Any, conversations: Sequence[Conversation]) -> dict[str, Any]:
    from memenv.envs.banks import build_banks

    return {
        c.id: build_banks(c, system.make_policy, fact_source=system.fact_source)
        for c in conversations
    }


def read_logged_teacher(path: str | Path) -> dict[str, str]:
    """``row_id -> completion`` from a JSONL file of logged outputs (``logged:PATH`` teacher)."""
    out: dict[str, str] = {}
    with Path(path).open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                out[str(item["row_id"])] = str(item["completion"])
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError(
                    f"{path}:{n}: expected a JSON object with row_id and completion ({exc})"
                ) from exc
    return out


class Task:
    """What the trainers see of an agent's environments (see the module docstring)."""

    agent: str
    train_rows: list[TrainRow]
    val_rows: list[TrainRow]

    def __init__(self, config: RunConfig, parts: Sequence[str] = ("train", "val")):
        """``parts`` names the row sets to build (``train``, ``val``); the others stay empty,
        which spares building banks that an evaluation never reads."""
        unknown = set(parts) - {"train", "val"}
        if unknown:
            raise ValueError(f"unknown task parts {sorted(unknown)}: expected 'train' and/or 'val'")
        self.config = config
        self.parts = tuple(parts)
        self._rows: dict[str, TrainRow] = {}
        self._backends: dict[str, Any] = {}

    def _rows_for(self, part: str, conversations: list[Conversation]) -> list[TrainRow]:
        raise NotImplementedError

    def _build_rows(self) -> None:
        """``train_rows`` and ``val_rows`` from the configured splits (capped, seeded)."""
        config, data = self.config, self.config.data
        self.train_rows, self.val_rows = [], []
        if "train" in self.parts:
            self.train_rows = self._register(
                self._rows_for("train", load_split(config, data.train_split, extra_synth=True)),
                data.max_train_rows,
                config.seed,
            )
        if "val" in self.parts:
            self.val_rows = self._register(
                self._rows_for("val", load_split(config, data.val_split)),
                data.max_val_rows,
                config.seed + 1,
            )

    def _register(self, rows: list[TrainRow], cap: int | None, seed: int) -> list[TrainRow]:
        if cap is not None and len(rows) > cap:
            keep = np.random.default_rng(seed).choice(len(rows), size=cap, replace=False)
            rows = [rows[i] for i in sorted(keep)]
        for row in rows:
            self._rows[row.row_id] = row
        return rows

    def row(self, row_id: str) -> TrainRow:
        if row_id not in self._rows:
            raise KeyError(f"unknown row id {row_id!r}")
        return self._rows[row_id]

    def score(self, rows: Sequence[TrainRow], texts: Sequence[str]) -> list[dict[str, Any]]:
        raise NotImplementedError

    def teacher(self, row: TrainRow) -> str | None:
        """The SFT target of ``row`` under ``sft.teacher`` (None: no target for this row)."""
        source = self.config.sft.teacher
        if source.startswith("logged:"):
            if not hasattr(self, "_logged"):
                self._logged = read_logged_teacher(source[len("logged:") :])
            return self._logged.get(row.row_id)
        return row.teacher

    def summary(self, parts: Sequence[dict[str, Any]]) -> dict[str, float]:
        """Mean of every numeric part (``reward``, ``em``, ``f1``, ...)."""
        keys = [k for k in (parts[0] if parts else {}) if isinstance(parts[0][k], int | float)]
        return {k: _mean([float(p[k]) for p in parts]) for k in keys}


# ---------------------------------------------------------------------- answer agent
class AnswerTask(Task):
    """Answer Agent rows: one per question, memories from banks built by the bank manager."""

    agent = "answer"

    def __init__(self, config: RunConfig, parts: Sequence[str] = ("train", "val")):
        super().__init__(config, parts)
        self.envs: dict[str, AnswerAgentEnv] = {}
        self._build_rows()
        self.judge = None
        if config.reward.metric == "judge":
            from agents.llm import make_backend
            from agents.policies import LLMJudge

            self.judge = LLMJudge(make_backend(config.reward.judge))

    def _rows_for(self, part: str, conversations: list[Conversation]) -> list[TrainRow]:
        data = self.config.data
        system = _bank_system(data.bank_manager, self._backends)
        env = AnswerAgentEnv(
            conversations=conversations,
            banks=_build_banks(system, conversations),
            retrieve_fn=system.retrieve_fn,
            memories_per_speaker=data.memories_per_speaker,
            reward="em",
        )
        self.envs[part] = env
        rows = []
        for index, (ci, qa) in enumerate(env.questions):
            obs, _ = env.reset(options={"question": index})
            evidence = [
                i
                for i, m in enumerate(env.shown)
                if m is not None and any(e in m.provenance for e in qa.evidence)
            ]
            refs = " ".join(f"[{i}]" for i in evidence[:4])
            answer = f"**Answer:** {qa.answer}"
            teacher = f"Relevant: {refs or 'none'}\n{answer}" if data.distillation else answer
            rows.append(
                TrainRow(
                    row_id=f"{part}:{env.conversations[ci].id}:{qa.id}",
                    prompt=answer_messages_from_observation(obs, distill=data.distillation),
                    split=part,
                    conversation_id=env.conversations[ci].id,
                    qa_id=qa.id,
                    teacher=teacher,
                    meta={"category": qa.category, "gold": qa.answer, "env_index": index},
                )
            )
        return rows

    def score(self, rows: Sequence[TrainRow], texts: Sequence[str]) -> list[dict[str, Any]]:
        results, questions = [], []
        for row, text in zip(rows, texts, strict=True):
            env = self.envs[row.split]
            env.reset(options={"question": row.meta["env_index"]})
            _, _, _, _, info = env.step(text)
            results.append(info)
            questions.append(env.qa)
        verdicts: list[bool | None] = [None] * len(results)
        if self.judge is not None:
            # The judge sees the QA record: its question, gold and dataset rules.
            verdicts = list(
                self.judge.judge_qa_batch(
                    [(qa, i["answer"]) for qa, i in zip(questions, results, strict=True)]
                )
            )
        return [
            shaped_answer_reward(
                info["scores"], info["answer"], info["format_ok"], self.config.reward, verdict
            )
            for info, verdict in zip(results, verdicts, strict=True)
        ]


# ---------------------------------------------------------------------- memory manager
def manager_teacher_text(env: MemoryManagerEnv, action: Any) -> str:
    """A manager action (dict, or an LLM output string) as JSON in the manager's output format.

    Only the memories the action touches are listed (the parser reads an omitted memory as
    NONE), and doing nothing is ``{"memory": []}``: short targets keep SFT and generation cheap.
    """
    if isinstance(action, str):
        return action
    fact = env.current_fact
    op = action.get("op", 3)
    names = ("ADD", "UPDATE", "DELETE", "NONE")
    name = names[op] if isinstance(op, int) else str(op).upper()
    text = action.get("text") or (fact.text if fact is not None else "")
    items: list[dict[str, str]] = []
    if name == "ADD":
        items.append({"id": str(len(env.shown)), "text": text, "event": "ADD"})
    elif name in ("UPDATE", "DELETE"):
        target = int(action.get("target", 0))
        if 0 <= target < len(env.shown):
            old = env.shown[target].text
            if name == "UPDATE":
                items.append({"id": str(target), "text": text, "event": name, "old_memory": old})
            else:
                items.append({"id": str(target), "text": old, "event": name})
    return json.dumps({"memory": items}, ensure_ascii=False)


class ManagerTask(Task):
    """Memory Manager rows: one per (linked) fact, from the bank manager's state before it."""

    agent = "manager"

    def __init__(self, config: RunConfig, parts: Sequence[str] = ("train", "val")):
        super().__init__(config, parts)
        self.envs: dict[str, MemoryManagerEnv] = {}
        self._build_rows()

    def _answer_fn(self) -> Any:
        name = self.config.reward.frozen_answerer

        if name.startswith("llm:"):
            from agents.llm import SamplingParams, make_backend

            spec = name[4:]
            if spec not in self._backends:
                self._backends[spec] = make_backend(spec)
            answerer = make_answerer(
                "llm", backend=self._backends[spec], params=SamplingParams(max_new_tokens=32)
            )
        else:
            answerer = make_answerer(name)

        def answer_fn(qa: Any, memories: Sequence[Any]) -> str:
            date = qa.question_date or ""
            return answerer.answer(qa.question, date, list(memories))[0]

        return answer_fn

    def _fact_source(self, system: Any) -> Any:
        """The configured fact stream: a name, or an LLM extractor over a window of turns."""
        source = self.config.data.fact_source
        if source == "auto":
            return system.fact_source
        if source.startswith("llm:"):
            from agents.llm import make_backend
            from agents.policies import LLMExtractor

            spec = source[4:]
            if spec not in self._backends:
                self._backends[spec] = make_backend(spec)
            return LLMExtractor(self._backends[spec], window=self.config.data.extraction_window)
        return source

    def _rows_for(self, part: str, conversations: list[Conversation]) -> list[TrainRow]:
        data, reward = self.config.data, self.config.reward
        system = _bank_system(data.bank_manager, self._backends)
        env = MemoryManagerEnv(
            conversations=conversations,
            fact_source=self._fact_source(system),
            reward="recall" if reward.metric == "recall" else "answer",
            reward_metric="em" if reward.metric == "recall" else reward.metric,
            answer_fn=None if reward.metric == "recall" else self._answer_fn(),
            top_k=data.top_k,
            memories_per_speaker=data.memories_per_speaker,
            invalid_penalty=reward.invalid_penalty,
        )
        self.envs[part] = env
        rows: list[TrainRow] = []
        for ci, conversation in enumerate(conversations):
            obs, info = env.reset(options={"conversation": ci})
            policy = system.make_policy(env)
            done = env.current_fact is None  # an extractor may find no facts at all
            while not done:
                fact = env.current_fact
                linked = env.linked_questions()
                action = policy.act(obs, info)
                if linked or not data.manager_linked_only:
                    teacher = (
                        self._ideal_text(env, info)
                        if self.config.sft.teacher == "ideal"
                        else manager_teacher_text(env, action)
                    )
                    rows.append(
                        TrainRow(
                            row_id=f"{part}:{conversation.id}:{env.fact_index}",
                            prompt=manager_messages_from_observation(obs),
                            split=part,
                            conversation_id=conversation.id,
                            state=env.get_state(),
                            teacher=teacher,
                            meta={
                                "fact": fact.text if fact else "",
                                "linked": [q.id for q in linked],
                                "ideal_op": fact.ideal_op if fact else None,
                            },
                        )
                    )
                obs, _, done, _, info = env.step(action)
        return rows

    @staticmethod
    def _ideal_text(env: MemoryManagerEnv, info: dict[str, Any]) -> str | None:
        from memenv.policies import IdealOpsPolicy

        fact = env.current_fact
        if fact is None or fact.ideal_op is None:
            return None
        return manager_teacher_text(env, IdealOpsPolicy(env).act({}, info))

    def score(self, rows: Sequence[TrainRow], texts: Sequence[str]) -> list[dict[str, Any]]:
        results = []
        for row, text in zip(rows, texts, strict=True):
            env = self.envs[row.split]
            env.set_state(row.state)  # every output for a row starts from the same banks
            _, reward, _, _, info = env.step(text)
            # Memories an output marks NONE come back as NOOPs: only real changes count.
            ops = [op for op in info["applied_ops"] if op != "NOOP"]
            results.append(
                {
                    "reward": float(reward),
                    "invalid": float(bool(info["invalid_action"])),
                    "add": float("ADD" in ops),
                    "update": float("UPDATE" in ops),
                    "delete": float("DELETE" in ops),
                    "noop": float(not ops),
                    "ideal_match": float(
                        row.meta.get("ideal_op") is not None
                        and row.meta["ideal_op"] in (ops or ["NOOP"])
                    ),
                }
            )
        return results


def make_task(config: RunConfig, parts: Sequence[str] = ("train", "val")) -> Task:
    """The task of ``config.data.agent`` with the row sets named in ``parts``."""
    cls = AnswerTask if config.data.agent == "answer" else ManagerTask
    return cls(config, parts)
