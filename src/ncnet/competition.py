"""Gradient competition between the heads (the paper's mechanism claim, §4.3 and §5).

The paper explains S > 2 by the two heads competing for the shared layer near a critical
capacity. Here competition is measured, not inferred: at traced epochs the gradient of
Alice's loss and of Bob's loss on the shared parameters are compared by their cosine
(+1: they pull the same way, 0: independent, -1: each undoes the other). A model's
**competition index** is the mean over traced epochs of max(0, -cos): 0 when the heads
never pull against each other, 1 when they are always exactly opposed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import stats

from ncnet import chsh

PAIR_KEYS = tuple(f"{i}{j}" for i, j in chsh.PAIRS)


def competition_index(cos: np.ndarray) -> np.ndarray:
    """Mean over the last axis (traced epochs) of max(0, -cos). A NaN cosine (one side's
    gradient exactly zero: nothing to compete over) counts as 0.

    >>> float(competition_index(np.array([1.0, -1.0, -0.5, np.nan])))
    0.375
    """
    c = np.asarray(cos, dtype=np.float64)
    return np.nan_to_num(np.clip(-c, 0.0, None), nan=0.0).mean(axis=-1)


def run_measures(rec: dict[str, Any]) -> dict[str, float]:
    """Competition measures of one traced toy run: each pair model's index, their mean,
    the hard-hard model's (2, 2) index, and its excess over the models where one side has
    the easy task (what should drive C22 down and the gaps up if competition is the cause)."""
    idx = {k: rec[f"competition_{k}"] for k in PAIR_KEYS}
    return {
        "competition_mean": float(np.mean(list(idx.values()))),
        "competition_22": idx["22"],
        "competition_excess_A2": idx["22"] - idx["21"],  # Alice on XOR: beside β2 vs β1
        "competition_excess_B2": idx["22"] - idx["12"],  # Bob on XOR: beside α2 vs α1
        "competition_excess_22": idx["22"] - (idx["11"] + idx["12"] + idx["21"]) / 3,
    }


def correlation(x: Sequence[float], y: Sequence[float], method: str = "spearman",
                n_boot: int = 2000, seed: int = 0) -> dict[str, Any]:
    """Pearson or Spearman correlation of paired values with a 95% CI and a two-sided p.

    Pearson: Fisher-z interval. Spearman: percentile bootstrap over pairs. Pairs with a NaN
    are dropped; fewer than 4 pairs or a constant side gives NaN.
    """
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    keep = ~(np.isnan(x) | np.isnan(y))
    x, y = x[keep], y[keep]
    n = len(x)
    out: dict[str, Any] = {"method": method, "n": int(n), "r": np.nan, "ci": [np.nan, np.nan],
                           "p": np.nan}
    if n < 4 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return out
    if method == "pearson":
        r, p = stats.pearsonr(x, y)
        z, se = np.arctanh(np.clip(r, -0.999999, 0.999999)), 1 / np.sqrt(n - 3)
        out.update(r=float(r), p=float(p),
                   ci=[float(np.tanh(z - 1.959964 * se)), float(np.tanh(z + 1.959964 * se))])
        return out
    r, p = stats.spearmanr(x, y)
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, n, size=(n_boot, n))
    boot = []
    for idx in picks:
        bx, by = x[idx], y[idx]
        if np.ptp(bx) > 0 and np.ptp(by) > 0:
            boot.append(stats.spearmanr(bx, by)[0])
    lo, hi = np.percentile(boot, [2.5, 97.5]) if boot else (np.nan, np.nan)
    out.update(r=float(r), p=float(p), ci=[float(lo), float(hi)])
    return out


TARGETS = (  # (competition measure, what it should explain)
    ("competition_mean", "S"),
    ("competition_22", "S"),
    ("competition_excess_22", "S"),
    ("competition_excess_A2", "gap_A2"),
    ("competition_excess_B2", "gap_B2"),
)


def correlations(records: Sequence[dict[str, Any]], method: str = "spearman",
                 n_boot: int = 2000) -> list[dict[str, Any]]:
    """Per hidden size n, the correlation across runs of each competition measure with the
    quantity it should explain (S, and the XOR heads' signalling gaps). Runs without a trace
    are skipped."""
    rows = []
    traced = [r for r in records if "competition_22" in r]
    for n in sorted({r["hidden"] for r in traced}):
        sub = [r for r in traced if r["hidden"] == n]
        measures = [run_measures(r) for r in sub]
        for measure, target in TARGETS:
            res = correlation([m[measure] for m in measures], [r[target] for r in sub],
                              method, n_boot)
            rows.append({"hidden": n, "runs": len(sub), "measure": measure, "against": target,
                         **res})
    return rows


def capacity_scan(records: Sequence[dict[str, Any]], n_boot: int = 2000) -> list[dict[str, Any]]:
    """Per hidden size: mean S with its bootstrap CI, mean S_product, mean joint S, mean
    gaps, and the mean competition index of each pair model (with the CI of the (2, 2) one
    and of the four models' mean)."""
    out = []
    for n in sorted({r["hidden"] for r in records}):
        sub = [r for r in records if r["hidden"] == n]
        s = np.array([r["S"] for r in sub])
        row: dict[str, Any] = {"hidden": n, "runs": len(sub), "S": float(s.mean()),
                               "S_ci": list(chsh.bootstrap_ci(s, n_boot=n_boot)),
                               "S_product": float(np.mean([r["S_product"] for r in sub]))}
        if all("S_joint" in r for r in sub):
            row["S_joint"] = float(np.mean([r["S_joint"] for r in sub]))
        for g in ("gap_A1", "gap_A2", "gap_B1", "gap_B2"):
            row[g] = float(np.mean([r[g] for r in sub]))
        traced = [r for r in sub if "competition_22" in r]
        if traced:
            for k in PAIR_KEYS:
                row[f"competition_{k}"] = float(np.mean([r[f"competition_{k}"] for r in traced]))
            for name in ("competition_mean", "competition_22"):
                v = np.array([run_measures(r)[name] for r in traced])
                row[name] = float(v.mean())
                row[f"{name}_ci"] = list(chsh.bootstrap_ci(v, n_boot=n_boot))
        out.append(row)
    return out
