"""One semidefinite program, solved with Clarabel: maximise a linear function of a moment matrix.

The matrix Γ (n x n, real symmetric) has entries given by ``labels``: label 0 is the constant
1, label k >= 1 the free variable y_k (equal labels are equal entries). The problem is

    maximise  Σ_k c_k y_k   subject to   Γ(y) ⪰ 0.

Both the Tsirelson SDP and the NPA hierarchy are of this form
(:mod:`ncnet.bell.quantum`). It is passed to Clarabel (Goulart & Chen 2024) in its native
conic form, min q·y s.t. b - A y ∈ PSD-triangle cone, where the cone holds the upper
triangle of Γ column by column with off-diagonal entries scaled by √2. Clarabel is an
interior-point solver: with the tolerances below (gap and feasibility 1e-8, its defaults)
the optimum is good to about 1e-7 (measured: chained-2..10 within 7e-8 of 2M cos(π/2M)),
and the dual objective it reports is an upper bound up to that feasibility tolerance.
Going through cvxpy would give the same numbers but costs about two seconds of imports per
process; the tests check this construction against a cvxpy model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ncnet.bell.errors import BellInputError, SolverError
from ncnet.runtime.extras import require

#: Clarabel's stopping tolerances (gap and feasibility; its defaults).
TOLERANCE = 1e-8

#: The largest matrix side accepted. Clarabel's interior-point steps factor a dense matrix of
#: (n(n+1)/2)^2 entries: measured here, n = 76 took 22 s and 0.5 GB, n = 88 about 30 s.
MAX_MATRIX_SIDE = 100

#: Clarabel statuses accepted as an optimum; "AlmostSolved" met only its reduced tolerances
#: (about 5e-5), which happens on large NPA levels.
ACCEPTED_STATUS = ("Solved", "AlmostSolved")


@dataclass(frozen=True, eq=False)
class SdpSolution:
    """``value``: the primal optimum; ``dual_value``: the dual objective (an upper bound);
    ``moments``: the optimal y (y[0] = 1 is the constant label); ``status``: Clarabel's,
    ``"Solved"`` or ``"AlmostSolved"`` (reduced tolerances, about 1e-5, met)."""

    value: float
    dual_value: float
    moments: np.ndarray
    status: str

    def matrix(self, labels: np.ndarray) -> np.ndarray:
        """The optimal moment matrix Γ for ``labels`` (n, n)."""
        return self.moments[labels]


def maximize_moment_matrix(labels: Any, objective: Any) -> SdpSolution:
    """Maximise ``objective`` · y over y with Γ(y) = y[labels] ⪰ 0 and y[0] = 1.

    ``labels``: int array (n, n), symmetric, values 0..K, label 0 on every entry fixed to 1
    (e.g. the diagonal); ``objective``: (K + 1,) coefficients of y (entry 0, the constant,
    adds ``objective[0]``). Needs the ``bell`` extra (clarabel); raises
    :class:`~ncnet.bell.errors.SolverError` if Clarabel reports no solution.
    """
    clarabel = require("clarabel", "bell")
    import scipy.sparse as sparse

    labels = np.asarray(labels, dtype=np.int64)
    c = np.asarray(objective, dtype=np.float64)
    n, k = labels.shape[0], c.size - 1
    if n > MAX_MATRIX_SIDE:
        raise BellInputError(f"the SDP's matrix would have {n} rows; the most allowed is "
                             f"{MAX_MATRIX_SIDE} (its cost grows as rows^6)")
    if not np.array_equal(labels, labels.T):
        raise ValueError("labels must be symmetric")
    rows, cols = np.triu_indices(n)
    order = np.lexsort((rows, cols))  # column by column, as Clarabel's triangle cone
    rows, cols = rows[order], cols[order]
    scale = np.where(rows == cols, 1.0, math.sqrt(2.0))
    lab = labels[rows, cols]
    free = lab > 0
    a = sparse.csc_matrix((-scale[free], (np.nonzero(free)[0], lab[free] - 1)),
                          shape=(rows.size, k))
    b = np.where(free, 0.0, scale)
    settings = clarabel.DefaultSettings()
    settings.verbose = False
    settings.tol_gap_abs = settings.tol_gap_rel = TOLERANCE
    settings.tol_feas = TOLERANCE
    solver = clarabel.DefaultSolver(sparse.csc_matrix((k, k)), -c[1:], a, b,
                                    [clarabel.PSDTriangleConeT(n)], settings)
    solution = solver.solve()
    status = str(solution.status)
    if status not in ACCEPTED_STATUS:
        raise SolverError(f"Clarabel did not solve the SDP (status {status})")
    y = np.concatenate([[1.0], np.asarray(solution.x, dtype=np.float64)])
    primal = -float(solution.obj_val)
    dual = -float(getattr(solution, "obj_val_dual", solution.obj_val))
    return SdpSolution(c[0] + primal, c[0] + dual, y, status)
