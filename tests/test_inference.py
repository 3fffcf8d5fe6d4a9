"""The item tests and intervals at the sizes users have (issue 14): 30-150 items, uneven
counts, near-perfect accuracy, S exactly 2, no spread. Simulation sizes are CI-sized (2,000
repetitions, a few seconds each); every rate is asserted with its Clopper–Pearson interval in
the message. The larger runs (4,000-20,000 repetitions) are on docs/statistics.md
and come from ``scripts/item_test_sizes.py``."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from ncnet import chsh
from ncnet.bell.score import PAIRED_SCHEME
from ncnet.stats.bounded import (
    binomial_sum_interval,
    binomial_sum_test,
    bounded_mean_interval,
    bounded_mean_test,
)
from ncnet.stats.runs import fraction_ci

REPS = 2000
SIGNS = chsh.CHSH_SIGNS.ravel()
#: Products (p11, p12, p21, p22) giving each per-item CHSH sum T.
PATTERN = {4: (1, 1, 1, -1), 2: (1, 1, 1, 1), 0: (1, 1, -1, 1), -2: (1, -1, -1, 1)}


def _rate(hits: int) -> str:
    lo, hi = fraction_ci(hits, REPS)
    return f"{hits / REPS:.4f} [{lo:.4f}, {hi:.4f}] of {REPS}"


def _paired_draw(rng: np.random.Generator, config: str, k: int) -> np.ndarray:
    """Aligned products (4, K) of one simulated test set with true S = 2."""
    if config == "independent products, C = ±0.5":
        c = np.array([0.5, 0.5, 0.5, -0.5])
        return np.where(rng.random((4, k)) < (1 + c[:, None]) / 2, 1, -1)
    t = rng.choice([4, 2, 0, -2], size=k, p=[0.3, 0.5, 0.1, 0.1])  # mean exactly 2
    return np.array([PATTERN[v] for v in t]).T


@pytest.mark.parametrize("k", [30, 60, 150])
@pytest.mark.parametrize("config", ["independent products, C = ±0.5", "T in {4, 2, 0, -2}"])
def test_paired_item_test_has_its_size_at_s_equal_2(k, config):
    """One-sided 5% test of S > 2 at S = 2 on K shared items: size within 0.04-0.065 (the
    z-test on sd(T) it replaces had 0.07-0.085 at K = 30)."""
    rng = np.random.default_rng(k)
    hits = sum(chsh.paired_z_test(_paired_draw(rng, config, k))["p_value"] < 0.05
               for _ in range(REPS))
    assert 0.04 <= hits / REPS <= 0.065, _rate(hits)


@pytest.mark.parametrize(("counts", "c"), [
    ((30,) * 4, (0.5, 0.5, 0.5, -0.5)), ((60,) * 4, (0.5, 0.5, 0.5, -0.5)),
    ((150,) * 4, (0.5, 0.5, 0.5, -0.5)), ((30, 60, 150, 500), (0.5, 0.5, 0.5, -0.5)),
    ((30,) * 4, (0.9, 0.9, 0.6, 0.4)), ((30, 60, 150, 500), (0.9, 0.9, 0.6, 0.4)),
])
def test_independent_item_test_has_its_size_at_s_equal_2(counts, c):
    """The same for four independent pairs, equal and uneven item counts (the plug-in SE had
    0.061-0.095, worst with uneven counts)."""
    rng = np.random.default_rng(sum(counts))
    n = np.array(counts, dtype=float).reshape(2, 2)
    p = (1 + np.array(c)) / 2
    hits = 0
    for _ in range(REPS):
        kk = rng.binomial(counts, p).reshape(2, 2)
        hits += chsh.item_z_test(2 * kk / n - 1, n)["p_value"] < 0.05
    assert 0.04 <= hits / REPS <= 0.065, _rate(hits)


def _covers_paired(t: np.ndarray, true_s: float) -> bool:
    """Duality: the interval keeps ``true_s`` iff the two-sided test at ``true_s`` does."""
    p = bounded_mean_test(t, true_s, -4.0, 4.0)["p_value"]
    return 0.025 <= p <= 0.975


def test_intervals_are_the_inverted_tests():
    rng = np.random.default_rng(3)
    for _ in range(5):
        t = rng.choice([4, 2, 0, -2], size=40, p=[0.4, 0.4, 0.1, 0.1]).astype(float)
        lo, hi = bounded_mean_interval(t, -4.0, 4.0)
        for edge, p in ((lo, 0.025), (hi, 0.975)):
            if -4.0 < edge < 4.0:
                assert bounded_mean_test(t, edge, -4.0, 4.0)["p_value"] == (
                    pytest.approx(p, abs=1e-6))
        k = rng.binomial(50, [0.9, 0.8, 0.85, 0.3])
        lo, hi = binomial_sum_interval(k, [50] * 4, SIGNS)
        for edge, p in ((lo, 0.025), (hi, 0.975)):
            if -4.0 < edge < 4.0:
                assert binomial_sum_test(k, [50] * 4, SIGNS, edge)["p_value"] == (
                    pytest.approx(p, abs=1e-6))


def test_near_perfect_accuracy_is_covered_at_30_items():
    """Every head right with probability 0.995, 30 shared items: true S = 2 · 0.99² =
    1.9602. Most samples are all correct (S = 2); the percentile bootstrap then collapses to
    [2, 2] and misses, the inverted test keeps its level."""
    rng = np.random.default_rng(0)
    acc, k = 0.995, 30
    true_s = 2 * (2 * acc - 1) ** 4  # C = (2 acc - 1)^2 for each pair: 0.9801
    covered = boot = 0
    ids = [np.arange(k)] * 4
    for rep in range(REPS):
        a = np.where(rng.random((4, k)) < acc, 1, -1)
        b = np.where(rng.random((4, k)) < acc, 1, -1)
        covered += _covers_paired(SIGNS @ (a * b), true_s)
        if rep < 300:
            lo, hi = chsh.item_bootstrap_s(list(a), list(b), n_boot=200, seed=rep, items=ids)
            boot += lo <= true_s <= hi
    assert covered / REPS >= 0.93, _rate(covered)
    assert boot / 300 < 0.7, boot


def test_uneven_independent_pairs_are_covered():
    """Pairs of 30, 60, 150 and 500 items with accuracies near 1 on the easy pairs."""
    rng = np.random.default_rng(1)
    counts = np.array([30, 60, 150, 500])
    p = np.array([0.99, 0.97, 0.9, 0.3])  # P(A·B = +1); C = 2p - 1
    true_s = float(SIGNS @ (2 * p - 1))
    covered = 0
    for _ in range(REPS):
        k = rng.binomial(counts, p)
        pv = binomial_sum_test(k, counts, SIGNS, true_s)["p_value"]
        covered += 0.025 <= pv <= 0.975
    assert covered / REPS >= 0.93, _rate(covered)


def test_no_spread_gives_no_p_zero_and_no_point_interval():
    """K = 8 items that all give T = 4, as `ncnet score` sees them: p >= 0.05 (the exact worst
    case under S <= 2 is 0.75^8 = 0.10), the interval is not a point, and a warning names K."""
    rows = [(i, j, k, 1, 1 if (i, j) != (2, 2) else 0) for i in (1, 2) for j in (1, 2)
            for k in range(8)]
    score = chsh.score_table(pd.DataFrame(rows, columns=["i", "j", "item", "A", "B"]))
    assert score.scheme == PAIRED_SCHEME and score.S == 4.0
    assert score.test["p_value"] >= 0.05
    assert score.ci[1] - score.ci[0] > 1.0 and score.ci[1] == 4.0
    assert "K = 8" in score.warning
    assert score.ci_bootstrap == (4.0, 4.0)  # what the old interval said


def test_score_tests_by_hand():
    # all T = 4 on K = 8: the likeliest law with mean 2 on [-4, 4] is 4 w.p. 3/4, -4 w.p. 1/4
    t = bounded_mean_test([4.0] * 8, 2.0, -4.0, 4.0)
    assert t["se"] == pytest.approx(math.sqrt(12 / 8))
    assert t["z"] == pytest.approx(2 / math.sqrt(12 / 8))
    # interior case: T in {4, 0} half each at null 2 is the data's own law, so z = 0
    assert bounded_mean_test([4.0, 0.0] * 10, 2.0, -4.0, 4.0)["p_value"] == 0.5
    # null at the range's end: nothing can exceed it
    assert bounded_mean_test([4.0] * 8, 4.0, -4.0, 4.0)["p_value"] == 1.0
    with pytest.raises(ValueError, match="outside"):
        bounded_mean_test([5.0], 2.0, -4.0, 4.0)
