"""CHSH statistics on +-1 outcome arrays (numpy + scipy only).

Conventions
-----------
Outcomes are +1 (correct) / -1 (incorrect).  Setting pairs are indexed ``[i - 1, j - 1]`` for
Alice's task ``i`` and Bob's task ``j`` (both in {1, 2}); outcome arrays have shape
``(..., 2, 2, N)`` with the items on the last axis.  ``S = C11 + C12 + C21 - C22``.

Bounds: ``|S| <= 2`` whenever the four correlators come from one joint distribution of
(A1, A2, B1, B2) (local bound); ``|S| <= 2*sqrt(2)`` for quantum correlations (Tsirelson);
``|S| <= 4`` always (no-signalling / algebraic bound).  When the four pairs are measured on four
separately trained models there is no joint distribution, so only the bound 4 applies and
``S > 2`` requires the marginals to depend on the other side's setting (signalling), which
:func:`signalling_gap` reports.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


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
    "test_s_above",
    "item_bootstrap_s",
    "item_z_test",
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

    ``values``: 1-D per-run S values (finite).  Returns ``{"test", "n", "mean", "statistic",
    "p_value", "bound"}``.  ``n < 2``: statistic and p-value NaN.  Zero variance: statistic
    +-inf (NaN if mean == bound), p-value 0.0 if mean > bound else 1.0.  No warnings emitted.
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
        if mean > bound:
            out["statistic"], out["p_value"] = math.inf, 0.0
        elif mean < bound:
            out["statistic"], out["p_value"] = -math.inf, 1.0
        else:
            out["p_value"] = 1.0
        return out
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = stats.ttest_1samp(vals, bound, alternative="greater")
    out["statistic"] = float(res.statistic)
    out["p_value"] = float(res.pvalue)
    return out


# Not a pytest test despite the name.
test_s_above.__test__ = False  # type: ignore[attr-defined]


# --------------------------------------------------------------------------------------------
# Uncertainty over items (one set of four pair-samples)
# --------------------------------------------------------------------------------------------


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


def item_bootstrap_s(
    a_items: Sequence[Any],
    b_items: Sequence[Any],
    n_boot: int = 10_000,
    level: float = 0.95,
    seed: int = 0,
) -> tuple[float, float]:
    """Stratified percentile bootstrap CI of S over items.

    ``a_items``, ``b_items``: 4 one-dimensional +-1 arrays each, pairs in order (1,1), (1,2),
    (2,1), (2,2); pair (i, j) may have its own item count, A and B paired by position.  Items
    are resampled with replacement within each pair independently and S recomputed.  Because
    the products ``a*b`` are +-1, the number of +1 products in a resample of N items is exactly
    Binomial(N, k/N) (k = observed +1 count); this is drawn directly (O(n_boot) work, same
    distribution as explicit index resampling).  Returns ``(lo, hi)``, within [-4, 4].
    """
    _check_level(level, n_boot)
    prods = _pair_items(a_items, b_items)
    rng = np.random.default_rng(seed)
    s_boot = np.zeros(int(n_boot))
    for (i, j), p in zip(PAIRS, prods, strict=True):
        n = p.size
        k_plus = rng.binomial(n, np.count_nonzero(p > 0) / n, size=int(n_boot))
        s_boot += CHSH_SIGNS[i - 1, j - 1] * (2.0 * k_plus / n - 1.0)
    return _percentile_ci(s_boot, level)


def item_z_test(c: Any, n_items: Any, bound: float = LOCAL_BOUND) -> dict[str, Any]:
    """Normal-approximation one-sided test of ``S > bound`` for one set of four pair-samples.

    ``c``: correlators (2, 2); ``n_items``: item counts (2, 2), pairs independent.
    ``Var(C_ij) = (1 - C_ij**2) / N_ij``, ``SE(S) = sqrt(sum Var)``, ``z = (S - bound) / SE``,
    ``p = 1 - Phi(z)``.  SE == 0: z = +-inf (NaN if S == bound), p = 0.0 if S > bound else 1.0.
    Returns ``{"test", "S", "se", "z", "p_value", "bound"}``.
    """
    c = np.asarray(c, dtype=np.float64)
    n_items = np.asarray(n_items, dtype=np.float64)
    if c.shape != (2, 2) or n_items.shape != (2, 2):
        raise ValueError(f"c and n_items must have shape (2, 2); got {c.shape} and {n_items.shape}")
    if not np.all(np.abs(c) <= 1.0):
        raise ValueError(f"correlators must lie in [-1, 1]; got {c.tolist()}")
    if not np.all(n_items > 0):
        raise ValueError(f"n_items must be positive; got {n_items.tolist()}")
    s = float(chsh_value(c))
    bound = float(bound)
    se = float(np.sqrt(np.sum((1.0 - c**2) / n_items)))
    if se == 0.0:
        if s > bound:
            z, p = math.inf, 0.0
        elif s < bound:
            z, p = -math.inf, 1.0
        else:
            z, p = math.nan, 1.0
    else:
        z = (s - bound) / se
        p = float(stats.norm.sf(z))
    return {
        "test": "z-test (normal approx., independent pairs, one-sided)",
        "S": s,
        "se": se,
        "z": float(z),
        "p_value": p,
        "bound": bound,
    }


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
    product-of-marginals prediction and ``s_product`` its S.  Arrays are read-only.
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

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable dict of plain python floats/ints/lists (NaN/inf kept as floats)."""
        return {
            "C": self.C.tolist(),
            "S": float(self.S),
            "ci": [float(self.ci[0]), float(self.ci[1])],
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
) -> ChshScore:
    """Score four pair-samples (same input as :func:`item_bootstrap_s`).

    CI: stratified item bootstrap; test: :func:`item_z_test` of S > 2.  Raises ``ValueError``
    naming the pair if a pair is empty or its A and B lengths differ.
    """
    _check_level(level, n_boot)
    _pair_items(a_items, b_items)  # validate before computing anything
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
    return ChshScore(
        C=_frozen(c),
        S=float(chsh_value(c)),
        ci=item_bootstrap_s(a_items, b_items, n_boot=n_boot, level=level, seed=seed),
        test=item_z_test(c, n_items, bound=LOCAL_BOUND),
        n_items=_frozen(n_items, dtype=np.int64),
        acc_a=_frozen(acc_a),
        acc_b=_frozen(acc_b),
        gap_a=_frozen(gap_a),
        gap_b=_frozen(gap_b),
        c_product=_frozen(c_prod),
        s_product=float(chsh_value(c_prod)),
    )


_NUMBER_TYPES = (bool, np.bool_, int, float, np.number)


def score_table(df: Any, *, n_boot: int = 10_000, level: float = 0.95, seed: int = 0) -> ChshScore:
    """Score a long table of outcomes.

    ``df``: pandas DataFrame with columns ``i``, ``j`` (setting, each in {1, 2}) and ``A``,
    ``B`` (outcomes as +-1, 1/0 or bool for correct/incorrect), one row per item; rows of the
    same (i, j) are the items of that pair, A and B on the same row paired.  Raises a one-line
    ``ValueError`` naming the bad value and what is allowed for missing columns, settings
    outside {1, 2}, bad outcome values or a missing pair.
    """
    import pandas as pd

    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"score_table: expected a pandas DataFrame; got {type(df).__name__}")
    missing = [col for col in ("i", "j", "A", "B") if col not in df.columns]
    if missing:
        raise ValueError(
            f"score_table: missing column(s) {missing}; required columns are i, j, A, B"
        )

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

    a_items, b_items = [], []
    for i, j in PAIRS:
        mask = (settings["i"] == i) & (settings["j"] == j)
        if not mask.any():
            raise ValueError(
                f"score_table: no rows for pair (i={i}, j={j}); all four pairs "
                "(1,1), (1,2), (2,1), (2,2) are required"
            )
        a_items.append(outcomes["A"][mask])
        b_items.append(outcomes["B"][mask])
    return score_items(a_items, b_items, n_boot=n_boot, level=level, seed=seed)


def pm_string(outcomes: Any) -> str:
    """±1 outcomes (1-D) as a compact string, '+' for +1 and '-' for -1 (how stores keep them)."""
    return "".join("+" if v > 0 else "-" for v in np.asarray(outcomes).ravel())


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


def _row(c: np.ndarray, s: float, acc_a: Any, acc_b: Any, suffix: str,
         c_product: bool) -> dict[str, float]:
    row = {f"C{i}{j}{suffix}": float(c[i - 1, j - 1]) for i, j in PAIRS}
    row[f"S{suffix}"] = s
    if acc_a is None or acc_b is None:
        return row
    acc_a = np.asarray(acc_a, dtype=np.float64)
    acc_b = np.asarray(acc_b, dtype=np.float64)
    for i, j in PAIRS:
        row[f"acc_A{i}_B{j}"] = float(acc_a[i - 1, j - 1])
        row[f"acc_B{j}_A{i}"] = float(acc_b[i - 1, j - 1])
    gap_a, gap_b = signalling_gap(acc_a, acc_b)
    for t in (1, 2):
        row[f"gap_A{t}"] = float(gap_a[t - 1])
        row[f"gap_B{t}"] = float(gap_b[t - 1])
    prod = product_prediction(acc_a, acc_b)
    if c_product:
        for i, j in PAIRS:
            row[f"C{i}{j}_product"] = float(prod[i - 1, j - 1])
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
