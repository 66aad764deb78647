"""The memory-blind reference: one fixed answer to every question."""

from __future__ import annotations

from collections.abc import Sequence

from memenv.memory import MemoryEntry


class ConstantAnswerer:
    """Answers ``text`` whatever the question and the memories (selects none).

    The floor an answer policy must clear to show that it reads memories: on the synthetic
    answer tasks "Yes" or "No" alone is right on about a tenth of the questions.
    """

    def __init__(self, text: str = "Yes") -> None:
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"text must be a non-empty string, got {text!r}")
        self.text = text.strip()
        self.name = f"constant-{self.text.lower()}"

    def answer(
        self, question: str, question_date: str, memories: Sequence[MemoryEntry | None]
    ) -> tuple[str, list[int]]:
        return self.text, []
