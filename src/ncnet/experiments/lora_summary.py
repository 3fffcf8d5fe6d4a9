"""Section 5 statistics: stored per-model LoRA records -> CHSH rows, epoch curves, summaries.

A stored model record (one per rank, pair (i, j) and seed) holds, for every epoch, both heads'
±1 test outcomes paired by item index (as '+'/'-' strings), their accuracies and losses. The
four pair models of one (rank, seed) together give C11..C22 and S.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ncnet import chsh

PAPER_TABLE2_S = {
    "paper-mixed": {1: 1.902, 2: 2.191, 4: 2.103, 8: 2.001, 16: 2.020, 32: 2.021},
    "paper-multilingual": {1: 1.502, 2: 1.713, 4: 1.870, 8: 1.931, 16: 1.938, 32: 1.985},
}
"""The paper's Table 2: S by LoRA rank for its two suites."""

PAPER_MU_GRAD_S_R1 = 0.0208
"""The paper's Figure 4b: mean instantaneous slope of S over epochs 0-80 at r = 1 (mixed)."""


def model_key(rank: int, i: int, j: int, seed: int) -> str:
    """Store key of one pair model."""
    return f"r{rank}-p{i}{j}-s{seed}"


def model_record(rank: int, i: int, j: int, seed: int, epochs: Sequence[dict[str, Any]]):
    """The store record of one trained pair model from its per-epoch result dicts."""
    return {
        "key": model_key(rank, i, j, seed), "rank": rank, "i": i, "j": j, "seed": seed,
        "epochs": [
            {"epoch": e["epoch"], "acc_A": e["acc_A"], "acc_B": e["acc_B"],
             "loss_A": e["loss_A"], "loss_B": e["loss_B"], "train_s": e.get("train_s"),
             "A": chsh.pm_string(e["outcomes_A"]), "B": chsh.pm_string(e["outcomes_B"]),
             **({"grad_trace": e["grad_trace"]} if "grad_trace" in e else {})}
            for e in epochs
        ],
    }


def _complete_groups(records: Sequence[dict[str, Any]]) -> dict[tuple[int, int], list[dict]]:
    """(rank, seed) -> its four pair records in pair order, for groups that are complete."""
    by_key = {(r["rank"], r["seed"], r["i"], r["j"]): r for r in records}
    groups = {}
    for rank, seed in sorted({(r["rank"], r["seed"]) for r in records}):
        members = [by_key.get((rank, seed, i, j)) for i, j in chsh.PAIRS]
        if all(m is not None for m in members):
            groups[(rank, seed)] = members
    return groups


def _score(members: Sequence[dict[str, Any]], epoch_index: int, n_boot: int) -> chsh.ChshScore:
    a = [chsh.from_pm_string(m["epochs"][epoch_index]["A"]) for m in members]
    b = [chsh.from_pm_string(m["epochs"][epoch_index]["B"]) for m in members]
    return chsh.score_items(a, b, n_boot=n_boot)


def final_rows(records: Sequence[dict[str, Any]], n_boot: int = 2000) -> list[dict[str, Any]]:
    """One row per complete (rank, seed) at the last epoch: C's, S with its item-bootstrap CI
    and z-test p, head accuracies, product-of-marginals C's and S, signalling gaps."""
    rows = []
    for (rank, seed), members in _complete_groups(records).items():
        score = _score(members, -1, n_boot)
        row: dict[str, Any] = {"experiment": "lora", "run": seed, "seed": seed, "rank": rank,
                               "epoch": members[0]["epochs"][-1]["epoch"]}
        for i, j in chsh.PAIRS:
            row[f"C{i}{j}"] = float(score.C[i - 1, j - 1])
        row["S"] = float(score.S)
        row["S_ci_lo"], row["S_ci_hi"] = (float(v) for v in score.ci)
        row["p_S_above_2"] = float(score.test["p_value"])
        for i, j in chsh.PAIRS:
            row[f"acc_A{i}_B{j}"] = float(score.acc_a[i - 1, j - 1])
            row[f"acc_B{j}_A{i}"] = float(score.acc_b[i - 1, j - 1])
        for i, j in chsh.PAIRS:
            row[f"C{i}{j}_product"] = float(score.c_product[i - 1, j - 1])
        row["S_product"] = float(score.s_product)
        for t in (1, 2):
            row[f"gap_A{t}"] = float(score.gap_a[t - 1])
            row[f"gap_B{t}"] = float(score.gap_b[t - 1])
        row["items"] = int(score.n_items.min())
        rows.append(row)
    return rows


def epoch_rows(records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per complete (rank, seed) and epoch: C's, S, the eight accuracies, losses."""
    rows = []
    for (rank, seed), members in _complete_groups(records).items():
        n_epochs = min(len(m["epochs"]) for m in members)
        for k in range(n_epochs):
            a = [chsh.from_pm_string(m["epochs"][k]["A"]) for m in members]
            b = [chsh.from_pm_string(m["epochs"][k]["B"]) for m in members]
            c = [float((a_p * b_p).mean()) for a_p, b_p in zip(a, b, strict=True)]
            row: dict[str, Any] = {"rank": rank, "seed": seed,
                                   "epoch": members[0]["epochs"][k]["epoch"]}
            for p, (i, j) in enumerate(chsh.PAIRS):
                row[f"C{i}{j}"] = c[p]
            row["S"] = c[0] + c[1] + c[2] - c[3]
            for p, (i, j) in enumerate(chsh.PAIRS):
                e = members[p]["epochs"][k]
                row[f"acc_A{i}_B{j}"], row[f"acc_B{j}_A{i}"] = e["acc_A"], e["acc_B"]
                row[f"loss_A{i}_B{j}"], row[f"loss_B{j}_A{i}"] = e["loss_A"], e["loss_B"]
            row["mean_A"] = float(np.mean([a_p.mean() for a_p in a]))
            rows.append(row)
    return rows


def mean_slope(epochs: Sequence[int], s: Sequence[float], window: int) -> float:
    """μ∇S: mean of the instantaneous slopes ΔS/Δepoch between consecutive evaluations with
    epoch ≤ ``window``. (For evenly spaced epochs this telescopes to (S_last − S_first) / span.)"""
    e = np.asarray(epochs, dtype=np.float64)
    v = np.asarray(s, dtype=np.float64)
    keep = e <= window
    e, v = e[keep], v[keep]
    if len(e) < 2:
        return float("nan")
    return float(np.mean(np.diff(v) / np.diff(e)))


def summarize(
    rows: Sequence[dict[str, Any]], epochs: Sequence[dict[str, Any]], slope_window: int = 80,
    n_boot: int = 10_000,
) -> dict[str, Any]:
    """Per rank: S over seeds (mean, seed-bootstrap CI when ≥ 2 seeds, item CI of each seed),
    fraction of seeds with S > 2, mean C's, accuracies and product prediction, μ∇S."""
    out: dict[str, Any] = {}
    for rank in sorted({r["rank"] for r in rows}):
        sub = [r for r in rows if r["rank"] == rank]
        s = np.array([r["S"] for r in sub])
        entry: dict[str, Any] = {
            "seeds": len(sub),
            "S": {"mean": float(s.mean()), "min": float(s.min()), "max": float(s.max()),
                  "ci_over_seeds": list(chsh.bootstrap_ci(s, n_boot=n_boot)) if len(s) > 1
                  else None,
                  "ci_over_items": [[r["S_ci_lo"], r["S_ci_hi"]] for r in sub],
                  "p_S_above_2": [r["p_S_above_2"] for r in sub]},
            "S_test_over_seeds": chsh.test_s_above(s) if len(s) > 1 else None,
            "fraction_S_above_2": float((s > chsh.LOCAL_BOUND).mean()),
        }
        for name in sub[0]:
            if name.startswith(("C", "acc_", "gap_")) or name == "S_product":
                entry[name] = float(np.mean([r[name] for r in sub]))
        slopes = []
        for seed in sorted({r["seed"] for r in sub}):
            curve = [e for e in epochs if e["rank"] == rank and e["seed"] == seed]
            slopes.append(mean_slope([e["epoch"] for e in curve], [e["S"] for e in curve],
                                     slope_window))
        entry["mu_grad_S"] = float(np.nanmean(slopes)) if slopes else float("nan")
        out[str(rank)] = entry
    return out
