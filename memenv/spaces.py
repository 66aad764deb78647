"""A text space that admits any Unicode string.

gymnasium's ``Text`` space only contains strings over a fixed character set and asks for a
minimum length, which dialogue data (curly quotes, emoji, zero-width spaces, empty fields) break.
``UnicodeText`` keeps the one constraint that matters, a maximum length, and samples readable
strings so ``check_env`` and random-action fuzzing exercise the environments' parsers.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium.spaces import Space

# Sampling alphabet: ASCII letters and punctuation plus a few characters that real dialogue data
# contains and naive parsers trip over (curly quotes, an em dash, an emoji, a zero-width space).
_SAMPLE_ALPHABET = tuple(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,:;!?'\"-{}[]*\n"
    "\u2018\u2019\u201c\u201d\u2014\u00e9\u200b"
) + ("\U0001f600",)


class UnicodeText(Space[str]):
    """Any ``str`` of at most ``max_length`` characters.

    Args:
        max_length: the longest string the space contains.
        seed: seed of the space's own random generator (used by :meth:`sample`).
    """

    def __init__(self, max_length: int, *, seed: int | np.random.Generator | None = None):
        if not isinstance(max_length, int) or max_length < 1:
            raise ValueError(f"UnicodeText: max_length must be a positive int, got {max_length!r}")
        self.max_length = max_length
        super().__init__(shape=None, dtype=None, seed=seed)

    @property
    def is_np_flattenable(self) -> bool:
        return False

    def sample(self, mask: Any = None, probability: Any = None) -> str:
        """A random string of up to ``min(max_length, 64)`` characters from a mixed alphabet."""
        if mask is not None or probability is not None:
            raise NotImplementedError("UnicodeText.sample does not support masks")
        length = int(self.np_random.integers(0, min(self.max_length, 64) + 1))
        idx = self.np_random.integers(0, len(_SAMPLE_ALPHABET), size=length)
        return "".join(_SAMPLE_ALPHABET[i] for i in idx)

    def contains(self, x: Any) -> bool:
        return isinstance(x, str) and len(x) <= self.max_length

    def __repr__(self) -> str:
        return f"UnicodeText(max_length={self.max_length})"

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, UnicodeText) and other.max_length == self.max_length

    def to_jsonable(self, sample_n: Any) -> list[str]:
        return list(sample_n)

    def from_jsonable(self, sample_n: list[str]) -> list[str]:
        return list(sample_n)
