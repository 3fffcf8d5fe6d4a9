"""Which torch device a run uses, checked before any work starts (torch is imported lazily)."""

from __future__ import annotations

import re

DEVICE_PATTERN = re.compile(r"^(cpu|auto|cuda(:\d+)?)$")


def gpu_count() -> int:
    """CUDA devices torch sees here (0 without a GPU or without a CUDA build)."""
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def check_device_name(value: str) -> str:
    """``value`` if it is ``cpu``, ``auto``, ``cuda`` or ``cuda:N``; else ``ValueError``."""
    if not DEVICE_PATTERN.match(value):
        raise ValueError("use cpu, cuda, cuda:N (a GPU index) or auto")
    return value


def resolve_device(value: str) -> str:
    """``auto`` -> ``cuda`` where a GPU is present, else ``cpu``; ``cuda`` / ``cuda:N`` only if
    that GPU exists here, else a one-line ``ValueError``."""
    check_device_name(value)
    if value == "cpu":
        return value
    count = gpu_count()
    if value == "auto":
        return "cuda" if count else "cpu"
    index = int(value.split(":")[1]) if ":" in value else 0
    if count == 0:
        raise ValueError(f"device {value!r} is not available here: torch sees no CUDA GPU; "
                         "allowed: cpu, auto")
    if index >= count:
        raise ValueError(f"device {value!r} is not available here: torch sees {count} CUDA "
                         f"GPU(s), cuda:0 .. cuda:{count - 1}")
    return value
