"""The no-signalling bound: the HiGHS LP over p(a,b|x,y), checked against closed forms and an
independent LP over correlators."""

import numpy as np
import pytest

from ncnet.bell import (
    behaviour_value,
    chained,
    local_bound,
    no_signalling_bound,
    no_signalling_lp,
    preset,
)


def correlator_space_lp(fc):
    """The same maximum, another parametrisation: variables <A_x>, <B_y>, <A_x B_y>, with
    p(a,b|x,y) = (1 + a<A_x> + b<B_y> + ab<A_x B_y>)/4 >= 0."""
    from scipy.optimize import linprog

    fc = np.asarray(fc, dtype=float)
    m_a, m_b = fc.shape[0] - 1, fc.shape[1] - 1
    n = m_a + m_b + m_a * m_b
    c = np.concatenate([fc[1:, 0], fc[0, 1:], fc[1:, 1:].ravel()])
    rows = []
    for x in range(m_a):
        for y in range(m_b):
            for a in (1, -1):
                for b in (1, -1):
                    row = np.zeros(n)
                    row[x], row[m_a + y], row[m_a + m_b + x * m_b + y] = -a, -b, -a * b
                    rows.append(row)
    res = linprog(-c, A_ub=np.array(rows), b_ub=np.ones(len(rows)), bounds=(-1, 1),
                  method="highs")
    assert res.status == 0
    return fc[0, 0] - res.fun


def is_no_signalling(p, atol=1e-9):
    return (np.all(p >= -atol) and np.allclose(p.sum(axis=(2, 3)), 1, atol=atol)
            and np.allclose(p.sum(axis=3), p.sum(axis=3)[:, :1], atol=atol)
            and np.allclose(p.sum(axis=2), p.sum(axis=2)[:1], atol=atol))


@pytest.mark.parametrize("m", range(2, 11))
def test_chained_no_signalling_bound_is_2m(m):
    assert no_signalling_bound(chained(m).fc).value == 2 * m
    assert no_signalling_lp(chained(m).fc).value == pytest.approx(2 * m, abs=1e-9)


def test_named_no_signalling_bounds():
    assert preset("chsh").no_signalling_bound().value == pytest.approx(4, abs=1e-9)
    assert preset("ch").no_signalling_bound().value == pytest.approx(0.5, abs=1e-9)
    assert preset("i3322").no_signalling_bound().value == pytest.approx(1, abs=1e-9)


def test_correlator_only_the_lp_equals_the_sum_of_absolute_values():
    rng = np.random.default_rng(0)
    for m_a, m_b in [(1, 1), (2, 3), (4, 2), (5, 5)]:
        fc = np.zeros((m_a + 1, m_b + 1))
        fc[1:, 1:] = rng.normal(size=(m_a, m_b))
        fc[0, 0] = rng.normal()
        closed = no_signalling_bound(fc)
        assert closed.value == fc[0, 0] + np.abs(fc[1:, 1:]).sum()
        assert no_signalling_lp(fc).value == pytest.approx(closed.value, abs=1e-8)
        assert is_no_signalling(closed.behaviour)
        assert behaviour_value(fc, closed.behaviour) == pytest.approx(closed.value, abs=1e-12)


def test_random_expressions_agree_with_the_correlator_lp_and_reach_their_behaviour():
    rng = np.random.default_rng(1)
    for m_a, m_b in [(1, 2), (2, 2), (3, 2), (3, 4)]:
        for _ in range(3):
            fc = rng.normal(size=(m_a + 1, m_b + 1))
            bound = no_signalling_bound(fc)
            assert bound.value == no_signalling_lp(fc).value
            assert bound.value == pytest.approx(correlator_space_lp(fc), abs=1e-7)
            assert bound.behaviour.shape == (m_a, m_b, 2, 2)
            assert is_no_signalling(bound.behaviour)
            assert behaviour_value(fc, bound.behaviour) == pytest.approx(bound.value, abs=1e-7)
            assert local_bound(fc).value <= bound.value + 1e-9
