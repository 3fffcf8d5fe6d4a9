"""Optional dependencies: import one, or fail with the ``pip install`` line that brings it.

The core package needs only numpy, scipy, pandas, torch and the CLI libraries. Section 5
(``transformers``, ``peft``, ``datasets``), the Ray executor (``ray``), the torchmetrics
metric (``torchmetrics``) and the quantum Bell bounds (``clarabel``) come with extras;
:func:`require` names the one to install.
"""

from __future__ import annotations

import importlib
from types import ModuleType

#: The extra of ``pyproject.toml`` that brings each optional top-level module.
EXTRAS: dict[str, str] = {
    "datasets": "lora",
    "transformers": "lora",
    "peft": "lora",
    "ray": "ray",
    "torchmetrics": "metrics",
    "clarabel": "bell",
}


class MissingExtraError(RuntimeError):
    """An optional package is not installed; the message is one line naming the extra."""


def install_hint(module: str, extra: str | None = None) -> str:
    """``pip install 'ncnet[lora]'`` for ``module`` (its extra from :data:`EXTRAS`)."""
    return f"pip install 'ncnet[{extra or EXTRAS[module]}]'"


def require(module: str, extra: str | None = None) -> ModuleType:
    """Import ``module`` (e.g. ``"transformers.utils"``) or raise :class:`MissingExtraError`.

    Only a missing *top-level* package of ``module`` becomes the one-line error; any other
    import failure inside an installed package propagates unchanged.
    """
    top = module.split(".")[0]
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as err:
        if err.name != top:
            raise
        raise MissingExtraError(
            f"{top} is not installed; it comes with the extra: {install_hint(top, extra)}"
        ) from None
