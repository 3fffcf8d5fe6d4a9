"""The experiment seam: what the sweep engine (:mod:`ncnet.engine.sweep`) and the executors
need from an experiment, and nothing more.

An experiment is an object with

- ``name`` (its registry name and TOML table), ``config_type`` (its pydantic config),
  ``stores`` (the store experiment names its records go under) and ``id_columns`` (the first
  columns of ``results.csv``);
- ``config_hash(config)``: the identity of a record's settings; the store is keyed by it;
- ``prepare(config)``: load and check what training needs, before any file is written
  (``ValueError`` / ``RuntimeError`` with a one-line message for the user);
- ``planned(config)``: the keys of every item the config asks for;
- ``units(config, done)``: the units of work still to do, given the keys already stored per
  store name. A unit's ``key`` depends only on what it trains;
- ``train(config, unit, progress)``: pure, no store I/O: the unit's records (dicts with a
  ``key``; files to write beside the store go under :data:`FILES`, as relative path -> bytes);
- ``collect(config, stored)``: the records the config asks for, from the stored ones;
- ``summarize(config, digest, records)``: an :class:`Outputs` (rows, summary, extra tables);
- presentation: ``headline(result)``, ``console_tables(summary)`` (a list of
  :class:`ncnet.report.table.Table`) and ``write_report(out, config, result)``;
- optionally ``metric_cells(config, digest, records)``: the cells of 'S as a metric'
  (:mod:`ncnet.studies.s_metric`) and notes, for ``ncnet analyze``.

Adding an experiment is one module with such an object plus one entry in
``ncnet.engine.registry.REGISTRY``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol

from ncnet.report.table import Table

FILES = "_files"
"""Record field with files to write under the output directory: {relative path: bytes}. The
driver writes them and drops the field before the record is stored."""


class UnitError(Exception):
    """A unit that the user's own input (their function, their data) cannot train: one line
    that names the unit. The sweep stops; every unit stored before it stays stored."""


@dataclass(frozen=True)
class Unit:
    """One piece of work: trained in one call, its records stored in one transaction."""

    store: str  # store experiment name its records go under
    key: str  # stable: depends only on what the unit trains
    keys: tuple[str, ...]  # store keys of the records it produces
    work: int  # progress steps (epochs) it reports
    label: str  # what a progress display shows while it trains
    spec: Any  # experiment-specific and picklable


@dataclass
class Outputs:
    """What a sweep exports: ``rows`` (results.csv / .parquet), ``summary`` (per swept value),
    ``doc`` (summary.json) and extra CSV tables by file name, each (rows, id columns)."""

    rows: list[dict[str, Any]]
    summary: dict[str, Any]
    doc: dict[str, Any]
    tables: dict[str, tuple[list[dict[str, Any]], tuple[str, ...]]] = field(default_factory=dict)


class Progress:
    """Progress hooks; this base does nothing. ``start(units, work)`` once, then per unit
    ``unit(label)`` when it starts (in the driver), ``advance(k)`` for k steps done and
    ``done(unit)`` when its records are stored."""

    def start(self, units: int, work: int) -> None: ...

    def unit(self, label: str) -> None: ...

    def advance(self, steps: int) -> None: ...

    def done(self, unit: Unit) -> None: ...


class Experiment(Protocol):
    name: str
    config_type: ClassVar[type]
    stores: tuple[str, ...]
    id_columns: tuple[str, ...]
    options: ClassVar[dict[str, Any]]  # extra TOML keys its constructor takes, with defaults
    # Optional: background_modules(config) -> module names. Non-empty, and with a report and no
    # executor asked for, the CLI trains in one worker process and imports these meanwhile.

    def config_hash(self, config: Any) -> str: ...

    def prepare(self, config: Any) -> None: ...

    def planned(self, config: Any) -> list[str]: ...

    def units(self, config: Any, done: Mapping[str, set[str]]) -> list[Unit]: ...

    def train(self, config: Any, unit: Unit,
              progress: Callable[[int], None] | None = None) -> list[dict[str, Any]]: ...

    def collect(self, config: Any,
                stored: Mapping[str, Mapping[str, dict[str, Any]]]) -> list[dict[str, Any]]: ...

    def reload(self, config_json: dict[str, Any],
               stored: Mapping[str, Mapping[str, dict[str, Any]]]) -> Any: ...

    def summarize(self, config: Any, digest: str,
                  records: Sequence[dict[str, Any]]) -> Outputs: ...

    def headline(self, result: Any) -> str: ...

    def console_tables(self, summary: dict[str, Any]) -> list[Table]: ...

    def write_report(self, out: Path, config: Any, result: Any) -> list[str]: ...
