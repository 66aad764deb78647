"""Tier 1: a small causal LM pretrained from scratch on the synthetic dialogues (fast RL tier).

``build_tier1(seed=0)`` builds and caches it (``memenv tier1 build``); ``make_backend("tier1")``
loads it. The compact prompt formats it is trained on are in :mod:`agents.tier1.prompts`.
"""

from agents.tier1.build import (
    Tier1Config,
    Tier1NotBuiltError,
    build_key,
    build_tier1,
    default_path,
    load_tier1,
)

__all__ = [
    "Tier1Config",
    "Tier1NotBuiltError",
    "build_key",
    "build_tier1",
    "default_path",
    "load_tier1",
]
