"""CHSH statistics on +-1 outcome arrays (numpy + scipy only).

Conventions
-----------
Outcomes are +1 (correct) / -1 (incorrect).  Setting pairs are indexed ``[i - 1, j - 1]`` for
Alice's task ``i`` and Bob's task ``j`` (both in {1, 2}); outcome arrays have shape
``(..., 2, 2, N)`` with the items on the last axis.  ``S = C11 + C12 + C21 - C22``.

Bounds: ``|S| <= 2`` whenever the four correlators come from one joint distribution of
(A1, A2, B1, B2) (local bound); ``|S| <= 2*sqrt(2)`` for quantum correlations (Tsirelson);
``|S| <= 4`` always (no-signalling / algebraic bound).  When the four pairs are measured on four
separately trained models there is no joint distribution, so only the bound 4 applies.
Two routes then lead past 2.  (1) Signalling: a side's marginal depends on the other side's
setting (:func:`signalling_gap`); the product-of-marginals S (:func:`product_prediction`) can
exceed 2 only this way.  (2) Item-level correlation within each pair: C11 = C12 = C21 = 1 and
C22 = -1 with every accuracy 0.5 gives S = 4 with all gaps 0.  Report S, S_product and the
gaps together to tell the routes apart.

Uncertainty: over runs, a bootstrap or t-interval of the mean and exact (Clopper–Pearson)
intervals for fractions of runs; over items, a bootstrap whose scheme follows the design:
when the four pairs share test items (item ids), the ids are resampled jointly, because
correlators that share items covary (:data:`PAIRED_SCHEME`); otherwise pairs are resampled
independently (:data:`INDEPENDENT_SCHEME`).  Verdicts on claims come from intervals
(:func:`verdict`).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ncnet import inference


class _Lazy:
    """A module imported on first use (``scipy.stats`` takes about a second to import, which a
    command that needs no test should not pay)."""

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        import importlib

        return getattr(importlib.import_module(self._name), attr)


stats = _Lazy("scipy.stats")

__all__ = [
    "LOCAL_BOUND",
    "TSIRELSON_BOUND",
    "NO_SIGNALLING_BOUND",
    "CHSH_SIGNS",
    "PAIRS",
    "as_pm1",
    "correlators",
    "chsh_value",
    "marginals",
    "signalling_gap",
    "product_prediction",
    "bootstrap_ci",
    "bootstrap_mean_ci",
    "bootstrap_mean_cis",
    "test_s_above",
    "item_bootstrap_s",
    "item_z_test",
    "paired_products",
    "paired_z_test",
    "item_interval",
    "fraction_ci",
    "describe_fraction",
    "t_interval",
    "welch_test",
    "holm",
    "ols_slope",
    "slope_over_seeds",
    "slope_item_bootstrap",
    "verdict",
    "Region",
    "MIN_RUNS",
    "MIN_SEEDS",
    "MIN_ITEMS",
    "FEW_ITEMS",
    "mean_s_interval",
    "PAIRED_SCHEME",
    "c_column",
    "acc_columns",
    "gap_columns",
    "INDEPENDENT_SCHEME",
    "ChshScore",
    "score_items",
    "score_table",
]

LOCAL_BOUND: float = 2.0
TSIRELSON_BOUND: float = 2.0 * math.sqrt(2.0)
NO_SIGNALLING_BOUND: float = 4.0

#: Signs of the correlators in S, indexed ``[i - 1, j - 1]``: S = C11 + C12 + C21 - C22.
CHSH_SIGNS: np.ndarray = np.array([[1.0, 1.0], [1.0, -1.0]])
CHSH_SIGNS.setflags(write=False)

#: Setting pairs (i, j) in the order used by the ``*_items`` functions.
PAIRS: tuple[tuple[int, int], ...] = ((1, 1), (1, 2), (2, 1), (2, 2))

# Largest number of elements materialised at once by the vectorised bootstrap.
_CHUNK_ELEMENTS = 2_000_000


# --------------------------------------------------------------------------------------------
# Outcomes, correlators, S
# --------------------------------------------------------------------------------------------


def _fmt_values(values: np.ndarray, limit: int = 5) -> str:
    """Short list of (unique) offending values for error messages."""
    uniq = list(dict.fromkeys(values.ravel().tolist()))
    shown = ", ".join(repr(v) for v in uniq[:limit])
    more = f", ... ({len(uniq)} distinct)" if len(uniq) > limit else ""
    return f"[{shown}{more}]"


def as_pm1(x: Any) -> np.ndarray:
    """Convert outcomes to float64 +-1.

    Accepts bool arrays, {0, 1} arrays or {-1, +1} arrays (any shape, any numeric dtype);
    ``True``/``1`` -> +1 and ``False``/``0``/``-1`` -> -1.  Raises ``ValueError`` naming the
    offending values for anything else, including NaN, and for arrays mixing 0 and -1 (an
    ambiguous encoding).
    """
    arr = np.asarray(x)
    if arr.dtype == bool:
        return np.where(arr, 1.0, -1.0)
    if arr.dtype.kind not in "iuf":
        raise ValueError(
            f"as_pm1: outcomes must be bool, {{0, 1}} or {{-1, +1}} numbers; got dtype "
            f"{arr.dtype} with values {_fmt_values(arr)}"
        )
    vals = arr.astype(np.float64, copy=False)
    bad = ~((vals == 1.0) | (vals == 0.0) | (vals == -1.0))  # NaN is bad too
    if bad.any():
        raise ValueError(
            f"as_pm1: outcomes must be in {{-1, +1}}, {{0, 1}} or bool; got invalid value(s) "
            f"{_fmt_values(vals[bad])}"
        )
    if (vals == 0.0).any() and (vals == -1.0).any():
        raise ValueError(
            "as_pm1: outcomes mix 0 and -1 (ambiguous encoding); use either {0, 1} or {-1, +1}"
        )
    return np.where(vals == 1.0, 1.0, -1.0)


def _check_outcomes(a: Any, b: Any) -> tuple[np.ndarray, np.ndarray]:
    a = as_pm1(a)
    b = as_pm1(b)
    if a.shape != b.shape:
        raise ValueError(f"outcome arrays differ in shape: A {a.shape} vs B {b.shape}")
    if a.ndim < 3 or a.shape[-3:-1] != (2, 2):
        raise ValueError(f"outcome arrays must have shape (..., 2, 2, N); got {a.shape}")
    if a.shape[-1] == 0:
        raise ValueError("outcome arrays have no items (N = 0)")
    return a, b


def correlators(a: Any, b: Any) -> np.ndarray:
    """Correlators ``C[..., i, j] = mean_n a[..., i, j, n] * b[..., i, j, n]``.

    ``a``, ``b``: outcomes of shape ``(..., 2, 2, N)`` (setting pair i, j; items).  Returns
    shape ``(..., 2, 2)`` with values in [-1, 1].
    """
    a, b = _check_outcomes(a, b)
    return np.mean(a * b, axis=-1)


def chsh_value(c: Any) -> np.ndarray | float:
    """``S = C11 + C12 + C21 - C22`` from correlators ``c`` of shape ``(..., 2, 2)``.

    Returns shape ``(...)`` (a float for a single 2x2 table); ``|S| <= 4`` for valid ``c``.
    """
    c = np.asarray(c, dtype=np.float64)
    if c.ndim < 2 or c.shape[-2:] != (2, 2):
        raise ValueError(f"correlators must have shape (..., 2, 2); got {c.shape}")
    s = np.sum(CHSH_SIGNS * c, axis=(-2, -1))
    return float(s) if s.ndim == 0 else s


def marginals(a: Any, b: Any) -> tuple[np.ndarray, np.ndarray]:
    """Accuracies ``P(A = +1)`` and ``P(B = +1)`` per setting pair.

    ``a``, ``b``: shape ``(..., 2, 2, N)``.  Returns two arrays of shape ``(..., 2, 2)``
    indexed ``[i, j]``, values in [0, 1].
    """
    a, b = _check_outcomes(a, b)
    return np.mean(a > 0, axis=-1), np.mean(b > 0, axis=-1)


def signalling_gap(acc_a: Any, acc_b: Any) -> tuple[np.ndarray, np.ndarray]:
    """How each side's accuracy depends on the other side's setting.

    ``gap_a[..., i] = acc_a[..., i, 0] - acc_a[..., i, 1]`` (Alice's task i, Bob's task varies)
    and ``gap_b[..., j] = acc_b[..., 0, j] - acc_b[..., 1, j]``; inputs ``(..., 2, 2)``, outputs
    ``(..., 2)`` in [-1, 1].  No-signalling means both are 0.
    """
    acc_a = np.asarray(acc_a, dtype=np.float64)
    acc_b = np.asarray(acc_b, dtype=np.float64)
    for name, acc in (("acc_a", acc_a), ("acc_b", acc_b)):
        if acc.ndim < 2 or acc.shape[-2:] != (2, 2):
            raise ValueError(f"{name} must have shape (..., 2, 2); got {acc.shape}")
    return acc_a[..., :, 0] - acc_a[..., :, 1], acc_b[..., 0, :] - acc_b[..., 1, :]


def product_prediction(acc_a: Any, acc_b: Any) -> np.ndarray:
    """Correlators expected if A and B were independent: ``(2 acc_a - 1) * (2 acc_b - 1)``.

    Inputs and output have shape ``(..., 2, 2)``; values in [-1, 1].
    """
    acc_a = np.asarray(acc_a, dtype=np.float64)
    acc_b = np.asarray(acc_b, dtype=np.float64)
    return (2.0 * acc_a - 1.0) * (2.0 * acc_b - 1.0)


# --------------------------------------------------------------------------------------------
# Uncertainty over runs
# --------------------------------------------------------------------------------------------

_AXIS_STATISTICS: tuple[Callable[..., Any], ...] = (np.mean, np.median, np.nanmean, np.nanmedian)


def _check_level(level: float, n_boot: int) -> None:
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1); got {level}")
    if int(n_boot) < 1:
        raise ValueError(f"n_boot must be >= 1; got {n_boot}")


def _percentile_ci(boot: np.ndarray, level: float) -> tuple[float, float]:
    alpha = (1.0 - level) / 2.0
    lo, hi = np.percentile(boot, [100.0 * alpha, 100.0 * (1.0 - alpha)])
    return float(lo), float(hi)


def bootstrap_ci(
    values: Any,
    statistic: Callable[..., Any] = np.mean,
    n_boot: int = 10_000,
    level: float = 0.95,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap CI of ``statistic(values)``, resampling the first axis.

    ``values``: shape ``(n, ...)``, the rows independent replicates (e.g. per-run S).
    ``statistic`` maps an array of that shape to a scalar; ``np.mean``/``np.median`` (and the
    nan-variants) are applied vectorised over all non-replicate axes, any other callable is
    called once per resample.  Deterministic for a given ``seed``.  ``n == 1`` returns
    ``(v, v)``.  Returns ``(lo, hi)``.
    """
    _check_level(level, n_boot)
    vals = np.asarray(values, dtype=np.float64)
    if vals.ndim == 0:
        vals = vals[None]
    n = vals.shape[0]
    if n == 0:
        raise ValueError("bootstrap_ci: values is empty")
    if n == 1:
        v = float(statistic(vals))
        return v, v
    rng = np.random.default_rng(seed)
    n_boot = int(n_boot)
    if statistic in _AXIS_STATISTICS:
        row = max(1, vals.size)  # elements per resample
        chunk = max(1, _CHUNK_ELEMENTS // row)
        parts = []
        for start in range(0, n_boot, chunk):
            idx = rng.integers(0, n, size=(min(chunk, n_boot - start), n))
            sample = vals[idx]  # (chunk, n, ...)
            parts.append(statistic(sample, axis=tuple(range(1, sample.ndim))))
        boot = np.concatenate(parts)
    else:
        idx = rng.integers(0, n, size=(n_boot, n))
        boot = np.array([float(statistic(vals[k])) for k in idx])
    return _percentile_ci(boot, level)


def test_s_above(values: Any, bound: float = LOCAL_BOUND) -> dict[str, Any]:
    """One-sided one-sample t-test of ``mean(values) > bound`` over independent runs.

    ``values``: 1-D per-run S values (finite, within [-4, 4]).  Returns ``{"test", "n", "mean",
    "statistic", "p_value", "bound"}``.  ``n < 2``: statistic and p-value NaN.  Zero variance
    (every run at the same S, common since S is discrete): the t statistic does not exist, and
    p comes from :func:`ncnet.inference.bounded_mean_test` on [-4, 4] instead, whose null law
    keeps a spread, so p is never 0 because a variance is 0.  No warnings emitted.

    >>> round(test_s_above([2.125, 2.125])["p_value"], 2)
    0.44
    """
    vals = np.asarray(values, dtype=np.float64).ravel()
    if not np.all(np.isfinite(vals)):
        raise ValueError(f"test_s_above: values must be finite; got {_fmt_values(vals)}")
    n = int(vals.size)
    mean = float(np.mean(vals)) if n else math.nan
    bound = float(bound)
    out: dict[str, Any] = {
        "test": "one-sample t-test (one-sided, H0: mean S <= bound)",
        "n": n,
        "mean": mean,
        "statistic": math.nan,
        "p_value": math.nan,
        "bound": bound,
    }
    if n < 2:
        return out
    sd = float(np.std(vals, ddof=1))
    if sd <= 1e-12 * max(1.0, abs(mean)):
        lo, hi = -NO_SIGNALLING_BOUND, NO_SIGNALLING_BOUND
        res = inference.bounded_mean_test(np.clip(vals, lo, hi), bound, lo, hi)
        out.update(test="likelihood ratio test of a mean in [-4, 4] (one-sided; every run "
                        "has the same S, so the t statistic does not exist)",
                   statistic=res["z"], p_value=res["p_value"])
        return out
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = stats.ttest_1samp(vals, bound, alternative="greater")
    out["statistic"] = float(res.statistic)
    out["p_value"] = float(res.pvalue)
    return out


# Not a pytest test despite the name.
test_s_above.__test__ = False  # type: ignore[attr-defined]


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


def mean_s_interval(values: Any, level: float = 0.95) -> tuple[float, float]:
    """Interval of the mean S over independent runs, as the verdicts use it: the Student-t
    interval (:func:`t_interval`; covers at small n where the percentile bootstrap does not:
    at 2, 3 and 5 runs with true mean 2 the bootstrap put its lower edge above 2 in 23%, 13%
    and 9% of sweeps), and where the runs have no spread (or there is one run), the interval
    of :func:`ncnet.inference.bounded_mean_interval` on [-4, 4], which is never a point.

    >>> mean_s_interval([2.125])
    (-4.0, 4.0)
    >>> lo, hi = mean_s_interval([2.125, 2.125, 2.125]); lo < 2.0 < 2.125 < hi
    True
    """
    ci = t_interval(values, level)
    if ci is not None:
        return ci
    vals = np.clip(np.asarray(values, dtype=np.float64).ravel(), -NO_SIGNALLING_BOUND,
                   NO_SIGNALLING_BOUND)
    return inference.bounded_mean_interval(vals, -NO_SIGNALLING_BOUND, NO_SIGNALLING_BOUND,
                                           level)


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


def slope_item_bootstrap(
    x: Any, paired: Any, n_boot: int = 2000, level: float = 0.95, seed: int = 0
) -> dict[str, Any]:
    """Slope of S on ``x`` with a CI from resampling test items jointly across settings.

    ``paired``: aligned products of shape ``(len(x), 4, K)`` or ``(len(x), seeds, 4, K)``:
    every setting x (e.g. rank) and seed scored on the same K items.  Per resample of the
    item ids, S is recomputed at every (x, seed), averaged over seeds and regressed on x.
    The CI is conditional on the trained models (it carries item noise, not training noise).
    Returns ``{"slope", "ci", "items"}``.
    """
    _check_level(level, n_boot)
    arr = np.asarray(paired, dtype=np.float64)
    if arr.ndim == 3:
        arr = arr[:, None]
    t = np.tensordot(arr, CHSH_SIGNS.ravel(), axes=(2, 0)).mean(axis=1)  # (len(x), K)
    x = np.asarray(x, dtype=np.float64)
    k = t.shape[-1]
    xc = (x - x.mean()) / np.sum((x - x.mean()) ** 2)
    per_item = xc @ t  # slope is linear in the per-item values: slope = mean_k (xc @ t_k)
    rng = np.random.default_rng(seed)
    boot = np.empty(int(n_boot))
    chunk = max(1, _CHUNK_ELEMENTS // k)
    for start in range(0, int(n_boot), chunk):
        m = min(chunk, int(n_boot) - start)
        boot[start:start + m] = per_item[rng.integers(0, k, size=(m, k))].mean(axis=1)
    return {"slope": float(per_item.mean()), "ci": list(_percentile_ci(boot, level)),
            "items": int(k)}


#: Fewest independent units on which a verdict is drawn; below, every verdict is "undecided
#: (too few ...)". Runs: the t-interval of mean S covers from 5 runs on in the simulation of
#: ``tests/test_verdicts.py``; seeds: a t-interval over fewer than 3 seeds has 1 degree of
#: freedom; items: the item tests' size was checked from 30 items on.
MIN_RUNS: int = 5
MIN_SEEDS: int = 3
MIN_ITEMS: int = 30
#: Below this many items the item test and interval are printed with a warning naming K
#: (their size was checked in simulation at K = 30, 60 and 150, not below).
FEW_ITEMS: int = 30


@dataclass(frozen=True)
class Region:
    """The values of a quantity that support a claim: from ``low`` to ``high``, each edge
    closed (the edge value supports the claim) or open (it does not). A strict claim ("mean
    S > 2") has an open edge; "at least 92.9% of runs" a closed one.

    >>> str(Region(2.0, math.inf, low_closed=False))
    '(2, ∞)'
    >>> str(Region(0.9289, 1.0))
    '[0.9289, 1]'
    """

    low: float
    high: float
    low_closed: bool = True
    high_closed: bool = True

    def contains(self, x: float) -> bool:
        above = x >= self.low if self.low_closed else x > self.low
        below = x <= self.high if self.high_closed else x < self.high
        return above and below

    def __str__(self) -> str:
        def num(v: float) -> str:
            return "∞" if v == math.inf else "−∞" if v == -math.inf else f"{v:.4g}"

        left = "[" if self.low_closed and math.isfinite(self.low) else "("
        right = "]" if self.high_closed and math.isfinite(self.high) else ")"
        return f"{left}{num(self.low)}, {num(self.high)}{right}"


def verdict(ci: Sequence[float] | None, paper_region: Region | tuple[float, float],
            units: str, *, count: int | None = None, minimum: int = 0) -> str:
    """Verdict on a claim from an interval ``ci`` = (lo, hi), read as the closed set of values
    it keeps, against ``paper_region``, the values that support the paper's claim (a
    :class:`Region`; a plain ``(low, high)`` has closed edges, ``±inf`` for a one-sided
    claim). 'agrees' if every value of the interval supports the claim; 'does not reproduce'
    if none does; otherwise 'undecided at <units>' (e.g. "50 runs"). The rule is the same on
    both edges: an edge value belongs to the claim's side only if that edge is closed.

    Never decided: no interval, a zero-width interval (it claims a precision that no sample
    of ±1 outcomes has), and fewer than ``minimum`` units (``count``): "undecided (too few
    ...)".

    >>> verdict((2.1, 2.3), Region(2.0, math.inf, low_closed=False), "50 runs")
    'agrees'
    >>> verdict((2.0, 2.0125), Region(2.0, math.inf, low_closed=False), "50 runs")
    'undecided at 50 runs'
    >>> verdict((1.7, 2.0), Region(2.0, math.inf, low_closed=False), "50 runs")
    'does not reproduce'
    >>> verdict((1.5, 1.7), (1.9, 2.1), "500 runs")
    'does not reproduce'
    >>> verdict((2.1, 2.3), Region(2.0, math.inf, False), "2 runs", count=2, minimum=MIN_RUNS)
    'undecided (too few: 2 runs, at least 5 needed)'
    >>> verdict((2.125, 2.125), Region(2.0, math.inf, False), "50 runs")
    'undecided (zero-width interval) at 50 runs'
    """
    region = paper_region if isinstance(paper_region, Region) else Region(*paper_region)
    if count is not None and count < minimum:
        return f"undecided (too few: {units}, at least {minimum} needed)"
    if ci is None or any(v != v for v in ci):
        return f"undecided at {units}"
    lo, hi = float(ci[0]), float(ci[1])
    if not hi > lo:
        return f"undecided (zero-width interval) at {units}"
    if region.contains(lo) and region.contains(hi):
        return "agrees"
    outside_low = hi < region.low if region.low_closed else hi <= region.low
    outside_high = lo > region.high if region.high_closed else lo >= region.high
    if outside_low or outside_high:
        return "does not reproduce"
    return f"undecided at {units}"


# --------------------------------------------------------------------------------------------
# Uncertainty over items (one set of four pair-samples)
# --------------------------------------------------------------------------------------------

#: Item resampling schemes. ``paired-items``: the four pairs share item ids, the ids are
#: resampled jointly (correlators that share test items covary, and the CI keeps that);
#: ``independent-pairs``: each pair's items are resampled on their own.
PAIRED_SCHEME = "paired-items"
INDEPENDENT_SCHEME = "independent-pairs"


def _pair_items(a_items: Sequence[Any], b_items: Sequence[Any]) -> list[np.ndarray]:
    """Validate per-pair item outcomes; return the four product arrays a*b."""
    if len(a_items) != 4 or len(b_items) != 4:
        raise ValueError(
            f"expected 4 pairs in order {PAIRS}; got {len(a_items)} (A) and {len(b_items)} (B)"
        )
    prods = []
    for (i, j), a, b in zip(PAIRS, a_items, b_items, strict=True):
        a = as_pm1(a).ravel()
        b = as_pm1(b).ravel()
        if a.size != b.size:
            raise ValueError(
                f"pair (i={i}, j={j}): A has {a.size} items but B has {b.size}; "
                "A and B must be paired by position"
            )
        if a.size == 0:
            raise ValueError(f"pair (i={i}, j={j}) has no items")
        prods.append(a * b)
    return prods


def paired_products(
    prods: Sequence[np.ndarray], items: Sequence[Any] | None
) -> np.ndarray | None:
    """The four pairs' products aligned by item id, shape ``(4, K)``, or None.

    ``prods``: the four ``a*b`` arrays (pair order :data:`PAIRS`); ``items``: None or four
    1-D arrays of item ids, one per product.  Returns None (independent pairs) when ``items``
    is None or no id occurs in two pairs; the aligned matrix when all four pairs hold the same
    ids.  Raises ``ValueError`` for an id repeated within a pair or ids shared by only some
    pairs (there is then no single item to resample).
    """
    if items is None:
        return None
    if len(items) != 4:
        raise ValueError(f"items: expected 4 arrays of item ids (one per pair); got {len(items)}")
    ids = []
    for (i, j), p, it in zip(PAIRS, prods, items, strict=True):
        arr = np.asarray(it).ravel()
        if arr.size != p.size:
            raise ValueError(
                f"pair (i={i}, j={j}): {arr.size} item ids for {p.size} outcomes; give one id "
                "per row"
            )
        uniq, counts = np.unique(arr, return_counts=True)
        if (counts > 1).any():
            raise ValueError(
                f"pair (i={i}, j={j}): item id(s) {_fmt_values(uniq[counts > 1])} occur more "
                "than once; each (i, j, item) must be one row"
            )
        ids.append(arr)
    sets = [set(a.tolist()) for a in ids]
    if all(s == sets[0] for s in sets):
        order = np.argsort(ids[0], kind="stable")
        ref = ids[0][order]
        aligned = []
        for p, arr in zip(prods, ids, strict=True):
            pos = np.argsort(arr, kind="stable")
            aligned.append(p[pos])
            if not np.array_equal(arr[pos], ref):  # pragma: no cover - same sets, sorted
                raise ValueError("items: ids could not be aligned across pairs")
        return np.stack(aligned)
    shared = [
        (PAIRS[x], PAIRS[y])
        for x in range(4)
        for y in range(x + 1, 4)
        if sets[x] & sets[y]
    ]
    if not shared:
        return None
    (p1, p2) = shared[0]
    raise ValueError(
        f"item ids are shared by only some pairs (e.g. pairs {p1} and {p2} share ids but the "
        "four id sets differ); give all four pairs the same ids (paired scheme) or distinct "
        "ids per pair (independent scheme)"
    )


def _item_sums(paired: np.ndarray) -> np.ndarray:
    """Per-item CHSH sum ``T_k = Σ_ij ± a_ij,k b_ij,k`` (K,), values in {-4, -2, 0, 2, 4}."""
    return np.tensordot(CHSH_SIGNS.ravel(), paired, axes=(0, 0))


def _mean_bootstrap_discrete(
    values: np.ndarray, n_boot: int, rng: np.random.Generator
) -> np.ndarray:
    """Bootstrap means of a sample with few distinct values: the value counts of a resample of
    K items are Multinomial(K, observed frequencies), drawn directly (exactly the
    distribution of index resampling, O(n_boot) work)."""
    uniq, counts = np.unique(values, return_counts=True)
    k = values.size
    draws = rng.multinomial(k, counts / k, size=int(n_boot))
    return draws @ uniq / k


def item_bootstrap_s(
    a_items: Sequence[Any],
    b_items: Sequence[Any],
    n_boot: int = 10_000,
    level: float = 0.95,
    seed: int = 0,
    items: Sequence[Any] | None = None,
) -> tuple[float, float]:
    """Percentile bootstrap CI of S over items.

    ``a_items``, ``b_items``: 4 one-dimensional +-1 arrays each, pairs in order (1,1), (1,2),
    (2,1), (2,2), A and B paired by position.  ``items``: optional item ids per pair (see
    :func:`paired_products`).  When the four pairs share their ids, ids are resampled jointly
    and S is the mean of the per-item sums ``T_k``; otherwise items are resampled within each
    pair independently (the number of +1 products of a pair is then exactly Binomial(N, k/N),
    drawn directly).  Returns ``(lo, hi)`` within [-4, 4].

    >>> a = [[1, 1, -1, 1]] * 4
    >>> b = [[1, 1, 1, 1]] * 3 + [[-1, -1, -1, -1]]
    >>> lo, hi = item_bootstrap_s(a, b, items=[[0, 1, 2, 3]] * 4, n_boot=2000)
    >>> lo <= 2.0 <= hi
    True
    """
    _check_level(level, n_boot)
    prods = _pair_items(a_items, b_items)
    return _bootstrap_s(prods, paired_products(prods, items), n_boot, level, seed)


def _bootstrap_s(prods: Sequence[np.ndarray], paired: np.ndarray | None, n_boot: int,
                 level: float, seed: int) -> tuple[float, float]:
    """:func:`item_bootstrap_s` on validated products (and their aligned matrix, if paired)."""
    rng = np.random.default_rng(seed)
    if paired is not None:
        return _percentile_ci(_mean_bootstrap_discrete(_item_sums(paired), n_boot, rng), level)
    s_boot = np.zeros(int(n_boot))
    for (i, j), p in zip(PAIRS, prods, strict=True):
        n = p.size
        k_plus = rng.binomial(n, np.count_nonzero(p > 0) / n, size=int(n_boot))
        s_boot += CHSH_SIGNS[i - 1, j - 1] * (2.0 * k_plus / n - 1.0)
    return _percentile_ci(s_boot, level)


def _approximate(units: int) -> str | None:
    """The one-line warning of an item test on ``units`` items, or None."""
    if units >= FEW_ITEMS:
        return None
    return (f"only K = {units} items: the item test and interval are approximate (their size "
            f"was checked in simulation from {FEW_ITEMS} items on)")


def item_z_test(c: Any, n_items: Any, bound: float = LOCAL_BOUND) -> dict[str, Any]:
    """One-sided test of ``S > bound`` for four *independent* pairs (no shared items).

    ``c``: correlators (2, 2); ``n_items``: item counts (2, 2).  A score test
    (:func:`ncnet.inference.binomial_sum_test`): ``Var(C_ij) = (1 - C~_ij**2) / N_ij`` with
    ``C~`` the correlators of largest likelihood that have ``S = bound``, so a pair at
    ``C = ±1`` still has variance and p is never 0 from a zero variance; ``z = (S - bound) /
    SE``, ``p = 1 - Phi(z)``.  Its size at S = 2 was 0.044-0.058 at 30-150 items per pair and
    with counts 30/60/150/500 (the plug-in SE gave 0.052-0.091).  Only valid when the pairs
    share no items; see :func:`paired_z_test` otherwise.  Returns ``{"test", "S", "se", "z",
    "p_value", "bound", "n", "warning"}`` (``n``: the smallest pair's item count; ``warning``
    a line naming it when it is below :data:`FEW_ITEMS`, else None).

    >>> t = item_z_test([[1, 1], [1, -1]], [[8, 8], [8, 8]])
    >>> t["S"], round(t["se"], 4), 0 < t["p_value"] < 0.001
    (4.0, 0.6124, True)
    """
    c = np.asarray(c, dtype=np.float64)
    n_items = np.asarray(n_items, dtype=np.float64)
    if c.shape != (2, 2) or n_items.shape != (2, 2):
        raise ValueError(f"c and n_items must have shape (2, 2); got {c.shape} and {n_items.shape}")
    if not np.all(np.abs(c) <= 1.0):
        raise ValueError(f"correlators must lie in [-1, 1]; got {c.tolist()}")
    if not np.all(n_items > 0):
        raise ValueError(f"n_items must be positive; got {n_items.tolist()}")
    k = (1.0 + c) / 2.0 * n_items  # items with A·B = +1 (whole numbers for real data)
    res = inference.binomial_sum_test(k.ravel(), n_items.ravel(), CHSH_SIGNS.ravel(),
                                      float(bound))
    units = int(n_items.min())
    return {"test": "score test (independent pairs, one-sided)", "S": float(chsh_value(c)),
            "se": res["se"], "z": res["z"], "p_value": res["p_value"], "bound": float(bound),
            "n": units, "warning": _approximate(units)}


def paired_z_test(paired: Any, bound: float = LOCAL_BOUND) -> dict[str, Any]:
    """One-sided test of ``S > bound`` when the four pairs share their items.

    ``paired``: products ``a*b`` aligned by item, shape ``(4, K)`` in pair order (as from
    :func:`paired_products`).  S is the mean of the per-item sums ``T_k`` in [-4, 4], which are
    independent whatever the covariance of the four correlators; the test is
    :func:`ncnet.inference.bounded_mean_test` on them (a likelihood ratio test referred to t
    with K - 1 df; ``se`` is the standard error under the most likely law with mean
    ``bound``).  Size at S = 2: 0.042-0.057 at K = 30, 60, 150 (the z-test on sd(T) had
    0.06-0.085 at K = 30).  Every T_k = 4 at K = 8 gives p = 0.07, not 0.  Same return keys
    as :func:`item_z_test`, ``n`` = K.

    >>> t = paired_z_test([[1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, -1], [-1, -1, -1, -1]])
    >>> t["S"], t["n"], t["warning"][:15]
    (3.5, 4, 'only K = 4 item')
    """
    paired = np.asarray(paired, dtype=np.float64)
    if paired.ndim != 2 or paired.shape[0] != 4 or paired.shape[1] == 0:
        raise ValueError(f"paired products must have shape (4, K) with K >= 1; got {paired.shape}")
    t = _item_sums(paired)
    k = t.size
    res = inference.bounded_mean_test(t, float(bound), -NO_SIGNALLING_BOUND,
                                      NO_SIGNALLING_BOUND)
    return {"test": "likelihood ratio test on per-item CHSH sums (paired items, one-sided)",
            "S": float(np.mean(t)), "se": res["se"], "z": res["z"], "p_value": res["p_value"],
            "bound": float(bound), "n": k, "warning": _approximate(k)}


def item_interval(prods: Sequence[np.ndarray], paired: np.ndarray | None,
                  level: float = 0.95) -> tuple[float, float]:
    """Interval of S over items that inverts the item test: of :func:`paired_z_test` when the
    pairs share items (``paired`` (4, K)), else of :func:`item_z_test` (``prods``: the four
    pairs' products).  Never a point, within [-4, 4]; covers at 30 items also near perfect
    accuracy, where the percentile bootstrap collapses to [2, 2] (``tests/test_inference.py``).
    """
    if paired is not None:
        return inference.bounded_mean_interval(_item_sums(paired), -NO_SIGNALLING_BOUND,
                                               NO_SIGNALLING_BOUND, level)
    k = np.array([np.count_nonzero(p > 0) for p in prods], dtype=np.float64)
    n = np.array([p.size for p in prods], dtype=np.float64)
    return inference.binomial_sum_interval(k, n, CHSH_SIGNS.ravel(), level)


# --------------------------------------------------------------------------------------------
# Full score
# --------------------------------------------------------------------------------------------


def _frozen(x: Any, dtype: Any = np.float64) -> np.ndarray:
    arr = np.array(x, dtype=dtype)
    arr.setflags(write=False)
    return arr


def _plain(x: Any) -> Any:
    """Recursively convert numpy scalars/arrays to plain python types."""
    if isinstance(x, dict):
        return {k: _plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    if isinstance(x, np.ndarray):
        return x.tolist()
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.floating):
        return float(x)
    return x


@dataclass(frozen=True, eq=False)
class ChshScore:
    """CHSH result for one set of four setting pairs.

    ``C`` (2, 2) correlators; ``S``; ``ci`` (lo, hi) bootstrap CI of S; ``test`` dict of a
    one-sided test of S > 2; ``n_items`` (2, 2) ints; ``acc_a``/``acc_b`` (2, 2) accuracies
    P(+1) per pair; ``gap_a``/``gap_b`` (2,) signalling gaps; ``c_product`` (2, 2)
    product-of-marginals prediction and ``s_product`` its S; ``scheme`` how items were
    resampled (:data:`PAIRED_SCHEME` or :data:`INDEPENDENT_SCHEME`) and ``ci_units`` the
    number of independent items the CI rests on (shared items for the paired scheme, the
    smallest pair otherwise).  ``ci`` inverts the item test (:func:`item_interval`);
    ``ci_bootstrap`` is the percentile bootstrap over items beside it (it collapses to a
    point where the items show no spread).  ``warning``: one line naming K when the items are
    fewer than :data:`FEW_ITEMS`, else None.  Arrays are read-only.
    """

    C: np.ndarray
    S: float
    ci: tuple[float, float]
    test: dict[str, Any]
    n_items: np.ndarray
    acc_a: np.ndarray
    acc_b: np.ndarray
    gap_a: np.ndarray
    gap_b: np.ndarray
    c_product: np.ndarray
    s_product: float
    scheme: str = INDEPENDENT_SCHEME
    ci_units: int = 0
    level: float = 0.95
    ci_bootstrap: tuple[float, float] | None = None
    warning: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable dict of plain python floats/ints/lists (NaN/inf kept as floats)."""
        return {
            "C": self.C.tolist(),
            "S": float(self.S),
            "ci": [float(self.ci[0]), float(self.ci[1])],
            "ci_level": float(self.level),
            "ci_method": "inverted item test",
            "ci_bootstrap": None if self.ci_bootstrap is None else [float(v) for v in
                                                                   self.ci_bootstrap],
            "warning": self.warning,
            "scheme": self.scheme,
            "ci_units": int(self.ci_units),
            "test": _plain(dict(self.test)),
            "n_items": [[int(v) for v in row] for row in self.n_items],
            "acc_A": self.acc_a.tolist(),
            "acc_B": self.acc_b.tolist(),
            "signalling_gap_A": self.gap_a.tolist(),
            "signalling_gap_B": self.gap_b.tolist(),
            "C_product": self.c_product.tolist(),
            "S_product": float(self.s_product),
            "bounds": {
                "local": LOCAL_BOUND,
                "tsirelson": TSIRELSON_BOUND,
                "no_signalling": NO_SIGNALLING_BOUND,
            },
        }


def score_items(
    a_items: Sequence[Any],
    b_items: Sequence[Any],
    n_boot: int = 10_000,
    level: float = 0.95,
    seed: int = 0,
    items: Sequence[Any] | None = None,
) -> ChshScore:
    """Score four pair-samples (same input as :func:`item_bootstrap_s`).

    With ``items`` ids shared by all four pairs: paired scheme (joint item bootstrap,
    :func:`paired_z_test`); otherwise independent pairs (stratified bootstrap,
    :func:`item_z_test`).  Raises ``ValueError`` naming the pair if a pair is empty, its A and
    B lengths differ, an id repeats within a pair or ids are shared by only some pairs.

    >>> r = score_items([[1, 1]] * 4, [[1, 1], [1, 1], [1, 1], [-1, -1]], n_boot=100)
    >>> r.S, r.scheme
    (4.0, 'independent-pairs')
    """
    _check_level(level, n_boot)
    prods = _pair_items(a_items, b_items)  # validate before computing anything
    paired = paired_products(prods, items)
    c = np.empty((2, 2))
    n_items = np.empty((2, 2), dtype=np.int64)
    acc_a = np.empty((2, 2))
    acc_b = np.empty((2, 2))
    for (i, j), a, b in zip(PAIRS, a_items, b_items, strict=True):
        a = as_pm1(a).ravel()
        b = as_pm1(b).ravel()
        c[i - 1, j - 1] = np.mean(a * b)
        n_items[i - 1, j - 1] = a.size
        acc_a[i - 1, j - 1] = np.mean(a > 0)
        acc_b[i - 1, j - 1] = np.mean(b > 0)
    gap_a, gap_b = signalling_gap(acc_a, acc_b)
    c_prod = product_prediction(acc_a, acc_b)
    ci_boot = _bootstrap_s(prods, paired, n_boot, level, seed)
    ci = item_interval(prods, paired, level)
    if paired is not None:
        test, scheme, units = paired_z_test(paired), PAIRED_SCHEME, paired.shape[1]
    else:
        test = item_z_test(c, n_items, bound=LOCAL_BOUND)
        scheme, units = INDEPENDENT_SCHEME, int(n_items.min())
    return ChshScore(
        C=_frozen(c),
        S=float(chsh_value(c)),
        ci=ci,
        test=test,
        n_items=_frozen(n_items, dtype=np.int64),
        acc_a=_frozen(acc_a),
        acc_b=_frozen(acc_b),
        gap_a=_frozen(gap_a),
        gap_b=_frozen(gap_b),
        c_product=_frozen(c_prod),
        s_product=float(chsh_value(c_prod)),
        scheme=scheme,
        ci_units=units,
        level=level,
        ci_bootstrap=ci_boot,
        warning=test["warning"],
    )


_NUMBER_TYPES = (bool, np.bool_, int, float, np.number)


def missing_columns(df: Any) -> str | None:
    """The one-line problem of an outcome table (a DataFrame) that lacks any of the columns
    ``i``, ``j``, ``A``, ``B``, naming the columns it has (the first 12); None if complete."""
    missing = [col for col in ("i", "j", "A", "B") if col not in df.columns]
    if not missing:
        return None
    found = [str(col) for col in df.columns[:12]] + (["..."] if df.shape[1] > 12 else [])
    return (f"missing column(s) {missing}; required columns are i, j, A, B (and optionally "
            f"item); found {found}")


def score_table(df: Any, *, n_boot: int = 10_000, level: float = 0.95, seed: int = 0) -> ChshScore:
    """Score a long table of outcomes.

    ``df``: pandas DataFrame with columns ``i``, ``j`` (setting, each in {1, 2}) and ``A``,
    ``B`` (outcomes as +-1, 1/0 or bool for correct/incorrect), one row per item; rows of the
    same (i, j) are the items of that pair, A and B on the same row paired.  An optional
    ``item`` column names each row's test item: when all four pairs hold the same ids they
    are resampled jointly (paired scheme); ids unique to each pair keep pairs independent.
    Raises a one-line ``ValueError`` naming the bad value and what is allowed for missing
    columns, settings outside {1, 2}, bad outcome values, a missing pair, missing item ids,
    duplicate (i, j, item) rows, or ids shared by only some pairs.
    """
    import pandas as pd

    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"score_table: expected a pandas DataFrame; got {type(df).__name__}")
    problem = missing_columns(df)
    if problem:
        raise ValueError(f"score_table: {problem}")

    settings = {}
    for col in ("i", "j"):
        vals = df[col].to_numpy(dtype=object)
        ok = np.array(
            [
                not isinstance(v, (str, bytes, bool, np.bool_))
                and isinstance(v, (int, float, np.integer, np.floating))
                and v in (1, 2)
                for v in vals
            ],
            dtype=bool,
        )
        if not ok.all():
            raise ValueError(
                f"score_table: column {col!r} has invalid setting value(s) "
                f"{_fmt_values(vals[~ok])}; allowed values are 1 and 2"
            )
        settings[col] = np.asarray(vals, dtype=np.float64).astype(np.int64)

    outcomes = {}
    for col in ("A", "B"):
        s = df[col]
        if not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)):
            non_num = [v for v in s.to_numpy(dtype=object) if not isinstance(v, _NUMBER_TYPES)]
            if non_num:
                raise ValueError(
                    f"score_table: column {col!r} has non-numeric outcome value(s) "
                    f"{_fmt_values(np.asarray(non_num, dtype=object))}; "
                    "allowed are +1/-1, 1/0 or bool"
                )
        try:
            outcomes[col] = as_pm1(s.to_numpy(dtype=np.float64, na_value=np.nan))
        except ValueError as err:
            msg = str(err).removeprefix("as_pm1: ")
            raise ValueError(f"score_table: column {col!r}: {msg}") from None

    item_ids = None
    if "item" in df.columns:
        col = df["item"]
        if col.isna().any():
            rows = np.flatnonzero(col.isna().to_numpy())[:5].tolist()
            raise ValueError(
                f"score_table: column 'item' has missing values (rows {rows}); give every row "
                "an item id or drop the column"
            )
        item_ids = col.to_numpy()
        if item_ids.dtype == object:
            item_ids = item_ids.astype(str)

    a_items, b_items, pair_ids = [], [], []
    for i, j in PAIRS:
        mask = (settings["i"] == i) & (settings["j"] == j)
        if not mask.any():
            raise ValueError(
                f"score_table: no rows for pair (i={i}, j={j}); all four pairs "
                "(1,1), (1,2), (2,1), (2,2) are required"
            )
        a_items.append(outcomes["A"][mask])
        b_items.append(outcomes["B"][mask])
        if item_ids is not None:
            pair_ids.append(item_ids[mask])
    try:
        return score_items(a_items, b_items, n_boot=n_boot, level=level, seed=seed,
                           items=pair_ids if item_ids is not None else None)
    except ValueError as err:
        raise ValueError(f"score_table: {err}") from None


def pm_string(outcomes: Any) -> str:
    """±1 outcomes (1-D) as a compact string, '+' for +1 and '-' for -1 (how stores keep them)."""
    return pm_strings(np.asarray(outcomes).ravel()).item()


def pm_strings(outcomes: Any) -> np.ndarray:
    """:func:`pm_string` of every 1-D slice along the last axis at once: ``outcomes`` shape
    ``(..., N)`` -> an object array of shape ``(...)`` of N-character strings.

    >>> pm_strings([[1, -1], [-1, -1]]).tolist()
    ['+-', '--']
    """
    arr = np.asarray(outcomes)
    n = arr.shape[-1]
    text = np.where(arr > 0, ord("+"), ord("-")).astype(np.uint8).tobytes().decode()
    count = int(np.prod(arr.shape[:-1]))
    flat = [text[k * n:(k + 1) * n] for k in range(count)]
    out = np.empty(count, dtype=object)
    out[:] = flat
    return out.reshape(arr.shape[:-1])


def from_pm_string(text: str) -> np.ndarray:
    """Inverse of :func:`pm_string`: int array of +1 / -1."""
    return np.where(np.frombuffer(text.encode(), dtype=np.uint8) == ord("+"), 1, -1)


# --------------------------------------------------------------------------------------------
# The CHSH row: the one place its columns are named
# --------------------------------------------------------------------------------------------


def pair_correlators(a_items: Sequence[Any], b_items: Sequence[Any]) -> np.ndarray:
    """Correlators (2, 2) of four pair-samples in :data:`PAIRS` order, each pair with its own
    number of items (as :func:`score_items` takes them).

    >>> pair_correlators([[1, 1], [1, -1], [1], [-1, -1]], [[1, 1], [1, 1], [1], [1, 1]])
    array([[ 1.,  0.],
           [ 1., -1.]])
    """
    c = np.empty((2, 2))
    for (i, j), a, b in zip(PAIRS, a_items, b_items, strict=True):
        c[i - 1, j - 1] = np.mean(as_pm1(a).ravel() * as_pm1(b).ravel())
    return c


def chsh_row(c: Any, acc_a: Any = None, acc_b: Any = None, *, suffix: str = "",
             c_product: bool = False) -> dict[str, float]:
    """The CHSH columns of one row: ``C11 .. C22`` and ``S`` (each name + ``suffix``); with the
    accuracies (2, 2) also ``acc_A{i}_B{j}`` / ``acc_B{j}_A{i}`` (head on its own task i / j in
    pair model (i, j)), the signalling gaps ``gap_A{t}``, ``gap_B{t}``, with ``c_product`` the
    product-of-marginals correlators ``C{i}{j}_product``, and ``S_product``.

    >>> chsh_row([[1, 0.5], [0.5, 0]])
    {'C11': 1.0, 'C12': 0.5, 'C21': 0.5, 'C22': 0.0, 'S': 2.0}
    """
    c = np.asarray(c, dtype=np.float64)
    return _row(c, float(chsh_value(c)), acc_a, acc_b, suffix, c_product)


def chsh_rows(a: Any, b: Any, *, suffix: str = "", accuracies: bool = True) -> list[dict]:
    """:func:`chsh_row` of every run from outcomes ``(R, 2, 2, N)``; ``accuracies=False`` keeps
    only the C's and S."""
    c = correlators(a, b)
    s = chsh_value(c)
    acc_a, acc_b = marginals(a, b) if accuracies else (None, None)
    return [_row(c[r], float(s[r]), None if acc_a is None else acc_a[r],
                 None if acc_b is None else acc_b[r], suffix, False)
            for r in range(c.shape[0])]


def c_column(i: int, j: int, suffix: str = "") -> str:
    """Name of correlator C_ij's column in a CHSH row (``C12``, ``C12_joint``, ``C12_product``).

    >>> c_column(1, 2), c_column(2, 2, "_product")
    ('C12', 'C22_product')
    """
    return f"C{i}{j}{suffix}"


def acc_columns(i: int, j: int) -> tuple[str, str]:
    """Names of Alice's and Bob's accuracy columns in pair model (i, j): Alice on her task i
    beside Bob's task j, and Bob on his task j beside Alice's task i.

    >>> acc_columns(2, 1)
    ('acc_A2_B1', 'acc_B1_A2')
    """
    return f"acc_A{i}_B{j}", f"acc_B{j}_A{i}"


def gap_columns(t: int) -> tuple[str, str]:
    """Names of the signalling-gap columns of Alice's and Bob's task ``t``.

    >>> gap_columns(2)
    ('gap_A2', 'gap_B2')
    """
    return f"gap_A{t}", f"gap_B{t}"


def _row(c: np.ndarray, s: float, acc_a: Any, acc_b: Any, suffix: str,
         c_product: bool) -> dict[str, float]:
    row = {c_column(i, j, suffix): float(c[i - 1, j - 1]) for i, j in PAIRS}
    row[f"S{suffix}"] = s
    if acc_a is None or acc_b is None:
        return row
    acc_a = np.asarray(acc_a, dtype=np.float64)
    acc_b = np.asarray(acc_b, dtype=np.float64)
    for i, j in PAIRS:
        name_a, name_b = acc_columns(i, j)
        row[name_a] = float(acc_a[i - 1, j - 1])
        row[name_b] = float(acc_b[i - 1, j - 1])
    gap_a, gap_b = signalling_gap(acc_a, acc_b)
    for t in (1, 2):
        name_a, name_b = gap_columns(t)
        row[name_a] = float(gap_a[t - 1])
        row[name_b] = float(gap_b[t - 1])
    prod = product_prediction(acc_a, acc_b)
    if c_product:
        for i, j in PAIRS:
            row[c_column(i, j, "_product")] = float(prod[i - 1, j - 1])
    row["S_product"] = float(chsh_value(prod))
    return row


# --------------------------------------------------------------------------------------------
# Many bootstrap CIs of the same runs: the resamples are drawn once
# --------------------------------------------------------------------------------------------

_SHARED_INDEX_ELEMENTS = 4_000_000  # largest resample index kept for reuse (int64: 32 MB)


def _shared_index(n: int, n_boot: int, seed: int) -> list[np.ndarray]:
    """The resample index chunks :func:`bootstrap_ci` draws for ``n`` values (same generator,
    same chunks), kept for the next call with the same ``(n, n_boot, seed)``."""
    key = (n, n_boot, seed)
    if key not in _INDEX_CACHE:
        rng = np.random.default_rng(seed)
        chunk = max(1, _CHUNK_ELEMENTS // n)
        _INDEX_CACHE.clear()
        _INDEX_CACHE[key] = [rng.integers(0, n, size=(min(chunk, n_boot - start), n))
                             for start in range(0, n_boot, chunk)]
    return _INDEX_CACHE[key]


_INDEX_CACHE: dict[tuple[int, int, int], list[np.ndarray]] = {}


def bootstrap_mean_ci(values: Any, n_boot: int = 10_000, level: float = 0.95,
                      seed: int = 0) -> tuple[float, float]:
    """``bootstrap_ci(values, np.mean, n_boot, level, seed)`` for 1-D ``values``, to the last
    bit, with the resample index drawn once and reused by later calls on as many values (a
    summary takes CIs of dozens of columns over the same runs).

    >>> v = np.arange(10.0)
    >>> bootstrap_mean_ci(v, n_boot=500) == bootstrap_ci(v, n_boot=500)
    True
    """
    vals = np.asarray(values, dtype=np.float64)
    n = vals.shape[0] if vals.ndim == 1 else 0
    if n < 2 or int(n_boot) * n > _SHARED_INDEX_ELEMENTS:
        return bootstrap_ci(vals, n_boot=n_boot, level=level, seed=seed)
    _check_level(level, n_boot)
    boot = np.concatenate([np.mean(vals[idx], axis=1)
                           for idx in _shared_index(n, int(n_boot), seed)])
    return _percentile_ci(boot, level)


def bootstrap_mean_cis(columns: Any, n_boot: int = 10_000, level: float = 0.95,
                       seed: int = 0) -> list[tuple[float, float]]:
    """Percentile-bootstrap CIs of the mean of every column of ``columns`` (shape ``(n, m)``:
    ``n`` runs, ``m`` quantities; 1-D is one column), all from one set of resamples: the index
    :func:`bootstrap_ci` draws for ``n`` values with this ``seed``. Column ``c``'s CI is
    ``bootstrap_ci(columns[:, c], n_boot=n_boot, level=level, seed=seed)``: to the last bit
    while ``n * n_boot`` <= 4e6 (:func:`bootstrap_mean_ci`), beyond that up to rounding in the
    resample means, which come from resample counts (a matrix product) instead of gathering
    ``n_boot * n * m`` values. Returns ``m`` pairs ``(lo, hi)``.

    >>> x = np.random.default_rng(1).normal(size=(3000, 2))
    >>> got = bootstrap_mean_cis(x, n_boot=2000)
    >>> ref = [bootstrap_ci(x[:, c], n_boot=2000) for c in range(2)]
    >>> bool(np.allclose(got, ref, rtol=0, atol=1e-12))
    True
    """
    vals = np.asarray(columns, dtype=np.float64)
    if vals.ndim == 1:
        vals = vals[:, None]
    if vals.ndim != 2 or vals.shape[0] == 0:
        raise ValueError(f"bootstrap_mean_cis: columns must be (n, m) with n >= 1; got shape "
                         f"{vals.shape}")
    _check_level(level, n_boot)
    n, m = vals.shape
    n_boot = int(n_boot)
    if n < 2 or n_boot * n <= _SHARED_INDEX_ELEMENTS:
        return [bootstrap_mean_ci(vals[:, c], n_boot, level, seed) for c in range(m)]
    rng = np.random.default_rng(seed)
    chunk = max(1, _CHUNK_ELEMENTS // n)  # the chunks bootstrap_ci draws, in the same order
    parts = []
    for start in range(0, n_boot, chunk):
        rows = min(chunk, n_boot - start)
        idx = rng.integers(0, n, size=(rows, n))
        idx += (np.arange(rows) * n)[:, None]
        counts = np.bincount(idx.ravel(), minlength=rows * n).reshape(rows, n)
        parts.append(counts.astype(np.float64) @ vals / n)
    boot = np.concatenate(parts)
    return [_percentile_ci(boot[:, c], level) for c in range(m)]
