"""Seconds per epoch of the batched NCnet trainer against the number of models trained at
once, on one device: is a toy sweep on it bound by kernel launches or by memory traffic?

    python scripts/gpu_toy_scaling.py --device cuda [--epochs 300] [--models 600,6000,60000]

Prints one line per (dtype, models): seconds per epoch and microseconds per model-epoch.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from ncnet.models.ncnet_trainer import init_params, train_batched
from ncnet.models.settings import TrainSettings
from ncnet.tasks.bits import encode_inputs, pair_targets


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--epochs", type=int, default=300)
    parser.add_argument("--models", default="600,6000,60000")
    parser.add_argument("--dtypes", default="float64,float32")
    args = parser.parse_args()
    x = encode_inputs("pm1")
    for dtype in args.dtypes.split(","):
        for m in (int(v) for v in args.models.split(",")):
            hidden = [(2, 3, 4)[k % 3] for k in range(m)]
            targets = np.stack([pair_targets(1 + k % 2, 1 + (k // 2) % 2)
                                for k in range(m)]).astype(np.float64)
            theta0 = init_params(hidden, 2, list(range(m)), "he")
            settings = TrainSettings(epochs=args.epochs)
            timings = []
            for _ in range(2):  # the first is a warm-up: allocations, kernels, handles
                start = time.perf_counter()
                train_batched(theta0, 4, x, targets, settings, dtype=getattr(torch, dtype),
                              device=args.device)  # returns CPU tensors: synchronised
                timings.append(time.perf_counter() - start)
            per_epoch = timings[-1] / args.epochs
            print(f"{args.device} {dtype:8s} models {m:7d}: {per_epoch * 1e3:8.3f} ms/epoch "
                  f"{per_epoch / m * 1e9:9.1f} ns per model-epoch", flush=True)


if __name__ == "__main__":
    main()
