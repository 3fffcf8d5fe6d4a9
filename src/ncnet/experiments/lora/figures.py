"""The LoRA figures (matplotlib, Agg backend): Figure 3 (S per rank against the paper's),
Figure 4 (S over epochs, μ∇S) and Figure 5 (accuracies and S per rank), each in a laptop and a
phone-width variant (:mod:`ncnet.report.figures`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from ncnet import chsh
from ncnet.report.figures import (
    NARROW_LEGEND,
    NARROW_WIDTH,
    PAIR_COLOURS,
    Target,
    legend_below,
    plain_log_ticks,
)


def figure_3(summary: dict[str, Any], path: Target, suite: str,
             paper: dict[int, float] | None = None, narrow: bool = False) -> None:
    """S against LoRA rank (log2 axis) with the item-bootstrap CI of each seed, the seed mean,
    the paper's Table-2 values for the matching suite, and the line S = 2."""
    ranks = [int(r) for r in summary]
    fig, ax = plt.subplots(figsize=(NARROW_WIDTH, 4.0) if narrow else (6.0, 4.0))
    for k, r in enumerate(ranks):
        for seed_pos, (lo, hi) in enumerate(summary[str(r)]["S"]["ci_over_items"]):
            ax.plot([r, r], [lo, hi], color="#4c72b0", alpha=0.35, lw=3,
                    label="95% CI over test items (per seed)" if k == seed_pos == 0 else None)
    ax.plot(ranks, [summary[str(r)]["S"]["mean"] for r in ranks], "o-", color="#4c72b0",
            label=f"ncnet, {suite}")
    if paper:
        pr = sorted(paper)
        ax.plot(pr, [paper[r] for r in pr], "s--", color="#937860", label="paper (Table 2)")
    ax.plot(ranks, [summary[str(r)]["S_product"] for r in ranks], "x:", color="grey",
            label="S if A, B independent")
    ax.axhline(chsh.LOCAL_BOUND, color="red", ls="--", lw=1.2, label="S = 2")
    ax.set_xscale("log", base=2)
    plain_log_ticks(ax.xaxis)
    ax.set_xlabel("LoRA rank r")
    ax.set_ylabel("CHSH S")
    ax.set_title("Figure 3: S against LoRA rank")
    ax.legend(fontsize=NARROW_LEGEND if narrow else 7)
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)


def figure_4(epochs: Sequence[dict[str, Any]], summary: dict[str, Any], path: Target,
             window: int, narrow: bool = False) -> None:
    """(a) S over training epochs per rank (seed mean); (b) μ∇S per rank. Side by side, or
    stacked when ``narrow``."""
    ranks = [int(r) for r in summary]
    if narrow:
        fig, (ax, ax2) = plt.subplots(2, 1, figsize=(NARROW_WIDTH, 6.8))
    else:
        fig, (ax, ax2) = plt.subplots(1, 2, figsize=(9.6, 3.8),
                                      gridspec_kw={"width_ratios": [3, 2]})
    cmap = plt.get_cmap("viridis")
    for k, r in enumerate(ranks):
        rows = [e for e in epochs if e["rank"] == r]
        xs = sorted({e["epoch"] for e in rows})
        ys = [np.mean([e["S"] for e in rows if e["epoch"] == x]) for x in xs]
        ax.plot(xs, ys, "o-", ms=3, color=cmap(k / max(len(ranks) - 1, 1)), label=f"r = {r}")
    ax.axhline(chsh.LOCAL_BOUND, color="red", ls="--", lw=1)
    ax.set_xlabel("epoch")
    ax.set_ylabel("CHSH S (test)")
    ax.set_title("Figure 4a: S over training")
    ax.legend(fontsize=NARROW_LEGEND if narrow else 7)
    ax2.bar([str(r) for r in ranks], [summary[str(r)]["mu_grad_S"] for r in ranks],
            color="#4c72b0")
    ax2.set_xlabel("LoRA rank r")
    ax2.set_ylabel(f"μ∇S (mean slope, epochs ≤ {window})")
    ax2.set_title("Figure 4b: speed of S")
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)


def figure_5(summary: dict[str, Any], path: Target, narrow: bool = False) -> None:
    """Pair-mean accuracy (Acc(A_i) + Acc(B_j)) / 2 per pair and rank (bars), their average
    (line) and S (right axis)."""
    ranks = list(summary)
    fig, ax = plt.subplots(figsize=(NARROW_WIDTH, 4.8) if narrow else (7.2, 4.0))
    width = 0.2
    means = []
    for p, (i, j) in enumerate(chsh.PAIRS):
        vals = [sum(summary[r][name] for name in chsh.acc_columns(i, j)) / 2 for r in ranks]
        means.append(vals)
        ax.bar(np.arange(len(ranks)) + (p - 1.5) * width, vals, width, color=PAIR_COLOURS[p],
               label=f"(A{i}, B{j})")
    ax.plot(np.arange(len(ranks)), np.mean(means, axis=0), "k-o", ms=4, label="average")
    ax.set_xticks(range(len(ranks)), [f"r = {r}" for r in ranks])
    ax.set_ylim(0.4, 1.02)
    ax.set_ylabel("pair-mean accuracy")
    ax2 = ax.twinx()
    ax2.plot(np.arange(len(ranks)), [summary[r]["S"]["mean"] for r in ranks], "D--",
             color="#dd8452", label="S")
    ax2.axhline(chsh.LOCAL_BOUND, color="red", ls=":", lw=1)
    ax2.set_ylabel("CHSH S")
    lines, labels = ax.get_legend_handles_labels()
    lines2, labels2 = ax2.get_legend_handles_labels()
    if narrow:
        legend_below(ax, lines + lines2, labels + labels2)
    else:
        ax.legend(lines + lines2, labels + labels2, fontsize=7, loc="lower right", ncol=2)
    ax.set_title("Figure 5: accuracies and S per rank")
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)
