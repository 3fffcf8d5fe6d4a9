"""The local bound: exact enumeration of one side, checked against both sides' brute force."""

import itertools

import numpy as np
import pytest

from ncnet.bell import MAX_ENUMERATED_SETTINGS, BellInputError, chained, local_bound, preset


def brute_force(fc):
    """max over every joint assignment (a, b) of both parties: 2^(m_A + m_B) terms."""
    fc = np.asarray(fc, dtype=float)
    m_a, m_b = fc.shape[0] - 1, fc.shape[1] - 1
    best = -np.inf
    for a in itertools.product([1.0, -1.0], repeat=m_a):
        for b in itertools.product([1.0, -1.0], repeat=m_b):
            best = max(best, float(np.concatenate([[1.0], a]) @ fc @ np.concatenate([[1.0], b])))
    return best


def strategy_value(fc, alice, bob):
    return float(np.concatenate([[1.0], alice]) @ np.asarray(fc) @ np.concatenate([[1.0], bob]))


@pytest.mark.parametrize("m", range(2, 11))
def test_chained_local_bound_is_2m_minus_2(m):
    assert local_bound(chained(m).fc).value == 2 * m - 2


def test_named_local_bounds():
    assert preset("chsh").local_bound().value == 2
    assert preset("ch").local_bound().value == 0
    assert preset("i3322").local_bound().value == 0


def test_random_expressions_match_brute_force_both_ways_round():
    rng = np.random.default_rng(0)
    for m_a, m_b in [(1, 1), (1, 4), (4, 1), (2, 5), (5, 2), (3, 3), (4, 4)]:
        for _ in range(3):
            fc = rng.normal(size=(m_a + 1, m_b + 1))
            bound = local_bound(fc)
            assert bound.value == pytest.approx(brute_force(fc), abs=1e-12)
            assert bound.alice.shape == (m_a,) and bound.bob.shape == (m_b,)
            assert set(bound.alice) | set(bound.bob) <= {-1.0, 1.0}
            assert strategy_value(fc, bound.alice, bound.bob) == pytest.approx(bound.value,
                                                                              abs=1e-12)


def test_integer_expressions_are_exact():
    rng = np.random.default_rng(1)
    fc = rng.integers(-3, 4, size=(6, 5)).astype(float)
    assert local_bound(fc).value == brute_force(fc)


def test_blocks_of_assignments_give_the_same_answer(monkeypatch):
    from ncnet.bell import local

    fc = np.random.default_rng(2).normal(size=(9, 4))
    whole = local_bound(fc).value
    monkeypatch.setattr(local, "_BLOCK_ELEMENTS", 16)  # 2 assignments per block
    assert local_bound(fc).value == whole


def test_more_than_twenty_settings_on_both_sides_is_refused():
    big = MAX_ENUMERATED_SETTINGS + 1
    with pytest.raises(BellInputError) as err:
        local_bound(np.ones((big + 1, big + 1)))
    assert str(err.value) == ("local bound: m_A = 21 and m_B = 21 settings; exact enumeration "
                              "allows at most 20 on the smaller side")
    # one small side is enough: Bob's 2^2 strategies, Alice's best response
    fc = np.random.default_rng(3).normal(size=(big + 5, 3))
    bound = local_bound(fc)
    assert bound.value == pytest.approx(max(
        fc[0, 0] + np.array(b) @ fc[0, 1:] + np.abs(fc[1:, 0] + fc[1:, 1:] @ np.array(b)).sum()
        for b in itertools.product([1.0, -1.0], repeat=2)), abs=1e-12)
    assert strategy_value(fc, bound.alice, bound.bob) == pytest.approx(bound.value, abs=1e-12)
