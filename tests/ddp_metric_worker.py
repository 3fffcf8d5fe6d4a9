"""One rank of the two-process CHSHScore sync check (run by tests/test_metrics.py).

Usage: python ddp_metric_worker.py RANK WORLD_SIZE DATA.npz INIT_FILE OUT_PREFIX

Each rank feeds its share of the rows (rank r takes the rows with ``rank == r``), then every
rank computes; the result must be the score of all rows. A second metric is fed by rank 0
alone (a rank with no data), a third with item ids when ``chsh.score_items`` takes them.
"""

import inspect
import json
import sys

import numpy as np
import torch
import torch.distributed as dist

from ncnet import chsh


def feed(metric, d, rows, with_items=False):
    for start in range(0, rows.size, 7):  # batches of 7 rows, settings per item
        k = rows[start:start + 7]
        metric.update(torch.from_numpy(d["A"][k]), torch.from_numpy(d["B"][k] > 0),
                      torch.from_numpy(d["i"][k]), torch.from_numpy(d["j"][k]),
                      item=torch.from_numpy(d["item"][k]) if with_items else None)


def main() -> None:
    from ncnet.metrics import CHSHScore

    rank, world, data, init_file, prefix = sys.argv[1:]
    rank, world = int(rank), int(world)
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank,
                            world_size=world)
    d = dict(np.load(data))
    mine = np.flatnonzero(d["rank"] == rank)
    results = {}
    shared = CHSHScore(n_boot=2000, seed=3)
    feed(shared, d, mine)
    results["shared"] = shared.score().to_dict()
    results["shared_S"] = shared.compute().item()  # the tensor, gathered the same way
    lonely = CHSHScore(n_boot=2000, seed=3)
    if rank == 0:
        feed(lonely, d, np.arange(d["A"].size))
    results["one_rank_empty"] = lonely.score().to_dict()
    if "items" in inspect.signature(chsh.score_items).parameters:
        with_items = CHSHScore(n_boot=2000, seed=3)
        feed(with_items, d, mine, with_items=True)
        results["items"] = with_items.score().to_dict()
    with open(f"{prefix}{rank}.json", "w") as fh:
        json.dump(chsh._plain(results), fh)
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
