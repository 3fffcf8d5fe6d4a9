"""One sweep engine for every experiment: skip what the store holds, hand the units of work
to an executor, store each unit's records as they come back (the driver alone writes), export
the tables.

An interrupted sweep keeps every finished unit; running the same command again trains only
what is missing. Results of other configs in the same directory stay in the store. The
experiment is any object with the seam of :mod:`ncnet.engine.seam`.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Mapping
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ncnet.engine.executors import Executor, Inline
from ncnet.engine.seam import FILES, Progress
from ncnet.engine.store import Store, export_tables, records_frame

STORE_NAME = "results.sqlite"


class OutputDirError(Exception):
    """The output directory cannot be used; the message is one line for the user."""


class InputError(Exception):
    """What the experiment needs cannot be loaded or used here (a model, a data file, a
    device); the message is one line for the user."""


def prepare_out_dir(out: str | Path) -> Path:
    """Create ``out`` if needed and check that it is a writable directory."""
    path = Path(out)
    if path.exists() and not path.is_dir():
        raise OutputDirError(f"output directory {path} is a file; give a directory path")
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".write-check-"):
            pass
    except OSError as err:
        raise OutputDirError(f"output directory {path} is not writable ({err.strerror})") from None
    return path


@dataclass
class SweepResult:
    experiment: Any
    config: Any
    out: Path
    config_hash: str
    records: list[dict[str, Any]]  # the stored records the config asks for
    rows: list[dict[str, Any]]  # results.csv
    summary: dict[str, Any]  # per swept value
    doc: dict[str, Any]  # summary.json
    tables: dict[str, Any] = field(default_factory=dict)  # extra CSVs: name -> (rows, ids)
    trained: dict[str, int] = field(default_factory=dict)  # newly stored records per store
    complete_before: int = 0  # planned items already complete in the store
    timings: dict[str, float] = field(default_factory=dict)  # seconds per phase


def run(experiment: Any, config: Any, out: str | Path, executor: Executor | None = None,
        progress: Progress | None = None) -> SweepResult:
    """Train every unit of ``config`` that ``out``'s store lacks on ``executor`` (inline by
    default), store each unit's records as it finishes, then export the tables. Nothing is
    written before the experiment's inputs and the executor have been checked."""
    progress = progress or Progress()
    executor = executor or Inline()
    prepare(experiment, config)
    executor.start()
    try:
        path = prepare_out_dir(out)
        digest = experiment.config_hash(config)
        with Store(path / STORE_NAME) as store:
            store.put_config(experiment.stores[0], digest, config.model_dump(mode="json"))
            done = {name: store.done_keys(name, digest) for name in experiment.stores}
            units = experiment.units(config, done)
            missing = {key for unit in units for key in unit.keys}
            complete_before = len(experiment.planned(config)) - len(missing)
            progress.start(len(units), sum(unit.work for unit in units))
            trained = dict.fromkeys(experiment.stores, 0)
            storing = 0.0
            start = time.perf_counter()
            # closed at once when this stops early (an error, Ctrl-C, SIGTERM): the executor
            # then stops its workers; the store keeps every unit stored so far
            with closing(executor.run(experiment, config, units, progress)) as finished:
                for unit, records in finished:
                    begin = time.perf_counter()
                    write_files(path, records)
                    trained[unit.store] += store.put_runs(unit.store, digest, records)
                    storing += time.perf_counter() - begin
                    progress.done(unit)
            training = time.perf_counter() - start - storing
            begin = time.perf_counter()
            stored = {name: store.records(name, digest) for name in experiment.stores}
    finally:
        executor.close()
    records = experiment.collect(config, stored)
    storing += time.perf_counter() - begin
    result = export(experiment, config, digest, records, path, trained, complete_before)
    result.timings.update(training=training, store=storing)
    return result


def write_files(path: Path, records: list[dict[str, Any]]) -> None:
    """Write the files a unit sent back (:data:`ncnet.engine.seam.FILES`) under ``path``,
    each atomically, and drop them from the records."""
    for record in records:
        for relative, blob in record.pop(FILES, {}).items():
            target = path / relative
            if path.resolve() not in target.resolve().parents:
                raise ValueError(f"a unit's file {relative!r} lies outside {path}")
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{target.name}.tmp")
            tmp.write_bytes(blob)
            tmp.replace(target)


def export(experiment: Any, config: Any, digest: str, records: list[dict[str, Any]],
           path: Path, trained: Mapping[str, int] | None = None,
           complete_before: int = 0) -> SweepResult:
    """Summarize ``records`` once and write ``results.csv``, ``results.parquet``,
    ``summary.json`` and the experiment's extra tables into ``path``."""
    start = time.perf_counter()
    outputs = experiment.summarize(config, digest, records)
    summary = time.perf_counter() - start
    export_tables(outputs.rows, outputs.doc, path, experiment.id_columns)
    for name, (rows, id_columns) in outputs.tables.items():
        tmp = path / f".{name}.tmp"
        records_frame(rows, id_columns).to_csv(tmp, index=False)
        tmp.replace(path / name)
    timings = {"summary": summary, "export": time.perf_counter() - start - summary}
    return SweepResult(experiment, config, path, digest, records, outputs.rows, outputs.summary,
                       outputs.doc, outputs.tables, dict(trained or {}), complete_before,
                       timings)


def open_store(out: str | Path) -> Store:
    """The store of an output directory written earlier; OutputDirError if it has none."""
    path = Path(out)
    if not (path / STORE_NAME).is_file():
        raise OutputDirError(f"{path} holds no {STORE_NAME}; run a sweep into it first")
    return Store(path / STORE_NAME)


def _latest_experiment(store: Store, out: str | Path) -> tuple[Any, str, str]:
    """The experiment and (store name, config hash) of the last sweep in ``store``;
    OutputDirError if it holds none."""
    from ncnet.engine.registry import by_store

    latest = store.latest()
    experiment = by_store(latest[0]) if latest is not None else None
    if experiment is None:
        raise OutputDirError(f"{Path(out) / STORE_NAME} holds no sweep")
    return experiment, *latest


def _load_sweep(store: Store, experiment: Any, name: str, digest: str
                ) -> tuple[Any, list[dict[str, Any]]]:
    """The config and collected records of one stored sweep."""
    stored = {store_name: store.records(store_name, digest) for store_name in experiment.stores}
    config = experiment.reload(store.config(name, digest), stored)
    return config, experiment.collect(config, stored)


def load_latest(out: str | Path) -> tuple[Any, Any, list[dict[str, Any]], str]:
    """The experiment, config, records and config hash of the last sweep written into
    ``out``; OutputDirError if it holds none."""
    with open_store(out) as store:
        experiment, name, digest = _latest_experiment(store, out)
        config, records = _load_sweep(store, experiment, name, digest)
    return experiment, config, records, digest


def load_all(out: str | Path) -> tuple[Any, list[tuple[Any, list[dict[str, Any]], str]]]:
    """The experiment of the last sweep written into ``out`` and every sweep of that
    experiment stored there, oldest first, each as (config, records, config hash); the
    latest is among them. OutputDirError if ``out`` holds none."""
    with open_store(out) as store:
        experiment, name, _ = _latest_experiment(store, out)
        sweeps = [(*_load_sweep(store, experiment, name, digest), digest)
                  for digest in store.config_hashes(name)]
    return experiment, sweeps


def prepare(experiment: Any, config: Any) -> None:
    """Load and check what ``experiment`` needs for ``config``; InputError (one line) if
    something cannot be used. Nothing is written."""
    try:
        experiment.prepare(config)
    except (ValueError, RuntimeError) as err:
        raise InputError(str(err).splitlines()[0]) from None
