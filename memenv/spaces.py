"""A text space that admits any Unicode string, and a Dict action space that takes raw text.

gymnasium's ``Text`` space only contains strings over a fixed character set and asks for a
minimum length, which dialogue data (curly quotes, emoji, zero-width spaces, empty fields) break.
``UnicodeText`` keeps the one constraint that matters, a maximum length, and samples readable
strings so ``check_env`` and random-action fuzzing exercise the environments' parsers.

Vector environments: ``UnicodeText`` is registered with gymnasium's shared-memory functions, so
``gym.make_vec(id, vectorization_mode="async")`` works with its defaults (each string is stored
as its code points, the length first), and :class:`TextActionDict`, the environments' action
space, lets a vector environment take a batch of raw LLM outputs (a list of strings, one per
sub-environment) as well as the usual dict of batched fields.
"""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Iterator, Mapping, Sequence
from copy import deepcopy
from types import ModuleType
from typing import Any

import numpy as np
from gymnasium.spaces import Dict, Space
from gymnasium.vector.utils import (
    batch_space,
    create_shared_memory,
    iterate,
    read_from_shared_memory,
    write_to_shared_memory,
)

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


# ------------------------------------------------------------------ shared memory (async vector)
@create_shared_memory.register(UnicodeText)
def _create_unicode_shared_memory(space: UnicodeText, n: int = 1, ctx: ModuleType = mp) -> Any:
    return ctx.Array("i", n * (space.max_length + 1))  # per env: length, then code points


def _rows(space: UnicodeText, shared_memory: Any) -> np.ndarray:
    return np.frombuffer(shared_memory.get_obj(), dtype=np.int32).reshape(-1, space.max_length + 1)


class SharedTexts(Sequence[str]):
    """The strings in a ``UnicodeText`` shared-memory buffer, decoded when read.

    ``AsyncVectorEnv`` reads its shared memory once and expects views that follow later writes
    (as numpy arrays over the buffer do); a tuple of ``str`` would stay as it was. A deep copy
    (what the vector env returns by default) is a plain tuple.
    """

    def __init__(self, rows: np.ndarray):
        self._rows = rows

    def __len__(self) -> int:
        return len(self._rows)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return tuple(self)[index]
        row = self._rows[index]
        return row[1 : 1 + int(row[0])].astype("<u4").tobytes().decode("utf-32-le", "surrogatepass")

    def __deepcopy__(self, memo: dict) -> tuple[str, ...]:
        return tuple(self)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and tuple(self) == tuple(other)

    def __repr__(self) -> str:
        return f"SharedTexts({tuple(self)!r})"


@read_from_shared_memory.register(UnicodeText)
def _read_unicode_from_shared_memory(
    space: UnicodeText, shared_memory: Any, n: int = 1
) -> SharedTexts:
    return SharedTexts(_rows(space, shared_memory)[:n])


@write_to_shared_memory.register(UnicodeText)
def _write_unicode_to_shared_memory(
    space: UnicodeText, index: int, value: str, shared_memory: Any
) -> None:
    if not isinstance(value, str):
        raise TypeError(f"UnicodeText observation must be a str, got {type(value).__name__}")
    points = np.frombuffer(value.encode("utf-32-le", "surrogatepass"), dtype="<u4")
    points = points[: space.max_length]
    row = _rows(space, shared_memory)[index]
    row[0] = len(points)
    row[1 : 1 + len(points)] = points.astype(np.int32)


# ------------------------------------------------------------------ raw-text batches of actions
class TextActionDict(Dict):
    """A ``Dict`` action space whose environments also take a raw string as the action.

    Batched (a vector environment's ``action_space``), it iterates a dict of batched fields as
    ``Dict`` does, and also a list, tuple or array with one action per sub-environment: a raw
    LLM output string or a dict each.
    """

    batch_size: int | None = None
    """The number of sub-environments, on a batched space."""


@batch_space.register(TextActionDict)
def _batch_text_action_dict(space: TextActionDict, n: int = 1) -> TextActionDict:
    batched = TextActionDict(
        {key: batch_space(subspace, n=n) for key, subspace in space.items()},
        seed=deepcopy(space.np_random),
        sort_keys=space.sort_keys,
    )
    batched.batch_size = n
    return batched


@iterate.register(TextActionDict)
def _iterate_text_actions(space: TextActionDict, items: Any) -> Iterator[Any]:
    if isinstance(items, Mapping):
        return iterate.dispatch(Dict)(space, items)
    if isinstance(items, str) or not isinstance(items, list | tuple | np.ndarray):
        raise TypeError(
            "a vector environment takes a dict of batched fields or a list with one action "
            f"(a raw string or a dict) per sub-environment, got {type(items).__name__}"
        )
    actions = [str(a) if isinstance(a, np.str_) else a for a in list(items)]
    if space.batch_size is not None and len(actions) != space.batch_size:
        raise ValueError(
            f"expected {space.batch_size} actions, one per sub-environment, got {len(actions)}"
        )
    return iter(actions)
