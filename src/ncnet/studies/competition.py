"""Gradient competition between the heads (the paper's mechanism claim, §4.3 and §5).

The paper explains S > 2 by the two heads competing for the shared layer near a critical
capacity. Here competition is measured, not inferred: at traced epochs the gradient of
Alice's loss and of Bob's loss on the shared parameters are compared by their cosine
(+1: they pull the same way, 0: independent, -1: each undoes the other). A model's
**competition index** is the mean over traced epochs of max(0, -cos): 0 when the heads
never pull against each other, 1 when they are always exactly opposed. Most traced epochs
come after a model has converged, where both gradients are tiny; the **gradient-weighted
index** weights each epoch by |g_A|·|g_B|, so it measures competition while the heads learn.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import stats

from ncnet import chsh
from ncnet.stats.resampling import bootstrap_ci

PAIR_KEYS = tuple(f"{i}{j}" for i, j in chsh.PAIRS)


def competition_index(cos: np.ndarray) -> np.ndarray:
    """Mean over the last axis (traced epochs) of max(0, -cos). A NaN cosine (one side's
    gradient exactly zero: nothing to compete over) counts as 0.

    >>> float(competition_index(np.array([1.0, -1.0, -0.5, np.nan])))
    0.375
    """
    c = np.asarray(cos, dtype=np.float64)
    return np.nan_to_num(np.clip(-c, 0.0, None), nan=0.0).mean(axis=-1)


def weighted_competition_index(cos: np.ndarray, norm_a: np.ndarray,
                               norm_b: np.ndarray) -> np.ndarray:
    """Sum over the last axis of max(0, -cos)·|g_A|·|g_B| divided by the sum of |g_A|·|g_B|:
    the competition index with each epoch weighted by how hard both heads pull (0 if
    neither ever pulls). NaN cosines and norms count as 0.

    >>> float(weighted_competition_index(np.array([-1.0, 1.0]), np.array([3.0, 1.0]),
    ...                                  np.array([1.0, 1.0])))
    0.75
    """
    neg = np.nan_to_num(np.clip(-np.asarray(cos, dtype=np.float64), 0.0, None), nan=0.0)
    w = np.nan_to_num(np.asarray(norm_a, dtype=np.float64) * np.asarray(norm_b), nan=0.0)
    total = w.sum(axis=-1)
    return np.where(total > 0, (neg * w).sum(axis=-1) / np.where(total > 0, total, 1), 0.0)


INDICES = ("competition", "competition_w")  # plain and gradient-weighted


def run_measures(rec: dict[str, Any]) -> dict[str, float]:
    """Competition measures of one traced toy run, for each index (plain, ``_w`` weighted):
    the mean over the four pair models, the hard-hard model's (2, 2) index, and its excess
    over the models where one side has the easy task (what should push C22 down and the
    XOR heads' gaps up if competition is the cause)."""
    out = {}
    for name in INDICES:
        idx = {k: rec[f"{name}_{k}"] for k in PAIR_KEYS}
        out.update({
            f"{name}_mean": float(np.mean(list(idx.values()))),
            f"{name}_22": idx["22"],
            f"{name}_excess_22": idx["22"] - (idx["11"] + idx["12"] + idx["21"]) / 3,
            f"{name}_excess_A2": idx["22"] - idx["21"],  # Alice on XOR: beside β2 vs β1
            f"{name}_excess_B2": idx["22"] - idx["12"],  # Bob on XOR: beside α2 vs α1
        })
    return out


def correlation(x: Sequence[float], y: Sequence[float], method: str = "spearman",
                n_boot: int = 2000, seed: int = 0, min_varying: int = 1) -> dict[str, Any]:
    """Pearson or Spearman correlation of paired values with a 95% CI and a two-sided p.

    Pearson: Fisher-z interval. Spearman: percentile bootstrap over pairs. Pairs with a NaN
    are dropped. NaN when fewer than 4 pairs remain or when either side has fewer than
    ``min_varying`` values off its most common value (S = 2 in all but a few runs).
    """
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    keep = ~(np.isnan(x) | np.isnan(y))
    x, y = x[keep], y[keep]
    n = len(x)
    out: dict[str, Any] = {"method": method, "n": int(n), "r": np.nan, "ci": [np.nan, np.nan],
                           "p": np.nan}

    def varying(v: np.ndarray) -> int:
        return int(n - np.unique(v, return_counts=True)[1].max()) if n else 0

    if n < 4 or min(varying(x), varying(y)) < min_varying:
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
    rx = stats.rankdata(x[picks], axis=1)  # Spearman = Pearson of the ranks, per resample
    ry = stats.rankdata(y[picks], axis=1)
    rx -= rx.mean(axis=1, keepdims=True)
    ry -= ry.mean(axis=1, keepdims=True)
    norm = np.sqrt((rx * rx).sum(axis=1) * (ry * ry).sum(axis=1))
    ok = norm > 0  # resamples where one side is constant have no correlation
    boot = (rx * ry).sum(axis=1)[ok] / norm[ok]
    lo, hi = np.percentile(boot, [2.5, 97.5]) if len(boot) else (np.nan, np.nan)
    out.update(r=float(r), p=float(p), ci=[float(lo), float(hi)])
    return out


TARGETS = tuple(  # (competition measure, what it should explain)
    (f"{name}_{m}", target) for name in INDICES for m, target in (
        ("mean", "S"), ("22", "S"), ("excess_22", "S"), ("excess_A2", "gap_A2"),
        ("excess_B2", "gap_B2"))
)


def competition_correlations(records: Sequence[dict[str, Any]], method: str = "spearman",
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
                              method, n_boot, min_varying=5)
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
                               "S_ci": list(bootstrap_ci(s, n_boot=n_boot)),
                               "S_product": float(np.mean([r["S_product"] for r in sub]))}
        if all("S_joint" in r for r in sub):
            row["S_joint"] = float(np.mean([r["S_joint"] for r in sub]))
        for g in ("gap_A1", "gap_A2", "gap_B1", "gap_B2"):
            row[g] = float(np.mean([r[g] for r in sub]))
        traced = [r for r in sub if "competition_22" in r]
        if traced:
            measures = [run_measures(r) for r in traced]
            for name in INDICES:
                for k in PAIR_KEYS:
                    row[f"{name}_{k}"] = float(np.mean([r[f"{name}_{k}"] for r in traced]))
                for m in ("mean", "22", "excess_22"):
                    v = np.array([x[f"{name}_{m}"] for x in measures])
                    if m != "22":
                        row[f"{name}_{m}"] = float(v.mean())
                    row[f"{name}_{m}_ci"] = list(bootstrap_ci(v, n_boot=n_boot))
        out.append(row)
    return out


def lora_model_competition(record: dict[str, Any]) -> dict[str, Any] | None:
    """Competition of one stored LoRA pair model from its traced steps (all epochs): the
    plain and gradient-weighted index on all LoRA parameters, the same per encoder layer,
    and the number of traced steps. None when the model was not traced."""
    steps = [t for e in record["epochs"] for t in e.get("grad_trace", [])]
    if not steps:
        return None

    def nan(v: float | None) -> float:
        return np.nan if v is None else float(v)

    cos = np.array([nan(t["cos"]) for t in steps])
    norm_a = np.array([t["norm_A"] for t in steps])
    norm_b = np.array([t["norm_B"] for t in steps])
    layers = sorted({k for t in steps for k in t["layers"]}, key=lambda k: (len(k), k))
    per_layer = {k: float(competition_index(np.array([nan(t["layers"].get(k)) for t in steps])))
                 for k in layers}
    return {"steps": len(steps), "competition": float(competition_index(cos)),
            "competition_w": float(weighted_competition_index(cos, norm_a, norm_b)),
            "mean_cos": float(np.nanmean(cos)) if np.isfinite(cos).any() else np.nan,
            "by_layer": per_layer}


def lora_competition(records: Sequence[dict[str, Any]],
                     rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Per (rank, seed): each pair model's competition (plain, weighted), S and the gaps of
    the final epoch (``rows`` from ``lora_summary.final_rows``); and, pooled over all
    (rank, seed) groups, Spearman correlations of the (2, 2) model's weighted index and
    excess with S and with the hard heads' gaps."""
    per_model = {(r["rank"], r["seed"], f"{r['i']}{r['j']}"): lora_model_competition(r)
                 for r in records}
    groups = []
    for row in rows:
        comp = {k: per_model.get((row["rank"], row["seed"], k)) for k in PAIR_KEYS}
        if any(c is None for c in comp.values()):
            continue
        g: dict[str, Any] = {"rank": row["rank"], "seed": row["seed"], "S": row["S"],
                             "S_product": row["S_product"],
                             **{f"gap_{s}": row[f"gap_{s}"] for s in ("A1", "A2", "B1", "B2")}}
        for name in INDICES:
            for k in PAIR_KEYS:
                g[f"{name}_{k}"] = comp[k][name]
        g.update(run_measures(g))
        g["by_layer_22"] = comp["22"]["by_layer"]
        groups.append(g)
    pooled = []
    for measure, target in TARGETS:
        res = correlation([g[measure] for g in groups], [g[target] for g in groups],
                          "spearman")
        pooled.append({"measure": measure, "against": target, **res})
    return {"groups": groups, "pooled": pooled}
