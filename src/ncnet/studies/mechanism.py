"""The paper's mechanism claim (Section 4.3), made testable: "implicit communication".

The paper says an observer confined to one head could tell, from that head's own training
loss alone, whether the other head is learning the hard task. Here that observer is a
one-number classifier: a feature of Alice's loss curve on her task i, compared between the
models where Bob learns β1 and those where he learns β2 (and likewise for Bob). Its ROC AUC
(0.5: the curve says nothing about the other task; 1.0 or 0.0: it tells perfectly) and a
two-sided Mann-Whitney p-value quantify the claim.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import stats

FEATURES = ("final_loss", "mean_log_loss", "rises")
PAIR_INDEX = {(1, 1): 0, (1, 2): 1, (2, 1): 2, (2, 2): 3}


def curve_features(curves: np.ndarray) -> dict[str, np.ndarray]:
    """Features of loss curves (..., T) sampled at increasing epochs, each of shape (...):
    ``final_loss``; ``mean_log_loss`` (mean of log10 loss, the area under the curve on the
    log scale the paper's oscillations live on); ``rises`` (total increase between samples
    on the log scale, 0 for a monotone fall: how much the loss oscillates)."""
    logs = np.log10(np.maximum(curves, 1e-12))
    steps = np.diff(logs, axis=-1)
    return {
        "final_loss": curves[..., -1],
        "mean_log_loss": logs.mean(axis=-1),
        "rises": np.clip(steps, 0, None).sum(axis=-1),
    }


def roc_auc(hard: np.ndarray, easy: np.ndarray) -> tuple[float, float]:
    """AUC = P(feature beside the hard task > beside the easy one) (+ half the ties), and the
    two-sided Mann-Whitney U p-value. Returns (nan, nan) if either group is empty."""
    if len(hard) == 0 or len(easy) == 0:
        return float("nan"), float("nan")
    res = stats.mannwhitneyu(hard, easy, alternative="two-sided")
    return float(res.statistic / (len(hard) * len(easy))), float(res.pvalue)


def loss_curves(records: Sequence[dict[str, Any]], hidden: int) -> np.ndarray | None:
    """Stored loss curves of one hidden size, shape (runs, 4 pairs, 2 heads, T), or None."""
    curves = [r["loss_curves"]["loss"] for r in records
              if r["hidden"] == hidden and "loss_curves" in r]
    return np.array(curves, dtype=np.float64) if curves else None


def implicit_communication(records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (hidden size, observer head, own task, feature): the AUC with which the
    observer's own loss curve tells the other head's task 2 (XOR) from task 1 (identity)."""
    rows = []
    for n in sorted({r["hidden"] for r in records}):
        curves = loss_curves(records, n)
        if curves is None:
            continue
        feats = curve_features(curves)  # each (runs, 4, 2)
        for side, head in (("Alice", 0), ("Bob", 1)):
            for own in (1, 2):
                if side == "Alice":
                    easy, hard = PAIR_INDEX[(own, 1)], PAIR_INDEX[(own, 2)]
                else:
                    easy, hard = PAIR_INDEX[(1, own)], PAIR_INDEX[(2, own)]
                for name in FEATURES:
                    f = feats[name]
                    auc, p = roc_auc(f[:, hard, head], f[:, easy, head])
                    rows.append({
                        "hidden": n, "observer": side, "own task": own, "feature": name,
                        "runs": int(curves.shape[0]), "AUC": auc, "p": p,
                    })
    return rows
