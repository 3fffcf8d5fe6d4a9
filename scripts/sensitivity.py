"""How the Figure-2 numbers move with the settings the paper leaves open.

Runs the full 3 x 50-run sweep (pair models only) for every combination of input encoding,
loss, initialisation and learning rate, and prints one Markdown table row per combination:
mean S with its 95% bootstrap CI per hidden size, and whether the documented fidelity
criteria hold. About 2 s per combination on one core.

    .venv/bin/python scripts/sensitivity.py > sensitivity.md
"""

from __future__ import annotations

import itertools
import sys

from ncnet.experiments.toy.config import ToyConfig
from ncnet.experiments.toy.experiment import planned_runs, train_pair_runs
from ncnet.experiments.toy.summary import summarize_hidden_sizes


def row(config: ToyConfig) -> str:
    summary = summarize_hidden_sizes(train_pair_runs(config, planned_runs(config)), n_boot=2000)
    cells = []
    for n in ("2", "3", "4"):
        s = summary[n]["S"]
        cells.append(f"{s['mean']:.2f} [{s['ci'][0]:.2f}, {s['ci'][1]:.2f}]")
    m = {n: summary[n]["S"]["mean"] for n in ("2", "3", "4")}
    ok = m["2"] < 2 and summary["3"]["S"]["ci"][0] > 2 and abs(m["4"] - 2) < abs(m["3"] - 2)
    frac3 = summary["3"]["fraction_S_above_2"]
    return (f"| {config.encoding} | {config.loss} | {config.init} | {config.lr:g} | {config.seed} | "
            + " | ".join(cells) + f" | {frac3:.0%} | {'yes' if ok else 'no'} |")


def main() -> None:
    print("| inputs | loss | init | lr | seed | S n=2 | S n=3 | S n=4 | n=3 runs > 2 | shape holds |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for seed in (0, 1, 2):
        print(row(ToyConfig(seed=seed, joint=False)), flush=True)
    grid = itertools.product(("pm1", "01"), ("bce", "mse"), ("he", "torch", "xavier"),
                             (0.003, 0.01, 0.03))
    for encoding, loss, init, lr in grid:
        config = ToyConfig(encoding=encoding, loss=loss, init=init, lr=lr, joint=False)
        print(row(config), flush=True)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
