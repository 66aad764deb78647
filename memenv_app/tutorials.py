"""Helpers the tutorials (``docs/tutorials``) use, so that the test suite can run them small.

``budget(full, tiny)`` is ``full`` when a reader runs a tutorial and ``tiny`` when the tests do
(``MEMENV_TUTORIAL_BUDGET=tiny``); ``figure(name)`` is where a tutorial saves a figure:
``docs/tutorials/figures/NAME`` for a reader, a temporary folder in the tests (so the committed
figures are the full-budget ones).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

FIGURES = Path(__file__).resolve().parents[1] / "docs" / "tutorials" / "figures"


def testing() -> bool:
    """Whether the tutorial runs inside the test suite."""
    return os.environ.get("MEMENV_TUTORIAL_BUDGET") == "tiny"


def budget(full: int, tiny: int) -> int:
    """``full`` for a reader, ``tiny`` in the tests."""
    return tiny if testing() else full


def figure(name: str) -> Path:
    """Where to save figure ``name``."""
    folder = Path(tempfile.gettempdir()) / "memenv-tutorial-figures" if testing() else FIGURES
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name
