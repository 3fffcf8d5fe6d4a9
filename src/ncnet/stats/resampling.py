"""Percentile bootstrap intervals over independent replicates (numpy only).

:func:`bootstrap_ci` resamples the first axis of any array; :func:`bootstrap_mean_ci` and
:func:`bootstrap_mean_cis` give the same intervals of means to the last bit with the resample
index drawn once for many columns (a summary takes CIs of dozens of columns over the same
runs); :func:`discrete_mean_bootstrap` draws the means of a sample with few distinct values
from the multinomial law of their counts. Nothing here knows a Bell expression.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["bootstrap_ci", "bootstrap_mean_ci", "bootstrap_mean_cis", "check_level",
           "discrete_mean_bootstrap", "percentile_ci", "CHUNK_ELEMENTS"]

#: Largest number of elements materialised at once by the vectorised bootstrap.
CHUNK_ELEMENTS = 2_000_000

_AXIS_STATISTICS: tuple[Callable[..., Any], ...] = (np.mean, np.median, np.nanmean, np.nanmedian)


def check_level(level: float, n_boot: int) -> None:
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1); got {level}")
    if int(n_boot) < 1:
        raise ValueError(f"n_boot must be >= 1; got {n_boot}")


def percentile_ci(boot: np.ndarray, level: float) -> tuple[float, float]:
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
    check_level(level, n_boot)
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
        chunk = max(1, CHUNK_ELEMENTS // row)
        parts = []
        for start in range(0, n_boot, chunk):
            idx = rng.integers(0, n, size=(min(chunk, n_boot - start), n))
            sample = vals[idx]  # (chunk, n, ...)
            parts.append(statistic(sample, axis=tuple(range(1, sample.ndim))))
        boot = np.concatenate(parts)
    else:
        idx = rng.integers(0, n, size=(n_boot, n))
        boot = np.array([float(statistic(vals[k])) for k in idx])
    return percentile_ci(boot, level)


def discrete_mean_bootstrap(
    values: np.ndarray, n_boot: int, rng: np.random.Generator
) -> np.ndarray:
    """Bootstrap means of a sample with few distinct values: the value counts of a resample of
    K items are Multinomial(K, observed frequencies), drawn directly (exactly the
    distribution of index resampling, O(n_boot) work)."""
    uniq, counts = np.unique(values, return_counts=True)
    k = values.size
    draws = rng.multinomial(k, counts / k, size=int(n_boot))
    return draws @ uniq / k



_SHARED_INDEX_ELEMENTS = 4_000_000  # largest resample index kept for reuse (int64: 32 MB)


def _shared_index(n: int, n_boot: int, seed: int) -> list[np.ndarray]:
    """The resample index chunks :func:`bootstrap_ci` draws for ``n`` values (same generator,
    same chunks), kept for the next call with the same ``(n, n_boot, seed)``."""
    key = (n, n_boot, seed)
    if key not in _INDEX_CACHE:
        rng = np.random.default_rng(seed)
        chunk = max(1, CHUNK_ELEMENTS // n)
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
    check_level(level, n_boot)
    boot = np.concatenate([np.mean(vals[idx], axis=1)
                           for idx in _shared_index(n, int(n_boot), seed)])
    return percentile_ci(boot, level)


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
    check_level(level, n_boot)
    n, m = vals.shape
    n_boot = int(n_boot)
    if n < 2 or n_boot * n <= _SHARED_INDEX_ELEMENTS:
        return [bootstrap_mean_ci(vals[:, c], n_boot, level, seed) for c in range(m)]
    rng = np.random.default_rng(seed)
    chunk = max(1, CHUNK_ELEMENTS // n)  # the chunks bootstrap_ci draws, in the same order
    parts = []
    for start in range(0, n_boot, chunk):
        rows = min(chunk, n_boot - start)
        idx = rng.integers(0, n, size=(rows, n))
        idx += (np.arange(rows) * n)[:, None]
        counts = np.bincount(idx.ravel(), minlength=rows * n).reshape(rows, n)
        parts.append(counts.astype(np.float64) @ vals / n)
    boot = np.concatenate(parts)
    return [percentile_ci(boot[:, c], level) for c in range(m)]
