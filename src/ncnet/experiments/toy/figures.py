"""The toy's figures (matplotlib, Agg backend): Figure 2a/2b of the paper, the signalling gaps,
the implicit-communication loss curves and a Bell expression's V per run. Each draws a
laptop-width figure, and with ``narrow=True`` its phone-width variant
(:mod:`ncnet.report.figures`). ``path`` is a file name or a binary file object.
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
    draw_chsh_bounds,
    finish_runs_figure,
    legend_below,
    plain_log_ticks,
    wrap_title,
)


def figure_2a(records: Sequence[dict[str, Any]], summary: dict[str, Any], path: Target,
              narrow: bool = False) -> None:
    """S of every run per hidden size (jittered), the joint-control S, and mean with 95% CI."""
    sizes = [int(n) for n in summary]
    fig, ax = plt.subplots(figsize=(NARROW_WIDTH, 5.0) if narrow else (6.4, 4.4))
    rng = np.random.default_rng(0)
    for k, n in enumerate(sizes):
        s = np.array([r["S"] for r in records if r["hidden"] == n])
        ax.scatter(k + rng.uniform(-0.18, 0.18, len(s)) - 0.12, s, s=16, alpha=0.7,
                   color="#4c72b0", label="four models (paper's S)" if k == 0 else None)
        sj = np.array([r["S_joint"] for r in records if r["hidden"] == n and "S_joint" in r])
        if len(sj):
            ax.scatter(k + rng.uniform(-0.1, 0.1, len(sj)) + 0.25, sj, s=18, marker="x",
                       color="#dd8452", alpha=0.8,
                       label="joint control (one 4-head model)" if k == 0 else None)
        e = summary[str(n)]["S"]
        ax.errorbar(k - 0.12, e["mean"], yerr=[[e["mean"] - e["ci"][0]], [e["ci"][1] - e["mean"]]],
                    fmt="D", color="black", ms=5, capsize=4, zorder=5,
                    label="mean, 95% t-interval" if k == 0 else None)
    draw_chsh_bounds(ax, with_no_signalling=True)
    ax.set_xticks(range(len(sizes)), [f"n = {n}" for n in sizes])
    ax.set_ylabel("CHSH S")
    ax.set_ylim(min(-0.2, ax.get_ylim()[0]), 4.2)
    ax.set_title("Figure 2a: S over runs per hidden size")
    finish_runs_figure(fig, ax, path, narrow)


def figure_2b(summary: dict[str, Any], path: Target, narrow: bool = False) -> None:
    """Mean C11..C22 per hidden size (bars, 95% CI) and mean S with the joint control and the
    product-of-marginals prediction; side by side, or stacked when ``narrow``."""
    sizes = list(summary)
    if narrow:
        fig, (ax, ax2) = plt.subplots(2, 1, figsize=(NARROW_WIDTH, 7.6))
    else:
        fig, (ax, ax2) = plt.subplots(1, 2, figsize=(9.6, 4.0),
                                      gridspec_kw={"width_ratios": [3, 2]})
    width = 0.2
    for p, (i, j) in enumerate(chsh.PAIRS):
        means = [summary[n][chsh.c_column(i, j)]["mean"] for n in sizes]
        lo = [summary[n][chsh.c_column(i, j)]["ci"][0] for n in sizes]
        hi = [summary[n][chsh.c_column(i, j)]["ci"][1] for n in sizes]
        xs = np.arange(len(sizes)) + (p - 1.5) * width
        ax.bar(xs, means, width, color=PAIR_COLOURS[p], label=f"C(A{i}, B{j})",
               yerr=[np.subtract(means, lo), np.subtract(hi, means)], capsize=2)
    ax.axhline(0, color="black", lw=0.6)
    ax.set_xticks(range(len(sizes)), [f"n = {n}" for n in sizes])
    ax.set_ylabel("mean correlator")
    lowest = min(summary[n][chsh.c_column(i, j)]["ci"][0] for n in sizes
                 for i, j in chsh.PAIRS)
    ax.set_ylim(min(-0.1, lowest - 0.1), 1.1)
    if narrow:
        legend_below(ax)
    else:
        ax.legend(fontsize=7, ncol=4, loc="lower center")
    ax.set_title("Figure 2b: mean correlators")
    xs = np.arange(len(sizes))
    s = [summary[n]["S"] for n in sizes]
    ax2.errorbar(xs, [e["mean"] for e in s],
                 yerr=[[e["mean"] - e["ci"][0] for e in s], [e["ci"][1] - e["mean"] for e in s]],
                 fmt="o-", color="black", capsize=4, label="mean S (four models)")
    ax2.plot(xs, [summary[n]["S_product"]["mean"] for n in sizes], "s--", color="#937860",
             label="S if A, B independent")
    if all("S_joint" in summary[n] for n in sizes):
        ax2.plot(xs, [summary[n]["S_joint"]["mean"] for n in sizes], "x:", color="#dd8452",
                 ms=8, label="mean S, joint control")
    draw_chsh_bounds(ax2)
    ax2.set_xticks(xs, [f"n = {n}" for n in sizes])
    ax2.set_ylabel("CHSH S")
    ax2.set_ylim(0, 3.0)
    ax2.legend(fontsize=NARROW_LEGEND if narrow else 7, loc="lower right")
    ax2.set_title("mean S per n")
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)


def signalling_figure(summary: dict[str, Any], path: Target, narrow: bool = False) -> None:
    """Mean signalling gaps per hidden size: how each head's accuracy on its task changes when
    the other head's task changes (0 under no-signalling), with 95% CIs."""
    sizes = list(summary)
    names = ["gap_A1", "gap_A2", "gap_B1", "gap_B2"]
    labels = ["Alice task 1", "Alice task 2 (XOR)", "Bob task 1", "Bob task 2 (XOR)"]
    fig, ax = plt.subplots(figsize=(NARROW_WIDTH, 4.2) if narrow else (6.4, 3.8))
    width = 0.2
    for p, name in enumerate(names):
        means = [summary[n][name]["mean"] for n in sizes]
        lo = [summary[n][name]["ci"][0] for n in sizes]
        hi = [summary[n][name]["ci"][1] for n in sizes]
        xs = np.arange(len(sizes)) + (p - 1.5) * width
        ax.bar(xs, means, width, color=PAIR_COLOURS[p], label=labels[p],
               yerr=[np.subtract(means, lo), np.subtract(hi, means)], capsize=2)
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xticks(range(len(sizes)), [f"n = {n}" for n in sizes])
    ax.set_ylabel(wrap_title("accuracy(other task 1) − accuracy(other task 2)", narrow, 24))
    ax.set_title(wrap_title("Signalling: a head's accuracy depends on the other head's task",
                            narrow))
    ax.legend(fontsize=NARROW_LEGEND if narrow else 7)
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)


def cbd_figure(records: Sequence[dict[str, Any]], path: Target, narrow: bool = False) -> None:
    """Contextuality-by-Default per run: S_odd against 2 + Delta, one dot per run and hidden
    size, with the diagonal; a run above it is contextual beyond its direct influences."""
    fig, ax = plt.subplots(figsize=(NARROW_WIDTH, 4.0) if narrow else (5.2, 4.2))
    sizes = sorted({r["hidden"] for r in records if "cbd_excess" in r})
    rng = np.random.default_rng(0)  # a little jitter: the values sit on a 1/8 grid
    for k, n in enumerate(sizes):
        rows = [r for r in records if r["hidden"] == n and "cbd_excess" in r]
        x = np.array([2 + r["Delta"] for r in rows]) + rng.uniform(-0.02, 0.02, len(rows))
        y = np.array([r["S_odd"] for r in rows]) + rng.uniform(-0.02, 0.02, len(rows))
        ax.scatter(x, y, s=12, alpha=0.6, color=PAIR_COLOURS[k % len(PAIR_COLOURS)],
                   label=f"n = {n}")
    top = max([4.0, *(2 + r["Delta"] for r in records if "Delta" in r)])
    ax.plot([2, top], [2, top], color="black", lw=1, label="S_odd = 2 + Delta")
    ax.set_xlabel("2 + Delta (direct influences)")
    ax.set_ylabel("S_odd")
    ax.set_title(wrap_title("CbD: S_odd against 2 + Delta per run", narrow))
    ax.legend(fontsize=NARROW_LEGEND if narrow else 7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)


def communication_figure(epochs: Sequence[int], curves: np.ndarray, hidden: int,
                         path: Target, narrow: bool = False) -> None:
    """Each head's own loss on its XOR task when the other head learns its identity task vs
    its XOR task: median and interquartile band over runs. ``curves`` (runs, 4, 2, T). The
    two heads side by side, or stacked when ``narrow``."""
    if narrow:
        fig, axes = plt.subplots(2, 1, figsize=(NARROW_WIDTH, 6.4), sharex=True, sharey=True)
    else:
        fig, axes = plt.subplots(1, 2, figsize=(9.6, 3.6), sharey=True)
    panels = (("Alice on α2", 0, (2, 3)), ("Bob on β2", 1, (1, 3)))  # (easy, hard) pair rows
    for ax, (title, head, (easy, hard)) in zip(axes, panels, strict=True):
        for idx, label, colour in ((easy, "other head on its task 1", "#55a868"),
                                   (hard, "other head on its XOR task", "#c44e52")):
            c = curves[:, idx, head, :]
            lo, mid, hi = np.percentile(c, [25, 50, 75], axis=0)
            ax.plot(epochs, mid, color=colour, label=label)
            ax.fill_between(epochs, lo, hi, color=colour, alpha=0.2)
        ax.set_yscale("log")
        plain_log_ticks(ax.yaxis)
        if not narrow or ax is axes[-1]:
            ax.set_xlabel("epoch")
        if narrow or ax is axes[0]:
            ax.set_ylabel("own training loss (median, IQR)")
        ax.set_title(f"{title}, n = {hidden}")
    axes[0].legend(fontsize=NARROW_LEGEND if narrow else 7)
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)


def bell_figure(records: Sequence[dict[str, Any]], summary: dict[str, Any], name: str,
                path: Target, narrow: bool = False) -> None:
    """Figure 2a for a Bell expression ``name``: V of every run per hidden size (jittered),
    the joint control's V, the mean with its 95% t-interval, and the local, quantum and
    no-signalling bounds (``summary[n]["bell"][name]``)."""
    sizes = [int(n) for n in summary if name in summary[n].get("bell", {})]
    fig, ax = plt.subplots(figsize=(NARROW_WIDTH, 5.0) if narrow else (6.4, 4.4))
    rng = np.random.default_rng(0)
    bounds = summary[str(sizes[0])]["bell"][name]["bounds"]
    for k, n in enumerate(sizes):
        v = np.array([r[name] for r in records if r["hidden"] == n and name in r])
        ax.scatter(k + rng.uniform(-0.18, 0.18, len(v)) - 0.12, v, s=16, alpha=0.7,
                   color="#4c72b0", label="pair models" if k == 0 else None)
        vj = np.array([r[f"{name}_joint"] for r in records
                       if r["hidden"] == n and f"{name}_joint" in r])
        if len(vj):
            ax.scatter(k + rng.uniform(-0.1, 0.1, len(vj)) + 0.25, vj, s=18, marker="x",
                       color="#dd8452", alpha=0.8,
                       label="joint control (one model, all heads)" if k == 0 else None)
        e = summary[str(n)]["bell"][name]["V"]
        ax.errorbar(k - 0.12, e["mean"], yerr=[[e["mean"] - e["ci"][0]], [e["ci"][1] - e["mean"]]],
                    fmt="D", color="black", ms=5, capsize=4, zorder=5,
                    label="mean, 95% t-interval" if k == 0 else None)
    ax.axhline(bounds["local"], color="red", ls="--", lw=1.2,
               label=f"local bound {bounds['local']:.4g}")
    if bounds["quantum"] is not None:
        kind = "" if bounds["quantum_kind"] == "exact" else " (NPA upper bound)"
        ax.axhline(bounds["quantum"], color="blue", ls="-.", lw=1.2,
                   label=f"quantum {bounds['quantum']:.4g}{kind}")
    ax.axhline(bounds["no_signalling"], color="grey", ls=":", lw=1,
               label=f"no-signalling {bounds['no_signalling']:.4g}")
    ax.set_xticks(range(len(sizes)), [f"n = {n}" for n in sizes])
    ax.set_ylabel(f"{name} V")
    ax.set_title(wrap_title(f"{name}: V over runs per hidden size", narrow))
    finish_runs_figure(fig, ax, path, narrow)
