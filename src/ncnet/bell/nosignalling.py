"""The no-signalling bound: a linear program over the no-signalling polytope (SciPy's HiGHS).

Variables are the behaviour p(a, b | x, y) >= 0, indexed ``[x, y, a, b]`` with outcome +1 at
index 0 and -1 at index 1. Constraints: Σ_ab p(a,b|x,y) = 1 for every (x, y); Alice's
marginal Σ_b p(a,b|x,y) is the same for every y, Bob's Σ_a p(a,b|x,y) the same for every x.
The objective is the FC expression with <A_x B_y> = Σ_ab ab p(a,b|x,y) and the (then
well-defined) marginals read from y = 1 and x = 1. For a correlator-only expression the
maximum is F00 + Σ_xy |F[x,y]|: uniform marginals with <A_x B_y> = sign(F[x,y]) are
no-signalling (a PR-box-like behaviour), and no correlator exceeds 1 in size.
:func:`no_signalling_bound` uses that closed form where it applies (exact, and it spares the
second it takes to import SciPy's optimiser); :func:`no_signalling_lp` always solves the LP,
and the tests check that the two agree.

HiGHS stops at primal and dual feasibility 1e-7 (its defaults); the optimal vertex of an
expression with simple coefficients is found exactly up to rounding.

>>> round(no_signalling_bound([[0, 0, 0], [0, 1, 1], [0, 1, -1]]).value, 9)  # CHSH
4.0
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ncnet.bell.errors import SolverError

_SIGN = np.array([1.0, -1.0])  # outcome index 0 is +1


@dataclass(frozen=True, eq=False)
class NoSignallingBound:
    """The no-signalling maximum ``value`` and a behaviour reaching it, ``behaviour``
    ``(m_A, m_B, 2, 2)`` = p(a, b | x, y) (outcome +1 at index 0)."""

    value: float
    behaviour: np.ndarray


def behaviour_value(fc: Any, behaviour: Any) -> float:
    """The FC expression on a no-signalling behaviour ``(m_A, m_B, 2, 2)``.

    Marginals are read from Bob's first and Alice's first setting, which on a no-signalling
    behaviour equal every other choice.
    """
    fc = np.asarray(fc, dtype=np.float64)
    p = np.asarray(behaviour, dtype=np.float64)
    corr = np.einsum("xyab,a,b->xy", p, _SIGN, _SIGN)
    marg_a = np.einsum("xab,a->x", p[:, 0], _SIGN)
    marg_b = np.einsum("yab,b->y", p[0], _SIGN)
    return float(fc[0, 0] + fc[1:, 0] @ marg_a + fc[0, 1:] @ marg_b
                 + np.sum(fc[1:, 1:] * corr))


def _objective(fc: np.ndarray) -> np.ndarray:
    m_a, m_b = fc.shape[0] - 1, fc.shape[1] - 1
    ab = np.outer(_SIGN, _SIGN)
    c = fc[1:, 1:, None, None] * ab
    c[:, 0] += fc[1:, 0, None, None] * _SIGN[:, None]
    c[0, :] += fc[0, 1:, None, None] * _SIGN[None, :]
    return c.reshape(m_a * m_b * 4)


def _equalities(m_a: int, m_b: int) -> tuple[Any, np.ndarray]:
    """Normalisation and no-signalling as a sparse ``A_eq p = b_eq``."""
    import scipy.sparse as sparse

    index = np.arange(m_a * m_b * 4).reshape(m_a, m_b, 2, 2)
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    n_rows = 0

    def add(plus: np.ndarray, minus: np.ndarray | None = None) -> None:
        nonlocal n_rows
        for sign, idx in ((1.0, plus), (-1.0, minus)):
            if idx is not None:
                rows.append(np.full(idx.size, n_rows))
                cols.append(idx.ravel())
                vals.append(np.full(idx.size, sign))
        n_rows += 1

    for x in range(m_a):
        for y in range(m_b):
            add(index[x, y])
    for x in range(m_a):
        for y in range(1, m_b):
            for a in range(2):
                add(index[x, y, a, :], index[x, 0, a, :])
    for y in range(m_b):
        for x in range(1, m_a):
            for b in range(2):
                add(index[x, y, :, b], index[0, y, :, b])
    b_eq = np.zeros(n_rows)
    b_eq[: m_a * m_b] = 1.0
    a_eq = sparse.csr_array((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                            shape=(n_rows, m_a * m_b * 4))
    return a_eq, b_eq


def no_signalling_bound(fc: Any) -> NoSignallingBound:
    """The maximum of the FC table ``fc`` ``(m_A + 1, m_B + 1)`` over no-signalling behaviours:
    the closed form for correlator-only tables, else :func:`no_signalling_lp`."""
    fc = np.asarray(fc, dtype=np.float64)
    if fc[1:, 0].any() or fc[0, 1:].any():
        return no_signalling_lp(fc)
    signs = np.where(fc[1:, 1:] >= 0, 1.0, -1.0)
    behaviour = (1.0 + signs[:, :, None, None] * np.outer(_SIGN, _SIGN)) / 4.0
    return NoSignallingBound(float(fc[0, 0] + np.abs(fc[1:, 1:]).sum()), behaviour)


def no_signalling_lp(fc: Any) -> NoSignallingBound:
    """:func:`no_signalling_bound` by the HiGHS LP, whatever the table.

    Raises :class:`~ncnet.bell.errors.SolverError` if HiGHS does not report an optimum.
    """
    from scipy.optimize import linprog

    fc = np.asarray(fc, dtype=np.float64)
    m_a, m_b = fc.shape[0] - 1, fc.shape[1] - 1
    a_eq, b_eq = _equalities(m_a, m_b)
    res = linprog(-_objective(fc), A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
    if res.status != 0:
        raise SolverError(f"no-signalling LP (HiGHS): {res.message}")
    behaviour = np.clip(res.x, 0.0, None).reshape(m_a, m_b, 2, 2)
    return NoSignallingBound(float(fc[0, 0] - res.fun), behaviour)
