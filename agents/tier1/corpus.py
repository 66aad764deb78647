"""The tier-1 pretraining corpus: text from the synthetic dialogue generator, deterministic.

Conversations come from :func:`memenv.data.synthetic.generate_conversations` with a base seed far
from the environments' synthetic splits (train 0, val 10,000, test 20,000, each shifted by at most
a few thousand through ``synth_kwargs["seed"]``), so no conversation an environment evaluates on is
in the corpus. Each conversation gives these documents:

- ``dialogue``: the sessions (date line, ``speaker: text`` turns), then its questions with their
  gold answers as plain ``Q:`` / ``A:`` text;
- ``facts``: the observation facts with their dates;
- ``memories``: each speaker's final memory bank as an id list;
- ``manager``: one decision example per fact in the tier-1 manager format
  (:func:`agents.tier1.prompts.render_manager_prompt` of the real ``MemoryManagerEnv``
  observation), completed with a UNIFORMLY RANDOM valid action. These teach the action format,
  not the policy: the bank evolves under a behaviour drawn per conversation (ideal operations,
  store everything, or the random actions themselves) so memory lists look like those policies
  meet;
- ``answer``: one example per question in the tier-1 answer format
  (:func:`agents.tier1.prompts.render_answer_prompt` of the real ``AnswerAgentEnv`` observation
  over store-everything banks), completed with a random short span of a shown memory: again the
  format (a short answer copied from memories), not the answer policy.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field

import numpy as np

from agents.tier1.prompts import (
    MANAGER_OPS,
    format_manager_action,
    one_line,
    render_answer_prompt,
    render_manager_prompt,
    short_date,
)
from memenv.data.records import Conversation
from memenv.data.synthetic import generate_conversations
from memenv.envs import AnswerAgentEnv, MemoryManagerEnv
from memenv.policies import IdealOpsPolicy

KINDS: tuple[str, ...] = ("dialogue", "facts", "memories", "manager", "answer")
BEHAVIOURS: tuple[str, ...] = ("oracle", "add-all", "random")
"""How the manager examples' bank evolves (drawn per conversation)."""
MIN_CORPUS_SEED = 1_000_000
"""Corpus seeds start here, far above the synthetic splits' seeds (0, 10,000, 20,000)."""


@dataclass(frozen=True)
class CorpusConfig:
    """What the corpus holds; every field changes the text (and so the build's cache key)."""

    seed: int = field(
        default=1_000_000,
        metadata={"help": f"Generator seed of the corpus conversations (>= {MIN_CORPUS_SEED})."},
    )
    n_conversations: int = field(
        default=400, metadata={"help": "Synthetic conversations in the corpus."}
    )
    top_k: int = field(
        default=5, metadata={"help": "Memories shown per manager decision (the env's top_k)."}
    )
    answer_memories: int = field(
        default=5, metadata={"help": "Memories per speaker in an answer prompt."}
    )
    update_text_rate: float = field(
        default=0.25,
        metadata={"help": "Share of random UPDATE actions that carry ': <text>' (the fact)."},
    )
    answer_rate: float = field(
        default=1.0, metadata={"help": "Share of questions rendered as answer-format examples."}
    )
    vary_generator: bool = field(
        default=True,
        metadata={"help": "Draw the generator's session count and change rates per conversation."},
    )

    def __post_init__(self) -> None:
        if not isinstance(self.seed, int) or self.seed < MIN_CORPUS_SEED:
            raise ValueError(
                f"corpus seed must be an int >= {MIN_CORPUS_SEED} (away from the synthetic "
                f"splits' seeds), got {self.seed!r}"
            )
        if not isinstance(self.n_conversations, int) or self.n_conversations < 1:
            raise ValueError(
                f"n_conversations must be a positive int, got {self.n_conversations!r}"
            )
        for name in ("top_k", "answer_memories"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        for name in ("update_text_rate", "answer_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {value!r}")


@dataclass(frozen=True)
class Document:
    """One corpus document; ``text`` is wrapped in bos/eos by the tokenizer."""

    kind: str
    text: str


@dataclass
class Corpus:
    config: CorpusConfig
    documents: list[Document]

    def texts(self) -> list[str]:
        return [d.text for d in self.documents]

    def sha256(self) -> str:
        """Hash of every document's kind and text, in order."""
        digest = hashlib.sha256()
        for doc in self.documents:
            digest.update(doc.kind.encode())
            digest.update(b"\0")
            digest.update(doc.text.encode())
            digest.update(b"\1")
        return digest.hexdigest()

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(KINDS, 0)
        for doc in self.documents:
            out[doc.kind] += 1
        return out

    def summary(self) -> dict[str, object]:
        return {
            "config": asdict(self.config),
            "documents": self.counts(),
            "characters": sum(len(d.text) for d in self.documents),
            "sha256": self.sha256(),
        }


def _generator_knobs(rng: np.random.Generator) -> dict[str, object]:
    update = float(rng.choice([0.2, 0.3, 0.4]))
    return {
        "n_sessions": int(rng.integers(4, 13)),
        "facts_per_session": int(rng.integers(3, 6)),
        "update_rate": update,
        "delete_rate": float(rng.choice([0.05, 0.1, 0.2])),
        "restate_rate": float(rng.choice([0.05, 0.1, 0.2])),
    }


def corpus_conversations(config: CorpusConfig) -> list[Conversation]:
    """The corpus conversations (category-5 questions dropped, as the environments do)."""
    from memenv.data.splits import drop_adversarial

    if not config.vary_generator:
        return drop_adversarial(generate_conversations(config.n_conversations, config.seed))
    rng = np.random.default_rng([config.seed, 1])
    out: list[Conversation] = []
    for i in range(config.n_conversations):  # one call per conversation: its own knobs
        [conv] = generate_conversations(1, config.seed + i, **_generator_knobs(rng))
        out.append(conv)
    return drop_adversarial(out)


def dialogue_document(conv: Conversation) -> str:
    lines = []
    for session in conv.sessions:
        lines.append(f"session {session.index}, {short_date(session.date_str)}")
        for turn in session.turns:
            text = turn.text
            if turn.image_caption:
                text += f" [shares {turn.image_caption}]"
            lines.append(f"{turn.speaker}: {one_line(text)}")
    if conv.qa:
        lines.append("questions:")
        for qa in conv.qa:
            lines.append(f"Q: {one_line(qa.question)}")
            lines.append(f"A: {one_line(qa.answer)}")
    return "\n".join(lines)


def facts_document(conv: Conversation) -> str:
    lines = ["facts:"]
    lines += [f"({short_date(f.date_str)}) {one_line(f.text)}" for f in conv.facts]
    return "\n".join(lines)


def random_manager_action(
    rng: np.random.Generator, num_memories: int, fact: str, update_text_rate: float
) -> tuple[str, int | None, str]:
    """A uniformly random valid (op, target, text): op uniform over the valid ops, then the
    target uniform over the shown memories."""
    ops = MANAGER_OPS if num_memories else ("ADD", "NOOP")
    op = ops[int(rng.integers(len(ops)))]
    if op not in ("UPDATE", "DELETE"):
        return op, None, ""
    target = int(rng.integers(num_memories))
    text = fact if op == "UPDATE" and rng.random() < update_text_rate else ""
    return op, target, text


def _manager_documents(
    convs: list[Conversation], config: CorpusConfig, rng: np.random.Generator
) -> Iterator[tuple[int, Document]]:
    """(conversation index, document): decisions, then each speaker's final bank."""
    env = MemoryManagerEnv(conversations=convs, reward="none", top_k=config.top_k)
    oracle = IdealOpsPolicy(env)
    for ci in range(len(convs)):
        obs, info = env.reset(options={"conversation": ci})
        behaviour = BEHAVIOURS[int(rng.integers(len(BEHAVIOURS)))]
        terminated = not obs["fact"]
        while not terminated:
            shown = len(json.loads(obs["memories"] or "[]"))
            op, target, text = random_manager_action(
                rng, shown, obs["fact"], config.update_text_rate
            )
            prompt = render_manager_prompt(obs)
            yield ci, Document("manager", prompt + format_manager_action(op, target, text))
            if behaviour == "random":
                action = {"op": MANAGER_OPS.index(op), "target": target or 0, "text": text}
            elif behaviour == "oracle":
                action = oracle.act(obs, info)
            else:
                action = {"op": 0, "target": 0, "text": ""}
            obs, _, terminated, _, info = env.step(action)
        for speaker, bank in env.banks.items():
            entries = list(bank.entries())
            body = "".join(f"\n{i}: {one_line(e.text)}" for i, e in enumerate(entries))
            yield ci, Document("memories", f"memories of {speaker}:{body or chr(10) + '(none)'}")


_WORD = re.compile(r"[^\s]+")


def random_span(rng: np.random.Generator, texts: list[str]) -> str:
    """1 to 4 consecutive words of a random text, without edge punctuation."""
    words = _WORD.findall(texts[int(rng.integers(len(texts)))]) if texts else []
    if not words:
        return "unknown"
    size = int(rng.integers(1, min(4, len(words)) + 1))
    start = int(rng.integers(len(words) - size + 1))
    span = " ".join(words[start : start + size]).strip(".,;:!?\"'()")
    return span or "unknown"


def _answer_documents(
    convs: list[Conversation], config: CorpusConfig, rng: np.random.Generator
) -> Iterator[tuple[int, Document]]:
    if not any(c.qa for c in convs):
        return
    env = AnswerAgentEnv(
        conversations=[c for c in convs if c.qa],
        manager="add-all",
        memories_per_speaker=config.answer_memories,
    )
    index_of = {c.id: i for i, c in enumerate(convs)}
    for qi, (ci, _) in enumerate(env.questions):
        if rng.random() >= config.answer_rate:
            continue
        obs, _ = env.reset(options={"question": qi})
        prompt = render_answer_prompt(obs, per_speaker=config.answer_memories)
        shown = [m.text for m in env.shown if m is not None]
        answer = random_span(rng, shown)
        yield index_of[env.conversations[ci].id], Document("answer", f"{prompt} {answer}")


def build_corpus(config: CorpusConfig | None = None) -> Corpus:
    """Every document of the corpus, grouped by conversation (training shuffles them)."""
    config = config or CorpusConfig()
    convs = corpus_conversations(config)
    per_conv: list[list[Document]] = [[] for _ in convs]
    for ci, conv in enumerate(convs):
        per_conv[ci].append(Document("dialogue", dialogue_document(conv)))
        per_conv[ci].append(Document("facts", facts_document(conv)))
    manager_rng = np.random.default_rng([config.seed, 2])
    for ci, doc in _manager_documents(convs, config, manager_rng):
        per_conv[ci].append(doc)
    answer_rng = np.random.default_rng([config.seed, 3])
    for ci, doc in _answer_documents(convs, config, answer_rng):
        per_conv[ci].append(doc)
    return Corpus(config, [doc for docs in per_conv for doc in docs])
