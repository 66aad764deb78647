"""Plugins: packages that add memory systems or answerers to memenv's registries.

A package declares an entry point in the ``memenv.plugins`` group (``baselines`` does, in
``pyproject.toml``); the registries of :mod:`memenv.systems` and :mod:`memenv.answerers` import
every such module the first time a name is looked up that they do not know, so a name like
``"mem0"`` resolves without memenv itself importing the package that provides it.
"""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points

GROUP = "memenv.plugins"
_loaded = False


def load_plugins() -> None:
    """Import every ``memenv.plugins`` entry point once (importing registers its names)."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    for entry in sorted(entry_points(group=GROUP), key=lambda e: e.name):
        importlib.import_module(entry.value.partition(":")[0])
