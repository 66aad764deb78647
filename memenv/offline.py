"""No network behind the user's back: Hugging Face Hub offline and without telemetry by default.

Nothing memenv runs needs the Hub (models come from local folders or packages), yet
``huggingface_hub`` sends telemetry and looks up its agent registry when TRL trainers start.
:func:`hub_offline_defaults` sets the switches for that, each only when the user has not set it,
so ``HF_HUB_OFFLINE=0 memenv ...`` still reaches the Hub. The only network memenv itself uses is
the explicit LoCoMo download and the user's ``openai:URL``.
"""

from __future__ import annotations

import os
import sys

DEFAULTS: dict[str, str] = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
}


def hub_offline_defaults() -> dict[str, str]:
    """Set :data:`DEFAULTS` in ``os.environ`` where unset; returns what it set.

    ``huggingface_hub`` reads these when it is imported; if it already was (a caller imported
    ``transformers`` first), its module constants are brought in line with what was set here.
    """
    added = {k: v for k, v in DEFAULTS.items() if k not in os.environ}
    os.environ.update(added)
    constants = sys.modules.get("huggingface_hub.constants")
    if constants is not None:
        if "HF_HUB_OFFLINE" in added and "TRANSFORMERS_OFFLINE" in added:
            constants.HF_HUB_OFFLINE = True
        if "HF_HUB_DISABLE_TELEMETRY" in added:
            constants.HF_HUB_DISABLE_TELEMETRY = True
    return added
