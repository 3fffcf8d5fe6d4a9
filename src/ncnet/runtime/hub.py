"""Access to the Hugging Face hub: offline (fail in seconds) unless the user allows it.

Both the task loaders and the model builders use it, so it sits below both.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator


def hub_allowed() -> bool:
    """Hub access only with ``NCNET_ALLOW_HUB=1`` or an explicit ``HF_HUB_OFFLINE`` setting."""
    return os.environ.get("NCNET_ALLOW_HUB") == "1" or "HF_HUB_OFFLINE" in os.environ


def _truthy(value: str) -> bool:
    return value.strip().upper() in {"1", "ON", "YES", "TRUE"}  # huggingface_hub's reading


def hub_off() -> bool:
    """Whether the hub libraries will stay offline here: ``HF_HUB_OFFLINE`` set to a true
    value, or neither ``NCNET_ALLOW_HUB=1`` nor any ``HF_HUB_OFFLINE`` setting."""
    value = os.environ.get("HF_HUB_OFFLINE")
    if value is not None:
        return _truthy(value)
    return os.environ.get("NCNET_ALLOW_HUB") != "1"


def hub_switch() -> str:
    """How to allow the hub, for error messages: the switch to set, or the setting in the
    way."""
    value = os.environ.get("HF_HUB_OFFLINE")
    if value is not None and _truthy(value):
        return f"HF_HUB_OFFLINE={value} is set: unset it (with network) to allow the hub"
    return "set NCNET_ALLOW_HUB=1 (with network) to allow the hub"


@contextlib.contextmanager
def hub_offline() -> Iterator[None]:
    """Offline Hugging Face hub (fail in seconds, no retries) unless :func:`hub_allowed`.

    The hub libraries read ``HF_HUB_OFFLINE`` at import, so their module constants are switched
    too, and restored on exit.
    """
    if hub_allowed():
        yield
        return
    import sys

    import huggingface_hub.constants as hub_constants

    targets = [(hub_constants, "HF_HUB_OFFLINE")]
    if "datasets" in sys.modules:
        config = sys.modules["datasets"].config
        targets += [(config, "HF_HUB_OFFLINE"), (config, "HF_DATASETS_OFFLINE")]
    saved = [(obj, attr, getattr(obj, attr)) for obj, attr in targets]
    for obj, attr in targets:
        setattr(obj, attr, True)
    try:
        yield
    finally:
        for obj, attr, value in saved:
            setattr(obj, attr, value)
