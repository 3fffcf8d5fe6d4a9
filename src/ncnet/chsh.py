"""CHSH statistics on +-1 outcome arrays: the 2 x 2 case of the Bell family.

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

One code path: S is the ``chsh`` preset of :mod:`ncnet.bell` (:data:`CHSH`), and the item
statistics (:func:`score_items`, :func:`score_table`, the item tests and intervals) are those
of :mod:`ncnet.bell.score` on that expression, renamed for CHSH (``S`` for ``V``).  Over runs,
:func:`test_s_above` and :func:`mean_s_interval` are :func:`ncnet.bell.score.runs_test` and
``runs_interval`` on [-4, 4].  The generic statistics (bootstrap, t and exact intervals, Welch,
Holm, slopes, verdicts) live in :mod:`ncnet.stats`, outcome checks and strings in
:mod:`ncnet.stats.outcomes`: import them from there.

Uncertainty: over runs, a bootstrap or t-interval of the mean and exact (Clopper–Pearson)
intervals for fractions of runs; over items, the scheme follows the design: when the four pairs
share test items (item ids), the ids are resampled jointly, because correlators that share
items covary (:data:`ncnet.bell.score.PAIRED_SCHEME`); otherwise pairs are resampled independently
(:data:`ncnet.bell.score.INDEPENDENT_SCHEME`).  Verdicts on claims come from intervals
(:func:`ncnet.stats.verdicts.verdict`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ncnet.bell import score as bell_score
from ncnet.bell.cbd import chsh as cbd_chsh
from ncnet.bell.cbd import chsh_batch as cbd_chsh_batch
from ncnet.bell.expression import BellExpression
from ncnet.bell.presets import preset as _preset
from ncnet.bell.score import INDEPENDENT_SCHEME as _INDEPENDENT
from ncnet.stats.outcomes import as_pm1 as _as_pm1
from ncnet.stats.outcomes import fmt_values as _fmt_values
from ncnet.stats.outcomes import frozen_array as _frozen
from ncnet.stats.resampling import CHUNK_ELEMENTS as _CHUNK_ELEMENTS
from ncnet.stats.resampling import check_level as _check_level
from ncnet.stats.resampling import percentile_ci as _percentile_ci

__all__ = [
    "LOCAL_BOUND",
    "TSIRELSON_BOUND",
    "NO_SIGNALLING_BOUND",
    "CHSH_SIGNS",
    "PAIRS",
    "correlators",
    "chsh_value",
    "marginals",
    "signalling_gap",
    "product_prediction",
    "test_s_above",
    "item_bootstrap_s",
    "item_z_test",
    "paired_products",
    "paired_z_test",
    "item_interval",
    "slope_item_bootstrap",
    "mean_s_interval",
    "c_column",
    "acc_columns",
    "gap_columns",
    "CHSH",
    "ChshScore",
    "pair_correlators",
    "chsh_row",
    "chsh_rows",
    "score_items",
    "score_table",
]

#: Names that lived here before the generic statistics moved to :mod:`ncnet.stats` and the
#: item schemes to :mod:`ncnet.bell.score`: name -> the module it lives in now. Reading one
#: from ``ncnet.chsh`` still works, with a DeprecationWarning that names its new path.
_MOVED: dict[str, str] = {
    **dict.fromkeys(["bootstrap_ci", "bootstrap_mean_ci", "bootstrap_mean_cis", "check_level",
                     "percentile_ci", "CHUNK_ELEMENTS"], "ncnet.stats.resampling"),
    **dict.fromkeys(["fraction_ci", "describe_fraction", "t_interval", "welch_test", "holm",
                     "ols_slope", "slope_over_seeds", "stats"], "ncnet.stats.runs"),
    **dict.fromkeys(["verdict", "Region", "MIN_RUNS", "MIN_SEEDS", "MIN_ITEMS", "FEW_ITEMS"],
                    "ncnet.stats.verdicts"),
    **dict.fromkeys(["as_pm1", "pm_string", "pm_strings", "from_pm_string"],
                    "ncnet.stats.outcomes"),
    **dict.fromkeys(["PAIRED_SCHEME", "INDEPENDENT_SCHEME", "missing_columns"],
                    "ncnet.bell.score"),
}


def __getattr__(name: str) -> Any:
    """The thin aliases of :data:`_MOVED`: ``ncnet.chsh.t_interval`` is
    ``ncnet.stats.runs.t_interval``, with a DeprecationWarning."""
    if name in _MOVED:
        import importlib
        import warnings

        warnings.warn(f"ncnet.chsh.{name} moved to {_MOVED[name]}.{name}; import it from there",
                      DeprecationWarning, stacklevel=2)
        return getattr(importlib.import_module(_MOVED[name]), name)
    raise AttributeError(f"module 'ncnet.chsh' has no attribute {name!r}")


LOCAL_BOUND: float = 2.0
TSIRELSON_BOUND: float = 2.0 * math.sqrt(2.0)
NO_SIGNALLING_BOUND: float = 4.0

#: CHSH as a Bell expression (the ``chsh`` preset): every S below is its value.
CHSH: BellExpression = _preset("chsh")

#: Signs of the correlators in S, indexed ``[i - 1, j - 1]``: S = C11 + C12 + C21 - C22
#: (the correlator coefficients of :data:`CHSH`).
CHSH_SIGNS: np.ndarray = np.array(CHSH.correlators)
CHSH_SIGNS.setflags(write=False)

#: Setting pairs (i, j) in the order used by the ``*_items`` functions (row-major, as
#: :func:`ncnet.bell.score.setting_pairs` gives them).
PAIRS: tuple[tuple[int, int], ...] = tuple(bell_score.setting_pairs(2, 2))



# --------------------------------------------------------------------------------------------
# Outcomes, correlators, S
# --------------------------------------------------------------------------------------------


def _check_outcomes(a: Any, b: Any) -> tuple[np.ndarray, np.ndarray]:
    a = _as_pm1(a)
    b = _as_pm1(b)
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
    return CHSH.value(c)


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
# Over runs: S's range is [-4, 4]
# --------------------------------------------------------------------------------------------


def test_s_above(values: Any, bound: float = LOCAL_BOUND) -> dict[str, Any]:
    """One-sided one-sample t-test of ``mean(values) > bound`` over independent runs.

    ``values``: 1-D per-run S values (finite, within [-4, 4]).  Returns ``{"test", "n", "mean",
    "statistic", "p_value", "bound"}``.  ``n < 2``: statistic and p-value NaN.  Zero variance
    (every run at the same S, common since S is discrete): the t statistic does not exist, and
    p comes from :func:`ncnet.stats.bounded.bounded_mean_test` on [-4, 4] instead, whose null law
    keeps a spread, so p is never 0 because a variance is 0.  No warnings emitted.  It is
    :func:`ncnet.bell.score.runs_test` on [-4, 4].

    >>> round(test_s_above([2.125, 2.125])["p_value"], 2)
    0.44
    """
    vals = np.asarray(values, dtype=np.float64).ravel()
    if not np.all(np.isfinite(vals)):
        raise ValueError(f"test_s_above: values must be finite; got {_fmt_values(vals)}")
    return bell_score.runs_test(vals, bound, -NO_SIGNALLING_BOUND, NO_SIGNALLING_BOUND,
                                symbol="S")


# Not a pytest test despite the name.
test_s_above.__test__ = False  # type: ignore[attr-defined]


def mean_s_interval(values: Any, level: float = 0.95) -> tuple[float, float]:
    """Interval of the mean S over independent runs, as the verdicts use it: the Student-t
    interval (:func:`t_interval`; covers at small n where the percentile bootstrap does not:
    at 2, 3 and 5 runs with true mean 2 the bootstrap put its lower edge above 2 in 23%, 13%
    and 9% of sweeps), and where the runs have no spread (or there is one run), the interval
    of :func:`ncnet.stats.bounded.bounded_mean_interval` on [-4, 4], which is never a point
    (:func:`ncnet.bell.score.runs_interval` on [-4, 4]).

    >>> mean_s_interval([2.125])
    (-4.0, 4.0)
    >>> lo, hi = mean_s_interval([2.125, 2.125, 2.125]); lo < 2.0 < 2.125 < hi
    True
    """
    return bell_score.runs_interval(values, -NO_SIGNALLING_BOUND, NO_SIGNALLING_BOUND, level)


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



# --------------------------------------------------------------------------------------------
# Uncertainty over items (one set of four pair-samples): bell_score on CHSH
# --------------------------------------------------------------------------------------------

_TEST_NAMES = {bell_score.PAIRED_TEST: "likelihood ratio test on per-item CHSH sums (paired "
                                       "items, one-sided)",
               bell_score.INDEPENDENT_TEST: "score test (independent pairs, one-sided)"}


def _as_chsh_test(test: dict[str, Any]) -> dict[str, Any]:
    """A bell_score item test of CHSH under its CHSH names (``S`` for ``V``)."""
    return {("S" if k == "V" else k): (_TEST_NAMES.get(v, v) if k == "test" else v)
            for k, v in test.items()}


def _four(a_items: Sequence[Any], b_items: Sequence[Any]) -> None:
    if len(a_items) != 4 or len(b_items) != 4:
        raise ValueError(
            f"expected 4 pairs in order {PAIRS}; got {len(a_items)} (A) and {len(b_items)} (B)"
        )


def paired_products(
    prods: Sequence[np.ndarray], items: Sequence[Any] | None
) -> np.ndarray | None:
    """The four pairs' products aligned by item id, shape ``(4, K)``, or None.

    ``prods``: the four ``a*b`` arrays (pair order :data:`PAIRS`); ``items``: None or four
    1-D arrays of item ids, one per product.  Returns None (independent pairs) when ``items``
    is None or no id occurs in two pairs; the aligned matrix when all four pairs hold the same
    ids.  Raises ``ValueError`` for an id repeated within a pair or ids shared by only some
    pairs (there is then no single item to resample); :func:`ncnet.bell.score.align_by_item`.
    """
    if items is None:
        return None
    grid = [[np.asarray(prods[0]).ravel(), np.asarray(prods[1]).ravel()],
            [np.asarray(prods[2]).ravel(), np.asarray(prods[3]).ravel()]]
    aligned = bell_score.align_by_item((grid,), items, 2, 2)
    return None if aligned is None else aligned[0].reshape(4, -1)


def _item_sums(paired: np.ndarray) -> np.ndarray:
    """Per-item CHSH sum ``T_k = Σ_ij ± a_ij,k b_ij,k`` (K,), values in {-4, -2, 0, 2, 4}."""
    return np.tensordot(CHSH_SIGNS.ravel(), paired, axes=(0, 0))


def item_bootstrap_s(
    a_items: Sequence[Any],
    b_items: Sequence[Any],
    n_boot: int = 10_000,
    level: float = 0.95,
    seed: int = 0,
    items: Sequence[Any] | None = None,
) -> tuple[float, float]:
    """Percentile bootstrap CI of S over items (``ci_bootstrap`` of :func:`score_items`;
    :func:`ncnet.bell.score.item_bootstrap` on :data:`CHSH`).

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
    _four(a_items, b_items)
    samples = bell_score.pair_samples(CHSH, a_items, b_items, items)
    return bell_score.item_bootstrap(CHSH, samples, n_boot, level, seed)


def item_z_test(c: Any, n_items: Any, bound: float = LOCAL_BOUND) -> dict[str, Any]:
    """One-sided test of ``S > bound`` for four *independent* pairs (no shared items).

    ``c``: correlators (2, 2); ``n_items``: item counts (2, 2).  A score test
    (:func:`ncnet.bell.score.independent_test` on CHSH, i.e.
    :func:`ncnet.stats.bounded.binomial_sum_test`): ``Var(C_ij) = (1 - C~_ij**2) / N_ij`` with
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
    return _as_chsh_test(bell_score.independent_test(CHSH, c, n_items, bound))


def paired_z_test(paired: Any, bound: float = LOCAL_BOUND) -> dict[str, Any]:
    """One-sided test of ``S > bound`` when the four pairs share their items.

    ``paired``: products ``a*b`` aligned by item, shape ``(4, K)`` in pair order (as from
    :func:`paired_products`).  S is the mean of the per-item sums ``T_k`` in [-4, 4], which are
    independent whatever the covariance of the four correlators; the test is
    :func:`ncnet.bell.score.paired_test` on them (:func:`ncnet.stats.bounded.bounded_mean_test`,
    a likelihood ratio test referred to t with K - 1 df; ``se`` is the standard error under
    the most likely law with mean ``bound``).  Size at S = 2: 0.042-0.057 at K = 30, 60, 150
    (the z-test on sd(T) had 0.06-0.085 at K = 30).  Every T_k = 4 at K = 8 gives p = 0.07,
    not 0.  Same return keys as :func:`item_z_test`, ``n`` = K.

    >>> t = paired_z_test([[1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, -1], [-1, -1, -1, -1]])
    >>> t["S"], t["n"], t["warning"][:15]
    (3.5, 4, 'only K = 4 item')
    """
    paired = np.asarray(paired, dtype=np.float64)
    if paired.ndim != 2 or paired.shape[0] != 4 or paired.shape[1] == 0:
        raise ValueError(f"paired products must have shape (4, K) with K >= 1; got {paired.shape}")
    return _as_chsh_test(bell_score.paired_test(CHSH, _item_sums(paired), bound))


def item_interval(prods: Sequence[np.ndarray], paired: np.ndarray | None,
                  level: float = 0.95) -> tuple[float, float]:
    """Interval of S over items that inverts the item test: of :func:`paired_z_test` when the
    pairs share items (``paired`` (4, K)), else of :func:`item_z_test` (``prods``: the four
    pairs' products).  Never a point, within [-4, 4]; covers at 30 items also near perfect
    accuracy, where the percentile bootstrap collapses to [2, 2] (``tests/test_inference.py``).
    """
    if paired is not None:
        return bell_score.paired_interval(CHSH, _item_sums(paired), level)
    k = np.array([np.count_nonzero(p > 0) for p in prods], dtype=np.float64).reshape(2, 2)
    n = np.array([p.size for p in prods], dtype=np.float64).reshape(2, 2)
    return bell_score.independent_interval(CHSH, k, n, level)


# --------------------------------------------------------------------------------------------
# Full score
# --------------------------------------------------------------------------------------------


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
    resampled (:data:`PAIRED_SCHEME` or :data:`_INDEPENDENT`) and ``ci_units`` the
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
    scheme: str = _INDEPENDENT
    ci_units: int = 0
    level: float = 0.95
    ci_bootstrap: tuple[float, float] | None = None
    warning: str | None = None

    @property
    def cbd(self) -> Any:
        """Contextuality-by-Default of the four contexts (:func:`ncnet.bell.cbd.chsh`):
        S_odd, Delta (the heads' direct influences) and the excess, as point values."""
        return cbd_chsh(self.C, 2.0 * self.acc_a - 1.0, 2.0 * self.acc_b - 1.0)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable dict of plain python floats/ints/lists (NaN/inf kept as floats).
        ``cbd``: :attr:`cbd` as point values; its interval, test and verdict are not computed
        yet (``None`` and an "undecided" verdict say so)."""
        cbd = self.cbd
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
            "cbd": {"delta": cbd.delta, "s_odd": cbd.s_odd, "excess": cbd.excess,
                    "ci": None, "p_value": None,
                    "verdict": "undecided (point values only: no item-level test of the "
                               "excess yet)"},
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

    :func:`ncnet.bell.score.score_pairs` on :data:`CHSH`, renamed: with ``items`` ids shared
    by all four pairs, the paired scheme (joint item bootstrap, :func:`paired_z_test`);
    otherwise independent pairs (stratified bootstrap, :func:`item_z_test`).  Raises
    ``ValueError`` naming the pair if a pair is empty, its A and B lengths differ, an id
    repeats within a pair or ids are shared by only some pairs.

    >>> r = score_items([[1, 1]] * 4, [[1, 1], [1, 1], [1, 1], [-1, -1]], n_boot=100)
    >>> r.S, r.scheme
    (4.0, 'independent-pairs')
    """
    _check_level(level, n_boot)
    _four(a_items, b_items)
    e = bell_score.score_pairs(CHSH, a_items, b_items, items=items, n_boot=n_boot,
                               level=level, seed=seed, with_bounds=False,
                               gap_intervals=False)
    return ChshScore(
        C=e.C,
        S=e.value,
        ci=e.ci,
        test=_as_chsh_test(e.test),
        n_items=e.n_items,
        acc_a=e.acc_a,
        acc_b=e.acc_b,
        gap_a=_frozen(e.gap_a[:, 0]),
        gap_b=_frozen(e.gap_b[:, 0]),
        c_product=e.c_product,
        s_product=e.value_product,
        scheme=e.scheme,
        ci_units=e.ci_units,
        level=level,
        ci_bootstrap=e.ci_bootstrap,
        warning=e.warning,
    )


def score_table(df: Any, *, n_boot: int = 10_000, level: float = 0.95, seed: int = 0) -> ChshScore:
    """Score a long table of outcomes.

    ``df``: pandas DataFrame with columns ``i``, ``j`` (setting, each in {1, 2}) and ``A``,
    ``B`` (outcomes as +-1, 1/0 or bool for correct/incorrect), one row per item; rows of the
    same (i, j) are the items of that pair, A and B on the same row paired.  An optional
    ``item`` column names each row's test item: when all four pairs hold the same ids they
    are resampled jointly (paired scheme); ids unique to each pair keep pairs independent.
    The table is read by :class:`ncnet.bell.score.OutcomeTable` with settings up to 2.
    Raises a one-line ``ValueError`` naming the bad value and what is allowed for missing
    columns, settings outside {1, 2}, bad outcome values, a missing pair, missing item ids,
    duplicate (i, j, item) rows, or ids shared by only some pairs.
    """
    try:
        table = bell_score.OutcomeTable.from_frame(df, most_settings=2)
        a_items, b_items, pair_ids, _ = table.pairs_for(CHSH)
        return score_items(a_items, b_items, n_boot=n_boot, level=level, seed=seed,
                           items=pair_ids)
    except ValueError as err:
        raise ValueError(f"score_table: {err}") from None


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
        c[i - 1, j - 1] = np.mean(_as_pm1(a).ravel() * _as_pm1(b).ravel())
    return c


def chsh_row(c: Any, acc_a: Any = None, acc_b: Any = None, *, suffix: str = "",
             c_product: bool = False) -> dict[str, float]:
    """The CHSH columns of one row: ``C11 .. C22`` and ``S`` (each name + ``suffix``); with the
    accuracies (2, 2) also ``acc_A{i}_B{j}`` / ``acc_B{j}_A{i}`` (head on its own task i / j in
    pair model (i, j)), the signalling gaps ``gap_A{t}``, ``gap_B{t}``, with ``c_product`` the
    product-of-marginals correlators ``C{i}{j}_product``, ``S_product``, and the
    Contextuality-by-Default quantities of :func:`ncnet.bell.cbd.chsh`: ``Delta`` (direct
    influences, ±1 units), ``S_odd`` and ``cbd_excess = S_odd - 2 - Delta`` (> 0: contextual
    beyond direct influence).

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
    cbd = (None if acc_a is None else
           np.stack(cbd_chsh_batch(c, 2.0 * acc_a - 1.0, 2.0 * acc_b - 1.0), axis=1))
    return [_row(c[r], float(s[r]), None if acc_a is None else acc_a[r],
                 None if acc_b is None else acc_b[r], suffix, False,
                 None if cbd is None else cbd[r])
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
         c_product: bool, cbd: Any = None) -> dict[str, float]:
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
    if cbd is None:  # one row: the scalar form (a sweep passes its batch's values)
        one = cbd_chsh(c, 2.0 * acc_a - 1.0, 2.0 * acc_b - 1.0)
        cbd = (one.delta, one.s_odd, one.excess)
    row["Delta"], row["S_odd"], row["cbd_excess"] = (float(v) for v in cbd)
    return row
