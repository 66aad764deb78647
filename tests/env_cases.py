"""Constructor kwargs for every registered environment id, on data the tests can reach.

LoCoMo ids use the shared training/validation file (skipped when absent); LongMemEval and MSC ids
use small files written in those formats; Synth ids need nothing. The featurized ids
(``MemoryManagerFeatures-*``, ``AnswerAgentFeatures-*``, ``memenv.wrappers``) take the same data
kwargs as the text ids they wrap.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import memenv  # noqa: F401  (registers the ids)
from envs_registry import env_ids

ENV_IDS = env_ids()
"""Every registered memenv id (read from gym.registry): new ids are covered with no edit."""

LOCOMO_FILE = (
    Path(__file__).resolve().parents[1].parent / "shared/data/locomo/locomo10_trainval.json"
)


def kwargs_for(env_id: str, fixture_dir: Path) -> dict:
    """kwargs for ``gym.make(env_id, **kwargs)``; skips the test when the data is missing."""
    if "LoCoMo" in env_id:
        if not LOCOMO_FILE.exists():
            pytest.skip(f"LoCoMo file not found at {LOCOMO_FILE}")
        return {"data_path": str(LOCOMO_FILE), "split": "train"}
    if "LongMemEval" in env_id:
        from tests.fixtures_data import write_longmemeval_fixture

        return {"data_path": str(write_longmemeval_fixture(fixture_dir / "lme.json"))}
    if "MSC" in env_id:
        from tests.fixtures_data import write_msc_fixture

        return {"data_path": str(write_msc_fixture(fixture_dir / "msc.jsonl"))}
    if "Synth" in env_id:
        # A smaller synthetic split keeps the registry-wide tests quick.
        kwargs = {"synth_kwargs": {"n": 2, "n_sessions": 4}}
        if env_id.startswith("AnswerAgentFeatures"):
            kwargs["memories_per_speaker"] = 10  # smaller Discrete(2k) and feature arrays
        return kwargs
    raise AssertionError(f"no test data configured for {env_id}")


__all__ = ["ENV_IDS", "LOCOMO_FILE", "kwargs_for"]
