"""The value of any Bell expression on outcomes of pair models, with its statistics.

Data: for each setting pair (x, y), x = 1..m_A, y = 1..m_B, one sample of items with Alice's
±1 outcome ``a`` and Bob's ``b`` (pair model (x, y) on its test items). Each pair gives its
correlator C_xy = mean(a b) and its own marginals <A_x>_y = mean(a), <B_y>_x = mean(b).
Where the models signal, <A_x>_y differs across y; the value then uses the
**partner-averaged** marginals <A_x> = mean_y <A_x>_y and <B_y> = mean_x <B_y>_x:

    V = F00 + Σ_x F[x,0] <A_x> + Σ_y F[0,y] <B_y> + Σ_xy F[x,y] C_xy

(:meth:`ncnet.bell.BellExpression.value`; a CG expression is mapped to FC first and never
evaluated pair by pair). Beside V: the spread of each setting's accuracy over its partner
settings (max - min) and the signalling gaps against partner setting 1, each with a CI.

Intervals and the test of V > local bound, by design of the data:

- **paired items** (every pair holds the same item ids): the per-item sums

      T_k = F00 + Σ_x F[x,0] (1/m_B) Σ_y a[x,y,k] + Σ_y F[0,y] (1/m_A) Σ_x b[x,y,k]
            + Σ_xy F[x,y] a[x,y,k] b[x,y,k]

  are independent over items k and mean_k T_k = V exactly (the marginal terms use item k's
  outcome averaged over the partner settings). T_k lies in [T_min, T_max], the exact range
  of T over all ±1 outcomes (:func:`item_sum_range`); the test and interval are
  :func:`ncnet.stats.bounded.bounded_mean_test` / ``bounded_mean_interval`` on the T_k.
- **independent pairs** (no id shared by two pairs), correlator-only expressions: V - F00 =
  Σ F_xy (2 p_xy - 1) with p_xy the share of items with a b = +1, a weighted sum of
  independent proportions: :func:`ncnet.stats.bounded.binomial_sum_test` / ``_interval``.
  With marginal terms the independent scheme is refused (:class:`BellInputError`): the pair
  contributions are then means of three-valued per-item values whose small-sample score
  test is not implemented; give shared item ids.

CHSH is the 2 x 2 case of this module: :func:`ncnet.chsh.score_items` and
:func:`ncnet.chsh.score_table` call :func:`score_pairs` and :class:`OutcomeTable` with the
``chsh`` preset (T's range is [-4, 4]) and only rename the results. Over independent
*runs* (one V per run), :func:`runs_interval` and :func:`runs_test` are the Student-t
interval and t-test, with the bounded-mean interval and test on [T_min, T_max] where the
runs have no spread.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ncnet.bell.errors import BellInputError
from ncnet.bell.expression import BellExpression
from ncnet.stats.bounded import (
    binomial_sum_interval,
    binomial_sum_test,
    bounded_mean_interval,
    bounded_mean_test,
)
from ncnet.stats.outcomes import as_pm1, fmt_values
from ncnet.stats.outcomes import frozen_array as _frozen
from ncnet.stats.resampling import discrete_mean_bootstrap, percentile_ci
from ncnet.stats.runs import holm, stats, t_interval
from ncnet.stats.verdicts import FEW_ITEMS

#: Item resampling schemes. ``paired-items``: every pair holds the same item ids, the ids are
#: resampled jointly (correlators that share test items covary, and the CI keeps that);
#: ``independent-pairs``: each pair's items are resampled on their own.
PAIRED_SCHEME = "paired-items"
INDEPENDENT_SCHEME = "independent-pairs"
#: Names of the two item tests of V > bound (``test`` in their result).
PAIRED_TEST = "likelihood ratio test on per-item sums T_k (paired items, one-sided)"
INDEPENDENT_TEST = "score test of a sum of correlators (independent pairs, one-sided)"

__all__ = [
    "ExpressionScore",
    "INDEPENDENT_SCHEME",
    "INDEPENDENT_TEST",
    "OutcomeTable",
    "PAIRED_SCHEME",
    "PAIRED_TEST",
    "align_by_item",
    "bounds_dict",
    "PairSamples",
    "independent_interval",
    "item_bootstrap",
    "pair_samples",
    "independent_test",
    "missing_columns",
    "paired_interval",
    "paired_test",
    "item_sum_range",
    "pair_products_range",
    "runs_interval",
    "runs_test",
    "score_frame",
    "score_pairs",
    "score_many",
    "setting_pairs",
]


def setting_pairs(m_a: int, m_b: int) -> list[tuple[int, int]]:
    """The setting pairs (x, y), 1-based, in row-major order (CHSH: :data:`ncnet.chsh.PAIRS`)."""
    return [(x, y) for x in range(1, m_a + 1) for y in range(1, m_b + 1)]


def pair_products_range(expression: BellExpression) -> tuple[np.ndarray, np.ndarray]:
    """Per pair (x, y), the smallest and largest contribution ``F_xy a b + F[x,0] a / m_B +
    F[0,y] b / m_A`` over a, b in {-1, +1}; two arrays ``(m_A, m_B)``."""
    e = expression
    alpha = e.alice[:, None] / e.m_b
    beta = e.bob[None, :] / e.m_a
    vals = np.stack([e.correlators * a * b + alpha * a + beta * b
                     for a in (-1.0, 1.0) for b in (-1.0, 1.0)])
    return vals.min(axis=0), vals.max(axis=0)


def item_sum_range(expression: BellExpression) -> tuple[float, float]:
    """The exact range [T_min, T_max] of the per-item sum T_k over all ±1 outcomes: the pairs'
    outcomes are separate variables, so it is F00 plus the sum of each pair's own range.
    Every value V of pair models (the mean of T_k) lies in it too.

    >>> from ncnet.bell import preset
    >>> item_sum_range(preset("chsh")), item_sum_range(preset("chained-3"))
    ((-4.0, 4.0), (-6.0, 6.0))
    """
    lo, hi = pair_products_range(expression)
    return (float(expression.constant + lo.sum()), float(expression.constant + hi.sum()))


# --------------------------------------------------------------------------------------------
# Over runs
# --------------------------------------------------------------------------------------------


def runs_interval(values: Any, lo: float, hi: float, level: float = 0.95) -> tuple[float, float]:
    """Interval of the mean V over independent runs: the Student-t interval
    (:func:`ncnet.stats.runs.t_interval`), and where the runs have no spread or there is one run,
    :func:`ncnet.stats.bounded.bounded_mean_interval` on [lo, hi] (never a point). For CHSH on
    [-4, 4] this is :func:`ncnet.chsh.mean_s_interval`."""
    ci = t_interval(values, level)
    if ci is not None:
        return ci
    vals = np.clip(np.asarray(values, dtype=np.float64).ravel(), lo, hi)
    return bounded_mean_interval(vals, lo, hi, level)


def runs_test(values: Any, bound: float, lo: float, hi: float, symbol: str = "V"
              ) -> dict[str, Any]:
    """One-sided t-test of mean V > ``bound`` over independent runs; where every run has the
    same V, :func:`ncnet.stats.bounded.bounded_mean_test` on [lo, hi] (p never 0 from a zero
    variance). ``symbol`` names the value in the test's description. Keys as
    :func:`ncnet.chsh.test_s_above`, which is this test for CHSH on [-4, 4] with symbol S."""
    vals = np.asarray(values, dtype=np.float64).ravel()
    if not np.all(np.isfinite(vals)):
        raise ValueError(f"runs_test: values must be finite; got {fmt_values(vals)}")
    n = int(vals.size)
    mean = float(np.mean(vals)) if n else math.nan
    out: dict[str, Any] = {"test": f"one-sample t-test (one-sided, H0: mean {symbol} <= bound)",
                           "n": n, "mean": mean, "statistic": math.nan, "p_value": math.nan,
                           "bound": float(bound)}
    if n < 2:
        return out
    sd = float(np.std(vals, ddof=1))
    if sd <= 1e-12 * max(1.0, abs(mean)):
        res = bounded_mean_test(np.clip(vals, lo, hi), float(bound), lo, hi)
        out.update(test=f"likelihood ratio test of a mean in [{lo:g}, {hi:g}] (one-sided; "
                        f"every run has the same {symbol}, so the t statistic does not exist)",
                   statistic=res["z"], p_value=res["p_value"])
        return out
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = stats.ttest_1samp(vals, float(bound), alternative="greater")
    out.update(statistic=float(res.statistic), p_value=float(res.pvalue))
    return out


runs_test.__test__ = False  # type: ignore[attr-defined]


# --------------------------------------------------------------------------------------------
# Bounds (for display beside a value)
# --------------------------------------------------------------------------------------------


def bounds_dict(expression: BellExpression) -> dict[str, Any]:
    """``{"local", "quantum", "quantum_kind", "no_signalling"}`` of ``expression``; without the
    ``bell`` extra (or where the solver fails) ``quantum`` is None and ``quantum_kind`` says
    why."""
    from ncnet.bell.errors import SolverError
    from ncnet.runtime.extras import MissingExtraError

    local = expression.local_bound().value
    ns = max(expression.no_signalling_bound().value, local)
    out: dict[str, Any] = {"local": local, "quantum": None, "quantum_kind": None,
                           "no_signalling": ns}
    try:
        q = expression.quantum_bound()
    except MissingExtraError as err:
        out["quantum_kind"] = f"not computed: {err}"
    except SolverError as err:
        out["quantum_kind"] = f"not computed: {err}"
    else:
        out["quantum"] = float(min(max(q.value, local), ns))
        out["quantum_kind"] = q.json_kind
    return out


# --------------------------------------------------------------------------------------------
# One set of pair samples
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ExpressionScore:
    """The value of one expression on one set of pair samples, with its statistics.

    ``value`` V (partner-averaged marginals); ``C`` (m_A, m_B) correlators; ``n_items``
    (m_A, m_B); ``marg_a_pairs`` / ``marg_b_pairs`` (m_A, m_B) each pair's own <A_x>, <B_y>
    (means of ±1); ``marg_a`` (m_A,) / ``marg_b`` (m_B,) partner-averaged; ``acc_a`` /
    ``acc_b`` (m_A, m_B) accuracies P(+1); ``spread_a`` (m_A,) max - min over y of acc_a[x, y]
    and ``spread_b`` (m_B,) over x (signalling; 0 without it); ``gap_a`` (m_A, m_B - 1)
    acc_a[x, 1] - acc_a[x, y] for y = 2..m_B and ``gap_b`` (m_B, m_A - 1) likewise, with their
    CIs ``gap_a_ci`` / ``gap_b_ci`` (..., 2) (for CHSH the gaps of :func:`ncnet.chsh.
    signalling_gap`); ``c_product`` (m_A, m_B) = <A_x>_y <B_y>_x and ``value_product`` its V;
    ``ci`` the inverted item test, ``ci_bootstrap`` the percentile bootstrap over items;
    ``test`` the one-sided test of V > local bound; ``scheme``, ``ci_units`` (shared items,
    or the smallest pair); ``item_sums`` (K,) the T_k in the paired scheme (else None) and
    ``t_range`` their possible range; ``bounds`` (:func:`bounds_dict`); ``warning`` a line
    naming K when it is below :data:`ncnet.stats.verdicts.FEW_ITEMS`. Arrays are read-only.
    """

    expression: BellExpression
    value: float
    C: np.ndarray
    n_items: np.ndarray
    marg_a_pairs: np.ndarray
    marg_b_pairs: np.ndarray
    marg_a: np.ndarray
    marg_b: np.ndarray
    acc_a: np.ndarray
    acc_b: np.ndarray
    spread_a: np.ndarray
    spread_b: np.ndarray
    gap_a: np.ndarray
    gap_b: np.ndarray
    gap_a_ci: np.ndarray
    gap_b_ci: np.ndarray
    c_product: np.ndarray
    value_product: float
    ci: tuple[float, float]
    ci_bootstrap: tuple[float, float]
    test: dict[str, Any]
    scheme: str
    ci_units: int
    t_range: tuple[float, float]
    bounds: dict[str, Any] = field(default_factory=dict)
    item_sums: np.ndarray | None = None
    level: float = 0.95
    warning: str | None = None
    ignored_rows: int = 0

    @property
    def name(self) -> str:
        return self.expression.name

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable dict of plain python types (NaN kept as float)."""
        return {
            "expression": self.name, "m_a": self.expression.m_a, "m_b": self.expression.m_b,
            "fc": self.expression.fc.tolist(),
            "V": float(self.value), "ci": [float(v) for v in self.ci],
            "ci_level": float(self.level), "ci_method": "inverted item test",
            "ci_bootstrap": [float(v) for v in self.ci_bootstrap],
            "warning": self.warning, "scheme": self.scheme, "ci_units": int(self.ci_units),
            "item_sum_range": [float(v) for v in self.t_range],
            "test": {k: (float(v) if isinstance(v, np.floating) else v)
                     for k, v in self.test.items()},
            "n_items": self.n_items.tolist(), "C": self.C.tolist(),
            "marg_A_pairs": self.marg_a_pairs.tolist(),
            "marg_B_pairs": self.marg_b_pairs.tolist(),
            "marg_A": self.marg_a.tolist(), "marg_B": self.marg_b.tolist(),
            "acc_A": self.acc_a.tolist(), "acc_B": self.acc_b.tolist(),
            "signalling_spread_A": self.spread_a.tolist(),
            "signalling_spread_B": self.spread_b.tolist(),
            "signalling_gap_A": self.gap_a.tolist(), "signalling_gap_A_ci": self.gap_a_ci.tolist(),
            "signalling_gap_B": self.gap_b.tolist(), "signalling_gap_B_ci": self.gap_b_ci.tolist(),
            "C_product": self.c_product.tolist(), "V_product": float(self.value_product),
            "bounds": dict(self.bounds), "ignored_rows": int(self.ignored_rows),
        }


def _row_major(samples: Any, m_a: int, m_b: int) -> list[Any]:
    """Per-pair entries as one row-major list: nested ``[x][y]`` (m_A lists of m_B) is
    flattened, anything else is taken as already flat (the caller checks the length)."""
    flat = list(samples)
    if len(flat) == m_a and all(isinstance(r, (list, tuple)) for r in flat) and \
            all(len(r) == m_b for r in flat):
        flat = [v for row in flat for v in row]
    return flat


def _grid(samples: Any, m_a: int, m_b: int, what: str) -> list[list[np.ndarray]]:
    """Nested samples [x][y] (or a flat list in row-major order) -> validated ±1 arrays."""
    flat = _row_major(samples, m_a, m_b)
    if len(flat) != m_a * m_b:
        raise BellInputError(f"{what}: expected {m_a} x {m_b} = {m_a * m_b} pair samples; got "
                             f"{len(flat)}")
    out = [[np.empty(0)] * m_b for _ in range(m_a)]
    for (x, y), v in zip(setting_pairs(m_a, m_b), flat, strict=True):
        try:
            arr = as_pm1(v).ravel()
        except ValueError as err:
            raise BellInputError(f"{what} of pair (i={x}, j={y}): "
                                 f"{str(err).removeprefix('as_pm1: ')}") from None
        out[x - 1][y - 1] = arr
    return out


def align_by_item(grids: Sequence[list[list[np.ndarray]]], items: Any, m_a: int, m_b: int
                  ) -> tuple[np.ndarray, ...] | None:
    """Per-pair samples aligned by item id, one ``(m_A, m_B, K)`` array per grid of
    ``grids`` (each nested ``[x][y]``, e.g. Alice's and Bob's outcomes, or their products),
    when every pair holds the same ids; None when ``items`` is None or no id occurs in two
    pairs. ``items``: ids per pair, nested or flat row-major, one id per sample entry of the
    first grid. A repeated id within a pair, or ids shared by only some pairs, is a one-line
    :class:`ncnet.bell.BellInputError` (there is then no single item to resample)."""
    if items is None:
        return None
    ids = _grid_ids(items, grids[0], m_a, m_b)
    sets = [set(arr.tolist()) for row in ids for arr in row]
    if all(s == sets[0] for s in sets):
        out = tuple(np.empty((m_a, m_b, len(sets[0]))) for _ in grids)
        for x in range(m_a):
            for y in range(m_b):
                pos = np.argsort(ids[x][y], kind="stable")
                for grid, al in zip(grids, out, strict=True):
                    al[x, y] = grid[x][y][pos]
        return out
    pairs = setting_pairs(m_a, m_b)
    for p in range(len(sets)):
        for q in range(p + 1, len(sets)):
            if sets[p] & sets[q]:
                raise BellInputError(
                    f"item ids are shared by only some pairs (e.g. pairs {pairs[p]} and "
                    f"{pairs[q]} share ids but the id sets differ); give all {len(sets)} pairs "
                    "the same ids (paired scheme) or distinct ids per pair (independent scheme)")
    return None


def _grid_ids(items: Any, a: list[list[np.ndarray]], m_a: int, m_b: int) -> list[list[Any]]:
    flat = _row_major(items, m_a, m_b)
    if len(flat) != m_a * m_b:
        raise BellInputError(f"items: expected {m_a * m_b} arrays of item ids (one per pair); "
                             f"got {len(flat)}")
    out: list[list[Any]] = [[None] * m_b for _ in range(m_a)]
    for (x, y), it in zip(setting_pairs(m_a, m_b), flat, strict=True):
        arr = np.asarray(it).ravel()
        if arr.size != a[x - 1][y - 1].size:
            raise BellInputError(f"pair (i={x}, j={y}): {arr.size} item ids for "
                                 f"{a[x - 1][y - 1].size} outcomes; give one id per row")
        uniq, counts = np.unique(arr, return_counts=True)
        if (counts > 1).any():
            raise BellInputError(f"pair (i={x}, j={y}): item id(s) "
                                 f"{fmt_values(uniq[counts > 1])} occur more than once; each "
                                 "(i, j, item) must be one row")
        out[x - 1][y - 1] = arr
    return out


def _gap_cis(acc_pairs: list[list[np.ndarray]], aligned: np.ndarray | None, level: float,
             along: int, intervals: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Gaps acc[s, 1] - acc[s, t], t >= 2, and their CIs, for one side's outcomes; ``along``:
    the axis of the partner setting (1 for Alice's [x][y], 0 for Bob's)."""
    m_a, m_b = len(acc_pairs), len(acc_pairs[0])
    own, partner = (m_a, m_b) if along == 1 else (m_b, m_a)

    def sample(s: int, t: int) -> np.ndarray:
        return acc_pairs[s][t] if along == 1 else acc_pairs[t][s]

    gaps = np.zeros((own, max(partner - 1, 0)))
    cis = np.zeros((own, max(partner - 1, 0), 2))
    for s in range(own):
        first = sample(s, 0)
        for t in range(1, partner):
            other = sample(s, t)
            gaps[s, t - 1] = np.mean(first > 0) - np.mean(other > 0)
            if not intervals:
                cis[s, t - 1] = math.nan
            elif aligned is not None:
                al = aligned[s, 0] - aligned[s, t] if along == 1 else \
                    aligned[0, s] - aligned[t, s]
                cis[s, t - 1] = bounded_mean_interval(al / 2.0, -1.0, 1.0, level)
            else:
                k = [np.count_nonzero(first > 0), np.count_nonzero(other > 0)]
                cis[s, t - 1] = binomial_sum_interval(
                    k, [first.size, other.size], [0.5, -0.5], level)
    return gaps, cis


def few_items_warning(units: int) -> str | None:
    """The one-line warning of an item test on ``units`` items, or None from
    :data:`ncnet.stats.verdicts.FEW_ITEMS` items on."""
    if units >= FEW_ITEMS:
        return None
    return (f"only K = {units} items: the item test and interval are approximate (their size "
            f"was checked in simulation from {FEW_ITEMS} items on)")


def paired_test(expression: BellExpression, item_sums: Any, bound: float | None = None
                ) -> dict[str, Any]:
    """One-sided test of V > ``bound`` (default: the local bound) from the per-item sums
    ``item_sums`` (K,) of the paired scheme: :func:`ncnet.stats.bounded.bounded_mean_test` on
    the exact range of T (:func:`item_sum_range`), referred to t with K - 1 df. Returns
    ``{"test", "V", "se", "z", "p_value", "bound", "n", "warning"}``."""
    t = np.asarray(item_sums, dtype=np.float64).ravel()
    bound = expression.local_bound().value if bound is None else float(bound)
    res = bounded_mean_test(t, bound, *item_sum_range(expression))
    return {"test": PAIRED_TEST, "V": float(np.mean(t)), "se": res["se"], "z": res["z"],
            "p_value": res["p_value"], "bound": bound, "n": int(t.size),
            "warning": few_items_warning(int(t.size))}


def paired_interval(expression: BellExpression, item_sums: Any, level: float = 0.95
                    ) -> tuple[float, float]:
    """Interval of V that inverts :func:`paired_test` (never a point, within T's range)."""
    lo, hi = bounded_mean_interval(np.asarray(item_sums, dtype=np.float64).ravel(),
                                             *item_sum_range(expression), level)
    return float(lo), float(hi)


def _correlator_only(expression: BellExpression) -> None:
    if not expression.is_correlator_only:
        raise BellInputError(
            f"{expression.name} has marginal terms: its interval and test need the paired "
            "scheme (an item column whose ids every pair shares); the independent scheme is "
            "supported for correlator-only expressions only")


def independent_test(expression: BellExpression, c: Any, n_items: Any,
                     bound: float | None = None) -> dict[str, Any]:
    """One-sided test of V > ``bound`` (default: the local bound) for independent pairs (no
    item in two pairs) of a correlator-only expression, from the correlators ``c`` and item
    counts ``n_items`` (both (m_A, m_B)): V - F00 = Σ F_xy (2 p_xy - 1) is a weighted sum of
    independent proportions, tested by :func:`ncnet.stats.bounded.binomial_sum_test` (the score
    test: the variance comes from the likeliest proportions with V = bound, so a pair at
    C = ±1 still has variance). Same keys as :func:`paired_test`; ``n`` = the smallest pair.
    """
    _correlator_only(expression)
    c = np.asarray(c, dtype=np.float64)
    n = np.asarray(n_items, dtype=np.float64)
    bound = expression.local_bound().value if bound is None else float(bound)
    k = (1.0 + c) / 2.0 * n  # items with A·B = +1 (whole numbers for real data)
    res = binomial_sum_test(k.ravel(), n.ravel(), expression.correlators.ravel(),
                                      bound - expression.constant)
    units = int(n.min())
    return {"test": INDEPENDENT_TEST, "V": float(expression.value(c)), "se": res["se"],
            "z": res["z"], "p_value": res["p_value"], "bound": bound, "n": units,
            "warning": few_items_warning(units)}


def independent_interval(expression: BellExpression, k_plus: Any, n_items: Any,
                         level: float = 0.95) -> tuple[float, float]:
    """Interval of V that inverts :func:`independent_test`; ``k_plus`` (m_A, m_B): each
    pair's count of items with A·B = +1, ``n_items`` its item count."""
    _correlator_only(expression)
    lo, hi = binomial_sum_interval(
        np.asarray(k_plus, dtype=np.float64).ravel(),
        np.asarray(n_items, dtype=np.float64).ravel(), expression.correlators.ravel(), level)
    return float(lo + expression.constant), float(hi + expression.constant)


@dataclass(frozen=True, eq=False)
class PairSamples:
    """Validated samples of one expression's setting pairs: ``a``, ``b`` nested ``[x][y]``
    1-D ±1 arrays; ``aligned`` (A, B) each ``(m_A, m_B, K)`` when every pair holds the same
    item ids (paired scheme), else None, and then ``item_sums`` (K,) the expression's T_k;
    per pair (m_A, m_B): correlators ``c``, ``n_items``, accuracies ``acc_a`` / ``acc_b`` and
    ``k_plus``, the count of items with A·B = +1."""

    a: list[list[np.ndarray]]
    b: list[list[np.ndarray]]
    aligned: tuple[np.ndarray, ...] | None
    c: np.ndarray
    n_items: np.ndarray
    acc_a: np.ndarray
    acc_b: np.ndarray
    k_plus: np.ndarray
    item_sums: np.ndarray | None = None


def pair_samples(expression: BellExpression, a_items: Any, b_items: Any, items: Any = None
                 ) -> PairSamples:
    """Check per-pair samples against ``expression`` (layouts as :func:`score_pairs` takes
    them) and count what every statistic needs; one-line :class:`ncnet.bell.BellInputError`
    for bad input and for the independent scheme on an expression with marginal terms."""
    e = expression
    m_a, m_b = e.m_a, e.m_b
    a = _grid(a_items, m_a, m_b, "A")
    b = _grid(b_items, m_a, m_b, "B")
    for x, y in setting_pairs(m_a, m_b):
        na, nb = a[x - 1][y - 1].size, b[x - 1][y - 1].size
        if na != nb:
            raise BellInputError(f"pair (i={x}, j={y}): A has {na} items but B has {nb}; A and "
                                 "B must be paired by position")
        if na == 0:
            raise BellInputError(f"pair (i={x}, j={y}) has no items")
    aligned = align_by_item((a, b), items, m_a, m_b)
    if aligned is None:
        _correlator_only(e)
    shape = (m_a, m_b)
    c, n_items = np.empty(shape), np.empty(shape, dtype=np.int64)
    acc_a, acc_b = np.empty(shape), np.empty(shape)
    k_plus = np.empty(shape)
    for x, y in setting_pairs(m_a, m_b):
        aa, bb = a[x - 1][y - 1], b[x - 1][y - 1]
        c[x - 1, y - 1] = np.mean(aa * bb)
        n_items[x - 1, y - 1] = aa.size
        acc_a[x - 1, y - 1] = np.mean(aa > 0)
        acc_b[x - 1, y - 1] = np.mean(bb > 0)
        k_plus[x - 1, y - 1] = np.count_nonzero(aa * bb > 0)
    t_sums = None if aligned is None else e.item_sums(*aligned)
    return PairSamples(a, b, aligned, c, n_items, acc_a, acc_b, k_plus, t_sums)


def item_bootstrap(expression: BellExpression, samples: PairSamples, n_boot: int = 10_000,
                   level: float = 0.95, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap CI of V over items: paired scheme, the item ids resampled jointly
    (the counts of T's few values drawn from their multinomial law); independent pairs, each
    pair's count of A·B = +1 drawn from Binomial(N, k/N). Deterministic for a ``seed``."""
    e = expression
    rng = np.random.default_rng(seed)
    if samples.item_sums is not None:
        boot = discrete_mean_bootstrap(samples.item_sums, n_boot, rng)
        return percentile_ci(boot, level)
    boot = np.zeros(int(n_boot))
    for (x, y), n, k in zip(setting_pairs(e.m_a, e.m_b), samples.n_items.ravel(),
                            samples.k_plus.ravel(), strict=True):
        draw = rng.binomial(int(n), k / n, size=int(n_boot))
        boot += e.correlators[x - 1, y - 1] * (2.0 * draw / n - 1.0)
    return percentile_ci(boot + e.constant, level)


def _check_settings(n_boot: int, level: float) -> None:
    if int(n_boot) < 1 or not 0.0 < float(level) < 1.0:
        raise BellInputError(f"need n_boot >= 1 and 0 < level < 1; got n_boot={n_boot}, "
                             f"level={level}")


def score_pairs(expression: BellExpression, a_items: Any, b_items: Any, *,
                items: Any = None, n_boot: int = 10_000, level: float = 0.95, seed: int = 0,
                with_bounds: bool = True, gap_intervals: bool = True) -> ExpressionScore:
    """Score ``expression`` on per-pair samples.

    ``a_items``, ``b_items``: Alice's and Bob's ±1 (or 0/1, bool) outcomes of each pair,
    nested ``[x][y]`` (m_A lists of m_B 1-D arrays) or flat in row-major pair order, A and B
    paired by position. ``items``: optional item ids, same layout: all pairs with the same ids
    give the paired scheme, no id in two pairs the independent one. ``with_bounds``: also
    compute the three bounds (the quantum one needs the ``bell`` extra); ``gap_intervals``:
    the signalling gaps' CIs (NaN without; :func:`ncnet.chsh.score_items` needs none). Raises
    :class:`ncnet.bell.BellInputError` (one line) for bad input and for the independent scheme
    on an expression with marginal terms.
    """
    _check_settings(n_boot, level)
    e = expression
    ps = pair_samples(e, a_items, b_items, items)
    a, b, aligned, c, n_items = ps.a, ps.b, ps.aligned, ps.c, ps.n_items
    acc_a, acc_b, k_plus = ps.acc_a, ps.acc_b, ps.k_plus
    marg_a_pairs, marg_b_pairs = 2.0 * acc_a - 1.0, 2.0 * acc_b - 1.0
    from ncnet.bell.expression import partner_averaged_marginals

    marg_a, marg_b = partner_averaged_marginals(marg_a_pairs, marg_b_pairs)
    value = float(e.value(c, marg_a, marg_b))
    c_prod = marg_a_pairs * marg_b_pairs
    value_product = float(e.value(c_prod, marg_a, marg_b))
    t_range = item_sum_range(e)
    if not t_range[0] < t_range[1]:
        raise BellInputError(f"{e.name}: every coefficient is zero; nothing to score")
    t_sums = ps.item_sums
    if t_sums is not None:
        units = t_sums.size
        test = paired_test(e, t_sums)
        ci = paired_interval(e, t_sums, level)
    else:
        units = int(n_items.min())
        test = independent_test(e, c, n_items)
        test["V"] = value
        ci = independent_interval(e, k_plus, n_items, level)
    ci_boot = item_bootstrap(e, ps, n_boot, level, seed)
    al_a, al_b = (None, None) if aligned is None else aligned
    gap_a, gap_a_ci = _gap_cis(a, al_a, level, along=1, intervals=gap_intervals)
    gap_b, gap_b_ci = _gap_cis(b, al_b, level, along=0, intervals=gap_intervals)
    return ExpressionScore(
        expression=e, value=value, C=_frozen(c), n_items=_frozen(n_items, np.int64),
        marg_a_pairs=_frozen(marg_a_pairs), marg_b_pairs=_frozen(marg_b_pairs),
        marg_a=_frozen(marg_a), marg_b=_frozen(marg_b), acc_a=_frozen(acc_a),
        acc_b=_frozen(acc_b), spread_a=_frozen(np.ptp(acc_a, axis=1)),
        spread_b=_frozen(np.ptp(acc_b, axis=0)), gap_a=_frozen(gap_a), gap_b=_frozen(gap_b),
        gap_a_ci=_frozen(gap_a_ci), gap_b_ci=_frozen(gap_b_ci), c_product=_frozen(c_prod),
        value_product=value_product, ci=(float(ci[0]), float(ci[1])), ci_bootstrap=ci_boot,
        test=test, scheme=PAIRED_SCHEME if aligned is not None else INDEPENDENT_SCHEME,
        ci_units=int(units), t_range=t_range,
        bounds=bounds_dict(e) if with_bounds else {"local": e.local_bound().value},
        item_sums=None if t_sums is None else _frozen(t_sums), level=float(level),
        warning=test["warning"])


# --------------------------------------------------------------------------------------------
# A long table of outcomes
# --------------------------------------------------------------------------------------------


def missing_columns(df: Any) -> str | None:
    """The one-line problem of an outcome table (a DataFrame) that lacks any of the columns
    ``i``, ``j``, ``A``, ``B``, naming the columns it has (the first 12); None if complete."""
    missing = [col for col in ("i", "j", "A", "B") if col not in df.columns]
    if not missing:
        return None
    found = [str(col) for col in df.columns[:12]] + (["..."] if df.shape[1] > 12 else [])
    return (f"missing column(s) {missing}; required columns are i, j, A, B (and optionally "
            f"item); found {found}")


def _settings_column(df: Any, col: str, most: int | None = None) -> np.ndarray:
    """Column ``col`` as int settings >= 1 (and <= ``most`` when given)."""
    vals = df[col].to_numpy(dtype=object)
    ok = np.array([not isinstance(v, (str, bytes, bool, np.bool_))
                   and isinstance(v, (int, float, np.integer, np.floating))
                   and math.isfinite(float(v)) and float(v) >= 1 and float(v) == int(v)
                   and (most is None or float(v) <= most)
                   for v in vals], dtype=bool)
    if not ok.all():
        allowed = ("settings are whole numbers 1, 2, ..." if most is None else
                   "allowed values are 1 and 2" if most == 2 else f"allowed values are 1..{most}")
        raise BellInputError(f"column {col!r} has invalid setting value(s) "
                             f"{fmt_values(vals[~ok])}; {allowed}")
    return np.asarray(vals, dtype=np.float64).astype(np.int64)


def _outcome_column(df: Any, col: str) -> np.ndarray:
    import pandas as pd

    s = df[col]
    if not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)):
        bad = [v for v in s.to_numpy(dtype=object)
               if not isinstance(v, (bool, np.bool_, int, float, np.number))]
        if bad:
            raise BellInputError(f"column {col!r} has non-numeric outcome value(s) "
                                 f"{fmt_values(np.asarray(bad, dtype=object))}; allowed are "
                                 "+1/-1, 1/0 or bool")
    try:
        return as_pm1(s.to_numpy(dtype=np.float64, na_value=np.nan))
    except ValueError as err:
        raise BellInputError(f"column {col!r}: {str(err).removeprefix('as_pm1: ')}") from None


@dataclass(frozen=True)
class OutcomeTable:
    """A validated long table: settings ``i``, ``j`` (ints >= 1), outcomes ``a``, ``b`` (±1)
    and ``item`` ids (None without an item column), one entry per row."""

    i: np.ndarray
    j: np.ndarray
    a: np.ndarray
    b: np.ndarray
    item: np.ndarray | None

    @classmethod
    def from_frame(cls, df: Any, most_settings: int | None = None) -> OutcomeTable:
        """Columns ``i``, ``j``, ``A``, ``B`` and optionally ``item``; one-line errors.
        ``most_settings``: the largest setting allowed (None: any whole number >= 1)."""
        import pandas as pd

        if not isinstance(df, pd.DataFrame):
            raise BellInputError(f"expected a pandas DataFrame; got {type(df).__name__}")
        problem = missing_columns(df)
        if problem:
            raise BellInputError(problem)
        item = None
        if "item" in df.columns:
            if df["item"].isna().any():
                rows = np.flatnonzero(df["item"].isna().to_numpy())[:5].tolist()
                raise BellInputError(f"column 'item' has missing values (rows {rows}); give "
                                     "every row an item id or drop the column")
            item = df["item"].to_numpy()
            if item.dtype == object:
                item = item.astype(str)
        i = _settings_column(df, "i", most_settings)
        j = _settings_column(df, "j", most_settings)
        return cls(i, j, _outcome_column(df, "A"), _outcome_column(df, "B"), item)

    def pairs_for(self, expression: BellExpression) -> tuple[list, list, list | None, int]:
        """Per pair of ``expression`` (row-major) the A and B samples and ids, and the number
        of rows outside its settings (ignored). An expression with more settings than the
        data, or a pair without rows, is a one-line :class:`BellInputError`."""
        m_a, m_b = expression.m_a, expression.m_b
        if self.i.size == 0:
            raise BellInputError(f"no rows for pair (i=1, j=1): the table is empty; "
                                 f"{expression.name} needs every pair of i = 1..{m_a} and "
                                 f"j = 1..{m_b}")
        have_a, have_b = int(self.i.max()), int(self.j.max())
        if m_a > have_a or m_b > have_b:
            raise BellInputError(
                f"expression {expression.name} needs settings i = 1..{m_a} and j = 1..{m_b}; "
                f"the data has i up to {have_a} and j up to {have_b}")
        a_s, b_s, ids = [], [], []
        for x, y in setting_pairs(m_a, m_b):
            mask = (self.i == x) & (self.j == y)
            if not mask.any():
                raise BellInputError(f"no rows for pair (i={x}, j={y}); {expression.name} "
                                     f"needs every pair of i = 1..{m_a} and j = 1..{m_b}")
            a_s.append(self.a[mask])
            b_s.append(self.b[mask])
            if self.item is not None:
                ids.append(self.item[mask])
        ignored = int(np.count_nonzero((self.i > m_a) | (self.j > m_b)))
        return a_s, b_s, (ids if self.item is not None else None), ignored


def score_frame(expression: BellExpression, df: Any, **kwargs: Any) -> ExpressionScore:
    """:func:`score_pairs` on a long table (columns ``i``, ``j``, ``A``, ``B``, optional
    ``item``; as :func:`ncnet.chsh.score_table` takes it, settings i = 1..m_A, j = 1..m_B).
    Rows with settings beyond the expression's are ignored and counted (``ignored_rows``)."""
    return score_many([expression], df, **kwargs)[0]


def score_many(expressions: Sequence[BellExpression], df: Any, **kwargs: Any
               ) -> list[ExpressionScore]:
    """Score several expressions on one table; each test gets ``p_holm``, its p-value
    Holm-adjusted across the expressions (the family of tests of V > local bound)."""
    from dataclasses import replace

    table = OutcomeTable.from_frame(df)
    scores = []
    for e in expressions:
        a_s, b_s, ids, ignored = table.pairs_for(e)
        scores.append(replace(score_pairs(e, a_s, b_s, items=ids, **kwargs),
                              ignored_rows=ignored))
    for s, p in zip(scores, holm([s.test["p_value"] for s in scores]), strict=True):
        s.test["p_holm"] = p
    return scores
