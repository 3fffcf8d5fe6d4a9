"""Expressions: the FC form, the exact CG mapping, values on correlators and per-item sums."""

import itertools

import numpy as np
import pytest

from ncnet import chsh
from ncnet.bell import BellExpression, BellInputError, cg_to_fc, partner_averaged_marginals, preset


def cg_value(cg, marg_a, marg_b, corr):
    """The CG expression straight from probabilities p(+|x), p(+|y), p(++|xy)."""
    cg = np.asarray(cg, dtype=float)
    pa = (1 + marg_a) / 2
    pb = (1 + marg_b) / 2
    pab = (1 + marg_a[:, None] + marg_b[None, :] + corr) / 4
    return cg[0, 0] + cg[1:, 0] @ pa + cg[0, 1:] @ pb + np.sum(cg[1:, 1:] * pab)


def test_clauser_horne_in_cg_form_maps_to_chsh_over_four_minus_a_half_exactly():
    fc = cg_to_fc([[0, -1, 0], [-1, 1, 1], [0, 1, -1]])
    assert fc.tolist() == [[-0.5, 0, 0], [0, 0.25, 0.25], [0, 0.25, -0.25]]
    assert preset("ch").is_correlator_only


def test_the_cg_mapping_keeps_the_value_on_any_statistics():
    rng = np.random.default_rng(0)
    for m_a, m_b in [(1, 1), (2, 3), (3, 2), (4, 4)]:
        cg = rng.normal(size=(m_a + 1, m_b + 1))
        e = BellExpression.from_cg(cg)
        np.testing.assert_array_equal(e.cg, cg)
        for _ in range(5):
            ma, mb = rng.uniform(-1, 1, m_a), rng.uniform(-1, 1, m_b)
            corr = rng.uniform(-1, 1, (m_a, m_b))
            assert e.value(corr, ma, mb) == pytest.approx(cg_value(cg, ma, mb, corr), abs=1e-12)


def test_an_exactly_cancelling_cg_table_is_exactly_correlator_only():
    # 0.1 + 0.2 - 0.3 is not 0 in floats; the mapping sums exact fractions of the floats
    cg = [[0, 0.1, 0.0], [0.0, 0.3, 0.0], [0.2, -0.2, 0.0]]
    fc = cg_to_fc(cg)
    from fractions import Fraction as Q

    expected = Q(0.3) / 4 - Q(0.2) / 4 + Q(0.1) / 2  # F[0,1]
    assert fc[0, 1] == float(expected)
    balanced = cg_to_fc([[0.5, -1.0, -1.0], [-1.0, 1.0, 1.0], [-1.0, 1.0, 1.0]])
    assert balanced[1:, 0].tolist() == [0.0, 0.0] and balanced[0, 1:].tolist() == [0.0, 0.0]


def test_chsh_preset_gives_todays_s_exactly():
    rng = np.random.default_rng(1)
    c = rng.integers(-64, 65, size=(50, 2, 2)) / 64  # dyadic: every sum is exact
    np.testing.assert_array_equal(preset("chsh").value(c), chsh.chsh_value(c))
    assert preset("chsh").fc.tolist() == [[0, 0, 0], [0, 1, 1], [0, 1, -1]]


def test_value_with_marginals_and_its_input_checks():
    e = BellExpression.from_correlators([[1, 2]], alice=[3], bob=[4, 5], constant=6)
    assert e.value([[0.5, -0.5]], [0.25], [1.0, -1.0]) == 6 + 0.5 - 1 + 0.75 + 4 - 5
    batch = e.value(np.zeros((7, 1, 2)), np.ones((7, 1)), np.ones((7, 2)))
    assert batch.shape == (7,) and (batch == 6 + 3 + 9).all()
    with pytest.raises(BellInputError, match="give marg_a"):
        e.value([[0.5, -0.5]])
    with pytest.raises(BellInputError, match=r"shape \(\.\.\., 1, 2\)"):
        e.value(np.zeros((2, 2)), [0], [0, 0])
    with pytest.raises(BellInputError, match=r"marg_b must have shape \(\.\.\., 2\)"):
        e.value([[0, 0]], [0], [0, 0, 0])


def test_item_sums_by_hand_and_their_mean_is_the_value():
    # CH = S/4 - 1/2; two items, pair models (x, y) with their own outcomes
    e = preset("ch")
    a = np.array([[[1, 1], [1, -1]], [[-1, 1], [1, 1]]], dtype=float)   # a[x, y, k]
    b = np.array([[[1, -1], [1, 1]], [[-1, 1], [-1, 1]]], dtype=float)
    # item 0: products (11, 12, 21, 22) = (1, 1, 1, -1): S = 4 -> T = 1/2
    # item 1: products (-1, -1, 1, 1): S = -2 -> T = -1
    np.testing.assert_allclose(e.item_sums(a, b), [0.5, -1.0], atol=1e-15)
    # with marginal terms: mean over items = value of correlators and partner-averaged marginals
    rng = np.random.default_rng(2)
    f = BellExpression.from_fc(rng.normal(size=(4, 3)))
    a = rng.choice([-1.0, 1.0], size=(3, 2, 40))
    b = rng.choice([-1.0, 1.0], size=(3, 2, 40))
    ma, mb = partner_averaged_marginals(a.mean(-1), b.mean(-1))
    assert f.item_sums(a, b).mean() == pytest.approx(f.value((a * b).mean(-1), ma, mb), abs=1e-12)
    with pytest.raises(BellInputError, match=r"outcomes \+1 or -1; got 0.5"):
        f.item_sums(a * 0.5, b)
    with pytest.raises(BellInputError, match=r"shape \(\.\.\., 3, 2, K\)"):
        f.item_sums(a[:2], b[:2])


def test_item_sums_of_chsh_are_the_signed_sums_of_products():
    rng = np.random.default_rng(3)
    a = rng.choice([-1.0, 1.0], size=(2, 2, 30))
    b = rng.choice([-1.0, 1.0], size=(2, 2, 30))
    expected = sum(chsh.CHSH_SIGNS[i, j] * a[i, j] * b[i, j]
                   for i, j in itertools.product(range(2), range(2)))
    np.testing.assert_array_equal(preset("chsh").item_sums(a, b), expected)


def test_partner_averaged_marginals():
    a = np.array([[0.2, 0.4], [1.0, 0.0]])
    b = np.array([[0.5, 1.0], [0.5, 0.0]])
    ma, mb = partner_averaged_marginals(a, b)
    np.testing.assert_allclose(ma, [0.3, 0.5])
    np.testing.assert_allclose(mb, [0.5, 0.5])


@pytest.mark.parametrize("table, message", [
    ([[1, 1], [1]], "correlators is ragged: row 1 has 1 entries but row 0 has 2"),
    ([[1, "x"]], "correlators[0][1] = 'x' is not a number"),
    ([[1, True]], "correlators[0][1] = True is not a number"),
    ([[1, float("nan")]], "correlators[0][1] = nan is not finite"),
    ([[float("inf")]], "correlators[0][0] = inf is not finite"),
    ([], "correlators is empty"),
    ([1, 2], "correlators must be a table"),
])
def test_bad_tables_are_one_line_errors_naming_the_value(table, message):
    with pytest.raises(BellInputError) as err:
        BellExpression.from_correlators(table)
    assert str(err.value).startswith(message) and "\n" not in str(err.value)


def test_bad_marginal_coefficients_and_cg_shapes():
    with pytest.raises(BellInputError, match="alice has 1 entries; it needs 2"):
        BellExpression.from_correlators([[1, 1], [1, -1]], alice=[1])
    with pytest.raises(BellInputError, match="constant = 'a' is not a number"):
        BellExpression.from_correlators([[1]], constant="a")
    with pytest.raises(BellInputError, match="cg has shape 1 x 3; it needs at least 2 x 2"):
        BellExpression.from_cg([[0, 1, 2]])
