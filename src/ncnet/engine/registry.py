"""The experiments and their registry: name -> the module and class implementing the seam of
:mod:`ncnet.engine.seam`. Entries load lazily, so naming an experiment imports only it."""

from __future__ import annotations

import importlib
from typing import Any

REGISTRY: dict[str, str] = {
    "toy": "ncnet.experiments.toy.experiment:ToyExperiment",
    "lora": "ncnet.experiments.lora.experiment:LoraExperiment",
    "pairs": "ncnet.experiments.pairs.experiment:PairsExperiment",
}


def names() -> list[str]:
    return sorted(REGISTRY)


def experiment_class(name: str) -> Any:
    """The class of registry entry ``name``; ``KeyError`` if there is none."""
    module, attr = REGISTRY[name].split(":")
    return getattr(importlib.import_module(module), attr)


def get(name: str, **options: Any) -> Any:
    """A new experiment object of registry entry ``name`` with ``options`` (its extra
    settings, e.g. LoRA's ``slope_window``); ``KeyError`` if there is none."""
    return experiment_class(name)(**options)


def by_store(store_name: str) -> Any:
    """The experiment whose configs the store keeps under ``store_name`` (its registry name),
    or None."""
    return get(store_name) if store_name in REGISTRY else None
