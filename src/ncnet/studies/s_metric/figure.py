"""The figure of 'S as a metric' (``metric.png``): S, S_product and accuracy per level of the
resource, with their intervals, from the cells of any experiment.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from ncnet import chsh
from ncnet.report.figures import plain_log_ticks


def metric_figure(levels: Sequence[dict[str, Any]], cells: dict[str, Any], resource: str,
                  log_axis: bool, path: Path) -> None:
    """Figure 5 with intervals (``ncnet analyze``'s "S as a metric" section).

    (a) Against the resource: mean S with its 95% CI, S_product, and on the right axis the
    mean Acc_comb_avg (mean of the 8 head accuracies) with its 95% CI. ``levels``: one dict
    per level with ``level``, ``S``, ``S_ci``, ``S_product``, ``acc``, ``acc_ci`` (levels
    without kept units have no ``S``). (b) S against Acc_comb_avg per cell, coloured by
    level, with S_product of the same cells (hollow) on the same axes. ``cells``: arrays
    ``level``, ``S``, ``S_product``, ``acc`` and ``learned`` (cells left out by the
    learnability gate are drawn grey)."""
    rows = [r for r in levels if "S" in r]
    fig, (ax, ax_s) = plt.subplots(1, 2, figsize=(12.0, 4.6))
    x = np.array([r["level"] for r in rows], dtype=np.float64)
    s = np.array([r["S"] for r in rows])
    s_ci = np.array([r["S_ci"] for r in rows]).reshape(-1, 2)
    ax.errorbar(x, s, yerr=[s - s_ci[:, 0], s_ci[:, 1] - s], fmt="D-", color="#dd8452",
                capsize=3, label="mean S, 95% CI")
    ax.plot(x, [r["S_product"] for r in rows], "s--", color="#4c72b0", ms=4,
            label="S_product (product of marginals)")
    ax.axhline(chsh.LOCAL_BOUND, color="red", ls=":", lw=1, label="2")
    ax.set_xlabel(resource)
    ax.set_ylabel("CHSH S")
    if log_axis:
        ax.set_xscale("log", base=2)
        plain_log_ticks(ax.xaxis)
    ax.set_xticks(x)
    acc_ax = ax.twinx()
    acc = np.array([r["acc"] for r in rows])
    acc_ci = np.array([r["acc_ci"] for r in rows]).reshape(-1, 2)
    acc_ax.errorbar(x, acc, yerr=[acc - acc_ci[:, 0], acc_ci[:, 1] - acc], fmt="o-",
                    color="black", capsize=3, ms=4, label="mean Acc_comb_avg, 95% CI")
    acc_ax.set_ylabel("Acc_comb_avg (mean of the 8 head accuracies)")
    acc_ax.set_ylim(min(0.4, float(np.nanmin(acc_ci)) - 0.02) if len(acc) else 0.4, 1.02)
    lines, labels = ax.get_legend_handles_labels()
    lines2, labels2 = acc_ax.get_legend_handles_labels()
    ax.legend(lines + lines2, labels + labels2, fontsize=7, loc="lower right")
    ax.set_title("(a) S and accuracy per level, 95% CIs", fontsize=9)

    level = np.asarray(cells["level"], dtype=np.float64)
    learned = np.asarray(cells["learned"], dtype=bool)
    values = sorted(set(level.tolist()))
    cmap = plt.get_cmap("viridis", max(len(values), 2))
    rng = np.random.default_rng(0)
    jitter = rng.uniform(-0.004, 0.004, level.size)  # the toy's accuracies are multiples of 1/16
    for k, v in enumerate(values):
        here = (level == v) & learned
        colour = cmap(k)
        ax_s.scatter(np.asarray(cells["acc"])[here] + jitter[here],
                     np.asarray(cells["S"])[here], s=14, color=colour, alpha=0.6,
                     label=f"{v:g}")
        ax_s.scatter(np.asarray(cells["acc"])[here] + jitter[here],
                     np.asarray(cells["S_product"])[here], s=14, facecolors="none",
                     edgecolors=colour, alpha=0.5, lw=0.8)
    if (~learned).any():
        ax_s.scatter(np.asarray(cells["acc"])[~learned], np.asarray(cells["S"])[~learned],
                     s=14, color="grey", marker="x", label="left out (a task did not learn)")
    ax_s.scatter([], [], s=14, facecolors="none", edgecolors="black",
                 label="S_product (hollow)")
    ax_s.axhline(chsh.LOCAL_BOUND, color="red", ls=":", lw=1)
    ax_s.set_xlabel("Acc_comb_avg")
    ax_s.set_ylabel("S (filled), S_product (hollow)")
    ax_s.legend(fontsize=6, title=resource, title_fontsize=7, ncol=2, loc="lower right")
    ax_s.set_title("(b) S against accuracy per cell, coloured by level", fontsize=9)
    fig.suptitle("Figure 5 with intervals: is S a measure of generalization?", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
