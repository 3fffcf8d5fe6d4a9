"""Speed of the batched NCnet trainer against the naive loop, measured in one process."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import torch

from ncnet import chsh
from ncnet.experiments.toy import ToyConfig, model_seed, planned_runs
from ncnet.models.ncnet import init_params, to_module, train_batched
from ncnet.tasks.bits import encode_inputs, pair_targets


def naive_loop(
    theta0: torch.Tensor, hidden: list[int], x: np.ndarray, targets: np.ndarray, epochs: int,
    lr: float,
) -> list[torch.Tensor]:
    """What a user would write: per model an ``nn.Sequential`` in float32, ``nn.BCEWithLogitsLoss``
    and ``torch.optim.Adam`` with its defaults, one Python loop over models and epochs.
    Returns each model's final logits (16, 2)."""
    xt = torch.as_tensor(x, dtype=torch.float32)
    outputs = []
    for m, h in enumerate(hidden):
        net = to_module(theta0[m], h, max(hidden), targets.shape[-1]).float()
        opt = torch.optim.Adam(net.parameters(), lr=lr)
        loss_fn = torch.nn.BCEWithLogitsLoss()
        y = torch.as_tensor(targets[m], dtype=torch.float32)
        for _ in range(epochs):
            opt.zero_grad()
            loss_fn(net(xt), y).backward()
            opt.step()
        outputs.append(net(xt).detach())
    return outputs


def bench_toy(config: ToyConfig, naive_models: int = 3) -> dict[str, Any]:
    """Seconds for the whole sweep batched, and for ``naive_models`` models trained one by one
    (:func:`naive_loop`), scaled to the sweep's model count. The batched trainer runs as
    ``ncnet toy`` runs it (float64, denormals flushed); the naive loop as a user's script would
    (float32, torch's default denormal handling)."""
    torch.set_num_threads(config.threads)
    runs = planned_runs(config)
    codes = list(chsh.PAIRS)
    hidden = [h for h, _ in runs for _ in codes]
    seeds = [model_seed(config.seed, h, r, i, j) for h, r in runs for i, j in codes]
    targets = np.stack([pair_targets(i, j) for _ in runs for i, j in codes]).astype(np.float64)
    x = encode_inputs(config.encoding)
    theta0 = init_params(hidden, 2, seeds, config.init)
    settings = config.settings()

    torch.set_flush_denormal(True)
    start = time.perf_counter()
    train_batched(theta0, max(hidden), x, targets, settings)
    batched = time.perf_counter() - start
    torch.set_flush_denormal(False)

    k = min(naive_models, len(hidden))
    picks = np.linspace(0, len(hidden) - 1, k).round().astype(int)  # spread over hidden sizes
    start = time.perf_counter()
    naive_loop(theta0[picks], [hidden[p] for p in picks], x, targets[picks], config.epochs,
               config.lr)
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
