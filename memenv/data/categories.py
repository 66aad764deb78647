"""LoCoMo question categories and their two naming views.

Everything is keyed by the integer stored in the data. The LoCoMo release and the papers that
report on it (Mem0, Memory-R1) name the same integers differently, so the name is only ever a
view chosen by the caller.
"""

from __future__ import annotations

ADVERSARIAL = 5
"""Category of the adversarial (unanswerable) questions, excluded by default."""

PAPER_NAMES: dict[int, str] = {
    1: "single-hop",
    2: "temporal",
    3: "multi-hop",
    4: "open-domain",
    5: "adversarial",
}
"""Names used in the result tables of the Mem0 and Memory-R1 papers."""

LOCOMO_NAMES: dict[int, str] = {
    1: "multi-hop",
    2: "temporal",
    3: "open-domain",
    4: "single-hop",
    5: "adversarial",
}
"""Names used by the LoCoMo release itself."""

VIEWS: dict[str, dict[int, str]] = {"paper": PAPER_NAMES, "locomo": LOCOMO_NAMES}


def category_name(cat: int, view: str = "paper") -> str:
    """Name of category ``cat`` in ``view`` ("paper" or "locomo"); "category <n>" if unknown."""
    try:
        names = VIEWS[view]
    except KeyError:
        raise ValueError(f"unknown category view {view!r}; valid views: {sorted(VIEWS)}") from None
    return names.get(cat, f"category {cat}")


def dataset_category_names(dataset: str) -> dict[int, str]:
    """Category number -> name for a dataset with its own categories (LongMemEval's question
    types, MSC's single "self-instruct"); LoCoMo-schema data: the release's names."""
    if dataset == "longmemeval":
        from memenv.data.longmemeval import LONGMEMEVAL_CATEGORIES

        return {number: name for name, number in LONGMEMEVAL_CATEGORIES.items()}
    if dataset == "msc":
        from memenv.data.msc import CATEGORY, CATEGORY_NAME

        return {CATEGORY: CATEGORY_NAME}
    return dict(LOCOMO_NAMES)
