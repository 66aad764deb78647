"""Shared fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.env_cases import LOCOMO_FILE as LOCOMO_TRAINVAL


@pytest.fixture(autouse=True)
def _keep_torch_threads():
    """Trainers, backends and the demo set torch's global thread count: restore it after each
    test."""
    try:
        import torch
    except ImportError:  # the library-only install
        yield
        return
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def locomo_path() -> Path:
    """The shared LoCoMo train/val file (conv-26, conv-30); skips the test when absent."""
    if not LOCOMO_TRAINVAL.is_file():
        pytest.skip(f"LoCoMo file not found at {LOCOMO_TRAINVAL}")
    return LOCOMO_TRAINVAL


@pytest.fixture(scope="session")
def tiny_tier1(tmp_path_factory) -> Path:
    """A tiny tier-1 build for the RL tests (a few seconds, built once per session)."""
    from agents.tier1.build import Tier1Config, build_tier1

    config = Tier1Config.tiny()
    return build_tier1(tmp_path_factory.mktemp("tier1-rl") / "build", seed=0, config=config)


@pytest.fixture(scope="session")
def tiny_policy(tiny_tier1, tmp_path_factory) -> Path:
    """The tiny build after a short SFT on noisy mem0 actions: mostly well-formed, varied
    actions, so that the episodes of one group differ in return."""
    from agents.rl.sft import SFTConfig, build_sft

    config = SFTConfig(conversations=4, steps=60, batch_size=16, lr=1e-2, noise=0.5)
    return build_sft(tiny_tier1, config, tmp_path_factory.mktemp("tier1-rl") / "sft")
