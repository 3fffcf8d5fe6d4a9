"""Tests for ncnet.chsh (pure statistics on +-1 outcomes)."""

from __future__ import annotations

import dataclasses
import json
import math
import warnings
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from ncnet.chsh import (
    CHSH_SIGNS,
    LOCAL_BOUND,
    NO_SIGNALLING_BOUND,
    TSIRELSON_BOUND,
    ChshScore,
    chsh_value,
    correlators,
    item_bootstrap_s,
    item_z_test,
    marginals,
    product_prediction,
    score_items,
    score_table,
    signalling_gap,
    test_s_above,
)
from ncnet.stats.outcomes import as_pm1
from ncnet.stats.resampling import bootstrap_ci

# --------------------------------------------------------------------------------------------
# Hand-made outcome tables, shape (2, 2, N), indexed [i-1, j-1, item]
# --------------------------------------------------------------------------------------------

# Mixed table (N = 4).  Products a*b per pair:
#   (1,1): [1, 1, -1, 1] -> C = 1/2      (1,2): [1, -1, 1, 1] -> C = 1/2
#   (2,1): [-1, 1, -1, 1] -> C = 0       (2,2): [1, -1, 1, 1] -> C = 1/2
# S = 1/2 + 1/2 + 0 - 1/2 = 1/2.
MIXED_A = np.array(
    [
        [[1, 1, 1, -1], [1, -1, 1, 1]],
        [[1, 1, -1, -1], [1, -1, -1, -1]],
    ]
)
MIXED_B = np.array(
    [
        [[1, 1, -1, -1], [1, 1, 1, 1]],
        [[-1, 1, 1, -1], [1, 1, -1, -1]],
    ]
)


def _frac_correlators(a: np.ndarray, b: np.ndarray) -> list[list[Fraction]]:
    n = a.shape[-1]
    return [[Fraction(int(np.sum(a[i, j] * b[i, j])), n) for j in range(2)] for i in range(2)]


def test_constants() -> None:
    assert LOCAL_BOUND == 2.0
    assert TSIRELSON_BOUND == pytest.approx(2.8284271247461903, abs=1e-15)
    assert NO_SIGNALLING_BOUND == 4.0
    np.testing.assert_array_equal(CHSH_SIGNS, [[1.0, 1.0], [1.0, -1.0]])


# --------------------------------------------------------------------------------------------
# as_pm1
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "expected"),
    [
        (np.array([True, False, True]), [1.0, -1.0, 1.0]),
        (np.array([1, 0, 0, 1]), [1.0, -1.0, -1.0, 1.0]),
        (np.array([1, -1, -1], dtype=np.int8), [1.0, -1.0, -1.0]),
        ([1.0, -1.0], [1.0, -1.0]),
        ([0.0, 0.0], [-1.0, -1.0]),
        (np.array([1, 1], dtype=np.uint8), [1.0, 1.0]),
    ],
)
def test_as_pm1_conversions(x: object, expected: list[float]) -> None:
    out = as_pm1(x)
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, expected)


def test_as_pm1_keeps_shape_and_scalars() -> None:
    out = as_pm1(np.zeros((2, 2, 3), dtype=bool))
    assert out.shape == (2, 2, 3)
    assert np.all(out == -1.0)
    assert as_pm1(True) == 1.0
    assert as_pm1(0) == -1.0


@pytest.mark.parametrize(
    ("x", "named"),
    [
        ([1, 0.5, -1], "0.5"),
        ([1, 2, 1], "2"),
        ([1.0, float("nan")], "nan"),
        (np.array(["1", "0"]), "'1'"),
        ([1, 0, -1], "mix 0 and -1"),
    ],
)
def test_as_pm1_rejects(x: object, named: str) -> None:
    with pytest.raises(ValueError, match="as_pm1") as err:
        as_pm1(x)
    assert named in str(err.value)


# --------------------------------------------------------------------------------------------
# correlators / chsh_value
# --------------------------------------------------------------------------------------------


def test_all_correct_gives_c1_s2() -> None:
    a = np.ones((2, 2, 7))
    c = correlators(a, a)
    np.testing.assert_array_equal(c, np.ones((2, 2)))
    assert chsh_value(c) == 2.0
    assert isinstance(chsh_value(c), float)


def test_anticorrelated_c22_gives_s4_and_signals() -> None:
    a = np.ones((2, 2, 5))
    b = np.ones((2, 2, 5))
    b[1, 1] = -1.0  # Bob always wrong on pair (2, 2), right elsewhere
    c = correlators(a, b)
    np.testing.assert_array_equal(c, [[1.0, 1.0], [1.0, -1.0]])
    assert chsh_value(c) == 4.0
    acc_a, acc_b = marginals(a, b)
    gap_a, gap_b = signalling_gap(acc_a, acc_b)
    np.testing.assert_array_equal(gap_a, [0.0, 0.0])
    # Bob's accuracy on his task 2 depends on Alice's setting: 1 when i = 1, 0 when i = 2.
    np.testing.assert_array_equal(gap_b, [0.0, 1.0])


def test_mixed_table_by_hand() -> None:
    expected = _frac_correlators(MIXED_A, MIXED_B)
    assert expected == [[Fraction(1, 2), Fraction(1, 2)], [Fraction(0), Fraction(1, 2)]]
    c = correlators(MIXED_A, MIXED_B)
    np.testing.assert_allclose(c, [[0.5, 0.5], [0.0, 0.5]], atol=1e-15)
    s_exact = expected[0][0] + expected[0][1] + expected[1][0] - expected[1][1]
    assert s_exact == Fraction(1, 2)
    assert chsh_value(c) == pytest.approx(float(s_exact), abs=1e-15)


def test_correlators_accept_01_and_bool_encodings() -> None:
    c = correlators((MIXED_A > 0).astype(int), MIXED_B > 0)
    np.testing.assert_allclose(c, correlators(MIXED_A, MIXED_B))


def test_batched_shapes() -> None:
    a = np.stack([MIXED_A, np.ones((2, 2, 4))])  # (2, 2, 2, 4)
    b = np.stack([MIXED_B, np.ones((2, 2, 4))])
    c = correlators(a, b)
    assert c.shape == (2, 2, 2)
    s = chsh_value(c)
    assert isinstance(s, np.ndarray) and s.shape == (2,)
    np.testing.assert_allclose(s, [0.5, 2.0])
    acc_a, acc_b = marginals(a, b)
    assert acc_a.shape == acc_b.shape == (2, 2, 2)
    gap_a, gap_b = signalling_gap(acc_a, acc_b)
    assert gap_a.shape == gap_b.shape == (2, 2)


def test_shape_errors() -> None:
    with pytest.raises(ValueError, match="shape"):
        correlators(np.ones((2, 2, 3)), np.ones((2, 2, 4)))
    with pytest.raises(ValueError, match=r"\(\.\.\., 2, 2, N\)"):
        correlators(np.ones((3, 2, 3)), np.ones((3, 2, 3)))
    with pytest.raises(ValueError, match="no items"):
        correlators(np.ones((2, 2, 0)), np.ones((2, 2, 0)))
    with pytest.raises(ValueError, match=r"\(\.\.\., 2, 2\)"):
        chsh_value(np.ones(4))
    with pytest.raises(ValueError, match="acc_b"):
        signalling_gap(np.ones((2, 2)), np.ones((2, 3)))


pm1_lists = st.lists(st.sampled_from([-1, 1]), min_size=1, max_size=30)


@settings(max_examples=100, deadline=None)
@given(data=st.data(), n=st.integers(min_value=1, max_value=30))
def test_s_bounded_by_four_for_any_outcomes(data: st.DataObject, n: int) -> None:
    flat = st.lists(st.sampled_from([-1, 1]), min_size=4 * n, max_size=4 * n)
    a = np.array(data.draw(flat)).reshape(2, 2, n)
    b = np.array(data.draw(flat)).reshape(2, 2, n)
    c = correlators(a, b)
    assert np.all(np.abs(c) <= 1.0)
    assert abs(chsh_value(c)) <= NO_SIGNALLING_BOUND + 1e-12


@settings(max_examples=200, deadline=None)
@given(data=st.data(), n=st.integers(min_value=1, max_value=40))
def test_joint_distribution_gives_s_at_most_two(data: st.DataObject, n: int) -> None:
    """Four pairs computed from the SAME samples of (A1, A2, B1, B2): |S| <= 2 exactly."""
    col = st.lists(st.sampled_from([-1, 1]), min_size=n, max_size=n)
    a1, a2, b1, b2 = (np.array(data.draw(col), dtype=float) for _ in range(4))
    a = np.array([[a1, a1], [a2, a2]])  # a[i, j] = A_i whatever j
    b = np.array([[b1, b2], [b1, b2]])  # b[i, j] = B_j whatever i
    # per sample A1B1 + A1B2 + A2B1 - A2B2 is +-2
    per_sample = a1 * b1 + a1 * b2 + a2 * b1 - a2 * b2
    assert set(np.abs(per_sample)) == {2.0}
    s = chsh_value(correlators(a, b))
    assert -LOCAL_BOUND - 1e-12 <= s <= LOCAL_BOUND + 1e-12
    # and no signalling: each side's marginal ignores the other side's setting
    gap_a, gap_b = signalling_gap(*marginals(a, b))
    np.testing.assert_array_equal(gap_a, [0.0, 0.0])
    np.testing.assert_array_equal(gap_b, [0.0, 0.0])


# --------------------------------------------------------------------------------------------
# marginals, signalling gaps, product prediction
# --------------------------------------------------------------------------------------------


def test_marginals_gaps_product_by_hand() -> None:
    acc_a, acc_b = marginals(MIXED_A, MIXED_B)
    np.testing.assert_allclose(acc_a, [[0.75, 0.75], [0.5, 0.25]])
    np.testing.assert_allclose(acc_b, [[0.5, 1.0], [0.5, 0.5]])
    gap_a, gap_b = signalling_gap(acc_a, acc_b)
    np.testing.assert_allclose(gap_a, [0.0, 0.25])  # acc_a[i,0] - acc_a[i,1]
    np.testing.assert_allclose(gap_b, [0.0, 0.5])  # acc_b[0,j] - acc_b[1,j]
    c_prod = product_prediction(acc_a, acc_b)
    np.testing.assert_allclose(c_prod, [[0.0, 0.5], [0.0, 0.0]])
    assert chsh_value(c_prod) == pytest.approx(0.5)


def test_signalling_gap_sign_convention() -> None:
    acc_a = np.array([[0.9, 0.6], [0.7, 0.8]])
    acc_b = np.array([[0.2, 0.4], [0.3, 0.1]])
    gap_a, gap_b = signalling_gap(acc_a, acc_b)
    np.testing.assert_allclose(gap_a, [0.3, -0.1])
    np.testing.assert_allclose(gap_b, [-0.1, 0.3])


def test_product_prediction_matches_independent_outcomes() -> None:
    rng = np.random.default_rng(3)
    n = 40_000
    p_a = np.array([[0.9, 0.8], [0.7, 0.6]])
    p_b = np.array([[0.95, 0.5], [0.85, 0.3]])
    a = np.where(rng.random((2, 2, n)) < p_a[..., None], 1, -1)
    b = np.where(rng.random((2, 2, n)) < p_b[..., None], 1, -1)
    c = correlators(a, b)
    np.testing.assert_allclose(c, product_prediction(*marginals(a, b)), atol=0.02)
    np.testing.assert_allclose(c, product_prediction(p_a, p_b), atol=0.02)


# --------------------------------------------------------------------------------------------
# bootstrap_ci
# --------------------------------------------------------------------------------------------


def test_bootstrap_ci_coverage() -> None:
    rng = np.random.default_rng(12345)
    true_mean = 2.3
    reps, n = 200, 40
    hits = 0
    for r in range(reps):
        x = true_mean + 0.4 * rng.standard_normal(n)
        lo, hi = bootstrap_ci(x, n_boot=1000, level=0.95, seed=r)
        assert lo <= np.mean(x) <= hi
        hits += lo <= true_mean <= hi
    coverage = hits / reps
    assert 0.9 <= coverage <= 0.99, coverage


@pytest.mark.parametrize(("level", "z"), [(0.95, 1.959964), (0.5, 0.674490)])
def test_bootstrap_ci_width_matches_normal_theory(level: float, z: float) -> None:
    x = np.random.default_rng(11).normal(size=400)
    se = np.std(x) / math.sqrt(x.size)
    lo, hi = bootstrap_ci(x, level=level, seed=0)
    assert lo == pytest.approx(np.mean(x) - z * se, abs=0.08 * z * se)
    assert hi == pytest.approx(np.mean(x) + z * se, abs=0.08 * z * se)


def test_bootstrap_ci_deterministic_per_seed() -> None:
    x = np.random.default_rng(0).normal(size=25)
    assert bootstrap_ci(x, seed=7) == bootstrap_ci(x, seed=7)
    assert bootstrap_ci(x, seed=7) != bootstrap_ci(x, seed=8)
    assert bootstrap_ci(x, np.median, seed=1) == bootstrap_ci(x, np.median, seed=1)


def test_bootstrap_ci_vectorised_matches_generic_path() -> None:
    x = np.random.default_rng(1).normal(size=(30, 2, 2))
    fast = bootstrap_ci(x, np.mean, n_boot=500, seed=4)
    slow = bootstrap_ci(x, lambda v: float(np.mean(v)), n_boot=500, seed=4)
    assert fast == pytest.approx(slow, abs=1e-12)
    fast = bootstrap_ci(x[:, 0, 0], np.median, n_boot=500, seed=4)
    slow = bootstrap_ci(x[:, 0, 0], lambda v: float(np.median(v)), n_boot=500, seed=4)
    assert fast == pytest.approx(slow, abs=1e-12)


def test_bootstrap_ci_edge_cases() -> None:
    assert bootstrap_ci([2.7]) == (2.7, 2.7)
    assert bootstrap_ci(np.full(10, 1.5)) == (1.5, 1.5)
    lo, hi = bootstrap_ci([1.0, 2.0, 3.0], level=0.5, n_boot=2000)
    assert 1.0 <= lo <= hi <= 3.0
    with pytest.raises(ValueError, match="empty"):
        bootstrap_ci([])
    with pytest.raises(ValueError, match="level"):
        bootstrap_ci([1.0, 2.0], level=1.0)
    with pytest.raises(ValueError, match="n_boot"):
        bootstrap_ci([1.0, 2.0], n_boot=0)


# --------------------------------------------------------------------------------------------
# test_s_above
# --------------------------------------------------------------------------------------------


def test_t_test_against_hand_and_scipy() -> None:
    res = test_s_above([1.0, 2.0, 3.0, 4.0], bound=2.0)
    # mean 2.5, sd sqrt(5/3), se sd/2 -> t = 0.5 / (sqrt(5/3)/2) = sqrt(3/5), df = 3
    assert res["n"] == 4
    assert res["mean"] == 2.5
    assert res["bound"] == 2.0
    assert res["statistic"] == pytest.approx(math.sqrt(0.6), rel=1e-12)
    assert res["p_value"] == pytest.approx(stats.t.sf(math.sqrt(0.6), 3), rel=1e-10)
    assert res["test"] == "one-sample t-test (one-sided, H0: mean S <= bound)"

    x = np.random.default_rng(2).normal(2.2, 0.3, size=50)
    ref = stats.ttest_1samp(x, 2.0, alternative="greater")
    res = test_s_above(x)
    assert res["statistic"] == pytest.approx(ref.statistic)
    assert res["p_value"] == pytest.approx(ref.pvalue)
    assert res["p_value"] < 0.01
    assert test_s_above(x, bound=2.5)["p_value"] > 0.99


def test_t_test_edge_cases_without_warnings() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        one = test_s_above([2.5])
        assert one["n"] == 1 and one["mean"] == 2.5
        assert math.isnan(one["p_value"]) and math.isnan(one["statistic"])
        empty = test_s_above([])
        assert empty["n"] == 0 and math.isnan(empty["p_value"])
        # no spread: the most likely law on [-4, 4] with mean 2 puts 12/13 at 2.5 and 1/13 at
        # -4, variance 3, so z = 0.5 / sqrt(3 / 3) = 0.5 against t with 2 df (never p = 0)
        flat = test_s_above([2.5, 2.5, 2.5])
        assert flat["statistic"] == pytest.approx(0.5, rel=1e-9)
        assert flat["p_value"] == pytest.approx(stats.t.sf(0.5, 2), rel=1e-9)
        assert test_s_above([2.125, 2.125])["p_value"] > 0.4
        assert test_s_above([1.5, 1.5])["p_value"] > 0.5
        assert test_s_above([2.0, 2.0])["p_value"] == 0.5
    with pytest.raises(ValueError, match="finite"):
        test_s_above([2.0, float("nan")])


# --------------------------------------------------------------------------------------------
# item-level uncertainty
# --------------------------------------------------------------------------------------------


def test_item_z_test_by_hand() -> None:
    c = np.array([[0.6, 0.6], [0.6, -0.6]])
    n = np.full((2, 2), 64)
    res = item_z_test(c, n)
    # S = 2.4; at the null S = 2 the likeliest correlators are, by symmetry, ±0.5 each:
    # Var each = (1 - 0.25)/64 -> SE = sqrt(3/64); z = 0.4 / SE
    se = math.sqrt(3 / 64)
    assert res["S"] == pytest.approx(2.4)
    assert res["se"] == pytest.approx(se, rel=1e-9)
    assert res["z"] == pytest.approx(0.4 / se, rel=1e-9)
    assert res["p_value"] == pytest.approx(stats.norm.sf(0.4 / se), rel=1e-7)
    assert res["bound"] == 2.0 and res["warning"] is None
    assert res["test"] == "score test (independent pairs, one-sided)"
    assert item_z_test(c, n, bound=2.4)["p_value"] == pytest.approx(0.5)


def test_item_z_test_zero_se_and_errors() -> None:
    # every product right (S = 4) on 5 items per pair: the null's correlators are ±0.5, so the
    # SE is sqrt(4 * 0.75 / 5), not 0, and p is small but not 0
    top = item_z_test([[1.0, 1.0], [1.0, -1.0]], [[5, 5], [5, 5]])
    assert top["S"] == 4.0 and top["se"] == pytest.approx(math.sqrt(0.6), rel=1e-9)
    assert top["p_value"] == pytest.approx(stats.norm.sf(2 / math.sqrt(0.6)), rel=1e-7)
    assert "K = 5" in top["warning"]
    flat = item_z_test(np.ones((2, 2)), [[5, 5], [5, 5]])
    assert flat["S"] == 2.0 and flat["p_value"] == 0.5
    with pytest.raises(ValueError, match="shape"):
        item_z_test(np.ones(4), np.ones(4))
    with pytest.raises(ValueError, match="positive"):
        item_z_test(np.ones((2, 2)), [[5, 0], [5, 5]])
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        item_z_test([[1.5, 1.0], [1.0, 1.0]], [[5, 5], [5, 5]])


def _uneven_items() -> tuple[list[np.ndarray], list[np.ndarray]]:
    rng = np.random.default_rng(5)
    sizes = (300, 200, 250, 150)
    p_a = (0.95, 0.9, 0.8, 0.6)
    p_b = (0.9, 0.85, 0.9, 0.5)
    a = [np.where(rng.random(n) < p, 1, -1) for n, p in zip(sizes, p_a, strict=True)]
    b = [np.where(rng.random(n) < p, 1, -1) for n, p in zip(sizes, p_b, strict=True)]
    return a, b


def test_item_bootstrap_matches_explicit_resampling() -> None:
    a, b = _uneven_items()
    lo, hi = item_bootstrap_s(a, b, n_boot=4000, seed=0)
    rng = np.random.default_rng(99)
    s_boot = np.zeros(4000)
    for sign, ai, bi in zip(CHSH_SIGNS.ravel(), a, b, strict=True):
        prod = ai * bi
        idx = rng.integers(0, prod.size, size=(4000, prod.size))
        s_boot += sign * prod[idx].mean(axis=1)
    ref_lo, ref_hi = np.percentile(s_boot, [2.5, 97.5])
    assert lo == pytest.approx(ref_lo, abs=0.04)
    assert hi == pytest.approx(ref_hi, abs=0.04)
    s = sum(sign * np.mean(ai * bi) for sign, ai, bi in zip(CHSH_SIGNS.ravel(), a, b, strict=True))
    assert lo < s < hi


def test_item_bootstrap_deterministic_and_degenerate() -> None:
    a, b = _uneven_items()
    assert item_bootstrap_s(a, b, n_boot=500, seed=3) == item_bootstrap_s(a, b, n_boot=500, seed=3)
    assert item_bootstrap_s(a, b, n_boot=500, seed=3) != item_bootstrap_s(a, b, n_boot=500, seed=4)
    ones = [np.ones(3)] * 4
    assert item_bootstrap_s(ones, ones, n_boot=100) == (2.0, 2.0)


def test_item_errors_name_the_pair() -> None:
    ok = [np.ones(3)] * 4
    with pytest.raises(ValueError, match=r"pair \(i=1, j=2\).*3 items.*2"):
        item_bootstrap_s(ok, [np.ones(3), np.ones(2), np.ones(3), np.ones(3)])
    with pytest.raises(ValueError, match=r"pair \(i=2, j=2\) has no items"):
        score_items(ok[:3] + [np.array([])], ok[:3] + [np.array([])])
    with pytest.raises(ValueError, match="expected 4 pairs"):
        score_items(ok[:3], ok[:3])


# --------------------------------------------------------------------------------------------
# score_items / ChshScore
# --------------------------------------------------------------------------------------------


def test_score_items_uneven_pairs_by_hand() -> None:
    a = [np.array([1, 1]), np.array([1, -1, 1]), np.array([1]), np.array([1, 1, -1, -1])]
    b = [np.array([1, 1]), np.array([1, 1, -1]), np.array([-1]), np.array([1, -1, 1, -1])]
    # products: [1, 1] -> 1; [1, -1, -1] -> -1/3; [-1] -> -1; [1, -1, -1, 1] -> 0
    sc = score_items(a, b, n_boot=500)
    np.testing.assert_allclose(sc.C, [[1.0, -1 / 3], [-1.0, 0.0]])
    assert sc.S == pytest.approx(1 - 1 / 3 - 1 - 0)
    np.testing.assert_array_equal(sc.n_items, [[2, 3], [1, 4]])
    np.testing.assert_allclose(sc.acc_a, [[1.0, 2 / 3], [1.0, 0.5]])
    np.testing.assert_allclose(sc.acc_b, [[1.0, 2 / 3], [0.0, 0.5]])
    np.testing.assert_allclose(sc.gap_a, [1 / 3, 0.5])
    np.testing.assert_allclose(sc.gap_b, [1.0, 1 / 6])
    np.testing.assert_allclose(sc.c_product, [[1.0, 1 / 9], [-1.0, 0.0]])
    assert sc.s_product == pytest.approx(1 + 1 / 9 - 1 - 0)
    assert sc.ci[0] <= sc.S <= sc.ci[1]
    assert sc.test["S"] == pytest.approx(sc.S)


def test_chsh_score_frozen_and_json() -> None:
    sc = score_items(list(MIXED_A.reshape(4, 4)), list(MIXED_B.reshape(4, 4)), n_boot=200)
    assert isinstance(sc, ChshScore)
    with pytest.raises(dataclasses.FrozenInstanceError):
        sc.S = 3.0  # type: ignore[misc]
    with pytest.raises(ValueError):
        sc.C[0, 0] = 0.0
    d = sc.to_dict()
    assert set(d) == {
        "C", "S", "ci", "test", "n_items", "acc_A", "acc_B", "signalling_gap_A",
        "signalling_gap_B", "C_product", "S_product", "bounds", "scheme", "ci_units",
        "ci_level", "ci_method", "ci_bootstrap", "warning", "cbd",
    }  # fmt: skip
    assert d["scheme"] == "independent-pairs" and d["ci_units"] == 4
    assert d["bounds"] == {"local": 2.0, "tsirelson": TSIRELSON_BOUND, "no_signalling": 4.0}
    assert d["S"] == pytest.approx(0.5)
    assert d["n_items"] == [[4, 4], [4, 4]]

    def plain(x: object) -> bool:
        if isinstance(x, dict):
            return all(isinstance(k, str) and plain(v) for k, v in x.items())
        if isinstance(x, list):
            return all(plain(v) for v in x)
        return x is None or type(x) in (float, int, str, bool)

    assert plain(d)
    assert json.loads(json.dumps(d)) == d


# --------------------------------------------------------------------------------------------
# score_table
# --------------------------------------------------------------------------------------------


def _hand_table() -> pd.DataFrame:
    # pair (1,1): A [1,0] B [1,0]  -> products [1, 1]   C11 = 1
    # pair (1,2): A [1,1] B [1,0]  -> products [1, -1]  C12 = 0
    # pair (2,1): A [1,1] B [1,1]  -> products [1, 1]   C21 = 1
    # pair (2,2): A [1,0] B [0,1]  -> products [-1, -1] C22 = -1      S = 3
    return pd.DataFrame(
        {
            "i": [1, 1, 1, 2, 2, 2, 1, 2],
            "j": [1, 1, 2, 1, 2, 2, 2, 1],
            "A": [1, 0, 1, 1, 1, 0, 1, 1],
            "B": [1, 0, 1, 1, 0, 1, 0, 1],
        }
    )


def test_score_table_hand_values() -> None:
    df = _hand_table()
    sc = score_table(df)
    np.testing.assert_allclose(sc.C, [[1.0, 0.0], [1.0, -1.0]])
    assert sc.S == pytest.approx(3.0)
    np.testing.assert_array_equal(sc.n_items, [[2, 2], [2, 2]])
    np.testing.assert_allclose(sc.acc_a, [[0.5, 1.0], [1.0, 0.5]])
    np.testing.assert_allclose(sc.acc_b, [[0.5, 0.5], [1.0, 0.5]])
    np.testing.assert_allclose(sc.gap_a, [-0.5, 0.5])
    np.testing.assert_allclose(sc.gap_b, [-0.5, 0.0])
    np.testing.assert_allclose(sc.c_product, [[0.0, 0.0], [1.0, 0.0]])
    assert sc.s_product == pytest.approx(1.0)
    # score test at S = 2 (recomputed here): the likeliest correlators with S = 2 and their SE
    from ncnet.stats.bounded import binomial_sum_test

    ref = binomial_sum_test([2, 1, 2, 0], [2] * 4, [1, 1, 1, -1], 2.0)
    assert sc.test["se"] == pytest.approx(ref["se"]) and sc.test["se"] > math.sqrt(0.5)
    assert sc.test["p_value"] == pytest.approx(ref["p_value"]) and sc.test["p_value"] > 0.05
    assert "K = 2" in sc.warning
    assert sc.ci[0] <= 3.0 <= sc.ci[1] and sc.ci[1] - sc.ci[0] > 1.0

    # same answer with +-1 and bool encodings and shuffled rows
    pm = df.assign(A=2 * df.A - 1, B=(df.B == 1))
    shuffled = pm.sample(frac=1.0, random_state=0)
    sc2 = score_table(shuffled)
    np.testing.assert_allclose(sc2.C, sc.C)
    assert sc2.to_dict()["acc_B"] == sc.to_dict()["acc_B"]


@pytest.mark.parametrize(
    ("mutate", "pattern"),
    [
        (lambda d: d.drop(columns=["B"]), r"missing column\(s\) \['B'\].*i, j, A, B"),
        (lambda d: d.assign(i=[1, 1, 1, 2, 2, 2, 1, 3]), r"'i'.*\[3\].*1 and 2"),
        (lambda d: d.assign(j=[1, 1, 2, 1, 2, 2, 2, "2"]), r"'j'.*\['2'\].*1 and 2"),
        (lambda d: d.assign(i=[1, 1, 1, 2, 2, 2, 1, np.nan]), r"'i'.*nan.*1 and 2"),
        (lambda d: d.assign(A=[1, 0, 1, 1, 0.5, 0, 1, 1]), r"'A'.*bool.*\[0\.5\]"),
        (lambda d: d.assign(B=["yes"] * 8), r"'B'.*\['yes'\].*bool"),
        (lambda d: d.assign(A=[1, 0, 1, 1, np.nan, 0, 1, 1]), r"'A'.*nan"),
        (lambda d: d[~((d.i == 2) & (d.j == 1))], r"no rows for pair \(i=2, j=1\)"),
        (lambda d: d.iloc[:0], r"no rows for pair \(i=1, j=1\)"),
    ],
)
def test_score_table_errors(mutate: object, pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern) as err:
        score_table(mutate(_hand_table()))  # type: ignore[operator]
    assert "\n" not in str(err.value)


def test_score_table_requires_dataframe() -> None:
    with pytest.raises(ValueError, match="DataFrame"):
        score_table({"i": [1], "j": [1], "A": [1], "B": [1]})


def test_pm_string_round_trip():
    from ncnet.stats.outcomes import from_pm_string, pm_string

    assert pm_string(np.array([1, -1, -1, 1])) == "+--+"
    assert from_pm_string("+--+").tolist() == [1, -1, -1, 1]
