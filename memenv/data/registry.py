"""One entry point from a dataset name to the conversations of a split.

Parsed files are cached by (loader, resolved path, mtime, size), and synthetic splits by their
arguments, so that many environments built on the same data share one parse. The cached lists
are never handed out themselves, only copies; the records in them are frozen.
"""

from __future__ import annotations

import json
import os
from collections import OrderedDict
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from memenv.data.errors import DatasetUnavailableError
from memenv.data.records import Conversation
from memenv.data.splits import SPLITS, check_split, drop_adversarial, select_split

DATASETS: tuple[str, ...] = ("locomo", "synth", "longmemeval", "msc")

SYNTH_SPLITS: dict[str, tuple[int, int]] = {
    "train": (0, 8),
    "val": (10_000, 4),
    "test": (20_000, 8),
}
"""Synthetic split -> (seed, number of conversations)."""

_CACHE_SIZE = 16
_cache: OrderedDict[tuple, list[Conversation]] = OrderedDict()


def clear_cache() -> None:
    """Forget every parsed file and generated split."""
    _cache.clear()


def _cached(key: tuple, make: Callable[[], list[Conversation]]) -> list[Conversation]:
    if key in _cache:
        _cache.move_to_end(key)
    else:
        _cache[key] = make()
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return list(_cache[key])


def _load_file(name: str, path: Path, loader: Callable[[Path], list[Conversation]]):
    resolved = path.resolve()
    try:
        st = resolved.stat()
    except OSError as exc:
        raise DatasetUnavailableError(f"{name} file not found: {path}") from exc
    return _cached((name, str(resolved), st.st_mtime_ns, st.st_size), lambda: loader(resolved))


def _locomo(path: Path) -> list[Conversation]:
    from memenv.data.locomo import load_locomo

    return _load_file("locomo", path, load_locomo)


def _file_dataset(dataset: str, data_path: str | os.PathLike[str] | None) -> list[Conversation]:
    if data_path is None:
        raise DatasetUnavailableError(
            f"dataset {dataset!r} needs data_path= (CLI: --path) pointing at its file; "
            "it is not downloaded automatically"
        )
    if dataset == "longmemeval":
        from memenv.data.longmemeval import load_longmemeval as loader
    else:
        from memenv.data.msc import load_msc as loader
    path = Path(data_path).expanduser()
    if not path.is_file():
        raise DatasetUnavailableError(f"{dataset} file not found: {path}")
    return _load_file(dataset, path, loader)


def check_synth_kwargs(synth_kwargs: Any) -> dict[str, Any]:
    """``synth_kwargs`` as a dict, or ValueError naming what is wrong (``n`` and ``seed`` here;
    the generator knobs are checked by :func:`memenv.data.synthetic.generate_conversations`)."""
    if synth_kwargs is None:
        return {}
    if not isinstance(synth_kwargs, Mapping):
        raise ValueError(
            f"synth_kwargs must be an object of generator knobs, got {type(synth_kwargs).__name__}"
            f" {synth_kwargs!r:.80}"
        )

    def check(key: str, value: Any, high: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < high:
            raise ValueError(f"synth_kwargs {key} must be an integer in [0, {high}), got {value!r}")

    check("seed", synth_kwargs.get("seed", 0), 2**62)
    n = synth_kwargs.get("n", 0)
    if isinstance(n, Mapping):  # conversations per split
        for part, value in n.items():
            if part not in SYNTH_SPLITS:
                raise ValueError(f"synth_kwargs n names split {part!r}; splits: {SPLITS[:3]}")
            check(f"n[{part!r}]", value, 1_000_001)
    else:
        check("n", n, 1_000_001)
    return dict(synth_kwargs)


def _synth(split: str, synth_kwargs: Mapping[str, Any] | None) -> list[Conversation]:
    from memenv.data.synthetic import generate_conversations

    knobs = check_synth_kwargs(synth_kwargs)
    n_override = knobs.pop("n", None)
    seed_shift = knobs.pop("seed", 0)
    parts = list(SYNTH_SPLITS) if split == "all" else [split]
    out: list[Conversation] = []
    for part in parts:
        base_seed, n = SYNTH_SPLITS[part]
        if isinstance(n_override, Mapping):  # conversations per split, e.g. {"test": 48}
            n = n_override.get(part, n)
        elif n_override is not None:
            n = n_override
        seed = base_seed + seed_shift

        def make(n: int = n, seed: int = seed) -> list[Conversation]:
            return generate_conversations(n, seed, **knobs)

        try:
            key = ("synth", n, seed, json.dumps(knobs, sort_keys=True))
        except TypeError:  # knobs that are not JSON (objects): no caching
            out.extend(make())
            continue
        out.extend(_cached(key, make))
    return out


def load_conversations(
    dataset: str,
    *,
    data_path: str | os.PathLike[str] | None = None,
    split: str = "train",
    include_adversarial: bool = False,
    synth_kwargs: Mapping[str, Any] | None = None,
    download: bool = True,
) -> list[Conversation]:
    """Conversations of ``split`` of ``dataset`` (one of :data:`DATASETS`).

    - locomo: ``data_path`` or the cached download (``download=False`` forbids fetching);
      Memory-R1 split (train conv-26, val conv-30, test the other eight).
    - longmemeval, msc: ``data_path`` required; split by a hash of the conversation id.
    - synth: generated; train = seed 0, 8 conversations; val = seed 10,000, 4; test = seed
      20,000, 8; all = the three. ``synth_kwargs`` may set ``n`` (conversations per split: one
      number for every split, or a mapping such as ``{"train": 64, "test": 48}``), ``seed``
      (added to each split's seed) and generator knobs.

    Category-5 (adversarial) questions of locomo and synth are dropped unless
    ``include_adversarial``.
    """
    if dataset not in DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}; valid datasets: {', '.join(DATASETS)}")
    check_split(split)
    if dataset == "synth":
        conversations = _synth(split, synth_kwargs)
        return conversations if include_adversarial else drop_adversarial(conversations)
    if dataset == "locomo":
        from memenv.data.download import locomo_path

        path = locomo_path(data_path, download=download)
        conversations = _locomo(path)
    else:
        conversations = _file_dataset(dataset, data_path)
        path = Path(str(data_path))
    source = path.name
    return select_split(
        conversations,
        split,
        dataset=dataset,
        include_adversarial=include_adversarial,
        source=source,
    )


__all__ = ["DATASETS", "SPLITS", "SYNTH_SPLITS", "clear_cache", "load_conversations"]
