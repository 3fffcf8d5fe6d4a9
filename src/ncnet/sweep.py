"""Run a sweep into an output directory: skip what the store holds, train the rest, store
each piece as it finishes (a chunk of NCnet runs, one LoRA pair model), export the tables.

An interrupted sweep keeps every finished piece; running the same command again trains only
what is missing. Results of other configs in the same directory stay in the store.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ncnet.experiments import toy
from ncnet.store import Store, export_tables, records_frame

STORE_NAME = "results.sqlite"
TOY_ID_COLUMNS = ("experiment", "run", "seed", "hidden")


class OutputDirError(Exception):
    """The output directory cannot be used; the message is one line for the user."""


def prepare_out_dir(out: str | Path) -> Path:
    """Create ``out`` if needed and check that it is a writable directory."""
    path = Path(out)
    if path.exists() and not path.is_dir():
        raise OutputDirError(f"--out {path} is a file, not a directory; give a directory path")
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".write-check-"):
            pass
    except OSError as err:
        raise OutputDirError(f"--out {path} is not writable ({err.strerror})") from None
    return path


@dataclass
class Progress:
    """Hooks for a progress display: ``start(total_epochs)``, then ``advance(epochs)``."""

    start: Callable[[int], None]
    advance: Callable[[int], None]


@dataclass
class SweepResult:
    out: Path
    config_hash: str
    records: list[dict[str, Any]]
    trained: dict[str, int]  # newly stored records per store experiment
    complete_before: int  # runs that were already complete in the store
    summary: dict[str, Any]


def _job_list(config: toy.ToyConfig) -> list[tuple[str, Callable[..., list[dict[str, Any]]]]]:
    jobs = [(toy.EXPERIMENT, toy.train_pair_runs)]
    if config.joint:
        jobs.append((toy.JOINT_EXPERIMENT, toy.train_joint_runs))
    return jobs


def run_toy(
    config: toy.ToyConfig, out: str | Path, progress: Progress | None = None
) -> SweepResult:
    """Train every run of ``config`` that ``out``'s store lacks, then write the tables."""
    path = prepare_out_dir(out)
    planned = toy.planned_runs(config)
    with Store(path / STORE_NAME) as store:
        digest = config.config_hash()
        store.put_config(toy.EXPERIMENT, digest, config.model_dump(mode="json"))
        work: list[tuple[str, Callable[..., Any], Sequence[tuple[int, int]]]] = []
        missing: set[str] = set()
        for experiment, train in _job_list(config):
            done = store.done_keys(experiment, digest)
            todo = [hr for hr in planned if toy.run_key(*hr) not in done]
            missing |= {toy.run_key(*hr) for hr in todo}
            work += [(experiment, train, c) for c in toy.chunks(todo, config.chunk_runs)]
        if progress is not None:
            progress.start(config.epochs * len(work))
        trained = {experiment: 0 for experiment, _ in _job_list(config)}
        for experiment, train, chunk in work:
            last = [0]

            def report(epoch: int, last: list[int] = last) -> None:
                if progress is not None:
                    progress.advance(epoch - last[0])
                last[0] = epoch

            trained[experiment] += store.put_runs(experiment, digest, train(config, chunk, report))
        records = collect_toy(store, config)
    summary = toy.summarize(records)
    export_tables(records, summary_json(config, summary), path, TOY_ID_COLUMNS)
    return SweepResult(path, digest, records, trained, len(planned) - len(missing), summary)


def collect_toy(store: Store, config: toy.ToyConfig) -> list[dict[str, Any]]:
    """Stored records of the runs ``config`` asks for, pair and joint columns merged by key,
    in sweep order; runs not (yet) stored are left out."""
    digest = config.config_hash()
    pairs = store.records(toy.EXPERIMENT, digest)
    joint = store.records(toy.JOINT_EXPERIMENT, digest) if config.joint else {}
    merged = []
    for hidden, run in toy.planned_runs(config):
        key = toy.run_key(hidden, run)
        if key not in pairs:
            continue
        rec = {"experiment": toy.EXPERIMENT, "seed": config.seed, **pairs[key]}
        if key in joint:
            rec.update({k: v for k, v in joint[key].items() if k not in rec})
        merged.append(rec)
    return merged


def summary_json(config: toy.ToyConfig, summary: dict[str, Any]) -> dict[str, Any]:
    return {
        "experiment": toy.EXPERIMENT,
        "config_hash": config.config_hash(),
        "config": config.model_dump(mode="json"),
        "by_hidden": summary,
    }


def open_store(out: str | Path) -> Store:
    """The store of an output directory written earlier; OutputDirError if it has none."""
    path = Path(out)
    if not (path / STORE_NAME).is_file():
        raise OutputDirError(f"{path} holds no {STORE_NAME}; run `ncnet toy` or `ncnet lora` "
                             f"with --out {path} first")
    return Store(path / STORE_NAME)


def load_latest_toy(out: str | Path) -> tuple[toy.ToyConfig, list[dict[str, Any]]]:
    """The config and records of the last toy sweep written into ``out``."""
    with open_store(out) as store:
        latest = store.latest()
        if latest is None or latest[0] != toy.EXPERIMENT:
            raise OutputDirError(f"{out}/{STORE_NAME} holds no toy sweep")
        config = toy.ToyConfig.model_validate(store.config(*latest))
        return config, collect_toy(store, config)


LORA_EXPERIMENT = "lora"
LORA_ID_COLUMNS = ("experiment", "run", "seed", "rank")
LORA_RUNTIME_FIELDS = {"ranks", "seeds", "threads", "device", "cache_dir"}
LORA_OPTIONAL_FIELDS = ("targets", "layers", "alpha_scaling", "trace_every")
"""Identity fields added later: hashed only when set, so older stores keep their hashes."""


def lora_identity(config: Any) -> dict[str, Any]:
    """The fields of a LoRA config that decide a model's record (not which models exist)."""
    fields = type(config).model_fields
    unset = {k for k in LORA_OPTIONAL_FIELDS
             if k in fields and getattr(config, k) == fields[k].default}
    data = config.model_dump(mode="json", exclude=LORA_RUNTIME_FIELDS | unset)
    data["model"] = config.model_name
    return data


def lora_hash(config: Any) -> str:
    import hashlib

    blob = json.dumps(lora_identity(config), sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:12]


@dataclass
class LoraProgress:
    """Hooks: ``start(models, epochs)``, ``model(description)``, ``epoch()``, ``done()``."""

    start: Callable[[int, int], None]
    model: Callable[[str], None]
    epoch: Callable[[], None]
    done: Callable[[], None]


@dataclass
class LoraSweepResult:
    out: Path
    config_hash: str
    rows: list[dict[str, Any]]
    epochs: list[dict[str, Any]]
    summary: dict[str, Any]
    trained: int
    complete_before: int
    slope_window: int


@dataclass
class LoraInputs:
    """The tokenizer and the four tokenized tasks of a LoRA config."""

    tokenizer: Any
    data: dict[str, Any]


def prepare_lora(config: Any) -> LoraInputs:
    """Load the tokenizer and all four tasks; any bad model or data file raises ValueError
    here, before a store or output directory is touched."""
    from ncnet.experiments import lora

    lora.check_model(config)
    tokenizer = lora.load_tokenizer(config.model_name)
    data: dict[str, Any] = {}
    for head in ("A", "B"):
        for index in (1, 2):
            name = config.task(head, index)
            if name not in data:
                data[name] = lora.load_task_data(config, name, tokenizer)
    return LoraInputs(tokenizer, data)


def run_lora(config: Any, out: str | Path, progress: LoraProgress | None = None,
             slope_window: int = 80, inputs: LoraInputs | None = None,
             workers: int = 1) -> LoraSweepResult:
    """Train every (rank, seed, pair) model of ``config`` that ``out``'s store lacks (each
    stored as soon as it finishes, its adapter and heads checkpointed), then export.
    ``workers`` > 1 trains that many models at once in separate processes."""
    from ncnet import chsh
    from ncnet.executors import train_models
    from ncnet.experiments.lora_summary import model_key

    inputs = inputs or prepare_lora(config)
    path = prepare_out_dir(out)
    digest = lora_hash(config)
    planned = [(rank, seed, i, j) for rank in config.ranks for seed in config.seeds
               for i, j in chsh.PAIRS]
    with Store(path / STORE_NAME) as store:
        store.put_config(LORA_EXPERIMENT, digest, config.model_dump(mode="json"))
        done = store.done_keys(LORA_EXPERIMENT, digest)
        jobs = [(rank, seed, i, j, path / "checkpoints" / digest / model_key(rank, i, j, seed))
                for rank, seed, i, j in planned if model_key(rank, i, j, seed) not in done]
        if progress is not None:
            progress.start(len(jobs), config.epochs)
            if workers > 1 and len(jobs) > 1:
                progress.model(f"{workers} models at a time in worker processes")

        def starting(job: tuple) -> None:
            if progress is not None:
                progress.model(f"r={job[0]} seed={job[1]} pair ({job[2]},{job[3]})")

        for record in train_models(config, inputs, jobs, workers,
                                   progress.epoch if progress is not None else None, starting):
            store.put_runs(LORA_EXPERIMENT, digest, [record])
            if progress is not None:
                progress.done()
        records = collect_lora(store, config, digest)
    return export_lora(config, records, path, digest, len(jobs),
                       len(planned) - len(jobs), slope_window)


def collect_lora(store: Store, config: Any, digest: str) -> list[dict[str, Any]]:
    """Stored model records of the ranks and seeds ``config`` asks for."""
    wanted_ranks, wanted_seeds = set(config.ranks), set(config.seeds)
    return [r for r in store.records(LORA_EXPERIMENT, digest).values()
            if r["rank"] in wanted_ranks and r["seed"] in wanted_seeds]


def export_lora(config: Any, records: list[dict[str, Any]], path: Path, digest: str,
                trained: int, complete_before: int, slope_window: int) -> LoraSweepResult:
    from ncnet.experiments.lora_summary import epoch_rows, final_rows, summarize

    rows = final_rows(records)
    epochs = epoch_rows(records)
    summary = summarize(rows, epochs, slope_window)
    doc = {"experiment": LORA_EXPERIMENT, "config_hash": digest,
           "config": config.model_dump(mode="json"), "slope_window": slope_window,
           "by_rank": summary}
    export_tables(rows, doc, path, LORA_ID_COLUMNS)
    records_frame(epochs, ("rank", "seed", "epoch")).to_csv(path / "epochs.csv", index=False)
    return LoraSweepResult(path, digest, rows, epochs, summary, trained, complete_before,
                           slope_window)


def load_latest_lora(out: str | Path) -> tuple[Any, list[dict[str, Any]], str]:
    """The config, model records and hash of the last LoRA sweep written into ``out``."""
    from ncnet.experiments.lora import LoraConfig

    with open_store(out) as store:
        latest = store.latest()
        if latest is None or latest[0] != LORA_EXPERIMENT:
            raise OutputDirError(f"{out}/{STORE_NAME} holds no LoRA sweep")
        config = LoraConfig.model_validate(store.config(*latest))
        records = list(store.records(LORA_EXPERIMENT, latest[1]).values())
    if records:  # every rank and seed stored under this hash, e.g. from parallel partitions
        config = config.model_copy(update={
            "ranks": tuple(sorted({r["rank"] for r in records})),
            "seeds": tuple(sorted({r["seed"] for r in records})),
        })
    return config, records, latest[1]
