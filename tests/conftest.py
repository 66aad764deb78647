"""Shared fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.env_cases import LOCOMO_FILE as LOCOMO_TRAINVAL


@pytest.fixture
def locomo_path() -> Path:
    """The shared LoCoMo train/val file (conv-26, conv-30); skips the test when absent."""
    if not LOCOMO_TRAINVAL.is_file():
        pytest.skip(f"LoCoMo file not found at {LOCOMO_TRAINVAL}")
    return LOCOMO_TRAINVAL
