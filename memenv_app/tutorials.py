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


def tier1_model() -> Path:
    """The tier-1 model the RL tutorials start from: the demo's build (cached; about a minute to
    build on 2 cores the first time), or a tiny one built in seconds in the tests."""
    if testing():
        from agents.tier1.build import Tier1Config, build_tier1

        folder = Path(tempfile.mkdtemp(prefix="memenv-tutorial-tier1-"))
        return build_tier1(folder / "build", seed=0, config=Tier1Config.tiny())
    from memenv_app.demo import DemoSettings
    from memenv_app.demo import tier1_model as demo_model

    return demo_model(DemoSettings(), print)


def workdir(name: str) -> Path:
    """A folder for a tutorial's runs: ``runs/tutorials/NAME`` for a reader, a temporary one in
    the tests."""
    if testing():
        return Path(tempfile.mkdtemp(prefix=f"memenv-tutorial-{name}-"))
    folder = Path("runs") / "tutorials" / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder
