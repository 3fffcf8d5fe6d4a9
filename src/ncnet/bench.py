"""Speed of the batched NCnet trainer against the naive loop, measured in one process."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import torch

from ncnet import chsh
from ncnet.experiments.toy import ToyConfig, model_seed, planned_runs
from ncnet.models.ncnet import init_params, train_batched, train_reference
from ncnet.tasks.bits import encode_inputs, pair_targets


def bench_toy(config: ToyConfig, naive_models: int = 3) -> dict[str, Any]:
    """Seconds for the whole sweep batched, and for ``naive_models`` models trained one by one
    (``nn.Module`` + ``torch.optim.Adam``), scaled to the sweep's model count."""
    if config.threads:
        torch.set_num_threads(config.threads)
    torch.set_flush_denormal(True)
    runs = planned_runs(config)
    codes = list(chsh.PAIRS)
    hidden = [h for h, _ in runs for _ in codes]
    seeds = [model_seed(config.seed, h, r, i, j) for h, r in runs for i, j in codes]
    targets = np.stack([pair_targets(i, j) for _ in runs for i, j in codes]).astype(np.float64)
    x = encode_inputs(config.encoding)
    theta0 = init_params(hidden, 2, seeds, config.init)
    settings = config.settings()

    start = time.perf_counter()
    train_batched(theta0, max(hidden), x, targets, settings)
    batched = time.perf_counter() - start

    k = min(naive_models, len(hidden))
    picks = np.linspace(0, len(hidden) - 1, k).round().astype(int)  # spread over hidden sizes
    start = time.perf_counter()
    train_reference(theta0[picks], [hidden[p] for p in picks], x, targets[picks], settings)
    naive = time.perf_counter() - start
    naive_sweep = naive / k * len(hidden)
    return {
        "models": len(hidden),
        "batched_seconds": batched,
        "naive_models": int(k),
        "naive_seconds": naive,
        "naive_sweep_seconds": naive_sweep,
        "speedup": naive_sweep / batched,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "dtype": "float64",
    }
