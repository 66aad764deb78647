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

    The folder tree gets ordinary permissions (``mkdtemp`` makes it private). An existing
    ``target`` is moved aside until the new folder is in place (and put back if that fails).
    When the final rename fails because another process wrote ``target`` meanwhile,
    ``accept_existing`` (if given) decides whether that folder is as good (then no error).
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    old: Path | None = None
    try:
        yield tmp
        for root, _dirs, files in os.walk(tmp):
            Path(root).chmod(0o755)
            for name in files:
                (Path(root) / name).chmod(0o644)
        if target.exists():  # moved aside, not deleted, until the new folder is in place
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}-old-", dir=target.parent))
            old.rmdir()
            target.rename(old)
        try:
            tmp.rename(target)
        except OSError:
            if accept_existing is not None and accept_existing(target):
                return
            if old is not None and not target.exists():
                old.rename(target)  # put the previous folder back
                old = None
            raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
