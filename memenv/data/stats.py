"""Dataset figures for ``memenv data stats``."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from memenv.data.categories import (
    ADVERSARIAL,
    LOCOMO_NAMES,
    PAPER_NAMES,
    dataset_category_names,
)
from memenv.data.locomo import evidence_report
from memenv.data.records import Conversation
from memenv.data.splits import split_of

LOCOMO_SCHEMA = ("locomo", "synth")
"""Datasets whose evidence strings are LoCoMo dia_ids (checked for problems)."""
SPLIT_DATASETS = ("locomo", "longmemeval", "msc")
"""Datasets whose split follows from the conversation id (synthetic splits are by seed)."""


def dataset_stats(
    conversations: Iterable[Conversation], split_by_id: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Counts of conversations, sessions with turns, turns, questions, facts and problems.

    ``splits`` counts the questions outside category 5 per split and ``split_conversations``
    the conversations (Memory-R1 split for LoCoMo, hash split for LongMemEval and MSC; synthetic
    splits are by generator seed, so ``split_by_id`` names them: conversation id -> split).
    ``evidence_problems`` covers LoCoMo-schema data only; ``by_conversation`` lists the
    conversations that have any.
    """
    convs = list(conversations)
    by_category = Counter(qa.category for c in convs for qa in c.qa)
    splits = dict.fromkeys(("train", "val", "test"), 0)
    split_conversations = dict.fromkeys(("train", "val", "test"), 0)
    for conv in convs:
        if split_by_id is not None and conv.id in split_by_id:
            split = split_by_id[conv.id]
        elif conv.dataset in SPLIT_DATASETS:
            split = split_of(conv.id, conv.dataset)
        else:
            continue
        locomo = conv.dataset in LOCOMO_SCHEMA  # elsewhere category 5 is not adversarial
        splits[split] += sum(1 for qa in conv.qa if not locomo or qa.category != ADVERSARIAL)
        split_conversations[split] += 1
    report = evidence_report(c for c in convs if c.dataset in LOCOMO_SCHEMA)
    return {
        "datasets": sorted({c.dataset for c in convs}),
        "conversations": len(convs),
        "sessions": sum(1 for c in convs for s in c.sessions if s.turns),
        "turns": sum(len(s.turns) for c in convs for s in c.sessions),
        "questions": sum(len(c.qa) for c in convs),
        "by_category": {str(k): by_category[k] for k in sorted(by_category)},
        "splits": splits,
        "split_conversations": split_conversations,
        "facts": sum(len(c.facts) for c in convs),
        "evidence_problems": {
            "total": report.total(),
            "by_conversation": {r.conversation: r.counts() for r in report.with_problems()},
        },
    }


def _category_label(cat: str, locomo_schema: bool, names: dict[int, str]) -> str:
    if not cat.isdigit():
        return f"category {cat}"
    n = int(cat)
    if not locomo_schema:
        return f"category {n} ({names[n]})" if n in names else f"category {n}"
    if n not in PAPER_NAMES:
        return f"category {cat}"
    return f"category {n} ({PAPER_NAMES[n]}; LoCoMo: {LOCOMO_NAMES[n]})"


def _problem_text(counts: dict[str, int]) -> str:
    parts = [f"{k.replace('_', ' ')} {v}" for k, v in counts.items() if k != "problems" and v]
    return f"{counts['problems']}" + (f" ({', '.join(parts)})" if parts else "")


def format_stats(stats: dict[str, Any]) -> str:
    """A readable two-column table of :func:`dataset_stats`."""
    datasets = stats.get("datasets", ["locomo"])
    locomo_schema = all(d in LOCOMO_SCHEMA for d in datasets)
    # a single dataset with its own categories (LongMemEval's question types, MSC) names them
    names = dataset_category_names(datasets[0]) if len(datasets) == 1 else {}
    rows: list[tuple[str, str]] = [
        ("dataset", ", ".join(stats.get("datasets", [])) or "-"),
        ("conversations", str(stats["conversations"])),
        ("sessions (with turns)", str(stats["sessions"])),
        ("turns", str(stats["turns"])),
        ("questions", str(stats["questions"])),
    ]
    rows += [
        (f"  {_category_label(cat, locomo_schema, names)}", str(n))
        for cat, n in stats["by_category"].items()
    ]
    rows.append(("conversations / questions per split (LoCoMo schema: no category 5)", ""))
    per_split = stats.get("split_conversations", {})
    rows += [
        (f"  {name}", f"{per_split.get(name, '-')} / {n}") for name, n in stats["splits"].items()
    ]
    rows.append(("facts", str(stats["facts"])))
    problems = stats["evidence_problems"]
    rows.append(("evidence problems", _problem_text(problems["total"])))
    rows += [(f"  {cid}", _problem_text(c)) for cid, c in problems["by_conversation"].items()]
    width = max(len(label) for label, _ in rows)
    return "\n".join(f"{label:<{width}}  {value}".rstrip() for label, value in rows)
