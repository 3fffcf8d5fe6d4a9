"""Figures (matplotlib, Agg backend): Figure 2a/2b of the paper and the signalling gaps.

Every figure function draws a laptop-width figure by default and, with ``narrow=True``, a
phone-width variant: :data:`NARROW_WIDTH` inches wide, side-by-side panels stacked, long titles
wrapped. At the figures' 120-130 dpi that is at most 546 px, so a 400 px phone (368 px of
column) shows it at two thirds of its natural size or more; ``report.html`` serves it below
:func:`ncnet.report.render_html`'s breakpoint. ``path`` is a file name or a binary file object.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.ticker import FuncFormatter, NullFormatter  # noqa: E402

from ncnet import chsh  # noqa: E402

PAIR_COLOURS = ("#4c72b0", "#55a868", "#c44e52", "#8172b2")

NARROW_WIDTH = 4.2
"""Width in inches of every phone-width figure variant (546 px at 130 dpi)."""

NARROW_LEGEND = 8
"""Legend font size (pt) of the phone-width variants (the laptop figures use 7)."""

Target = Path | IO[bytes]
"""Where a figure is saved: a file name or a binary file object (PNG either way)."""


def _wrap(text: str, narrow: bool, width: int = 32) -> str:
    """``text`` broken into lines of at most ``width`` characters for a narrow figure."""
    return textwrap.fill(text, width) if narrow else text


def _finish_runs_figure(fig: Any, ax: Any, path: Path, narrow: bool) -> None:
    """Legend (under the axes when narrow), layout, save at 130 dpi, close."""
    if narrow:
        _legend_below(ax)
    else:
        ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)


def _legend_below(ax: plt.Axes, *handles_labels: Any, below: float = -0.1) -> None:
    """The phone layout's legend: two columns under the axes (``below``: its top edge, in
    axes fractions), where it hides no data; ``handles_labels`` as for ``ax.legend``."""
    ax.legend(*handles_labels, fontsize=NARROW_LEGEND, ncol=2, loc="upper center",
              frameon=False, bbox_to_anchor=(0.5, below))


def draw_both(draw: Callable[..., None], path: Path, *args: Any, **kwargs: Any) -> bytes:
    """Save the laptop-width figure ``draw(*args, path=path, **kwargs)`` (any figure function
    of this module) and return its phone-width variant (``narrow=True``) as PNG bytes."""
    draw(*args, path=path, **kwargs)
    buffer = io.BytesIO()
    draw(*args, path=buffer, narrow=True, **kwargs)
    return buffer.getvalue()


def _plain_log_ticks(axis: Any) -> None:
    """Label a log axis's decades as plain numbers (0.01, 1, 8) instead of matplotlib's
    default 10^k mathtext, whose parser costs about half a second on first use."""
    axis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}"))
    axis.set_minor_formatter(NullFormatter())


def _bounds(ax: plt.Axes, with_no_signalling: bool = False) -> None:
    ax.axhline(chsh.LOCAL_BOUND, color="red", ls="--", lw=1.2, label="local bound 2")
    ax.axhline(chsh.TSIRELSON_BOUND, color="blue", ls="-.", lw=1.2, label="Tsirelson 2√2")
    if with_no_signalling:
        ax.axhline(chsh.NO_SIGNALLING_BOUND, color="grey", ls=":", lw=1, label="no-signalling 4")


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
    _bounds(ax, with_no_signalling=True)
    ax.set_xticks(range(len(sizes)), [f"n = {n}" for n in sizes])
    ax.set_ylabel("CHSH S")
    ax.set_ylim(min(-0.2, ax.get_ylim()[0]), 4.2)
    ax.set_title("Figure 2a: S over runs per hidden size")
    _finish_runs_figure(fig, ax, path, narrow)


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
        _legend_below(ax)
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
    _bounds(ax2)
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
    ax.set_ylabel(_wrap("accuracy(other task 1) − accuracy(other task 2)", narrow, 24))
    ax.set_title(_wrap("Signalling: a head's accuracy depends on the other head's task", narrow))
    ax.legend(fontsize=NARROW_LEGEND if narrow else 7)
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
        _plain_log_ticks(ax.yaxis)
        if not narrow or ax is axes[-1]:
            ax.set_xlabel("epoch")
        if narrow or ax is axes[0]:
            ax.set_ylabel("own training loss (median, IQR)")
        ax.set_title(f"{title}, n = {hidden}")
    axes[0].legend(fontsize=NARROW_LEGEND if narrow else 7)
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)


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
    _plain_log_ticks(ax.xaxis)
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
        _legend_below(ax, lines + lines2, labels + labels2)
    else:
        ax.legend(lines + lines2, labels + labels2, fontsize=7, loc="lower right", ncol=2)
    ax.set_title("Figure 5: accuracies and S per rank")
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)


def capacity_scan_figure(scan: Sequence[dict[str, Any]], correlations: Sequence[dict[str, Any]],
                         path: Target, narrow: bool = False) -> None:
    """The toy capacity scan with the gradient trace, against hidden size n: (a) mean S with
    its 95% CI, S from the product of marginals and the joint control's mean S; (b) the mean
    signalling gaps; (c, d) each pair model's mean competition index, plain and
    gradient-weighted; (e, f) Spearman correlations across runs (95% CI) of competition
    measures with S and with the XOR heads' gaps. A 2 x 3 grid, or one column when
    ``narrow``."""
    n = [r["hidden"] for r in scan]
    if narrow:
        fig, column = plt.subplots(6, 1, figsize=(NARROW_WIDTH, 19.0))
        axes = column.reshape(2, 3)  # panels (a)-(f) from top to bottom
    else:
        fig, axes = plt.subplots(2, 3, figsize=(13.5, 7.2))
    ax = axes[0, 0]
    s = np.array([r["S"] for r in scan])
    ci = np.array([r["S_ci"] for r in scan])
    ax.errorbar(n, s, yerr=[s - ci[:, 0], ci[:, 1] - s], fmt="o-", color="black", capsize=3,
                label="mean S, 95% CI")
    ax.plot(n, [r["S_product"] for r in scan], "s--", color="#4c72b0", ms=4,
            label="S from product of marginals")
    if all("S_joint" in r for r in scan):
        ax.plot(n, [r["S_joint"] for r in scan], "x:", color="#dd8452",
                label="joint control, mean S")
    ax.axhline(chsh.LOCAL_BOUND, color="red", ls="--", lw=1)
    ax.set_title("(a) S per hidden size", fontsize=9)
    ax.legend(fontsize=7)
    ax = axes[0, 1]
    for g, colour in zip(("gap_A1", "gap_A2", "gap_B1", "gap_B2"), PAIR_COLOURS, strict=True):
        ax.plot(n, [r[g] for r in scan], "o-", color=colour, ms=4, label=g)
    ax.axhline(0, color="grey", lw=0.8)
    ax.set_title(_wrap("(b) signalling gaps (beside task 1 − beside task 2)", narrow, 40),
                 fontsize=9)
    ax.legend(fontsize=7)
    for ax, name, title in ((axes[0, 2], "competition", "(c) competition index"),
                            (axes[1, 0], "competition_w", "(d) gradient-weighted index")):
        for k, colour in zip(("11", "12", "21", "22"), PAIR_COLOURS, strict=True):
            if f"{name}_{k}" in scan[0]:
                ax.plot(n, [r[f"{name}_{k}"] for r in scan], "o-", color=colour, ms=4,
                        label=f"pair model ({k[0]},{k[1]})")
        if f"{name}_mean_ci" in scan[0]:
            m = np.array([r[f"{name}_mean"] for r in scan])
            mci = np.array([r[f"{name}_mean_ci"] for r in scan])
            ax.fill_between(n, mci[:, 0], mci[:, 1], color="grey", alpha=0.3,
                            label="mean of the four, 95% CI")
            ax.plot(n, m, color="grey", lw=1)
        ax.set_ylim(0, 1)
        ax.set_title(_wrap(f"{title}: mean of max(0, −cos) over traced epochs"
                           if name == "competition" else
                           f"{title} (epochs weighted by |g_A||g_B|)", narrow, 40), fontsize=9)
        ax.legend(fontsize=7)
    for ax, against, title in ((axes[1, 1], "S", "(e) Spearman ρ with S"),
                               (axes[1, 2], "gap", "(f) Spearman ρ of the (2,2) excess with "
                                                   "the XOR gaps")):
        rows = [r for r in correlations if r["against"].startswith(against)]
        keys = list(dict.fromkeys((r["measure"], r["against"]) for r in rows))
        for k, (measure, target) in enumerate(keys):
            sel = [r for r in rows if (r["measure"], r["against"]) == (measure, target)]
            x = np.array([r["hidden"] for r in sel]) + (k - len(keys) / 2) * 0.07
            rho = np.array([r["r"] for r in sel])
            lo = np.array([r["ci"][0] for r in sel])
            hi = np.array([r["ci"][1] for r in sel])
            ax.errorbar(x, rho, yerr=[rho - lo, hi - rho], fmt="o", ms=3, capsize=2,
                        label=f"{measure} vs {target}")
        ax.axhline(0, color="grey", lw=0.8)
        ax.set_ylim(-1, 1)
        ax.set_title(_wrap(title, narrow, 40), fontsize=9)
        ax.legend(fontsize=6)
    for ax in axes.flat:
        ax.set_xlabel("hidden units n")
        ax.set_xticks(n)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


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
        _plain_log_ticks(ax.xaxis)
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
    ax.set_title(_wrap(f"{name}: V over runs per hidden size", narrow))
    _finish_runs_figure(fig, ax, path, narrow)
