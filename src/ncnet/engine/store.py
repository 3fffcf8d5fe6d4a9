"""The results store: one SQLite file (WAL) per output directory.

A run is keyed by (experiment, config hash, run key); its record is JSON. Writing a batch of
runs is one transaction, so an interrupted sweep leaves only whole runs behind and the next
call with the same config skips them. Nothing is ever deleted or overwritten by a sweep.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ncnet.report.format import strict_json

if TYPE_CHECKING:
    import pandas as pd

SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS configs (
    experiment TEXT NOT NULL, config_hash TEXT NOT NULL, config TEXT NOT NULL,
    created REAL NOT NULL, PRIMARY KEY (experiment, config_hash));
CREATE TABLE IF NOT EXISTS runs (
    experiment TEXT NOT NULL, config_hash TEXT NOT NULL, key TEXT NOT NULL,
    record TEXT NOT NULL, created REAL NOT NULL,
    PRIMARY KEY (experiment, config_hash, key));
"""


class StoreError(Exception):
    """The store file cannot be used; the message is one line for the user."""


class Store:
    """Open (or create) ``path``; raise :class:`StoreError` if it is not an ncnet store."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        existed = self.path.exists()
        if existed and not self.path.is_file():
            raise StoreError(f"{self.path} is not a file; it cannot be the results store")
        try:
            self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            if existed:
                self._check_existing()
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(_SCHEMA)
            self._db.execute(
                "INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
            )
        except sqlite3.DatabaseError as err:
            raise StoreError(
                f"{self.path} is not a usable ncnet store ({err}); move it away or choose "
                "another output directory"
            ) from None

    def _check_existing(self) -> None:
        tables = {
            r[0] for r in self._db.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
        if tables and not {"meta", "configs", "runs"} <= tables:
            raise sqlite3.DatabaseError("it holds other tables than an ncnet store")
        if self._db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise sqlite3.DatabaseError("integrity check failed")

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def put_config(self, experiment: str, config_hash: str, config: dict[str, Any]) -> None:
        """Record a config (the latest call's, e.g. its hidden sizes or ranks, replaces an
        earlier one of the same hash) and mark it as the latest one used."""
        with self._transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO configs VALUES (?, ?, ?, ?)",
                (experiment, config_hash, json.dumps(config, sort_keys=True), time.time()),
            )
            self._db.execute(
                "INSERT OR REPLACE INTO meta VALUES ('latest', ?)",
                (json.dumps({"experiment": experiment, "config_hash": config_hash}),),
            )

    def latest(self) -> tuple[str, str] | None:
        """(experiment, config hash) of the last sweep written here, if any."""
        row = self._db.execute("SELECT value FROM meta WHERE key = 'latest'").fetchone()
        if row is None:
            return None
        value = json.loads(row[0])
        return value["experiment"], value["config_hash"]

    def config_hashes(self, experiment: str) -> list[str]:
        """Hashes of every config of ``experiment`` recorded here, oldest first."""
        cur = self._db.execute(
            "SELECT config_hash FROM configs WHERE experiment = ? ORDER BY created, config_hash",
            (experiment,),
        )
        return [r[0] for r in cur]

    def config(self, experiment: str, config_hash: str) -> dict[str, Any] | None:
        row = self._db.execute(
            "SELECT config FROM configs WHERE experiment = ? AND config_hash = ?",
            (experiment, config_hash),
        ).fetchone()
        return None if row is None else json.loads(row[0])

    def done_keys(self, experiment: str, config_hash: str) -> set[str]:
        """Keys of the runs already stored for this experiment and config."""
        cur = self._db.execute(
            "SELECT key FROM runs WHERE experiment = ? AND config_hash = ?",
            (experiment, config_hash),
        )
        return {r[0] for r in cur}

    def put_runs(
        self, experiment: str, config_hash: str, records: Iterable[dict[str, Any]]
    ) -> int:
        """Insert whole run records (each with a ``key``) in one transaction; existing keys are
        kept as they are. Returns how many were new."""
        now = time.time()
        rows = [
            (experiment, config_hash, rec["key"], json.dumps(rec), now) for rec in records
        ]
        with self._transaction():
            before = self._db.total_changes
            self._db.executemany("INSERT OR IGNORE INTO runs VALUES (?, ?, ?, ?, ?)", rows)
            return self._db.total_changes - before

    def records(self, experiment: str, config_hash: str) -> dict[str, dict[str, Any]]:
        """All stored records of one experiment and config, by key."""
        cur = self._db.execute(
            "SELECT key, record FROM runs WHERE experiment = ? AND config_hash = ?",
            (experiment, config_hash),
        )
        return {key: json.loads(rec) for key, rec in cur}

    def _transaction(self):
        return _Transaction(self._db)


class _Transaction:
    def __init__(self, db: sqlite3.Connection):
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type, *exc: object) -> None:
        self._db.execute("COMMIT" if exc_type is None else "ROLLBACK")


def records_frame(records: Sequence[dict[str, Any]], id_columns: Sequence[str]) -> pd.DataFrame:
    """One row per record: ``id_columns`` first, then every scalar field (nested outcome
    strings, curves and other dicts/lists stay in the store only)."""
    import pandas as pd  # here, not at import: a sweep starts without the data stack

    rows = [
        {k: v for k, v in rec.items() if not isinstance(v, dict | list) and k != "key"}
        for rec in records
    ]
    frame = pd.DataFrame(rows)
    if frame.empty:
        return pd.DataFrame(columns=list(id_columns))
    first = [c for c in id_columns if c in frame.columns]
    return frame[first + [c for c in frame.columns if c not in first]]


def export_tables(
    records: Sequence[dict[str, Any]],
    summary: dict[str, Any],
    out: Path,
    id_columns: Sequence[str],
) -> pd.DataFrame:
    """Write ``results.csv``, ``results.parquet`` and ``summary.json`` into ``out`` (each
    written to a temporary name first, then renamed, so a reader never sees half a file)."""
    frame = records_frame(records, id_columns)
    _atomic(out / "results.csv", lambda p: frame.to_csv(p, index=False))
    _atomic(out / "results.parquet", lambda p: frame.to_parquet(p, index=False))
    text = json.dumps(strict_json(summary), indent=2)
    _atomic(out / "summary.json", lambda p: p.write_text(text + "\n"))
    return frame


def _atomic(target: Path, write) -> None:
    tmp = target.with_name(f".{target.name}.tmp")
    write(tmp)
    tmp.replace(target)
