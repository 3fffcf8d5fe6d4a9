"""The experiments and their registry: name -> the module and class implementing the seam of
:mod:`ncnet.engine.seam`. Entries load lazily, so naming an experiment imports only it.

Third-party packages add experiments without editing ncnet: an entry point in the group
:data:`ENTRY_POINT_GROUP` whose name is the experiment's (its TOML table) and whose value is
``module:Class``, e.g. in the package's ``pyproject.toml``::

    [project.entry-points."ncnet.experiments"]
    mine = "my_package.experiment:MyExperiment"

A name ncnet ships cannot be taken by an entry point (ncnet's own wins, with the clash
named by :func:`clashes`).
"""

from __future__ import annotations

import importlib
from typing import Any

REGISTRY: dict[str, str] = {
    "toy": "ncnet.experiments.toy.experiment:ToyExperiment",
    "lora": "ncnet.experiments.lora.experiment:LoraExperiment",
    "pairs": "ncnet.experiments.pairs.experiment:PairsExperiment",
}
"""The experiments ncnet ships: name -> ``module:Class``."""

ENTRY_POINT_GROUP = "ncnet.experiments"


def entry_points() -> dict[str, str]:
    """The installed packages' experiments: entry-point name -> ``module:Class``."""
    from importlib.metadata import entry_points as installed

    return {ep.name: ep.value for ep in installed(group=ENTRY_POINT_GROUP)}


def entries() -> dict[str, str]:
    """Every experiment by name: the installed ones, then ncnet's own over them."""
    return {**entry_points(), **REGISTRY}


def clashes() -> list[str]:
    """Entry-point names that ncnet's own experiments shadow."""
    return sorted(set(entry_points()) & set(REGISTRY))


def names() -> list[str]:
    return sorted(entries())


def experiment_class(name: str) -> Any:
    """The class of registry entry ``name``; ``KeyError`` if there is none."""
    module, attr = entries()[name].split(":")
    return getattr(importlib.import_module(module), attr)


def get(name: str, **options: Any) -> Any:
    """A new experiment object of registry entry ``name`` with ``options`` (its extra
    settings, e.g. LoRA's ``slope_window``); ``KeyError`` if there is none."""
    return experiment_class(name)(**options)


def by_store(store_name: str) -> Any:
    """The experiment whose configs the store keeps under ``store_name`` (its registry name),
    or None."""
    return get(store_name) if store_name in entries() else None
