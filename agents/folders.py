"""Model folders written whole or not at all: a temporary folder beside the target, renamed
over it when complete, so that a killed run never leaves a half-written cache entry."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_folder(
    target: str | os.PathLike[str],
    *,
    accept_existing: Callable[[Path], bool] | None = None,
) -> Iterator[Path]:
    """Yield an empty folder to write into; on a clean exit it replaces ``target``.

    The folder and its files get ordinary permissions (``mkdtemp`` makes it private). When the
    final rename fails because another process wrote ``target`` meanwhile, ``accept_existing``
    (if given) decides whether that folder is as good (then no error is raised).
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        yield tmp
        tmp.chmod(0o755)
        for path in tmp.iterdir():
            if path.is_file():
                path.chmod(0o644)
        if target.exists():
            shutil.rmtree(target)
        try:
            tmp.rename(target)
        except OSError:
            if accept_existing is None or not accept_existing(target):
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
