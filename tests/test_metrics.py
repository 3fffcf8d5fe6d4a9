"""ncnet.metrics.CHSHScore against chsh.score_table, in one process and across two."""

import inspect
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from ncnet import chsh

pytest.importorskip("torchmetrics")
from ncnet.metrics import CHSHScore

HAS_ITEMS = "items" in inspect.signature(chsh.score_items).parameters
needs_items = pytest.mark.skipif(not HAS_ITEMS, reason="chsh.score_items has no items= yet "
                                 "(issue 7's statistics)")


def random_frame(seed: int, n: int = 203) -> pd.DataFrame:
    """Random outcomes of four pairs with unequal item counts (all four pairs present)."""
    rng = np.random.default_rng(seed)
    pair = np.concatenate([np.arange(4), rng.integers(0, 4, n - 4)])
    p_a, p_b = rng.uniform(0.3, 0.95, 4), rng.uniform(0.3, 0.95, 4)
    return pd.DataFrame({
        "i": pair // 2 + 1, "j": pair % 2 + 1,
        "A": np.where(rng.random(n) < p_a[pair], 1, -1),
        "B": np.where(rng.random(n) < p_b[pair], 1, -1),
    })


def max_abs_diff(x, y) -> float:
    """Largest |x - y| over two ChshScore.to_dict() trees (strings and ints compared exactly)."""
    if isinstance(x, dict):
        assert x.keys() == y.keys()
        return max((max_abs_diff(x[k], y[k]) for k in x), default=0.0)
    if isinstance(x, list):
        assert len(x) == len(y)
        return max((max_abs_diff(u, v) for u, v in zip(x, y, strict=True)), default=0.0)
    if isinstance(x, str) or x is None:
        assert x == y
        return 0.0
    if math.isnan(x) or math.isinf(x):
        assert (math.isnan(x) and math.isnan(y)) or x == y, (x, y)
        return 0.0
    return abs(x - y)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_metric_equals_score_table_on_random_data(seed):
    df = random_frame(seed)
    rng = np.random.default_rng(100 + seed)
    metric = CHSHScore(n_boot=3000, level=0.9, seed=seed)
    # four pair models, each evaluated in batches of its own, in shuffled order and formats
    for k in rng.permutation(4):
        i, j = chsh.PAIRS[k]
        rows = df[(df.i == i) & (df.j == j)]
        for batch in np.array_split(rows.index.to_numpy(), 3):
            a = torch.tensor(df.A[batch].to_numpy() > 0)                   # bool
            b = torch.tensor(df.B[batch].to_numpy())                        # +-1
            if k % 2:
                b = (b > 0).to(torch.int64)                                 # 1/0
            metric.update(a, b, i, j)
    got = metric.score()
    want = chsh.score_table(df, n_boot=3000, level=0.9, seed=seed)
    assert max_abs_diff(got.to_dict(), want.to_dict()) <= 1e-12
    assert got.S == pytest.approx(float(np.sum(chsh.CHSH_SIGNS * want.C)))
    # the same items in one stream with per-item settings, e.g. one model under four settings
    mixed = CHSHScore(n_boot=3000, level=0.9, seed=seed)
    order = rng.permutation(len(df))
    for batch in np.array_split(order, 5):
        part = df.iloc[batch]
        mixed(torch.tensor(part.A.to_numpy()), torch.tensor(part.B.to_numpy()),
              torch.tensor(part.i.to_numpy()), torch.tensor(part.j.to_numpy()))
    assert max_abs_diff(mixed.score().to_dict(), want.to_dict()) <= 1e-12


@pytest.mark.filterwarnings("ignore:The ``compute`` method of metric CHSHScore was called")
def test_metric_hand_computed_values_and_reset():
    m = CHSHScore(n_boot=500)
    # (1,1): C = 1; (1,2): one of two agree -> 0; (2,1): C = 1; (2,2): anti -> -1. S = 3.
    m.update([1, 1], [1, 1], 1, 1)
    m.update([1, 1], [1, 0], 1, 2)
    m.update([0, 1], [0, 1], 2, 1)
    m.update([1, 0, 1], [0, 1, 0], 2, 2)
    r = m.score()
    assert r.C.tolist() == [[1.0, 0.0], [1.0, -1.0]] and r.S == 3.0
    assert r.n_items.tolist() == [[2, 2], [2, 3]]
    assert r.acc_b[0, 1] == 0.5 and r.gap_a[1] == pytest.approx(0.5 - 2 / 3)
    m.reset()
    with pytest.raises(ValueError, match="no items yet"):
        m.compute()



def test_compute_is_a_tensor_and_compute_dict_holds_the_score():
    # the torchmetrics conventions: compute() is S as a 0-dim tensor; the dict for log_dict
    df = random_frame(3)
    m = CHSHScore(n_boot=1000, level=0.9, seed=2)
    for _, rows in df.groupby(["i", "j"]):
        m.update(torch.tensor(rows.A.to_numpy()), torch.tensor(rows.B.to_numpy()),
                 int(rows.i.iloc[0]), int(rows.j.iloc[0]))
    want = chsh.score_table(df, n_boot=1000, level=0.9, seed=2)
    value = m.compute()
    assert isinstance(value, torch.Tensor) and value.shape == () and value.dtype == torch.float64
    assert value.item() == want.S
    d = m.compute_dict(prefix="val_")
    assert list(d) == ["val_S", "val_ci_low", "val_ci_high", "val_p_value",
                       "val_C11", "val_C12", "val_C21", "val_C22"]
    assert all(isinstance(v, torch.Tensor) and v.shape == () for v in d.values())
    assert [v.item() for v in d.values()] == [want.S, *want.ci, want.test["p_value"],
                                              *want.C.ravel().tolist()]
    assert m.score().to_dict() == m.score().to_dict() and m.score().S == want.S


@pytest.mark.filterwarnings("ignore:The ``compute`` method of metric CHSHScore was called")
def test_repeated_item_ids_name_reset_and_reset_starts_afresh():
    m = CHSHScore(n_boot=200)
    ids = torch.arange(3)

    def evaluate():
        for i, j in chsh.PAIRS:
            m.update(torch.tensor([1, 1, 0]), torch.tensor([1, 0, 1]), i, j, item=ids)

    evaluate()
    first = m.score()
    evaluate()  # a second evaluation without reset(): ids 0, 1, 2 come back in every pair
    with pytest.raises(ValueError, match=r"^CHSHScore.compute: item id\(s\) 0, 1, 2 of pair "
                       r"\(i=1, j=1\) were given more than once since the last reset\(\); "
                       r"call metric.reset\(\)") as err:
        m.compute()
    assert "\n" not in str(err.value)
    m.reset()
    with pytest.raises(ValueError, match="no items yet"):
        m.score()  # the cached score went with the states
    evaluate()
    assert m.score().to_dict() == first.to_dict()


def test_metric_rejects_bad_input():
    m = CHSHScore()
    with pytest.raises(ValueError, match=r"correct_a: .*invalid value\(s\) \[2.0\]"):
        m.update(torch.tensor([1, 2]), torch.tensor([1, 1]), 1, 1)
    with pytest.raises(ValueError, match="i must be 1 or 2"):
        m.update(torch.tensor([1, 1]), torch.tensor([1, 1]), 3, 1)
    with pytest.raises(ValueError, match="paired by position"):
        m.update(torch.tensor([1, 1]), torch.tensor([1]), 1, 1)
    with pytest.raises(ValueError, match="j has 3 values for 2 items"):
        m.update(torch.tensor([1, 1]), torch.tensor([1, 1]), 1, torch.tensor([1, 2, 1]))
    m.update(torch.tensor([1, 1]), torch.tensor([1, 1]), 1, 1)
    with pytest.raises(ValueError, match="in every update or in none"):
        m.update(torch.tensor([1]), torch.tensor([1]), 1, 2, item=torch.tensor([7]))
    with pytest.raises(ValueError, match=r"no rows for pair|no items"):
        m.compute()  # only pair (1,1) has items


@needs_items
def test_metric_with_item_ids_equals_score_table():
    # one model under the four settings: every item id appears once in every pair
    rng = np.random.default_rng(5)
    n = 60
    rows = [(i, j, k, rng.choice([-1, 1]), rng.choice([-1, 1]))
            for i, j in chsh.PAIRS for k in rng.permutation(n)]
    df = pd.DataFrame(rows, columns=["i", "j", "item", "A", "B"])
    want = chsh.score_table(df, n_boot=2000, seed=4)
    m = CHSHScore(n_boot=2000, seed=4)
    for batch in np.array_split(rng.permutation(len(df)), 6):
        part = df.iloc[batch]
        m.update(torch.tensor(part.A.to_numpy()), torch.tensor(part.B.to_numpy()),
                 torch.tensor(part.i.to_numpy()), torch.tensor(part.j.to_numpy()),
                 item=torch.tensor(part.item.to_numpy()))
    got = m.score()
    assert max_abs_diff(got.to_dict(), want.to_dict()) <= 1e-12
    # the ids matter: without them the score uses the independent-pairs scheme
    without = chsh.score_table(df.drop(columns="item"), n_boot=2000, seed=4)
    assert got.ci != without.ci or got.test != without.test


def test_two_processes_sync_over_gloo(tmp_path):
    # 75 test items, each scored under all four settings (rows shuffled), split unevenly
    # between two ranks, so one item's four rows often sit on different ranks
    rng = np.random.default_rng(8)
    k = 75
    pair = np.repeat(np.arange(4), k)
    item = np.tile(rng.permutation(k), 4)
    order = rng.permutation(4 * k)
    df = pd.DataFrame({"i": pair // 2 + 1, "j": pair % 2 + 1,
                       "A": rng.choice([-1, 1], 4 * k, p=[0.2, 0.8]),
                       "B": rng.choice([-1, 1], 4 * k, p=[0.3, 0.7])}).iloc[order]
    df = df.reset_index(drop=True)
    item = item[order]
    rank = (rng.random(len(df)) < 0.35).astype(np.int64)  # uneven shares
    data = tmp_path / "data.npz"
    np.savez(data, A=df.A.to_numpy(), B=df.B.to_numpy(), i=df.i.to_numpy(), j=df.j.to_numpy(),
             item=item, rank=rank)
    worker = Path(__file__).with_name("ddp_metric_worker.py")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "OMP_NUM_THREADS": "1"}
    start = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, str(worker), str(r), "2", str(data),
                               str(tmp_path / "init"), str(tmp_path / "rank")], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for r in range(2)]
    outs = [p.communicate(timeout=120)[0] for p in procs]
    elapsed = time.perf_counter() - start
    assert [p.returncode for p in procs] == [0, 0], outs
    import json

    results = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in range(2)]
    want = chsh.score_table(df, n_boot=2000, seed=3).to_dict()
    for res in results:
        assert max_abs_diff(res["shared"], want) <= 1e-12
        assert res["shared_S"] == res["shared"]["S"]
        assert max_abs_diff(res["one_rank_empty"], want) <= 1e-12
        if HAS_ITEMS:
            with_ids = chsh.score_table(df.assign(item=item), n_boot=2000, seed=3).to_dict()
            assert max_abs_diff(res["items"], with_ids) <= 1e-12
    print(f"two-process gloo sync: {elapsed:.1f} s")


def test_metric_survives_clone_and_pickle():
    import pickle

    m = CHSHScore(n_boot=100)
    for i, j in chsh.PAIRS:
        m.update(torch.tensor([1, 1, 0]), torch.tensor([1, 0, 1]), i, j)
    copies = [m.clone(), pickle.loads(pickle.dumps(m))]
    s = m.score().S
    assert [c.score().S for c in copies] == [s, s] and s == pytest.approx(-2 / 3)
    copies[0].update(torch.tensor([1]), torch.tensor([1]), 2, 2)  # (2,2): C from -1/3 to 0
    assert copies[0].score().S == pytest.approx(-1.0) and m.score().S == s
    assert copies[0].compute().item() == copies[0].score().S
