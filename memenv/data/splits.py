"""Train / validation / test splits by conversation, and category-5 filtering.

LoCoMo uses the Memory-R1 split: train = conv-26, val = conv-30, test = the other eight
conversations. Datasets without an official split (LongMemEval, MSC) are split by a stable hash of
the conversation id: about 10% train, 10% val, 80% test.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable, Sequence

from memenv.data.categories import ADVERSARIAL
from memenv.data.errors import DatasetUnavailableError
from memenv.data.records import Conversation

SPLITS: tuple[str, ...] = ("train", "val", "test", "all")
LOCOMO_TRAIN: tuple[str, ...] = ("conv-26",)
LOCOMO_VAL: tuple[str, ...] = ("conv-30",)

_HASH_SPLIT = {0: "train", 1: "val"}


def check_split(split: str) -> None:
    """Raise ValueError unless ``split`` is one of :data:`SPLITS`."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; valid splits: {', '.join(SPLITS)}")


def locomo_split_of(conversation_id: str) -> str:
    """Memory-R1 split of a LoCoMo conversation."""
    if conversation_id in LOCOMO_TRAIN:
        return "train"
    if conversation_id in LOCOMO_VAL:
        return "val"
    return "test"


def hash_split_of(conversation_id: str) -> str:
    """Deterministic split of a conversation of a dataset without an official split."""
    bucket = hashlib.sha1(conversation_id.encode("utf-8")).digest()[0] % 10
    return _HASH_SPLIT.get(bucket, "test")


def split_of(conversation_id: str, dataset: str = "locomo") -> str:
    """Split of one conversation: the Memory-R1 split for LoCoMo, the hash split otherwise."""
    if dataset == "locomo":
        return locomo_split_of(conversation_id)
    return hash_split_of(conversation_id)


LOCOMO_SCHEMA_DATASETS = ("locomo", "synth")
"""Datasets whose category 5 means LoCoMo's adversarial questions."""


def drop_adversarial(conversations: Iterable[Conversation]) -> list[Conversation]:
    """The conversations with their category-5 questions removed."""
    out = []
    for conv in conversations:
        kept = tuple(qa for qa in conv.qa if qa.category != ADVERSARIAL)
        out.append(conv if len(kept) == len(conv.qa) else dataclasses.replace(conv, qa=kept))
    return out


def select_split(
    conversations: Sequence[Conversation],
    split: str,
    *,
    dataset: str = "locomo",
    include_adversarial: bool = False,
    source: str | None = None,
) -> list[Conversation]:
    """Conversations of ``split`` ("train", "val", "test" or "all").

    Category-5 (adversarial) questions of LoCoMo-schema data are dropped unless
    ``include_adversarial``; other datasets number their categories differently (LongMemEval's
    5 is knowledge-update) and keep every question. ``source`` (the file name)
    only makes the error clearer when the split selects nothing, which raises
    :class:`DatasetUnavailableError`.
    """
    check_split(split)
    if split == "all":
        chosen = list(conversations)
    else:
        chosen = [c for c in conversations if split_of(c.id, dataset) == split]
    if not chosen:
        raise DatasetUnavailableError(_empty_split_message(conversations, split, dataset, source))
    if include_adversarial or dataset not in LOCOMO_SCHEMA_DATASETS:
        return chosen
    return drop_adversarial(chosen)


def _empty_split_message(
    conversations: Sequence[Conversation], split: str, dataset: str, source: str | None
) -> str:
    where = f"in {source}" if source else f"in the given {dataset} data"
    if not conversations:
        return f"split {split!r} has no conversations {where} (it holds none)"
    ids = [c.id for c in conversations]
    held = ", ".join(ids[:10]) + (f", ... ({len(ids)} in all)" if len(ids) > 10 else "")
    message = f"split {split!r} has no conversations {where} (it holds {held})"
    if dataset == "locomo" and split == "test":
        message += (
            "; the test split needs the full official file locomo10.json (10 conversations): "
            "pass data_path= / --path to it, or leave it out to download and cache it"
        )
    elif dataset == "locomo":
        wanted = LOCOMO_TRAIN if split == "train" else LOCOMO_VAL
        message += f"; the {split} split is {', '.join(wanted)}"
    else:
        message += f"; {dataset} is split by a hash of the conversation id: use split='all'"
    return message
