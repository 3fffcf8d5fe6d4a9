"""The gradient-competition study as people read it: the report section of a traced toy
sweep (tables, the verdict sentence), the capacity-scan figure, and ``competition.md`` /
``competition.json`` of ``ncnet analyze``. The numbers come from :mod:`ncnet.studies.competition`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ncnet import chsh
from ncnet.report.figures import NARROW_WIDTH, PAIR_COLOURS, Target, wrap_title
from ncnet.report.format import format_p, strict_json, with_interval
from ncnet.report.render import Block, render_markdown
from ncnet.report.table import Table


def competition_scan_table(scan: Sequence[dict[str, Any]]) -> Table:
    """One row per hidden size: S with CI, S_product, joint S, the XOR gaps and the
    competition indices (plain and gradient-weighted) of the four pair models."""
    rows = []
    for r in scan:
        row = {"n": r["hidden"], "runs": r["runs"],
               "S [95% CI]": with_interval(r["S"], r["S_ci"]),
               "S_product": f"{r['S_product']:.3f}",
               "joint S": f"{r['S_joint']:.3f}" if "S_joint" in r else "—",
               "gap_A2": f"{r['gap_A2']:+.3f}", "gap_B2": f"{r['gap_B2']:+.3f}"}
        for name, label in (("competition", "index"), ("competition_w", "weighted")):
            if f"{name}_22" in r:
                row[f"{label} 11/12/21/22"] = "/".join(
                    f"{r[f'{name}_{k}']:.2f}" for k in ("11", "12", "21", "22"))
                row[f"{label} (2,2) excess [CI]"] = with_interval(
                    r[f"{name}_excess_22"], r[f"{name}_excess_22_ci"], sign="+")
        rows.append(row)
    return Table.from_records(rows)


def competition_correlation_table(correlations: Sequence[dict[str, Any]]) -> Table:
    """Spearman ρ with its bootstrap CI and p, per hidden size (rows) and measure (columns);
    '—' where S or the gap is the same in all but a few runs."""
    frame = pd.DataFrame(correlations)
    if frame.empty:
        return Table()
    frame["cell"] = [("—" if r != r else f"{r:+.2f} [{lo:+.2f}, {hi:+.2f}] p={format_p(p)}")
                     for r, (lo, hi), p in zip(frame.r, frame.ci, frame.p, strict=True)]
    frame["column"] = frame.measure + " vs " + frame.against
    wide = frame.pivot_table(index="hidden", columns="column", values="cell", aggfunc="first",
                             sort=False)
    return Table.from_frame(wide.reset_index().rename(columns={"hidden": "n"}))


def correlation_text(correlations: Sequence[dict[str, Any]], hidden: int, measure: str,
                     against: str = "S", missing: str = "—") -> str:
    """'+0.25 [-0.10, +0.50]': the correlation of ``measure`` with ``against`` at hidden size
    ``hidden`` and its CI; ``missing`` where there is none or it is undefined (NaN)."""
    hit = [c for c in correlations if c["hidden"] == hidden and c["measure"] == measure
           and c["against"] == against]
    if not hit or hit[0]["r"] != hit[0]["r"]:
        return missing
    return with_interval(hit[0]["r"], hit[0]["ci"], 2, "+")


def competition_verdict(scan: Sequence[dict[str, Any]],
                        correlations: Sequence[dict[str, Any]]) -> str:
    """The paper's claim "gradient competition at n = 3", answered from the numbers."""
    by_n = {r["hidden"]: r for r in scan if "competition_22" in r}
    if 3 not in by_n:
        return "The sweep has no traced runs at n = 3, so the claim cannot be checked here."
    r3 = by_n[3]
    peak = {name: max(by_n, key=lambda n, name=name: by_n[n][f"{name}_excess_22"])
            for name in ("competition", "competition_w")}
    peak_s = max(by_n, key=lambda n: by_n[n]["S"])

    def rho(measure: str, against: str = "S") -> str:
        return correlation_text(correlations, 3, measure, against, missing="undefined")

    parts = []
    for name, label in (("competition", "plain"), ("competition_w", "gradient-weighted")):
        lo, hi = r3[f"{name}_excess_22_ci"]
        where = ("above" if lo > 0 else "below" if hi < 0 else "not distinguishable from")
        parts.append(
            f"{label} index: the hard-hard model (2,2) competes {r3[f'{name}_excess_22']:+.3f} "
            f"[{lo:+.3f}, {hi:+.3f}] relative to the three models with an easy task, i.e. "
            f"{where} them; its excess peaks at n = {peak[name]}")
    return (
        f"**Gradient competition at n = 3?** Mean S peaks at n = {peak_s}. At n = 3, "
        + "; ".join(parts) + ". Across the runs at n = 3, Spearman ρ with S is "
        f"{rho('competition_mean')} for the mean plain index and "
        f"{rho('competition_w_22')} for the weighted (2,2) index; the (2,2) model's weighted "
        f"excess against Alice's XOR gap: {rho('competition_w_excess_A2', 'gap_A2')}, "
        f"against Bob's: {rho('competition_w_excess_B2', 'gap_B2')}. A positive ρ with S "
        "would support the paper's mechanism; a negative or null one means runs with more "
        "competition do not have larger S."
    )


def competition_blocks(scan: Sequence[dict[str, Any]],
                       correlations: Sequence[dict[str, Any]],
                       figure: str | None = "capacity-scan.png") -> list[Block]:
    """Report section on gradient competition (needs runs traced with `--trace-every`)."""
    blocks = [
        Block("h2", "Gradient competition (the paper's §4.3 mechanism, measured)"),
        Block("p", "At epoch 1 and every `trace_every` epochs, the gradient of Alice's loss "
                   "and of Bob's loss on the shared layer (W1 and its bias) are compared by "
                   "their cosine (−1: each head undoes the other). A pair model's "
                   "competition index is the mean over traced epochs of max(0, −cos); the "
                   "gradient-weighted index weights each epoch by |g_A|·|g_B|, so the "
                   "converged phase (tiny gradients) counts little. The (2,2) excess is the "
                   "hard-hard model's index minus the mean of the other three models'. "
                   "CIs: 95% bootstrap over runs."),
        Block("table", table=competition_scan_table(scan)),
    ]
    if figure:
        blocks.append(Block("img", "Capacity scan: S, its product-of-marginals prediction "
                                   "and the joint control; the gaps; the competition indices "
                                   "of the four pair models; their correlations with S and "
                                   "the gaps across runs (Spearman, 95% bootstrap CI).",
                            path=figure))
    blocks += [
        Block("p", "Correlations across runs at each n (Spearman ρ [95% bootstrap CI], p). "
                   "`excess_A2` = index of model (2,2) − model (2,1), set against Alice's XOR "
                   "gap; `excess_B2` = (2,2) − (1,2), against Bob's."),
        Block("table", table=competition_correlation_table(correlations)),
        Block("p", competition_verdict(scan, correlations)),
    ]
    return blocks


def write_competition_report(out: str | Path, records: Sequence[dict[str, Any]],
                             n_boot: int = 2000) -> tuple[list[dict], list[dict], list[str]]:
    """``capacity-scan.png``, ``competition.json`` and ``competition.md`` from the traced toy
    runs of ``records``; returns (scan rows, correlation rows, file names)."""
    import json

    from ncnet.studies import competition

    path = Path(out)
    traced = [r for r in records if "competition_22" in r]
    scan = competition.capacity_scan(traced, n_boot=n_boot)
    corr = competition.competition_correlations(traced, "spearman", n_boot=n_boot)
    capacity_scan_figure(scan, corr, path / "capacity-scan.png")
    doc = {"capacity_scan": scan, "correlations": corr,
           "pearson": competition.competition_correlations(traced, "pearson")}
    (path / "competition.json").write_text(json.dumps(strict_json(doc), indent=2) + "\n")
    blocks = [Block("h1", "Gradient competition in NCnet"), *competition_blocks(scan, corr)]
    (path / "competition.md").write_text(render_markdown(blocks))
    return scan, corr, ["capacity-scan.png", "competition.json", "competition.md"]


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
    ax.set_title(wrap_title("(b) signalling gaps (beside task 1 − beside task 2)", narrow, 40),
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
        ax.set_title(wrap_title(f"{title}: mean of max(0, −cos) over traced epochs"
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
        ax.set_title(wrap_title(title, narrow, 40), fontsize=9)
        ax.legend(fontsize=6)
    for ax in axes.flat:
        ax.set_xlabel("hidden units n")
        ax.set_xticks(n)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def competition_console_table(scan: Sequence[dict[str, Any]],
                              correlations: Sequence[dict[str, Any]]) -> Table:
    """The terminal digest of a traced capacity scan (``ncnet analyze``): per hidden size the
    mean S, the (2,2) model's excess of both indices and their Spearman ρ with S."""
    def rho(n: int, measure: str) -> str:
        return correlation_text(correlations, n, measure)

    return Table("Gradient competition per hidden size (mean over runs)",
                 ["n", "runs", "mean S", "index (2,2) excess", "weighted (2,2) excess",
                  "ρ(index, S)", "ρ(weighted 22, S)"],
                 [[str(r["hidden"]), str(r["runs"]), f"{r['S']:.3f}",
                   f"{r['competition_excess_22']:+.3f}", f"{r['competition_w_excess_22']:+.3f}",
                   rho(r["hidden"], "competition_mean"), rho(r["hidden"], "competition_w_22")]
                  for r in scan])


def lora_competition_table(result: dict[str, Any]) -> Table:
    """Per traced (rank, seed) of a LoRA sweep
    (:func:`ncnet.studies.competition.lora_competition`): S, the XOR gaps and both indices of
    the four pair models."""
    return Table("LoRA gradient competition per (rank, seed)",
                 ["rank", "seed", "S", "gap A2", "gap B2", "index 11/12/21/22",
                  "weighted 11/12/21/22"],
                 [[str(g["rank"]), str(g["seed"]), f"{g['S']:.3f}", f"{g['gap_A2']:+.3f}",
                   f"{g['gap_B2']:+.3f}",
                   *("/".join(f"{g[f'{name}_{k}']:.2f}" for k in ("11", "12", "21", "22"))
                     for name in ("competition", "competition_w"))]
                  for g in result["groups"]], fold=True)


def write_lora_competition(out: str | Path, result: dict[str, Any]) -> str:
    """``competition.json`` of a LoRA sweep (per-layer indices of each (2,2) model, pooled
    correlations) into ``out``; returns its name."""
    import json

    (Path(out) / "competition.json").write_text(json.dumps(strict_json(result), indent=2)
                                                + "\n")
    return "competition.json"
