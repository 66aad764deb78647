"""Paths of the shared reference fixtures (``../shared/fixtures`` next to the project root).

They are data kept outside the repository (see their README); tests that need one skip with a
reason when it is absent, e.g. in a clone without ``../shared``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures"


def fixture_path(relative: str) -> Path:
    """``FIXTURES / relative``; skips the calling test when the file is not there."""
    path = FIXTURES / relative
    if not path.is_file():
        pytest.skip(f"shared fixture not found: {path} (it lives outside the repository)")
    return path
