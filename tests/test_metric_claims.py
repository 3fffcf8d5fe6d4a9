"""S as a metric (ncnet.studies.s_metric.claims): synthetic sweeps with a known truth."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ncnet.stats.runs import fraction_ci, t_interval, welch_test
from ncnet.stats.verdicts import Region, verdict
from ncnet.studies.s_metric import claims as mc


def toy_like(rng, s_of, levels=(1, 2, 3, 4), runs=20, acc_of=None, paired=False):
    """Cells of a synthetic scan: acc per cell from ``acc_of(level, rng, k)`` (default a
    level-dependent mean plus noise), S and S_product from ``s_of(acc, rng)``."""
    acc_of = acc_of or (lambda lv, r, k: np.clip(0.6 + 0.08 * lv + r.normal(0, 0.04, k), 0, 1))
    rows = []
    for lv in levels:
        acc = acc_of(lv, rng, runs)
        s, sp = s_of(acc, rng)
        rows += [{"level": lv, "unit": u, "S": s[u], "S_product": sp[u], "acc": acc[u]}
                 for u in range(runs)]
    return mc.make_cells("resource", "n", "seed" if paired else "run", paired, False, rows)


def verdicts(cells, n_boot=400):
    return {c.claim: c.verdict for c in mc.claims(cells, n_boot=n_boot)}


def test_a_planted_positive_correlation_is_detected():
    rng = np.random.default_rng(1)

    def s_of(acc, r):  # S tracks accuracy beyond the product prediction
        sp = 2.0 + r.normal(0, 0.2, acc.size)
        return sp + 2.0 * (acc - 0.8) + r.normal(0, 0.05, acc.size), sp

    v = verdicts(toy_like(rng, s_of))
    assert v["positive correlation with generalization"] == "agrees"
    assert v[mc.CONTROL] == "agrees"
    # the same planted truth over 3 seeds (paired design: per-seed ρ, t over seeds)
    v = verdicts(toy_like(rng, s_of, levels=(1, 2, 3, 4, 5, 6), runs=4, paired=True))
    assert v["positive correlation with generalization"] == "agrees"


def test_s_equal_to_the_product_prediction_adds_no_information():
    rng = np.random.default_rng(2)

    def s_of(acc, r):  # S is a function of the accuracies alone
        sp = 4 * (2 * acc - 1) ** 2 - 2.0
        return sp.copy(), sp

    cells = toy_like(rng, s_of)
    rows = {c.claim: c for c in mc.claims(cells, n_boot=200)}
    # S rises with accuracy exactly (ρ = 1 in every resample: a point, which decides nothing)
    assert rows["positive correlation with generalization"].verdict.startswith(
        "undecided (zero-width interval)")
    control = rows[mc.CONTROL]
    assert "no added information" in control.verdict and control.verdict.startswith("undecided")
    # S = S_product + noise that knows nothing of accuracy: nothing detected either
    noisy = toy_like(rng, lambda acc, r: (4 * (2 * acc - 1) ** 2 - 2 + r.normal(0, 0.1, acc.size),
                                          4 * (2 * acc - 1) ** 2 - 2.0), runs=40)
    control = {c.claim: c for c in mc.claims(noisy, n_boot=400)}[mc.CONTROL]
    assert control.verdict.endswith("no added information detected")


@pytest.mark.parametrize("paired", [False, True])
def test_a_planted_null_gives_a_false_agrees_at_most_at_the_nominal_rate(paired):
    """S independent of accuracy: 'positive correlation' may agree only by chance, at most at
    the one-sided 2.5% of a 95% interval (checked with the exact CI of the observed rate)."""
    rng = np.random.default_rng(3)
    sims, agrees = 150, 0

    def s_of(acc, r):
        return 2.0 + r.normal(0, 0.3, acc.size), 2.0 + r.normal(0, 0.3, acc.size)

    for _ in range(sims):
        if paired:
            cells = toy_like(rng, s_of, levels=(1, 2, 3, 4, 5), runs=3, paired=True)
        else:
            cells = toy_like(rng, s_of, runs=8)
        corr = mc.metric_correlations(cells, n_boot=200, seed=int(rng.integers(1 << 30)))
        sp = next(c for c in corr if c["measure"] == "S~acc" and c["method"] == "spearman")
        agrees += verdict(sp["ci"], Region(0, 1, low_closed=False), "x") == "agrees"
    lo, _ = fraction_ci(agrees, sims)
    assert lo <= 0.025, f"{agrees} of {sims} null sweeps agreed"


def test_the_scan_claims_on_a_known_shape():
    """S rises, peaks above 2 at level 3 and sits at 2 from level 5 on; accuracy reaches its
    plateau at level 4: every claim is decided, and the crossing is where it was planted."""
    rng = np.random.default_rng(4)
    mean_s = {1: 0.8, 2: 1.4, 3: 2.4, 4: 2.2, 5: 2.0, 6: 2.0, 7: 2.0, 8: 2.0}
    mean_acc = {1: 0.70, 2: 0.80, 3: 0.90, 4: 0.99, 5: 1.0, 6: 1.0, 7: 1.0, 8: 1.0}
    rows = []
    for lv in mean_s:
        for u in range(60):
            s = mean_s[lv] + rng.normal(0, 0.05)
            rows.append({"level": lv, "unit": u, "S": s, "S_product": s,
                         "acc": min(1.0, mean_acc[lv] + rng.normal(0, 0.005))})
    cells = mc.make_cells("resource", "n", "run", False, False, rows)
    v = verdicts(cells)
    assert v["rises toward 2"] == "agrees"
    assert v["exceeds 2 near a critical scale"] == "agrees"
    assert v["decays to and fluctuates around 2"] == "agrees"
    # S reaches 1.9 at step 1 + 0.5/1.0 = 1.5 (n = 2.5); accuracy 0.98 near step 2.9 (n ≈ 3.9)
    cross = mc.crossing_statistics(cells, n_boot=300)
    assert cross["s"]["value"] == pytest.approx(1.5, abs=0.1)
    assert v["first approaches 2 where generalization becomes good"] == "does not reproduce"


def test_welch_slope_of_two_levels_is_welchs_test_of_their_difference():
    rng = np.random.default_rng(5)
    a, b = rng.normal(1.0, 0.3, 7), rng.normal(1.6, 0.5, 11)
    got = mc.welch_slope([2.0, 4.0], [a, b])
    ref = welch_test(b, a)
    assert got["slope"] == pytest.approx(ref["diff"] / 2, rel=1e-12)
    assert got["ci"] == pytest.approx([c / 2 for c in ref["ci"]], rel=1e-9)
    assert mc.welch_slope([1, 2], [np.full(3, 2.0), np.full(3, 2.0)])["ci"] is None


def test_crossing_and_split_by_hand():
    assert mc.crossing([1.0, 1.5, 2.5], 2.0) == 1.5
    assert mc.crossing([2.0, 2.5], 1.9) == 0.0
    assert mc.crossing([1.0, 1.2], 1.9) == 2.0  # never: one step past the scan
    assert mc.split_levels([1, 2, 3]) == ([1, 2], [3])


def test_too_few_levels_or_units_decide_nothing():
    rng = np.random.default_rng(6)
    one_level = toy_like(rng, lambda a, r: (a * 2, a * 2), levels=(3,))
    for c in mc.claims(one_level, n_boot=100):
        assert c.verdict.startswith("undecided (1 level kept (n = 3)"), c
    two_seeds = toy_like(rng, lambda a, r: (a * 2, a * 2), runs=2, paired=True)
    for c in mc.claims(two_seeds, n_boot=100):
        assert c.verdict.startswith("undecided (too few: 2 seeds, at least 3 needed"), c
    # gated cells are left out, and the reason is named
    rows = [{"level": lv, "unit": u, "S": 2.0, "S_product": 2.0, "acc": 0.9,
             "learned": lv != 2} for lv in (1, 2) for u in range(6)]
    cells = mc.make_cells("r", "r", "seed", True, True, rows, ["negation did not learn at r = 2"])
    (c, *_) = mc.claims(cells, n_boot=100)
    assert c.verdict.startswith("undecided (1 level kept (r = 1)")
    assert "negation did not learn at r = 2" in c.verdict
    assert all(math.isfinite(r["S"]) for r in mc.level_table(cells) if "S" in r)


def test_seed_correlations_stay_in_range_and_three_levels_have_no_partial():
    """Per-seed Spearman over 3 levels is 1, 1, 0.5 (hand-made): Student t over the 3 seeds
    reaches past 1, so the interval is cut at 1, the largest value a correlation has. A
    partial correlation over 3 levels has no degrees of freedom: it is absent, not ±1."""
    acc = {1: [0.80, 0.81, 0.82], 2: [0.85, 0.86, 0.83], 3: [0.90, 0.91, 0.84]}
    s = {1: [1.5, 1.4, 1.6], 2: [1.6, 1.5, 1.8], 3: [1.7, 1.6, 1.7]}
    rows = [{"level": lv, "unit": u, "S": s[lv][u], "S_product": s[lv][u] - 0.01 * u * lv,
             "acc": acc[lv][u]} for lv in (1, 2, 3) for u in range(3)]
    cells = mc.make_cells("rank", "r", "seed", True, True, rows)
    corr = {(c["measure"], c["method"]): c for c in mc.metric_correlations(cells)}
    sp = corr[("S~acc", "spearman")]
    assert sp["per_unit"] == [1.0, 1.0, 0.5]
    raw = t_interval([1.0, 1.0, 0.5])
    assert raw[1] > 1.0 and sp["ci"] == [raw[0], 1.0]
    for method in ("spearman", "pearson"):
        part = corr[("S~acc|S_product", method)]
        assert math.isnan(part["r"]) and part["ci"] is None
    control = next(c for c in mc.claims(cells, n_boot=100) if c.claim == mc.CONTROL)
    assert "at least 4 levels" in control.measured
    assert control.verdict == "undecided (too few levels: a partial correlation needs at least 4)"
