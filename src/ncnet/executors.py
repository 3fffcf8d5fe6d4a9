"""Where LoRA pair models train: in this process, or in a pool of worker processes.

Each model is a pure function of (config, rank, pair, seed), so the place it trains does not
change its result (same thread count per model). Results come back as they finish; the caller
stores each one at once, so an interrupted pool keeps every finished model.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any

Job = tuple[int, int, int, int, Path]  # rank, seed, i, j, checkpoint directory

_worker_state: dict[str, Any] = {}


def train_one(config: Any, inputs: Any, job: Job,
              on_epoch: Callable[[], None] | None = None) -> dict[str, Any]:
    """Train one pair model and return its store record."""
    from ncnet.experiments import lora
    from ncnet.experiments.lora_summary import model_record

    rank, seed, i, j, checkpoint_dir = job
    epochs = list(lora.train_pair(
        config, rank, i, j, seed, tokenizer=inputs.tokenizer, data=inputs.data,
        checkpoint_dir=checkpoint_dir,
        callback=(lambda _row: on_epoch()) if on_epoch is not None else None,
    ))
    return model_record(rank, i, j, seed, epochs)


def _init_worker(config_json: dict[str, Any]) -> None:
    from ncnet.experiments.lora import LoraConfig
    from ncnet.sweep import prepare_lora

    config = LoraConfig.model_validate(config_json)
    _worker_state["config"] = config
    _worker_state["inputs"] = prepare_lora(config)


def _train_in_worker(job: Job) -> dict[str, Any]:
    return train_one(_worker_state["config"], _worker_state["inputs"], job)


def train_models(
    config: Any, inputs: Any, jobs: Sequence[Job], workers: int = 1,
    on_epoch: Callable[[], None] | None = None,
    on_start: Callable[[Job], None] | None = None,
) -> Iterator[dict[str, Any]]:
    """Yield the record of every job as it finishes. In this process, ``on_start(job)`` and
    ``on_epoch()`` report progress. ``workers`` > 1 trains that many models at once in spawned
    processes (each with ``config.threads`` threads, torch's default if unset); only whole
    models are reported then."""
    if workers <= 1 or len(jobs) <= 1:
        for job in jobs:
            if on_start is not None:
                on_start(job)
            yield train_one(config, inputs, job, on_epoch)
        return
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context,
                               initializer=_init_worker,
                               initargs=(config.model_dump(mode="json"),))
    try:
        pending = {pool.submit(_train_in_worker, job) for job in jobs}
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                yield future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
