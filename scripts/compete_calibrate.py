"""Single-task calibration of the ``offline-compete`` hard tasks (issue 9, part 4).

Trains only Alice's head on one task (``ncnet.experiments.lora.experiment.train_single``)
and prints the test accuracy per epoch. Usage::

    PYTHONPATH=src python scripts/compete_calibrate.py food-clause --rank 8 --layers all \\
        --epochs 8 --train-size 400 --test-size 200
"""

from __future__ import annotations

import argparse

import torch

from ncnet.experiments.lora.config import LoraConfig
from ncnet.experiments.lora.experiment import train_single


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("task")
    parser.add_argument("--rank", type=int, default=8)
    parser.add_argument("--layers", default="all", help="'all' or e.g. '5' or '4,5'")
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--train-size", type=int, default=400)
    parser.add_argument("--test-size", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(1)
    layers = None if args.layers == "all" else tuple(int(x) for x in args.layers.split(","))
    cfg = LoraConfig(suite="offline-compete", ranks=(args.rank,), epochs=args.epochs,
                     train_size=args.train_size, test_size=args.test_size, layers=layers,
                     device="cpu")
    for row in train_single(cfg, args.rank, args.task, args.seed):
        print(f"{args.task} r={args.rank} layers={args.layers} epoch {row['epoch']}: "
              f"acc {row['acc']:.3f} loss {row['loss']:.4f} ({row['train_s']:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
