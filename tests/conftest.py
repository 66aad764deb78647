"""Shared fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

LOCOMO_TRAINVAL = (
    Path(__file__).resolve().parents[1].parent / "shared/data/locomo/locomo10_trainval.json"
)


@pytest.fixture
def locomo_path() -> Path:
    """The shared LoCoMo train/val file (conv-26, conv-30); skips the test when absent."""
    if not LOCOMO_TRAINVAL.is_file():
        pytest.skip(f"LoCoMo file not found at {LOCOMO_TRAINVAL}")
    return LOCOMO_TRAINVAL
