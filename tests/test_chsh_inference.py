"""Simulation checks of ncnet.chsh's intervals: do they cover what they claim?

Each scenario is vectorised or a short loop (a few seconds); its numbers are stated in the test.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.special import expit

from ncnet import chsh
from ncnet.bell.score import INDEPENDENT_SCHEME, PAIRED_SCHEME
from ncnet.stats.resampling import bootstrap_ci
from ncnet.stats.runs import (
    describe_fraction,
    fraction_ci,
    holm,
    ols_slope,
    slope_over_seeds,
    t_interval,
    welch_test,
)
from ncnet.stats.verdicts import verdict

# Shared-difficulty scenario (the LoRA design): pair (i, j) scores Alice's test item k of task i
# and Bob's item k of task j, so pairs (1,1) and (1,2) see the same A1 items, (1,1) and (2,1)
# the same B1 items. Items of A1 and B1 have a nearly deterministic difficulty (logit offset
# 15 + 15·z: about 84% of the items are easy in every model that sees them); A2 and B2 are
# 98.7% correct with no item effect. The correlators C11, C12, C21 then covary positively.
MEAN = {"A1": 15.0, "A2": 5.0, "B1": 15.0, "B2": 5.0}
SPREAD = {"A1": 15.0, "A2": 0.0, "B1": 15.0, "B2": 0.0}
ITEMS, REPS = 150, 1000


def _true_s() -> float:
    """S of the population (new items, new model noise), by Gauss–Hermite quadrature."""
    z, w = np.polynomial.hermite_e.hermegauss(201)
    w = w / w.sum()
    mean_pm = {k: float(np.sum(w * (2 * expit(MEAN[k] + SPREAD[k] * z) - 1))) for k in MEAN}
    return sum(chsh.CHSH_SIGNS[i - 1, j - 1] * mean_pm[f"A{i}"] * mean_pm[f"B{j}"]
               for i, j in chsh.PAIRS)


def _draw(rng: np.random.Generator) -> tuple[list[np.ndarray], list[np.ndarray]]:
    offset = {k: MEAN[k] + SPREAD[k] * rng.normal(size=ITEMS) for k in MEAN}
    a = [np.where(rng.random(ITEMS) < expit(offset[f"A{i}"]), 1, -1) for i, _ in chsh.PAIRS]
    b = [np.where(rng.random(ITEMS) < expit(offset[f"B{j}"]), 1, -1) for _, j in chsh.PAIRS]
    return a, b


def test_paired_item_scheme_covers_where_independent_pairs_do_not() -> None:
    """1,000 repetitions of 150 shared items: the joint item bootstrap and the paired interval
    (the inverted likelihood ratio test) cover the true S at >= 0.93; the independent-pairs
    bootstrap and interval, blind to the shared items, cover < 0.90."""
    true_s = _true_s()
    rng = np.random.default_rng(1)
    ids = [np.arange(ITEMS)] * 4
    hits = {"paired": 0, "independent": 0, "paired test": 0, "independent test": 0}
    for rep in range(REPS):
        a, b = _draw(rng)
        lo, hi = chsh.item_bootstrap_s(a, b, n_boot=1000, seed=rep, items=ids)
        hits["paired"] += lo <= true_s <= hi
        lo, hi = chsh.item_bootstrap_s(a, b, n_boot=1000, seed=rep)
        hits["independent"] += lo <= true_s <= hi
        for name, items in (("paired test", ids), ("independent test", None)):
            score = chsh.score_items(a, b, n_boot=1, items=items)
            hits[name] += score.ci[0] <= true_s <= score.ci[1]
    cover = {k: v / REPS for k, v in hits.items()}
    assert cover["paired"] >= 0.93, cover
    assert cover["paired test"] >= 0.93, cover
    assert cover["independent"] < 0.90, cover
    assert cover["independent test"] < 0.90, cover


def test_fraction_interval_covers_at_the_edge() -> None:
    """Exact coverage (sum over the binomial) of the Clopper–Pearson interval with 50 runs, at
    true fractions where "S > 2 in all runs" is decided: >= 0.95 everywhere (it is exact), and
    >= 0.93 at p = 0.97 as required. A percentile bootstrap of 0/1 values covers 0.75 there."""
    n = 50
    for p in (0.5, 0.9, 0.97, 0.99, 0.999):
        k = np.arange(n + 1)
        inside = np.array([lo <= p <= hi for lo, hi in (fraction_ci(v, n) for v in k)])
        coverage = float(np.sum(stats.binom.pmf(k, n, p) * inside))
        assert coverage >= 0.95 - 1e-9, (p, coverage)
    # the bootstrap it replaces collapses to a point when all 50 runs agree
    assert bootstrap_ci(np.ones(50), n_boot=500) == (1.0, 1.0)
    assert fraction_ci(50, 50)[0] == pytest.approx(0.92887, abs=1e-5)


def test_fraction_interval_reference_values() -> None:
    """Clopper–Pearson against the beta quantiles written out by hand (1 of 50 runs)."""
    lo, hi = fraction_ci(1, 50)
    assert lo == pytest.approx(stats.beta.ppf(0.025, 1, 50))
    assert hi == pytest.approx(stats.beta.ppf(0.975, 2, 49))
    assert fraction_ci(0, 10) == (0.0, pytest.approx(1 - 0.025 ** (1 / 10)))
    d = describe_fraction([True, False, False, False])
    assert (d["k"], d["n"], d["fraction"]) == (1, 4, 0.25)
    with pytest.raises(ValueError, match="k=5, n=4"):
        fraction_ci(5, 4)


def test_t_interval_over_three_seeds_covers() -> None:
    """20,000 sets of 3 normal seed-level values: the t-interval covers the mean >= 0.93
    (measured 0.95); the percentile bootstrap it replaces covers about 0.75."""
    rng = np.random.default_rng(3)
    x = rng.normal(1.8, 0.05, size=(20_000, 3))
    m, sd = x.mean(axis=1), x.std(axis=1, ddof=1)
    half = stats.t.ppf(0.975, 2) * sd / math.sqrt(3)
    cover = float(np.mean(np.abs(m - 1.8) <= half))
    assert cover >= 0.93
    lo, hi = t_interval(x[0])
    assert (lo, hi) == (pytest.approx(m[0] - half[0]), pytest.approx(m[0] + half[0]))
    assert t_interval([1.7]) is None
    boot = np.mean([lo <= 1.8 <= hi for lo, hi in
                    (bootstrap_ci(row, n_boot=300, seed=s) for s, row in enumerate(x[:400]))])
    assert boot < 0.85


def test_paired_z_test_by_hand() -> None:
    """Per-item sums T = (2, 2, 4, 0): S = 2 is the null itself, so the null law is the data's
    own: variance mean((T - 2)^2) = 2, SE = sqrt(2 / 4), z = 0, p = 0.5."""
    paired = np.array([[1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, -1], [1, 1, -1, 1]])
    t = chsh.paired_z_test(paired)
    assert t["S"] == pytest.approx(2.0)
    assert t["se"] == pytest.approx(math.sqrt(0.5))
    assert t["p_value"] == pytest.approx(0.5)
    assert t["n"] == 4


def test_paired_bootstrap_equals_index_resampling() -> None:
    """The multinomial shortcut has the distribution of resampling item indices: both give the
    same 2.5/97.5 percentiles to within one step of S's lattice (2/60) at 40,000 resamples."""
    rng = np.random.default_rng(5)
    a = [np.where(rng.random(60) < 0.8, 1, -1) for _ in range(4)]
    b = [np.where(rng.random(60) < 0.7, 1, -1) for _ in range(4)]
    lo, hi = chsh.item_bootstrap_s(a, b, n_boot=40_000, items=[np.arange(60)] * 4)
    t = sum(chsh.CHSH_SIGNS.ravel()[p] * a[p] * b[p] for p in range(4))
    idx = rng.integers(0, 60, size=(40_000, 60))
    ref = np.percentile(t[idx].mean(axis=1), [2.5, 97.5])
    assert lo == pytest.approx(ref[0], abs=0.034) and hi == pytest.approx(ref[1], abs=0.034)


def test_items_align_by_id_not_by_row_order() -> None:
    """Shuffling one pair's rows together with its ids leaves the paired score unchanged."""
    rng = np.random.default_rng(6)
    a = [np.where(rng.random(40) < 0.8, 1, -1) for _ in range(4)]
    b = [np.where(rng.random(40) < 0.8, 1, -1) for _ in range(4)]
    ids = [np.arange(40)] * 4
    ref = chsh.score_items(a, b, n_boot=500, items=ids)
    perm = rng.permutation(40)
    a2, b2, ids2 = list(a), list(b), list(ids)
    a2[3], b2[3], ids2[3] = a[3][perm], b[3][perm], ids[3][perm]
    got = chsh.score_items(a2, b2, n_boot=500, items=ids2)
    assert got.ci == ref.ci and got.test == ref.test and got.scheme == PAIRED_SCHEME


def _frame(rng: np.random.Generator, ids: dict[tuple[int, int], list] | None = None):
    rows = []
    for i, j in chsh.PAIRS:
        for k in (ids or {}).get((i, j), range(30)):
            rows.append({"i": i, "j": j, "item": k, "A": int(rng.random() < 0.8),
                         "B": int(rng.random() < 0.7)})
    return pd.DataFrame(rows)


def test_score_table_item_column_schemes() -> None:
    rng = np.random.default_rng(7)
    shared = chsh.score_table(_frame(rng), n_boot=500)
    assert shared.scheme == PAIRED_SCHEME and shared.ci_units == 30
    disjoint = {(i, j): [f"{i}{j}-{k}" for k in range(30)] for i, j in chsh.PAIRS}
    own = chsh.score_table(_frame(rng, disjoint), n_boot=500)
    assert own.scheme == INDEPENDENT_SCHEME
    no_col = chsh.score_table(_frame(rng).drop(columns="item"), n_boot=500)
    assert no_col.scheme == INDEPENDENT_SCHEME


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda f: f.assign(item=f["item"].astype(float).where(f.index != 3)),
         "column 'item' has missing values"),
        (lambda f: pd.concat([f, f.iloc[[0]]]), "occur more than once"),
        (lambda f: f.assign(item=np.where(f["i"] == 2, f["item"] + 15, f["item"])),
         "shared by only some pairs"),
    ],
)
def test_score_table_item_column_errors(mutate, message) -> None:
    frame = mutate(_frame(np.random.default_rng(8)))
    with pytest.raises(ValueError, match=message) as err:
        chsh.score_table(frame, n_boot=10)
    assert "\n" not in str(err.value)


def test_holm_and_welch_by_hand() -> None:
    assert holm([0.01, 0.04, 0.03]) == [0.03, 0.06, 0.06]
    assert holm([0.5, float("nan")])[0] == 0.5
    x, y = [3.0, 4.0, 5.0], [1.0, 2.0, 3.0]
    w = welch_test(x, y)
    # equal variances and sizes: t = 2 / sqrt(2/3), df = 4
    assert w["diff"] == 2.0 and w["df"] == pytest.approx(4.0)
    assert w["p_value"] == pytest.approx(stats.t.sf(2 / math.sqrt(2 / 3), 4))


def test_slopes_by_hand() -> None:
    x = np.log2([1, 2, 4, 8])
    assert ols_slope(x, 1 + 0.1 * x) == pytest.approx(0.1)
    seeds = slope_over_seeds(x, [[1.0, 1.1, 1.2, 1.3], [1.0, 1.2, 1.4, 1.6]])
    assert seeds["per_seed"] == [pytest.approx(0.1), pytest.approx(0.2)]
    assert seeds["ci"][0] < 0.15 < seeds["ci"][1]
    # items that make S rise by exactly 0.5 per doubling in every resample: a zero-width CI
    paired = np.ones((4, 4, 10))
    paired[:, 3] = -1  # S = 4 at every rank ...
    paired[0, 0, :5] = -1  # ... except rank 1, where half of C11's items fail: S = 3
    boot = chsh.slope_item_bootstrap(x, paired, n_boot=300)
    assert boot["slope"] == pytest.approx(ols_slope(x, [3, 4, 4, 4]))
    assert boot["ci"][0] <= boot["slope"] <= boot["ci"][1]


def test_verdicts_follow_intervals() -> None:
    assert verdict((0.93, 1.0), (0.9289, 1.0), "50 runs") == "agrees"
    assert verdict((0.6, 0.85), (0.9289, 1.0), "50 runs") == "does not reproduce"
    assert verdict((0.4, 0.6), (0.5, math.inf), "50 runs") == "undecided at 50 runs"
    assert verdict(None, (2, math.inf), "1 seed") == "undecided at 1 seed"
