"""Bell expressions on data (issue 15, part 3): values, per-item sums, schemes, the CLI."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from ncnet import chsh
from ncnet.bell import BellExpression, BellInputError, preset
from ncnet.bell import score as bell_score
from ncnet.cli import app
from ncnet.stats.bounded import binomial_sum_test, bounded_mean_test
from ncnet.stats.runs import fraction_ci, holm

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args], env={"COLUMNS": "200"})


# ---- a 3 x 3 file computed by hand --------------------------------------------------------

#: chained-3 plus <A1>: local bound 5 (every outcome +1: 4 + 1).
HAND = BellExpression.from_correlators([[1, 0, -1], [1, 1, 0], [0, 1, 1]], alice=[1, 0, 0],
                                       name="chained-3+A1")


def _hand_rows():
    """Items 0-2 ("x"): every outcome +1 but Bob's in pair (1, 3): T = 6 + 1 = 7. Item 3
    ("y"): every outcome +1 but Alice's in pair (1, 1): T = 2 + (-1 + 1 + 1)/3 = 7/3."""
    rows = []
    for i in (1, 2, 3):
        for j in (1, 2, 3):
            for k in range(4):
                a = -1 if (k == 3 and (i, j) == (1, 1)) else 1
                b = -1 if (k < 3 and (i, j) == (1, 3)) else 1
                rows.append((i, j, k, a, b))
    return pd.DataFrame(rows, columns=["i", "j", "item", "A", "B"])


def test_hand_computed_3x3_file_gives_its_value_item_sums_and_se(tmp_path):
    s = bell_score.score_frame(HAND, _hand_rows(), n_boot=200)
    assert s.scheme == bell_score.PAIRED_SCHEME and s.ci_units == 4
    # C11 = (3 - 1)/4, C13 = (-3 + 1)/4, every other C = 1; <A1> = (0.5 + 1 + 1)/3 = 5/6
    assert s.C.tolist() == [[0.5, 1.0, -0.5], [1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
    assert s.marg_a.tolist() == pytest.approx([5 / 6, 1.0, 1.0], abs=1e-15)
    assert s.value == pytest.approx(35 / 6, abs=1e-12)
    assert s.item_sums.tolist() == pytest.approx([7, 7, 7, 7 / 3], abs=1e-12)
    assert float(np.mean(s.item_sums)) == pytest.approx(s.value, abs=1e-12)
    assert s.t_range == pytest.approx((-7.0, 7.0))  # pair ranges 4/3, 1/3, 4/3, then 1 each
    assert s.bounds["local"] == 5.0
    # The likeliest law on [-7, 7] with mean 5 (bounded_mean_test): the observed
    # frequencies 3/4 at 7 and 1/4 at 7/3, each scaled by (5 - (-7)) / (T + 7), i.e. 9/14
    # and 9/28, and the missing 1/28 at the range's end -7. Its variance is
    # 9/14 * 2^2 + 9/28 * (8/3)^2 + 1/28 * 12^2 = (72 + 64 + 144) / 28 = 10: SE = sqrt(10/4).
    assert s.test["se"] == pytest.approx(math.sqrt(10 / 4), rel=1e-9)
    assert s.test["bound"] == 5.0 and 0 < s.test["p_value"] < 1
    assert "K = 4" in s.warning
    # Alice's setting 1 is 0.75 right beside Bob's 1 and 1.0 beside 2 and 3; Bob's 3 is 0.25
    # right beside Alice's 1
    assert s.spread_a.tolist() == [0.25, 0.0, 0.0] and s.gap_a[0].tolist() == [-0.25, -0.25]
    assert s.spread_b.tolist() == [0.0, 0.0, 0.75] and s.gap_b[2].tolist() == [-0.75, -0.75]
    lo, hi = s.ci
    assert lo < s.value < hi and -7 <= lo and hi <= 7


def test_hand_file_through_the_cli_with_an_expression_file(tmp_path):
    data = tmp_path / "hand.csv"
    _hand_rows().to_csv(data, index=False)
    expr = tmp_path / "hand.toml"
    expr.write_text('correlators = [[1, 0, -1], [1, 1, 0], [0, 1, 1]]\nalice = [1, 0, 0]\n')
    result = invoke("score", data, "--expression", expr, "--json", "--n-boot", "200")
    assert result.exit_code == 0, result.stderr
    (d,) = json.loads(result.stdout)
    assert d["expression"] == "hand" and d["V"] == pytest.approx(35 / 6)
    assert d["test"]["se"] == pytest.approx(math.sqrt(10 / 4)) and d["test"]["p_holm"] == (
        pytest.approx(d["test"]["p_value"], abs=1e-12))
    table = invoke("score", data, "--expression", expr, "--n-boot", "200")
    assert table.exit_code == 0 and "V = 5.8333" in table.stdout and "K = 4" in table.stderr


# ---- CHSH is its 2 x 2 case: the same numbers -----------------------------------------------


def _chsh_frame(seed: int, paired: bool) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for i in (1, 2):
        for j in (1, 2):
            n = 40 if paired else int(rng.integers(5, 60))
            p_b = rng.uniform(0.3, 1.0)
            rows += [(i, j, k if paired else 1000 * (2 * i + j) + k, int(rng.random() < 0.9),
                      int(rng.random() < p_b)) for k in range(n)]
    return pd.DataFrame(rows, columns=["i", "j", "item", "A", "B"])


@pytest.mark.parametrize("paired", [True, False])
def test_expression_chsh_gives_exactly_the_chsh_numbers(paired):
    for seed in range(5):
        frame = _chsh_frame(seed, paired)
        old = chsh.score_table(frame, n_boot=300, seed=seed).to_dict()
        new = bell_score.score_frame(preset("chsh"), frame, n_boot=300, seed=seed).to_dict()
        assert new["V"] == old["S"] and new["ci"] == old["ci"]
        assert new["ci_bootstrap"] == old["ci_bootstrap"]
        for key in ("p_value", "se", "z", "n"):
            assert new["test"][key] == old["test"][key], key
        assert new["C"] == old["C"] and new["V_product"] == old["S_product"]
        assert [g[0] for g in new["signalling_gap_A"]] == old["signalling_gap_A"]
        assert [g[0] for g in new["signalling_gap_B"]] == old["signalling_gap_B"]
        assert (new["scheme"], new["ci_units"]) == (old["scheme"], old["ci_units"])


def test_cli_expression_chsh_matches_the_default_output(tmp_path):
    path = tmp_path / "o.csv"
    _chsh_frame(1, True).to_csv(path, index=False)
    old = json.loads(invoke("score", path, "--json", "--n-boot", "500").stdout)
    (new,) = json.loads(invoke("score", path, "--json", "--n-boot", "500", "--expression",
                               "chsh").stdout)
    assert (new["V"], new["ci"], new["ci_bootstrap"]) == (old["S"], old["ci"], old["ci_bootstrap"])
    assert new["test"]["p_value"] == old["test"]["p_value"]


def test_chsh_is_the_two_by_two_case_on_one_code_path(monkeypatch):
    """`ncnet score` without --expression (chsh.score_table) scores through
    bell_score.score_pairs on the chsh preset, once, and only renames its results."""
    calls = []
    real = bell_score.score_pairs

    def spy(expression, *args, **kwargs):
        calls.append(expression.name)
        return real(expression, *args, **kwargs)

    monkeypatch.setattr(bell_score, "score_pairs", spy)
    frame = _chsh_frame(2, True)
    got = chsh.score_table(frame, n_boot=300)
    assert calls == ["chsh"]
    a_s, b_s, ids, _ = bell_score.OutcomeTable.from_frame(frame).pairs_for(preset("chsh"))
    ref = real(preset("chsh"), a_s, b_s, items=ids, n_boot=300, with_bounds=False)
    assert (got.S, got.ci, got.ci_bootstrap, got.s_product) == (
        ref.value, ref.ci, ref.ci_bootstrap, ref.value_product)
    assert got.test["S"] == ref.test["V"] and got.test["p_value"] == ref.test["p_value"]
    np.testing.assert_array_equal(got.gap_a, ref.gap_a[:, 0])
    np.testing.assert_array_equal(got.gap_b, ref.gap_b[:, 0])


# ---- schemes, refusals, Holm ----------------------------------------------------------------


def test_independent_scheme_for_correlator_only_and_refused_with_marginal_terms():
    rng = np.random.default_rng(5)
    rows = [(i, j, 100 * (3 * i + j) + k, int(rng.random() < 0.8), int(rng.random() < 0.7))
            for i in (1, 2, 3) for j in (1, 2, 3) for k in range(35)]
    frame = pd.DataFrame(rows, columns=["i", "j", "item", "A", "B"])
    s = bell_score.score_frame(preset("chained-3"), frame, n_boot=200)
    assert s.scheme == bell_score.INDEPENDENT_SCHEME and s.item_sums is None
    prods = (2 * frame.A - 1) * (2 * frame.B - 1)
    k = [int((prods[(frame.i == x) & (frame.j == y)] > 0).sum()) for x, y in
         bell_score.setting_pairs(3, 3)]
    ref = binomial_sum_test(np.array(k, dtype=float), [35] * 9,
                                      preset("chained-3").correlators.ravel(), 4.0)
    assert s.test["p_value"] == pytest.approx(ref["p_value"], rel=1e-12)
    assert s.test["se"] == pytest.approx(ref["se"], rel=1e-12)
    with pytest.raises(BellInputError, match="marginal terms.*paired scheme"):
        bell_score.score_frame(preset("i3322"), frame)


def test_several_expressions_get_holm_adjusted_p(tmp_path):
    rng = np.random.default_rng(8)
    rows = [(i, j, k, int(rng.random() < 0.9), int(rng.random() < 0.9))
            for i in (1, 2, 3) for j in (1, 2, 3) for k in range(50)]
    frame = pd.DataFrame(rows, columns=["i", "j", "item", "A", "B"])
    scores = bell_score.score_many([preset(n) for n in ("chsh", "chained-3", "i3322")], frame,
                                   n_boot=100)
    p = [s.test["p_value"] for s in scores]
    assert [s.test["p_holm"] for s in scores] == holm(p)
    assert scores[0].ignored_rows == 5 * 50  # pairs with i = 3 or j = 3


@pytest.mark.parametrize(("args", "fragment"), [
    (("--expression", "chained-4"), "needs settings i = 1..4 and j = 1..4"),
    (("--expression", "nope"), "unknown Bell expression 'nope'"),
    (("--expression", "chsh,chsh"), "names an expression twice"),
    (("--expression", "missing.toml"), "does not exist"),
])
def test_bad_expressions_are_one_line_errors(tmp_path, args, fragment):
    path = tmp_path / "o.csv"
    _chsh_frame(3, True).to_csv(path, index=False)
    result = invoke("score", path, *args)
    assert result.exit_code == 2, result.stdout
    assert fragment in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_runs_interval_and_test_are_the_chsh_ones_on_chsh_range():
    for values in ([2.125, 2.125, 2.125], [1.5, 2.5, 2.75, 3.0, 2.25], [2.5]):
        assert bell_score.runs_interval(values, -4, 4) == chsh.mean_s_interval(values)
        new, old = bell_score.runs_test(values, 2.0, -4, 4), chsh.test_s_above(values)
        assert new["p_value"] == old["p_value"] or (math.isnan(new["p_value"])
                                                   and math.isnan(old["p_value"]))


# ---- the paired scheme covers at its level on a 3 x 3 expression -----------------------------

REPS = 2000


def _rate(hits: int) -> str:
    lo, hi = fraction_ci(hits, REPS)
    return f"{hits / REPS:.4f} [{lo:.4f}, {hi:.4f}] of {REPS}"


def test_paired_scheme_size_and_coverage_for_chained_3_at_60_items():
    """chained-3 (local bound 4) on K = 60 shared items, every product of pair (x, y) +1 with
    probability (1 + c_xy)/2, c = (2/3) sign(F_xy): true V = 4 exactly. The one-sided 5%
    test of V > 4 rejects in 0.035-0.065 of the samples and the 95% interval (the inverted
    test) keeps V = 4 in at least 0.93 of them."""
    e = preset("chained-3")
    f = e.correlators
    c = 4.0 / 6.0 * np.sign(f)  # six non-zero coefficients
    p_plus = (1.0 + c) / 2.0
    lo, hi = bell_score.item_sum_range(e)
    rng = np.random.default_rng(60)
    rejected = covered = 0
    for _ in range(REPS):
        prods = np.where(rng.random((3, 3, 60)) < p_plus[..., None], 1.0, -1.0)
        t = e.item_sums(np.ones_like(prods), prods)
        p = bounded_mean_test(t, 4.0, lo, hi)["p_value"]
        rejected += p < 0.05
        covered += 0.025 <= p <= 0.975
    assert 0.035 <= rejected / REPS <= 0.065, _rate(rejected)
    assert covered / REPS >= 0.93, _rate(covered)


def test_paired_scheme_covers_i3322_with_marginal_terms_at_60_items():
    """I3322 has marginal terms: the T_k then mix each item's outcomes over partner settings.
    Outcomes independent per pair with accuracies 0.8 (Alice) and 0.7 (Bob): true V from the
    expression's value; the 95% interval keeps it in at least 0.93 of 2,000 samples."""
    e = preset("i3322")
    pa, pb = 0.8, 0.7
    ma, mb = 2 * pa - 1, 2 * pb - 1
    true_v = e.value(np.full((3, 3), ma * mb), np.full(3, ma), np.full(3, mb))
    lo, hi = bell_score.item_sum_range(e)
    rng = np.random.default_rng(3322)
    covered = 0
    for _ in range(REPS):
        a = np.where(rng.random((3, 3, 60)) < pa, 1.0, -1.0)
        b = np.where(rng.random((3, 3, 60)) < pb, 1.0, -1.0)
        p = bounded_mean_test(e.item_sums(a, b), true_v, lo, hi)["p_value"]
        covered += 0.025 <= p <= 0.975
    assert covered / REPS >= 0.93, _rate(covered)
