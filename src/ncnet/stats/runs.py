"""Intervals and tests over a handful of independent units (runs or seeds), and the
Clopper–Pearson interval of a fraction of runs (numpy + scipy; scipy.stats is imported on
first use). Nothing here knows a Bell expression.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["describe_fraction", "fraction_ci", "holm", "ols_slope", "slope_over_seeds",
           "t_interval", "welch_test"]


class _Lazy:
    """A module imported on first use (``scipy.stats`` takes about a second to import, which a
    command that needs no test should not pay)."""

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        import importlib

        return getattr(importlib.import_module(self._name), attr)


stats = _Lazy("scipy.stats")


def fraction_ci(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Clopper–Pearson (exact) interval of a proportion: ``k`` successes in ``n`` runs.

    Coverage is at least ``level`` for every true proportion, also at 0 and 1, where "S > 2
    in all runs" lives (a percentile bootstrap of 0/1 values collapses to a point there).
    Returns ``(lo, hi)`` in [0, 1].

    >>> [round(v, 4) for v in fraction_ci(1, 50)]
    [0.0005, 0.1065]
    >>> [round(v, 4) for v in fraction_ci(50, 50)]
    [0.9289, 1.0]
    """
    k, n = int(k), int(n)
    if n < 1 or not 0 <= k <= n:
        raise ValueError(f"fraction_ci: need 0 <= k <= n and n >= 1; got k={k}, n={n}")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1); got {level}")
    alpha = (1.0 - level) / 2.0
    lo = 0.0 if k == 0 else float(stats.beta.ppf(alpha, k, n - k + 1))
    hi = 1.0 if k == n else float(stats.beta.ppf(1.0 - alpha, k + 1, n - k))
    return lo, hi


def describe_fraction(flags: Any, level: float = 0.95) -> dict[str, Any]:
    """``{"k", "n", "fraction", "ci"}`` for a boolean array of per-run flags (exact CI)."""
    arr = np.asarray(flags, dtype=bool).ravel()
    k, n = int(arr.sum()), int(arr.size)
    return {"k": k, "n": n, "fraction": k / n, "ci": list(fraction_ci(k, n, level))}


def t_interval(values: Any, level: float = 0.95) -> tuple[float, float] | None:
    """Student-t interval of the mean, ``n - 1`` degrees of freedom; None for ``n < 2`` and
    for values without spread (a zero-width interval is no interval: it would "decide" a
    claim on no evidence of precision).

    For a handful of seeds (2-5) this is the honest interval: a percentile bootstrap over
    3 values covers about 75% at a nominal 95%.

    >>> lo, hi = t_interval([1.0, 2.0, 3.0])
    >>> round(lo, 3), round(hi, 3)
    (-0.484, 4.484)
    """
    vals = np.asarray(values, dtype=np.float64).ravel()
    if vals.size < 2:
        return None
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1); got {level}")
    mean = float(vals.mean())
    sd = float(vals.std(ddof=1))
    if sd <= 1e-12 * max(1.0, abs(mean)):
        return None
    half = float(stats.t.ppf(0.5 + level / 2.0, vals.size - 1) * sd / math.sqrt(vals.size))
    return mean - half, mean + half



def welch_test(x: Any, y: Any, level: float = 0.95) -> dict[str, Any]:
    """Welch's test of ``mean(x) > mean(y)`` (one-sided p) with a two-sided CI of the difference.

    Returns ``{"diff", "ci", "p_value", "df", "n_x", "n_y"}``; NaN p and None CI when either
    sample has fewer than 2 values or both have zero variance.
    """
    x = np.asarray(x, dtype=np.float64).ravel()
    y = np.asarray(y, dtype=np.float64).ravel()
    out: dict[str, Any] = {"diff": float(x.mean() - y.mean()) if x.size and y.size else math.nan,
                           "ci": None, "p_value": math.nan, "df": math.nan,
                           "n_x": int(x.size), "n_y": int(y.size)}
    if x.size < 2 or y.size < 2:
        return out
    vx, vy = x.var(ddof=1) / x.size, y.var(ddof=1) / y.size
    se = math.sqrt(vx + vy)
    if se == 0.0:
        return out
    df = (vx + vy) ** 2 / (vx**2 / (x.size - 1) + vy**2 / (y.size - 1))
    tcrit = float(stats.t.ppf(0.5 + level / 2.0, df))
    out.update(ci=[out["diff"] - tcrit * se, out["diff"] + tcrit * se],
               p_value=float(stats.t.sf(out["diff"] / se, df)), df=float(df))
    return out


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm–Bonferroni adjusted p-values (same order; NaN stays NaN and is not counted).

    >>> holm([0.01, 0.04, 0.03])
    [0.03, 0.06, 0.06]
    """
    p = np.asarray(p_values, dtype=np.float64)
    ok = np.flatnonzero(~np.isnan(p))
    adj = np.full(p.shape, math.nan)
    order = ok[np.argsort(p[ok], kind="stable")]
    m = order.size
    running = 0.0
    for rank, idx in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[idx]))
        adj[idx] = running
    return [round(float(v), 12) for v in adj]


def ols_slope(x: Any, y: Any) -> float:
    """Least-squares slope of ``y`` on ``x`` (1-D, same length >= 2, x not constant)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    xc = x - x.mean()
    return float(np.sum(xc * (y - y.mean())) / np.sum(xc**2))


def slope_over_seeds(x: Any, s: Any, level: float = 0.95) -> dict[str, Any]:
    """Slope of S on ``x`` per seed, and the t-interval of their mean over seeds.

    ``s``: shape ``(seeds, len(x))``.  Returns ``{"slope", "ci", "seeds", "per_seed"}``;
    ``ci`` is None with one seed or when every seed has the same slope.
    """
    s = np.atleast_2d(np.asarray(s, dtype=np.float64))
    per_seed = [ols_slope(x, row) for row in s]
    ci = t_interval(per_seed, level)  # None for one seed or slopes without spread
    return {"slope": float(np.mean(per_seed)), "ci": None if ci is None else list(ci),
            "seeds": len(per_seed), "per_seed": per_seed}
