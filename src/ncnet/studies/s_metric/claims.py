"""S as a metric of generalization: the paper's metric claims (abstract, §5.3), read as numbers.

The paper proposes S as an evaluation metric that tracks capacity and generalization. Its
claims, each read here as a quantity with an interval and decided by
:func:`ncnet.stats.verdicts.verdict`:

1. **rises toward 2**: the slope of mean S on the resource over the low-resource levels is
   positive;
2. **exceeds 2 near a critical scale**: the largest level mean of S is above 2;
3. **decays to and fluctuates around 2**: every high-resource level's mean S is within
   2 ± :data:`DELTA_S`;
4. **positive correlation with generalization**: Spearman ρ(S, Acc_comb_avg) > 0;
5. **first approaches 2 where generalization becomes good**: the resource at which mean S
   first comes within :data:`DELTA_S` of 2 and the one at which the mean accuracy first comes
   within :data:`DELTA_ACC` of its plateau are at most one level apart;

and a **control** that is no claim of the paper: does S say anything the accuracies do not?
(the partial correlation of S with accuracy given S_product, Pearson, which decides, and
Spearman, and the correlation of the excess S − S_product with accuracy). The partial
Pearson decides because S and S_product are nearly linear in each other, while the ranks of
cells tie massively (at large capacity every run has S = S_product = 2): on the toy, the rank
partial correlation changed sign between two seeds.

The data are **cells**: one per (resource level, unit), each with S, S_product and
Acc_comb_avg (the mean of the 8 head accuracies of the 4 pair models). Two designs:

- **unpaired units** (the toy: runs; run r at n = 2 has nothing to do with run r at n = 3):
  level means are independent. Intervals of level means: Student t over the runs
  (:func:`ncnet.chsh.mean_s_interval`); the slope: Welch–Satterthwaite t of the linear
  contrast of level means; correlations and the crossing levels: percentile bootstrap
  resampling runs **within each level**.
- **paired units** (LoRA: seeds; seed s is trained at every rank): each seed gives its own
  slope, correlation and crossing across the levels, and the interval is Student t over
  seeds (as :func:`ncnet.stats.runs.slope_over_seeds`); a percentile bootstrap over 3 seeds has
  only 10 distinct resamples and does not cover.

Low / high resource split (fixed in advance, not chosen from the data, which would bias the
slope): the first ``ceil(K / 2)`` of the K levels are "low", the last ``floor(K / 2)``
"high". Cells where a task did not learn (the learnability gate) are left out; every
quantity is computed on the cells that are left.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ncnet import chsh
from ncnet.stats.bounded import bounded_mean_interval
from ncnet.stats.runs import holm, slope_over_seeds, t_interval
from ncnet.stats.verdicts import MIN_RUNS, MIN_SEEDS, Region, verdict

LEVEL = 0.95
"""Confidence level of every interval."""

DELTA_S = 0.1
"""Half-width of "about 2": 2 ± 0.1, the tolerance the Figure-2 claim "falls back to about 2"
uses."""

DELTA_ACC = 0.02
"""An accuracy "has reached its plateau" within 0.02 (2 percentage points) of the largest
level mean."""

CROSSING_TOLERANCE = 1.0
"""Claim 5 agrees when the two crossing resources are at most this many levels apart."""

MIN_LEVELS = 2
"""Fewest resource levels for any claim: every claim is about how S changes over a scan."""

CLAIMS = ("rises toward 2", "exceeds 2 near a critical scale",
          "decays to and fluctuates around 2", "positive correlation with generalization",
          "first approaches 2 where generalization becomes good")
CONTROL = "S adds information beyond the accuracies (control; not a claim of the paper)"


@dataclass(frozen=True)
class Cells:
    """The cells of one resource scan, one array entry per (level, unit) cell (shape (N,)).

    ``level``: the resource value (hidden size n, LoRA rank r); ``unit``: the unit id (run or
    seed); ``S``, ``S_product`` in [-4, 4]; ``acc``: Acc_comb_avg in [0, 1]; ``learned``:
    False where the learnability gate left the cell out. ``paired``: units are shared across
    levels (seeds) rather than independent at each level (runs). ``log_axis``: the resource
    axis is log2(level) (ranks). ``gated``: sentences naming what did not learn."""

    resource: str
    symbol: str
    unit_name: str
    paired: bool
    log_axis: bool
    level: np.ndarray
    unit: np.ndarray
    S: np.ndarray
    S_product: np.ndarray
    acc: np.ndarray
    learned: np.ndarray
    gated: tuple[str, ...] = field(default=())

    def kept(self) -> Cells:
        """The cells the learnability gate keeps."""
        keep = np.asarray(self.learned, dtype=bool)
        return Cells(self.resource, self.symbol, self.unit_name, self.paired, self.log_axis,
                     *(np.asarray(getattr(self, k))[keep]
                       for k in ("level", "unit", "S", "S_product", "acc", "learned")),
                     self.gated)

    def levels(self) -> list[float]:
        return sorted({float(v) for v in self.level})

    def x(self, levels: Sequence[float]) -> np.ndarray:
        """Resource coordinate of ``levels``: log2 for ranks, the value itself otherwise."""
        v = np.asarray(levels, dtype=np.float64)
        return np.log2(v) if self.log_axis else v

    def label(self, value: float) -> str:
        return f"{self.symbol} = {value:g}"


def make_cells(resource: str, symbol: str, unit_name: str, paired: bool, log_axis: bool,
               rows: Sequence[dict[str, Any]], gated: Sequence[str] = ()) -> Cells:
    """Cells from rows with keys ``level``, ``unit``, ``S``, ``S_product``, ``acc`` and
    optionally ``learned`` (default True)."""
    def col(name: str, dtype: Any = np.float64) -> np.ndarray:
        return np.array([r[name] for r in rows], dtype=dtype)

    return Cells(resource, symbol, unit_name, paired, log_axis, col("level"), col("unit"),
                 col("S"), col("S_product"), col("acc"),
                 np.array([bool(r.get("learned", True)) for r in rows], dtype=bool),
                 tuple(gated))


def comb_avg_accuracy(row: dict[str, Any]) -> float:
    """Acc_comb_avg of one CHSH row: the mean of its 8 head accuracies (Alice's and Bob's
    head in each of the 4 pair models, :func:`ncnet.chsh.acc_columns`)."""
    return float(np.mean([row[name] for i, j in chsh.PAIRS for name in chsh.acc_columns(i, j)]))


# --------------------------------------------------------------------------------------------
# Per level
# --------------------------------------------------------------------------------------------


def mean_interval(values: Any, lo: float, hi: float, level: float = LEVEL) -> tuple[float, float]:
    """Student-t interval of the mean of values in [lo, hi]; where it does not exist (one
    value, no spread) the bounded-mean interval of
    :func:`ncnet.stats.bounded.bounded_mean_interval`, which is never a point for two or more
    values."""
    ci = t_interval(values, level)
    if ci is not None:
        return float(ci[0]), float(ci[1])
    vals = np.clip(np.asarray(values, dtype=np.float64).ravel(), lo, hi)
    return bounded_mean_interval(vals, lo, hi, level)


def level_table(cells: Cells, level: float = LEVEL) -> list[dict[str, Any]]:
    """Per resource level: units kept by the gate, units left out, and the mean with its
    interval over the kept units of S (:func:`ncnet.chsh.mean_s_interval`), Acc_comb_avg and
    S_product; a level without kept units has ``units`` 0 and no means."""
    out = []
    for v in cells.levels():
        here = cells.level == v
        keep = here & cells.learned
        row: dict[str, Any] = {"level": v, "units": int(keep.sum()),
                               "left_out": int((here & ~cells.learned).sum())}
        if keep.any():
            for name, lo, hi in (("S", -4.0, 4.0), ("acc", 0.0, 1.0), ("S_product", -4.0, 4.0)):
                vals = getattr(cells, name)[keep]
                ci = (chsh.mean_s_interval(vals, level) if name == "S"
                      else mean_interval(vals, lo, hi, level))
                row[name] = float(vals.mean())
                row[f"{name}_ci"] = [float(ci[0]), float(ci[1])]
        out.append(row)
    return out


def _by_level(cells: Cells, name: str) -> list[np.ndarray]:
    return [getattr(cells, name)[cells.level == v] for v in cells.levels()]


def _seed_matrix(cells: Cells, name: str) -> tuple[list[float], np.ndarray]:
    """Units complete at every level of ``cells`` (paired design) and their values
    (units, levels)."""
    levels = cells.levels()
    table = {(float(lv), float(u)): val for lv, u, val in
             zip(cells.level, cells.unit, getattr(cells, name), strict=True)}
    units = sorted({float(u) for u in cells.unit})
    full = [u for u in units if all((lv, u) in table for lv in levels)]
    return full, np.array([[table[(lv, u)] for lv in levels] for u in full],
                          dtype=np.float64).reshape(len(full), len(levels))


# --------------------------------------------------------------------------------------------
# Correlations
# --------------------------------------------------------------------------------------------


def _pearson_rows(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Pearson r of each row pair of ``x``, ``y`` (B, N); NaN where a row is constant."""
    xc = x - x.mean(axis=-1, keepdims=True)
    yc = y - y.mean(axis=-1, keepdims=True)
    den = np.sqrt((xc * xc).sum(axis=-1) * (yc * yc).sum(axis=-1))
    scale = np.maximum(np.abs(x).max(axis=-1), 1.0) * np.maximum(np.abs(y).max(axis=-1), 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (xc * yc).sum(axis=-1) / den
    return np.where(den > 1e-12 * scale * x.shape[-1], np.clip(r, -1.0, 1.0), np.nan)


def _partial(r_xy: np.ndarray, r_xz: np.ndarray, r_yz: np.ndarray) -> np.ndarray:
    den = np.sqrt((1.0 - r_xz**2) * (1.0 - r_yz**2))
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (r_xy - r_xz * r_yz) / den
    return np.where(den > 1e-9, np.clip(r, -1.0, 1.0), np.nan)


MEASURES = {
    "S~acc": "ρ(S, Acc)",
    "S~acc|S_product": "partial ρ(S, Acc | S_product)",
    "excess~acc": "ρ(S − S_product, Acc)",
}
"""The correlations of the section: S with accuracy, and the two controls."""


def _correlations_rows(s: np.ndarray, p: np.ndarray, a: np.ndarray,
                       method: str) -> dict[str, np.ndarray]:
    """The :data:`MEASURES` of each row of (B, N) arrays, Pearson or Spearman (Pearson of the
    ranks, a partial Spearman being the partial correlation of the ranks). The partial
    correlation needs N >= 4 (it has N - 3 degrees of freedom: at N = 3 it is always ±1),
    NaN below."""
    from scipy.stats import rankdata

    e = s - p
    if method == "spearman":
        s, p, a, e = (rankdata(v, axis=-1) for v in (s, p, a, e))
    r_sa, r_sp, r_pa = _pearson_rows(s, a), _pearson_rows(s, p), _pearson_rows(p, a)
    partial = (_partial(r_sa, r_sp, r_pa) if s.shape[-1] >= 4
               else np.full(r_sa.shape, np.nan))
    return {"S~acc": r_sa, "S~acc|S_product": partial, "excess~acc": _pearson_rows(e, a)}


def _percentile(boot: np.ndarray, level: float) -> list[float] | None:
    ok = boot[np.isfinite(boot)]
    if ok.size < 0.9 * boot.size or ok.size == 0:
        return None  # most resamples have no correlation: no interval
    alpha = (1.0 - level) / 2.0
    lo, hi = np.percentile(ok, [100 * alpha, 100 * (1 - alpha)])
    return [float(lo), float(hi)]


def _stratified_index(groups: Sequence[np.ndarray], n_boot: int,
                      rng: np.random.Generator) -> np.ndarray:
    """(n_boot, N) positions: each group's positions resampled within the group."""
    return np.concatenate([g[rng.integers(0, len(g), size=(n_boot, len(g)))] for g in groups],
                          axis=1)


def metric_correlations(cells: Cells, n_boot: int = 2000, seed: int = 0,
                 level: float = LEVEL) -> list[dict[str, Any]]:
    """Spearman and Pearson of each of :data:`MEASURES` over the kept cells, with intervals.

    Unpaired units (runs): one correlation over all cells pooled across levels, percentile
    bootstrap resampling runs within each level (``n_boot`` resamples). Paired units
    (seeds): per seed the correlation across the levels, their mean and the Student-t
    interval over seeds (seeds complete at every kept level; at least 3 levels). Each entry:
    ``measure``, ``label``, ``method``, ``r``, ``ci`` (None where none exists), ``units``,
    ``cells``, ``scheme``; ``constant_excess`` when S − S_product is the same in every cell
    (S is then the product prediction plus a constant: no information beyond it)."""
    kept = cells.kept()
    out = []
    constant_excess = bool(kept.S.size and np.ptp(kept.S - kept.S_product) <= 1e-12)
    for method in ("spearman", "pearson"):
        if kept.paired:
            units, s = _seed_matrix(kept, "S")
            _, p = _seed_matrix(kept, "S_product")
            _, a = _seed_matrix(kept, "acc")
            per_seed = (_correlations_rows(s, p, a, method) if len(kept.levels()) >= 3 and units
                        else {m: np.full(len(units), np.nan) for m in MEASURES})
            scheme = (f"per {kept.unit_name} across the {len(kept.levels())} levels; mean and "
                      f"Student t over {kept.unit_name}s")
            for m, label in MEASURES.items():
                r = per_seed[m][np.isfinite(per_seed[m])]
                ci = t_interval(r, level) if r.size >= 2 else None
                if ci is not None:  # a correlation lies in [-1, 1]; t over seeds may not
                    ci = (max(-1.0, ci[0]), min(1.0, ci[1]))
                out.append({"measure": m, "label": label, "method": method,
                            "r": float(r.mean()) if r.size else math.nan,
                            "ci": list(ci) if ci else None, "units": int(r.size),
                            "cells": int(s.size), "scheme": scheme,
                            "per_unit": [float(v) for v in per_seed[m]]})
        else:
            groups = [np.flatnonzero(kept.level == v) for v in kept.levels()]
            rng = np.random.default_rng(seed)
            point = _correlations_rows(kept.S[None], kept.S_product[None], kept.acc[None],
                                       method)
            idx = _stratified_index(groups, int(n_boot), rng) if groups else None
            boot = (_correlations_rows(kept.S[idx], kept.S_product[idx], kept.acc[idx], method)
                    if idx is not None else None)
            scheme = (f"all cells pooled over the {len(groups)} levels; percentile bootstrap "
                      f"resampling {kept.unit_name}s within each level ({n_boot} resamples)")
            for m, label in MEASURES.items():
                r = float(point[m][0])
                ci = _percentile(boot[m], level) if boot is not None and np.isfinite(r) else None
                out.append({"measure": m, "label": label, "method": method, "r": r, "ci": ci,
                            "units": int(min((len(g) for g in groups), default=0)),
                            "cells": int(kept.S.size), "scheme": scheme})
    for row in out:
        row["constant_excess"] = constant_excess
    return out


# --------------------------------------------------------------------------------------------
# Claims
# --------------------------------------------------------------------------------------------


def split_levels(levels: Sequence[float]) -> tuple[list[float], list[float]]:
    """Low and high resource levels: the first ceil(K/2) and the last floor(K/2) of K levels.

    >>> split_levels([1, 2, 3, 4, 5, 6, 7, 8])
    ([1, 2, 3, 4], [5, 6, 7, 8])
    >>> split_levels([1, 2, 4, 8, 16])
    ([1, 2, 4], [8, 16])
    """
    k = len(levels)
    cut = (k + 1) // 2
    return list(levels[:cut]), list(levels[cut:])


def welch_slope(x: Sequence[float], groups: Sequence[np.ndarray],
                level: float = LEVEL) -> dict[str, Any]:
    """OLS slope of the group means on ``x`` (independent groups of sizes ``n_k``) with the
    Welch–Satterthwaite t interval of that linear contrast: se² = Σ w_k² s_k² / n_k,
    w_k = (x_k − x̄) / Σ (x − x̄)². ``ci`` is None where no group has a spread (a zero
    standard error is no interval) or a group has fewer than 2 values."""
    from scipy import stats

    x = np.asarray(x, dtype=np.float64)
    means = np.array([g.mean() for g in groups])
    w = (x - x.mean()) / np.sum((x - x.mean()) ** 2)
    slope = float(w @ means)
    out: dict[str, Any] = {"slope": slope, "ci": None, "df": math.nan}
    if any(len(g) < 2 for g in groups):
        return out
    terms = np.array([wk**2 * g.var(ddof=1) / len(g) for wk, g in zip(w, groups, strict=True)])
    se2 = float(terms.sum())
    if se2 <= 0.0:
        return out
    df = se2**2 / float(np.sum(terms**2 / np.array([len(g) - 1 for g in groups])))
    half = float(stats.t.ppf(0.5 + level / 2.0, df)) * math.sqrt(se2)
    out.update(ci=[slope - half, slope + half], df=df)
    return out


def crossing(curve: Sequence[float], threshold: float) -> float:
    """Where ``curve`` (one value per level, in level order) first reaches ``threshold``, in
    level steps from the first level (0 .. K−1), interpolated linearly between the last level
    below and the first at or above; 0 if the first level is already there; K (one step past
    the scan) if no level reaches it.

    >>> crossing([1.0, 1.5, 2.5, 2.0], 2.0), crossing([2.0, 1.0], 1.5), crossing([0, 1], 3)
    (1.5, 0.0, 2.0)
    """
    c = np.asarray(curve, dtype=np.float64)
    above = np.flatnonzero(c >= threshold)
    if above.size == 0:
        return float(len(c))
    k = int(above[0])
    if k == 0:
        return 0.0
    return float(k - 1 + (threshold - c[k - 1]) / (c[k] - c[k - 1]))


def _crossings(s_curve: np.ndarray, acc_curve: np.ndarray, delta_s: float,
               delta_acc: float) -> tuple[float, float]:
    return (crossing(s_curve, chsh.LOCAL_BOUND - delta_s),
            crossing(acc_curve, float(np.max(acc_curve)) - delta_acc))


@dataclass(frozen=True)
class ClaimRow:
    """One row of metric_claims.csv."""

    claim: str
    reading: str
    measured: str
    interval: str
    verdict: str
    ci: list[float] | None = None

    def csv_row(self) -> dict[str, str]:
        return {"claim": self.claim, "reading": self.reading, "measured": self.measured,
                "interval": self.interval, "verdict": self.verdict}


def _fmt_r(r: float) -> str:
    """A correlation with its sign, or — where none exists (NaN)."""
    return f"{r:+.3f}" if math.isfinite(r) else "—"


def _fmt_ci(ci: Sequence[float] | None, digits: int = 3) -> str:
    return "—" if ci is None else f"[{ci[0]:.{digits}f}, {ci[1]:.{digits}f}]"


def _fmt_r_ci(r: float, ci: Sequence[float] | None) -> str:
    """A correlation and its interval, or one — where there is no correlation."""
    return f"{_fmt_r(r)} {_fmt_ci(ci)}" if math.isfinite(r) else "—"


def _fmt_level(v: float) -> str:
    """A resource value between levels: 2 decimals (n ≈ 2.60, r ≈ 3.04), whole numbers
    from 100 on (epochs ≈ 347)."""
    return f"{v:.2f}" if abs(v) < 100 else f"{v:.0f}"


def _fmt_level_ci(ci: Sequence[float] | None) -> str:
    return "—" if ci is None else f"[{_fmt_level(ci[0])}, {_fmt_level(ci[1])}]"


class _Context:
    """What every claim needs: the kept cells, their levels, the unit count and the reason,
    if any, why no claim can be decided."""

    def __init__(self, cells: Cells):
        self.cells = cells
        self.kept = cells.kept()
        self.levels = self.kept.levels()
        self.per_level = [int((self.kept.level == v).sum()) for v in self.levels]
        if cells.paired:
            self.units = len(_seed_matrix(self.kept, "S")[0]) if self.levels else 0
        else:
            self.units = min(self.per_level, default=0)
        self.minimum = MIN_SEEDS if cells.paired else MIN_RUNS
        name = cells.unit_name
        self.unit_text = (f"{self.units} {name}s" if cells.paired
                          else f"{self.units} {name}s per level")
        self.why_not = self._why_not()

    def _why_not(self) -> str | None:
        left_out = ""
        if self.cells.gated:
            left_out = f"; left out by the learnability gate: {'; '.join(self.cells.gated)}"
        if len(self.levels) < MIN_LEVELS:
            where = ", ".join(self.cells.label(v) for v in self.levels) or "none"
            return (f"undecided ({len(self.levels)} level{'s' if len(self.levels) != 1 else ''}"
                    f" kept ({where}): the claims are about a scan, at least {MIN_LEVELS} "
                    f"levels needed{left_out})")
        if self.units < self.minimum:
            what = (f"{self.units} {self.cells.unit_name}{'s' if self.units != 1 else ''}"
                    + ("" if self.cells.paired else " at some level"))
            return f"undecided (too few: {what}, at least {self.minimum} needed{left_out})"
        return None

    def verdict(self, ci: Sequence[float] | None, region: Region) -> str:
        if self.why_not:
            return self.why_not
        return verdict(ci, region, self.unit_text, count=self.units, minimum=self.minimum)


def _undecided(claim: str, reading: str, why: str) -> ClaimRow:
    return ClaimRow(claim, reading, "—", "—", why)


def claim_rises(ctx: _Context) -> ClaimRow:
    claim = CLAIMS[0]
    low, _ = split_levels(ctx.levels)
    region = Region(0.0, math.inf, low_closed=False)
    axis = f"log2 {ctx.cells.symbol}" if ctx.cells.log_axis else ctx.cells.symbol
    reading = (f"slope of mean S on {axis} over the low levels (first ceil(K/2) of K) in "
               f"{region}")
    if len(low) < 2:
        return _undecided(claim, reading, ctx.why_not or
                          f"undecided ({len(low)} low level: a slope needs 2, i.e. 3 levels)")
    sub = _restrict(ctx.kept, low)
    x = ctx.cells.x(low)
    if ctx.cells.paired:
        _, s = _seed_matrix(sub, "S")
        res = slope_over_seeds(x, s) if s.size else {"slope": math.nan, "ci": None}
        u = ctx.cells.unit_name
        how = f"Student t over {s.shape[0]} {u}s of the per-{u} slopes"
    else:
        res = welch_slope(x, _by_level(sub, "S"))
        how = "Welch–Satterthwaite t of the contrast of level means"
    where = f"{ctx.cells.label(low[0])} … {ctx.cells.label(low[-1])}"
    measured = (f"slope {res['slope']:+.3f} per unit of {axis} over {where}; mean S "
                + " → ".join(f"{np.mean(g):.3f}" for g in _by_level(sub, "S")))
    return ClaimRow(claim, reading, measured, f"{_fmt_ci(res['ci'])} ({how})",
                    ctx.verdict(res["ci"], region), res["ci"])


def _restrict(cells: Cells, levels: Sequence[float]) -> Cells:
    keep = np.isin(cells.level, np.asarray(levels, dtype=np.float64))
    return Cells(cells.resource, cells.symbol, cells.unit_name, cells.paired, cells.log_axis,
                 *(np.asarray(getattr(cells, k))[keep]
                   for k in ("level", "unit", "S", "S_product", "acc", "learned")),
                 cells.gated)


def _simultaneous(cells: Cells, levels: Sequence[float]) -> tuple[list[list[float]], float]:
    """Bonferroni-simultaneous intervals of mean S at ``levels`` (each at 1 − 0.05/K) and
    their level. Paired units use only the seeds complete at every level."""
    conf = 1.0 - (1.0 - LEVEL) / len(levels)
    if cells.paired:
        _, s = _seed_matrix(_restrict(cells, levels), "S")
        cols = [s[:, k] for k in range(s.shape[1])]
    else:
        cols = _by_level(_restrict(cells, levels), "S")
    return [list(chsh.mean_s_interval(c, conf)) for c in cols], conf


def _level_means(cells: Cells, levels: Sequence[float]) -> list[float]:
    if cells.paired:
        _, s = _seed_matrix(_restrict(cells, levels), "S")
        return [float(v) for v in s.mean(axis=0)] if s.size else [math.nan] * len(levels)
    return [float(g.mean()) for g in _by_level(_restrict(cells, levels), "S")]


def claim_exceeds(ctx: _Context) -> ClaimRow:
    claim = CLAIMS[1]
    region = Region(chsh.LOCAL_BOUND, math.inf, low_closed=False)
    reading = (f"largest level mean S in {region}: interval [max lo_k, max hi_k] of "
               "Bonferroni-simultaneous 95% intervals (each at 1 − 0.05/K; its lower edge "
               "above 2 is Holm's first step)")
    if ctx.why_not or not ctx.levels:
        return _undecided(claim, reading, ctx.why_not or "undecided (no level)")
    cis, conf = _simultaneous(ctx.kept, ctx.levels)
    means = _level_means(ctx.kept, ctx.levels)
    top = int(np.nanargmax(means))
    ci = [max(c[0] for c in cis), max(c[1] for c in cis)]
    tests = [chsh.test_s_above(g) for g in _per_level_s(ctx.kept, ctx.levels)]
    p_holm = holm([t["p_value"] for t in tests])
    best = int(np.nanargmin(p_holm)) if np.isfinite(p_holm).any() else top
    measured = (f"largest mean S {means[top]:.3f} at {ctx.cells.label(ctx.levels[top])}; "
                f"smallest Holm p (one-sided S > 2, {len(ctx.levels)} levels) "
                f"{_fmt_p(p_holm[best])} at {ctx.cells.label(ctx.levels[best])}")
    return ClaimRow(claim, reading, measured,
                    f"{_fmt_ci(ci)} (each level at {conf:.4f})", ctx.verdict(ci, region), ci)


def _per_level_s(cells: Cells, levels: Sequence[float]) -> list[np.ndarray]:
    if cells.paired:
        _, s = _seed_matrix(_restrict(cells, levels), "S")
        return [s[:, k] for k in range(s.shape[1])]
    return _by_level(_restrict(cells, levels), "S")


def _fmt_p(p: float) -> str:
    if p != p:
        return "—"
    return "< 1e-4" if p < 1e-4 else f"{p:.4f}" if p < 0.01 else f"{p:.3f}"


def claim_about_2(ctx: _Context, delta: float = DELTA_S) -> ClaimRow:
    claim = CLAIMS[2]
    _, high = split_levels(ctx.levels)
    region = Region(0.0, delta)
    reading = (f"largest |mean S − 2| over the high levels (last floor(K/2) of K) in {region} "
               f"(δ = {delta:g}); Bonferroni-simultaneous 95% intervals")
    if ctx.why_not or not high:
        return _undecided(claim, reading, ctx.why_not or "undecided (no high level)")
    cis, conf = _simultaneous(ctx.kept, high)
    dist = []
    for lo, hi in cis:
        d_lo = 0.0 if lo <= chsh.LOCAL_BOUND <= hi else min(abs(lo - 2.0), abs(hi - 2.0))
        dist.append((d_lo, max(abs(lo - 2.0), abs(hi - 2.0))))
    ci = [max(d[0] for d in dist), max(d[1] for d in dist)]
    means = _level_means(ctx.kept, high)
    measured = ("mean S " + ", ".join(f"{m:.3f} ({ctx.cells.label(v)})"
                                      for m, v in zip(means, high, strict=True))
                + f"; largest |mean S − 2| {max(abs(m - 2.0) for m in means):.3f}")
    return ClaimRow(claim, reading, measured, f"{_fmt_ci(ci)} (each level at {conf:.4f})",
                    ctx.verdict(ci, region), ci)


def _find(corr: Sequence[dict[str, Any]], measure: str, method: str) -> dict[str, Any]:
    return next(c for c in corr if c["measure"] == measure and c["method"] == method)


def claim_correlation(ctx: _Context, corr: Sequence[dict[str, Any]]) -> ClaimRow:
    claim = CLAIMS[3]
    region = Region(0.0, 1.0, low_closed=False)
    sp, pe = _find(corr, "S~acc", "spearman"), _find(corr, "S~acc", "pearson")
    reading = f"Spearman ρ(S, Acc_comb_avg) in {region} ({sp['scheme']})"
    if ctx.why_not:
        return _undecided(claim, reading, ctx.why_not)
    measured = (f"Spearman ρ {_fmt_r(sp['r'])}; Pearson r {_fmt_r(pe['r'])} "
                f"{_fmt_ci(pe['ci'])}; {sp['cells']} cells")
    return ClaimRow(claim, reading, measured, _fmt_ci(sp["ci"]),
                    ctx.verdict(sp["ci"], region), sp["ci"])


def claim_control(ctx: _Context, corr: Sequence[dict[str, Any]]) -> ClaimRow:
    region = Region(0.0, 1.0, low_closed=False)
    part = _find(corr, "S~acc|S_product", "spearman")
    exc, exc_p = _find(corr, "excess~acc", "spearman"), _find(corr, "excess~acc", "pearson")
    part_p = _find(corr, "S~acc|S_product", "pearson")
    reading = f"partial Pearson r(S, Acc | S_product) in {region} ({part['scheme']})"
    if ctx.why_not:
        return _undecided(CONTROL, reading, ctx.why_not)
    if part["constant_excess"]:
        return ClaimRow(CONTROL, reading, "S − S_product is the same in every cell",
                        "—", f"undecided (no added information: S − S_product is the same in "
                        f"all {part['cells']} cells, so S says nothing the accuracies do not)")
    measured = (f"partial Pearson {_fmt_r(part_p['r'])}, Spearman "
                f"{_fmt_r_ci(part['r'], part['ci'])}; ρ(S − S_product, Acc) Spearman "
                f"{_fmt_r_ci(exc['r'], exc['ci'])}, Pearson {_fmt_r_ci(exc_p['r'], exc_p['ci'])}")
    if not math.isfinite(part_p["r"]):
        measured += " (a partial correlation needs at least 4 levels)"
    verdict = ctx.verdict(part_p["ci"], region)
    if not math.isfinite(part_p["r"]):
        verdict = "undecided (too few levels: a partial correlation needs at least 4)"
    elif verdict.startswith("undecided at"):
        verdict = f"{verdict}: no added information detected"
    return ClaimRow(CONTROL, reading, measured, _fmt_ci(part_p["ci"]), verdict, part_p["ci"])


def crossing_statistics(cells: Cells, n_boot: int = 2000, seed: int = 0,
                        delta_s: float = DELTA_S, delta_acc: float = DELTA_ACC,
                        level: float = LEVEL) -> dict[str, Any]:
    """Claim 5's numbers on the kept cells: ``s`` and ``acc``, where mean S first reaches
    2 − ``delta_s`` and where mean accuracy first reaches its plateau − ``delta_acc``
    (:func:`crossing`, level steps), and their difference ``d`` = s − acc, each with an
    interval: unpaired units, percentile bootstrap resampling units within each level;
    paired units, per-seed crossings and Student t over seeds."""
    kept = cells.kept()
    if kept.paired:
        _, s = _seed_matrix(kept, "S")
        _, a = _seed_matrix(kept, "acc")
        per = np.array([_crossings(s[u], a[u], delta_s, delta_acc) for u in range(s.shape[0])]
                       ).reshape(-1, 2)
        vals = {"s": per[:, 0], "acc": per[:, 1], "d": per[:, 0] - per[:, 1]}
        out = {}
        for k, v in vals.items():
            ci = t_interval(v, level) if v.size >= 2 else None
            out[k] = {"value": float(v.mean()) if v.size else math.nan,
                      "ci": list(ci) if ci else None, "per_unit": [float(x) for x in v]}
        out["method"] = (f"per-{kept.unit_name} crossings, Student t over {s.shape[0]} "
                         f"{kept.unit_name}s")
        return out
    s_groups, a_groups = _by_level(kept, "S"), _by_level(kept, "acc")
    point = _crossings(np.array([g.mean() for g in s_groups]),
                       np.array([g.mean() for g in a_groups]), delta_s, delta_acc)
    rng = np.random.default_rng(seed)
    boot_s, boot_a = [], []
    for gs, ga in zip(s_groups, a_groups, strict=True):
        idx = rng.integers(0, len(gs), size=(int(n_boot), len(gs)))
        boot_s.append(gs[idx].mean(axis=1))
        boot_a.append(ga[idx].mean(axis=1))
    bs, ba = np.array(boot_s).T, np.array(boot_a).T  # (n_boot, K)
    boot = np.array([_crossings(bs[b], ba[b], delta_s, delta_acc) for b in range(bs.shape[0])])
    vals = {"s": boot[:, 0], "acc": boot[:, 1], "d": boot[:, 0] - boot[:, 1]}
    pt = {"s": point[0], "acc": point[1], "d": point[0] - point[1]}
    out = {k: {"value": float(pt[k]), "ci": _percentile(v, level)}
           for k, v in vals.items()}
    out["method"] = (f"percentile bootstrap resampling {kept.unit_name}s within each level "
                     f"({n_boot} resamples)")
    return out


def claim_crossing(ctx: _Context, n_boot: int = 2000, seed: int = 0,
                   delta_s: float = DELTA_S, delta_acc: float = DELTA_ACC) -> ClaimRow:
    claim = CLAIMS[4]
    tol = CROSSING_TOLERANCE
    region = Region(-tol, tol)
    reading = (f"(level where mean S first reaches 2 − {delta_s:g}) − (level where mean Acc "
               f"first reaches its plateau − {delta_acc:g}), in level steps, interpolated; "
               f"in {region}; no crossing = one step past the scan")
    if ctx.why_not:
        return _undecided(claim, reading, ctx.why_not)
    st = crossing_statistics(ctx.kept, n_boot, seed, delta_s, delta_acc)
    def at(which: dict[str, Any]) -> str:
        where = _where(ctx, which["value"])
        if where.startswith("no level"):
            return where
        return f"{where} {_fmt_level_ci(_to_resource(ctx, which['ci']))}"

    measured = (f"S reaches {2 - delta_s:g} at {at(st['s'])}; Acc within {delta_acc:g} "
                f"of its plateau at {at(st['acc'])}; difference {st['d']['value']:+.2f} steps")
    return ClaimRow(claim, reading, measured, f"{_fmt_ci(st['d']['ci'], 2)} ({st['method']})",
                    ctx.verdict(st["d"]["ci"], region), st["d"]["ci"])


def _to_resource(ctx: _Context, ci: Sequence[float] | None) -> list[float] | None:
    if ci is None:
        return None
    return [_resource_at(ctx, c) for c in ci]


def _resource_at(ctx: _Context, step: float) -> float:
    """The resource value at ``step`` level steps (interpolated on the resource axis; past
    the last level: one more step of the same size)."""
    x = ctx.cells.x(ctx.levels)
    k = len(x)
    xs = np.append(x, x[-1] + (x[-1] - x[-2] if k > 1 else 1.0))
    v = float(np.interp(step, np.arange(k + 1), xs))
    return 2.0**v if ctx.cells.log_axis else v


def _where(ctx: _Context, step: float) -> str:
    if step >= len(ctx.levels):
        return f"no level (not by {ctx.cells.label(ctx.levels[-1])})"
    return f"{ctx.cells.symbol} ≈ {_fmt_level(_resource_at(ctx, step))}"


def claims(cells: Cells, n_boot: int = 2000, seed: int = 0,
           corr: Sequence[dict[str, Any]] | None = None) -> list[ClaimRow]:
    """The five claims and the control on ``cells`` (each a :class:`ClaimRow`)."""
    ctx = _Context(cells)
    corr = corr if corr is not None else metric_correlations(cells, n_boot, seed)
    return [claim_rises(ctx), claim_exceeds(ctx), claim_about_2(ctx),
            claim_correlation(ctx, corr), claim_crossing(ctx, n_boot, seed),
            claim_control(ctx, corr)]


def analyze(cells: Cells, n_boot: int = 2000, seed: int = 0) -> dict[str, Any]:
    """Everything of the "S as a metric" section: ``levels`` (:func:`level_table`),
    ``correlations`` (:func:`correlations`), ``crossing`` (:func:`crossing_statistics`) and
    ``claims`` (:func:`claims`), with the reading rules (``delta_s``, ``delta_acc``,
    ``split``) and the gate's ``left_out`` sentences."""
    corr = metric_correlations(cells, n_boot, seed)
    kept = cells.kept()
    cross = (crossing_statistics(cells, n_boot, seed) if len(kept.levels()) >= MIN_LEVELS
             and (not kept.paired or len(_seed_matrix(kept, "S")[0]) > 0) else None)
    return {"resource": cells.resource, "unit": cells.unit_name, "paired": cells.paired,
            "levels": level_table(cells), "correlations": corr, "crossing": cross,
            "claims": claims(cells, n_boot, seed, corr), "delta_s": DELTA_S,
            "delta_acc": DELTA_ACC, "crossing_tolerance": CROSSING_TOLERANCE,
            "split": "low: first ceil(K/2) levels; high: last floor(K/2)",
            "left_out": list(cells.gated)}
