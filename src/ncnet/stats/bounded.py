"""Small-sample tests and intervals for means of bounded outcomes (numpy + scipy only).

Nothing here knows a Bell expression: callers pass per-unit values and their possible range
(:func:`bounded_mean_test`), or success counts with the weights of a linear combination
(:func:`binomial_sum_test`). Both are **score tests**: the standard error is taken from the
distribution closest to the data (maximum likelihood) that satisfies the null value, not from
the data themselves. That is what keeps them honest where plug-in standard errors fail:

- a sample with no spread (every item at T = 4) still has a null distribution with spread, so
  p is never 0 and the interval is never a point;
- a pair whose correlator is estimated at exactly ±1 still contributes variance;
- at 30–60 items the size of the one-sided test stays close to its nominal level (the plug-in
  z-test's size was 0.076–0.088 at K = 30; see ``tests/test_inference.py``).

The restricted maximum-likelihood distribution of :func:`bounded_mean_test` is the empirical
likelihood solution (Owen 2001, ch. 2) extended to the variable's whole range: when the
observed values cannot reach the null mean, the missing mass sits at the range's end (the
distribution that makes the observed sample most likely under the null). With every value at
the upper end ``hi`` this is the two-point law of Markov's worst case. :func:`binomial_sum_test`
is the score test for a linear combination of independent binomial proportions (the
constrained MLE of each proportion, as in Miettinen & Nurminen 1985 for a difference).

Intervals invert the same tests (the set of null values a two-sided test at ``1 - level``
keeps), so a CI that excludes the bound and the test agree.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = [
    "bounded_mean_test",
    "bounded_mean_interval",
    "binomial_sum_test",
    "binomial_sum_interval",
]

_EPS = 1e-12


def _t_sf(z: float, df: float) -> float:
    """Upper tail of Student t (normal for ``df = inf``)."""
    from scipy import special

    if math.isinf(df):
        return float(special.ndtr(-z))
    return float(special.stdtr(df, -z))


def _t_ppf(q: float, df: float) -> float:
    from scipy import special

    if math.isinf(df):
        return float(special.ndtri(q))
    return float(special.stdtrit(df, q))


def _brentq(f: Any, a: float, b: float) -> float:
    from scipy.optimize import brentq

    return float(brentq(f, a, b, xtol=1e-14, rtol=4 * np.finfo(float).eps, maxiter=200))


# --------------------------------------------------------------------------------------------
# The mean of a bounded variable (paired items: per-item sums; runs)
# --------------------------------------------------------------------------------------------


def _counts(values: Any) -> tuple[np.ndarray, np.ndarray]:
    vals = np.asarray(values, dtype=np.float64).ravel()
    if vals.size == 0:
        raise ValueError("bounded_mean_test: no values")
    if not np.all(np.isfinite(vals)):
        raise ValueError("bounded_mean_test: values must be finite")
    uniq, counts = np.unique(vals, return_counts=True)
    return uniq, counts.astype(np.float64)


def _null_weights(uniq: np.ndarray, counts: np.ndarray, m0: float, lo: float,
                  hi: float) -> tuple[np.ndarray, float, float]:
    """The distribution of largest likelihood with mean ``m0`` on ``[lo, hi]``: weights of the
    observed values ``uniq`` and the mass put at the end point ``end`` (0 if none)."""
    k = counts.sum()
    mean = float(counts @ uniq / k)
    d = uniq - m0
    if abs(mean - m0) <= _EPS * max(1.0, abs(m0)):
        return counts / k, 0.0, m0
    end = lo if mean > m0 else hi
    # interior (empirical-likelihood) solution w = n / (K (1 + lam d)) while 1 + lam (end - m0)
    # stays >= 0; beyond it, the end point takes the missing mass
    lam_edge = 1.0 / (m0 - end)  # positive when mean > m0, negative otherwise

    def g(lam: float) -> float:
        return float(np.sum(counts * d / (1.0 + lam * d)))

    # an observed value at the end point makes g infinite at lam_edge: stop just short of it
    edge = lam_edge * (1.0 - 1e-12)
    if g(edge) * g(0.0) < 0.0:
        lam = _brentq(g, 0.0, edge) if edge > 0 else _brentq(g, edge, 0.0)
        return counts / (k * (1.0 + lam * d)), 0.0, end
    w = counts / k * (m0 - end) / (uniq - end)
    return w, max(0.0, 1.0 - float(w.sum())), end


def _bounded_statistic(uniq: np.ndarray, counts: np.ndarray, m0: float, lo: float,
                       hi: float) -> tuple[float, float, float]:
    """``(stat, r, se0)`` of the test of mean ``m0``: ``r`` the signed root of the likelihood
    ratio statistic, ``se0`` the standard error under the most likely null law, and ``stat``
    the statistic the test refers to Student t: ``r``, or where no observed value lies on the
    null's far side (so the null law rests on mass at the range's end, a value never
    observed), the smaller in size of ``r`` and the score statistic ``(mean - m0) / se0``, the
    more cautious of the two."""
    k = float(counts.sum())
    mean = float(counts @ uniq / k)
    if abs(mean - m0) <= _EPS * (hi - lo):  # the data's own law has the null mean
        return 0.0, 0.0, math.sqrt(float(counts @ (uniq - m0) ** 2) / k / k)
    w, w_end, end = _null_weights(uniq, counts, m0, lo, hi)
    var0 = float(w @ (uniq - m0) ** 2 + w_end * (end - m0) ** 2)
    se0 = math.sqrt(var0 / k)
    with np.errstate(divide="ignore"):
        llr = -2.0 * float(np.sum(counts * np.log(np.maximum(k * w, 1e-300) / counts)))
    r = math.copysign(math.sqrt(max(llr, 0.0)), mean - m0)
    far_side = uniq[0] < m0 if mean > m0 else uniq[-1] > m0
    if far_side:
        return r, r, se0
    score = (mean - m0) / se0 if se0 > 0 else math.copysign(math.inf, mean - m0)
    return (r if abs(r) <= abs(score) else score), r, se0


def bounded_mean_test(values: Any, null: float, lo: float, hi: float) -> dict[str, Any]:
    """One-sided test of ``mean > null`` for K i.i.d. values known to lie in ``[lo, hi]``.

    ``values``: 1-D, the independent units (items' per-item sums, or runs' S). The test is the
    empirical likelihood ratio test of the mean (Owen 2001) with the null law allowed to put
    mass at the range's ends, its signed root referred to Student t with ``K - 1`` degrees of
    freedom; where the null law needs such mass (the sample holds no value on the null's far
    side), the score statistic is used when it is the smaller, so p never rests on an
    unobserved value alone. p is never 0 for ``lo < null < hi``, also for a sample without
    spread. Returns ``{"test", "mean", "se", "z", "p_value", "bound", "n"}``; ``se`` is the
    standard error under the most likely null law, ``z`` the statistic referred to t.

    Sizes at S = 2 (one-sided 5%, per-item CHSH sums on [-4, 4], 4,000 repetitions):
    0.042-0.057 at K = 30, 60, 150 for the distributions of scripts/item_test_sizes.py (see
    ``tests/test_inference.py``). Every one of K = 8 items at T = 4 with null 2: the null law
    is 4 w.p. 3/4 and -4 w.p. 1/4 (Markov's worst case), var0 = 12, and p is 0.07, not 0:

    >>> t = bounded_mean_test([4.0] * 8, 2.0, -4.0, 4.0)
    >>> round(t["se"] ** 2 * 8, 6), round(t["p_value"], 3)
    (12.0, 0.073)
    """
    if not lo < hi:
        raise ValueError(f"bounded_mean_test: need lo < hi; got [{lo}, {hi}]")
    uniq, counts = _counts(values)
    if uniq[0] < lo - 1e-9 or uniq[-1] > hi + 1e-9:
        raise ValueError(f"bounded_mean_test: values outside [{lo}, {hi}]")
    k = float(counts.sum())
    mean = float(counts @ uniq / k)
    out: dict[str, Any] = {"test": "likelihood ratio test of a bounded mean (one-sided)",
                           "mean": mean, "se": math.nan, "z": math.nan, "p_value": math.nan,
                           "bound": float(null), "n": int(k)}
    if null <= lo or null >= hi:  # the null is the range's end: no spread can be had
        out["p_value"] = 1.0 if mean <= null else 0.0
        return out
    if k < 2:
        return out
    stat, _, se0 = _bounded_statistic(uniq, counts, float(null), float(lo), float(hi))
    out.update(se=se0, z=stat, p_value=_t_sf(stat, k - 1.0))
    return out


def bounded_mean_interval(values: Any, lo: float, hi: float,
                          level: float = 0.95) -> tuple[float, float]:
    """Two-sided interval of the mean of values in ``[lo, hi]``: the null values that the test
    of :func:`bounded_mean_test` keeps at ``1 - level`` (two-sided). Never a point for
    ``K >= 2``; within ``[lo, hi]``; ``(lo, hi)`` for ``K < 2``.

    >>> lo, hi = bounded_mean_interval([4.0] * 8, -4.0, 4.0)
    >>> 0.5 < lo < 3.5, hi
    (True, 4.0)
    """
    uniq, counts = _counts(values)
    k = float(counts.sum())
    mean = float(counts @ uniq / k)
    if k < 2:
        return float(lo), float(hi)
    crit = _t_ppf(0.5 + level / 2.0, k - 1.0)
    span = hi - lo
    eps = 1e-7 * span

    def excess(m0: float) -> float:
        stat, _, _ = _bounded_statistic(uniq, counts, m0, lo, hi)
        return abs(stat) - crit

    lower = float(lo) if excess(lo + eps) <= 0 else _brentq(excess, lo + eps,
                                                           min(mean, hi - eps))
    upper = float(hi) if excess(hi - eps) <= 0 else _brentq(excess, max(mean, lo + eps),
                                                           hi - eps)
    return lower, upper


# --------------------------------------------------------------------------------------------
# A linear combination of independent proportions (independent pairs)
# --------------------------------------------------------------------------------------------


def _tilted_p(phat: np.ndarray, n: np.ndarray, a: np.ndarray) -> np.ndarray:
    """The MLE of each proportion under the Lagrange tilt ``a = 2 gamma w``: the root of
    ``n (phat - p) = a p (1 - p)`` in [0, phat] for ``a > 0`` (the smaller root of the
    quadratic) and in [phat, 1] for ``a < 0`` (its positive root); ``p = phat`` at ``a = 0``."""
    out = phat.copy()
    nz = np.abs(a) > 1e-300
    a, n_, ph = a[nz], n[nz], phat[nz]
    b = -(a + n_)
    disc = np.sqrt(np.maximum(b * b - 4.0 * a * n_ * ph, 0.0))
    q = -0.5 * (b + np.copysign(disc, b))  # stable: roots q / a and c / q, c = n phat
    with np.errstate(divide="ignore", invalid="ignore"):
        r1 = q / a
        r2 = np.where(q != 0, n_ * ph / q, 0.0)
    root = np.where(a > 0, np.minimum(r1, r2), np.maximum(r1, r2))
    out[nz] = np.clip(root, 0.0, 1.0)
    return out


def _restricted_p(k: np.ndarray, n: np.ndarray, w: np.ndarray, m0: float) -> np.ndarray:
    """Proportions of largest likelihood with ``sum w (2 p - 1) = m0``."""
    phat = k / n

    def value(gamma: float) -> float:
        return float(w @ (2.0 * _tilted_p(phat, n, 2.0 * gamma * w) - 1.0)) - m0

    v0 = value(0.0)
    if abs(v0) <= 1e-15:
        return phat
    step = float(n.max())
    a, b = (0.0, step) if v0 > 0 else (-step, 0.0)
    while value(a) * value(b) > 0:
        if max(abs(a), abs(b)) > 1e15 * step:  # m0 lies (numerically) at the range's end
            return _tilted_p(phat, n, 2.0 * (b if v0 > 0 else a) * w)
        if v0 > 0:
            b *= 4.0
        else:
            a *= 4.0
    gamma = _brentq(value, a, b)
    return _tilted_p(phat, n, 2.0 * gamma * w)


def _binomial_inputs(k: Any, n: Any, weights: Any) -> tuple[np.ndarray, ...]:
    k = np.asarray(k, dtype=np.float64).ravel()
    n = np.asarray(n, dtype=np.float64).ravel()
    w = np.asarray(weights, dtype=np.float64).ravel()
    if not k.shape == n.shape == w.shape or k.size == 0:
        raise ValueError("binomial_sum_test: k, n and weights need the same non-zero length")
    if np.any(n < 1) or np.any(k < 0) or np.any(k > n):
        raise ValueError("binomial_sum_test: need 0 <= k <= n and n >= 1")
    return k, n, w


def binomial_sum_test(k: Any, n: Any, weights: Any, null: float,
                      df: float = math.inf) -> dict[str, Any]:
    """One-sided score test of ``V > null`` for ``V = sum_q w_q (2 p_q - 1)``, ``p_q`` the
    success probability of independent group ``q`` with ``k_q`` successes in ``n_q`` trials
    (a correlator is ``2p - 1``, p the share of items with A·B = +1).

    The variance ``sum w^2 (1 - C~^2) / n`` is taken at the proportions of largest likelihood
    with ``V = null`` (so a group at ``k = n`` still counts); ``z`` is referred to Student t with
    ``df`` degrees of freedom (normal by default). Returns ``{"test", "S", "se", "z",
    "p_value", "bound", "n"}`` (``n``: the smallest group).

    Four pairs of 8 items, S = 4 (C11 = C12 = C21 = 1, C22 = -1): at the null S = 2 each
    correlator is +-0.5, and p is small but not 0.

    >>> t = binomial_sum_test([8, 8, 8, 0], [8] * 4, [1, 1, 1, -1], 2.0)
    >>> round(t["se"] ** 2, 6), t["p_value"] < 0.001
    (0.375, True)
    """
    k, n, w = _binomial_inputs(k, n, weights)
    value = float(w @ (2.0 * k / n - 1.0))
    total = float(np.abs(w).sum())
    out: dict[str, Any] = {"test": "score test of a sum of correlators (independent pairs, "
                           "one-sided)", "S": value, "se": math.nan, "z": math.nan,
                           "p_value": math.nan, "bound": float(null), "n": int(n.min())}
    if not -total < null < total:
        out["p_value"] = 1.0 if value <= null else 0.0
        return out
    p0 = _restricted_p(k, n, w, float(null))
    c0 = 2.0 * p0 - 1.0
    se = math.sqrt(float(np.sum(w**2 * (1.0 - c0**2) / n)))
    z = (value - null) / se if se > 0 else 0.0
    out.update(se=se, z=z, p_value=_t_sf(z, df))
    return out


def binomial_sum_interval(k: Any, n: Any, weights: Any, level: float = 0.95,
                          df: float = math.inf) -> tuple[float, float]:
    """Two-sided interval of ``V = sum w (2 p - 1)``: the null values the score test of
    :func:`binomial_sum_test` keeps at ``1 - level``. Within ``[-sum|w|, sum|w|]``; never a
    point while any group has trials.

    >>> lo, hi = binomial_sum_interval([30, 30, 30, 0], [30] * 4, [1, 1, 1, -1])
    >>> 3.6 < lo < 3.9, hi
    (True, 4.0)
    """
    k, n, w = _binomial_inputs(k, n, weights)
    value = float(w @ (2.0 * k / n - 1.0))
    total = float(np.abs(w).sum())
    crit = _t_ppf(0.5 + level / 2.0, df)
    eps = 1e-7 * total  # the ends themselves are degenerate (no variance): stop short of them

    def excess(m0: float) -> float:
        if abs(value - m0) <= _EPS * total:
            return -crit
        p0 = _restricted_p(k, n, w, m0)
        c0 = 2.0 * p0 - 1.0
        se = math.sqrt(float(np.sum(w**2 * (1.0 - c0**2) / n)))
        if se == 0.0:  # m0 within rounding of an end
            return -crit if abs(value - m0) <= 1e-6 * total else math.inf
        return abs(value - m0) / se - crit

    lower = -total if excess(-total + eps) <= 0 else _brentq(
        excess, -total + eps, min(value, total - eps))
    upper = total if excess(total - eps) <= 0 else _brentq(
        excess, max(value, -total + eps), total - eps)
    return lower, upper
