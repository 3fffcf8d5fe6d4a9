"""A two-party Bell expression with ±1 outcomes, in its one canonical form: full correlators.

Alice has settings x = 1..m_A, Bob y = 1..m_B, every outcome is +1 or -1 (+1 is index 0).
The full-correlator (FC) table ``F`` has shape ``(m_A + 1, m_B + 1)`` and means

    V = F[0,0] + Σ_x F[x,0] <A_x> + Σ_y F[0,y] <B_y> + Σ_xy F[x,y] <A_x B_y>.

Collins–Gisin (CG) tables use the same layout over p(+1|x), p(+1|y) and p(+1,+1|x,y); they are
mapped exactly (in rational arithmetic) to FC on input with p(+1|x) = (1 + <A_x>)/2 and
p(++|xy) = (1 + <A_x> + <B_y> + <A_x B_y>)/4. Every method then works on FC, so an expression
written with probabilities but free of marginal terms (CH) gets the exact quantum bound.

>>> e = BellExpression.from_correlators([[1, 1], [1, -1]], name="chsh")
>>> e.m_a, e.m_b, e.value([[1, 1], [1, -1]])
(2, 2, 4.0)
>>> e.local_bound().value
2.0
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

import numpy as np

from ncnet.bell import tables
from ncnet.bell.errors import BellInputError
from ncnet.bell.local import LocalBound, local_bound
from ncnet.bell.nosignalling import NoSignallingBound, no_signalling_bound
from ncnet.bell.quantum import DEFAULT_NPA_LEVEL, NpaLevel, QuantumBound, quantum_bound
from ncnet.stats.outcomes import frozen_array as _frozen


def cg_to_fc(cg: Any) -> np.ndarray:
    """The FC table of a CG table (both ``(m_A + 1, m_B + 1)``), computed exactly.

    With G the CG table, F[x,y] = G[x,y]/4, F[x,0] = G[x,0]/2 + Σ_y G[x,y]/4,
    F[0,y] = G[0,y]/2 + Σ_x G[x,y]/4 and F[0,0] = G[0,0] + Σ_x G[x,0]/2 + Σ_y G[0,y]/2 +
    Σ_xy G[x,y]/4. Sums run over exact fractions of the given floats, so a coefficient that is
    zero in exact arithmetic is exactly 0.0 (no rounding residue decides "correlator-only").

    >>> cg_to_fc([[0, -1, 0], [-1, 1, 1], [0, 1, -1]]).tolist()  # Clauser–Horne
    [[-0.5, 0.0, 0.0], [0.0, 0.25, 0.25], [0.0, 0.25, -0.25]]
    """
    g = tables.table(cg, "cg", min_shape=(2, 2))
    q = [[Fraction(v) for v in row] for row in g.tolist()]
    m_a, m_b = g.shape[0] - 1, g.shape[1] - 1
    quarter, half = Fraction(1, 4), Fraction(1, 2)
    f = [[Fraction(0)] * (m_b + 1) for _ in range(m_a + 1)]
    f[0][0] = q[0][0]
    for x in range(1, m_a + 1):
        f[x][0] += half * q[x][0]
        f[0][0] += half * q[x][0]
    for y in range(1, m_b + 1):
        f[0][y] += half * q[0][y]
        f[0][0] += half * q[0][y]
    for x in range(1, m_a + 1):
        for y in range(1, m_b + 1):
            c = quarter * q[x][y]
            f[x][y] += c
            f[x][0] += c
            f[0][y] += c
            f[0][0] += c
    return np.array([[float(v) for v in row] for row in f], dtype=np.float64)


def _pm1(x: Any, name: str) -> np.ndarray:
    arr = np.asarray(x, dtype=np.float64)
    bad = ~((arr == 1.0) | (arr == -1.0))
    if bad.any():
        first = float(arr[bad].ravel()[0])
        raise BellInputError(f"{name} must hold outcomes +1 or -1; got {first!r}")
    return arr


@dataclass(frozen=True, eq=False)
class BellBounds:
    """The three bounds of one expression: local <= quantum <= no-signalling.

    ``quantum`` is None when it was not asked for (``quantum=False``).
    """

    m_a: int
    m_b: int
    local: LocalBound
    no_signalling: NoSignallingBound
    quantum: QuantumBound | None

    def to_json(self) -> dict[str, Any]:
        """``{"local", "quantum", "quantum_kind", "no_signalling", "m_a", "m_b"}``, plain types;
        ``quantum_kind`` is ``"exact"`` or ``"npa-K upper bound"``."""
        q = self.quantum
        return {"local": self.local.value, "quantum": None if q is None else q.value,
                "quantum_kind": None if q is None else q.json_kind,
                "no_signalling": self.no_signalling.value, "m_a": self.m_a, "m_b": self.m_b}


@dataclass(frozen=True, eq=False)
class BellExpression:
    """One Bell expression: the FC table ``fc`` ``(m_A + 1, m_B + 1)``, read-only.

    ``cg`` is the CG table as the user gave it (None when given in FC); ``name`` and
    ``description`` are for display. Build one with :meth:`from_correlators`,
    :meth:`from_fc` or :meth:`from_cg`; the presets are in :mod:`ncnet.bell.presets`.
    """

    fc: np.ndarray
    name: str = "custom"
    description: str = ""
    cg: np.ndarray | None = field(default=None)

    def __post_init__(self) -> None:
        fc = tables.table(self.fc, "fc", min_shape=(2, 2))
        object.__setattr__(self, "fc", _frozen(fc))
        if self.cg is not None:
            object.__setattr__(self, "cg", _frozen(tables.table(self.cg, "cg", (2, 2))))

    # ---- construction --------------------------------------------------------------------

    @classmethod
    def from_fc(cls, fc: Any, name: str = "custom", description: str = "") -> BellExpression:
        """From an FC table ``(m_A + 1, m_B + 1)``: constant, Alice's column, Bob's row."""
        return cls(tables.table(fc, "fc", min_shape=(2, 2)), name, description)

    @classmethod
    def from_correlators(cls, correlators: Any, alice: Any = None, bob: Any = None,
                         constant: Any = 0.0, name: str = "custom",
                         description: str = "") -> BellExpression:
        """From ``correlators`` (m_A rows x m_B columns, the coefficients of <A_x B_y>) and
        optional marginal coefficients ``alice`` (m_A,), ``bob`` (m_B,) and ``constant``."""
        m = tables.table(correlators, "correlators")
        fc = np.zeros((m.shape[0] + 1, m.shape[1] + 1))
        fc[1:, 1:] = m
        if alice is not None:
            fc[1:, 0] = tables.vector(alice, "alice", m.shape[0])
        if bob is not None:
            fc[0, 1:] = tables.vector(bob, "bob", m.shape[1])
        fc[0, 0] = tables.number(constant, "constant")
        return cls(fc, name, description)

    @classmethod
    def from_cg(cls, cg: Any, name: str = "custom", description: str = "") -> BellExpression:
        """From a CG table ``(m_A + 1, m_B + 1)`` over p(+1|x), p(+1|y), p(+1,+1|x,y); the FC
        form is computed exactly (:func:`cg_to_fc`) and the CG table kept for display."""
        g = tables.table(cg, "cg", min_shape=(2, 2))
        return cls(cg_to_fc(g), name, description, cg=g)

    # ---- parts ---------------------------------------------------------------------------

    @property
    def m_a(self) -> int:
        """Alice's number of settings."""
        return self.fc.shape[0] - 1

    @property
    def m_b(self) -> int:
        """Bob's number of settings."""
        return self.fc.shape[1] - 1

    @property
    def constant(self) -> float:
        return float(self.fc[0, 0])

    @property
    def alice(self) -> np.ndarray:
        """Coefficients of <A_x>, shape (m_A,)."""
        return self.fc[1:, 0]

    @property
    def bob(self) -> np.ndarray:
        """Coefficients of <B_y>, shape (m_B,)."""
        return self.fc[0, 1:]

    @property
    def correlators(self) -> np.ndarray:
        """Coefficients of <A_x B_y>, shape (m_A, m_B)."""
        return self.fc[1:, 1:]

    @property
    def is_correlator_only(self) -> bool:
        """No marginal terms (a constant is allowed): an XOR game, whose quantum bound is exact."""
        return not (self.alice.any() or self.bob.any())

    # ---- values on data ------------------------------------------------------------------

    def value(self, correlators: Any, marg_a: Any = None, marg_b: Any = None) -> Any:
        """V from correlators ``(..., m_A, m_B)`` and marginals <A_x> ``(..., m_A)``,
        <B_y> ``(..., m_B)`` (means of ±1 outcomes, not accuracies); a float for one table.

        The marginals may be omitted only where their coefficients are all zero. On
        separately trained pair models pass the partner-averaged marginals
        (:func:`partner_averaged_marginals`).
        """
        c = np.asarray(correlators, dtype=np.float64)
        if c.ndim < 2 or c.shape[-2:] != (self.m_a, self.m_b):
            raise BellInputError(f"correlators must have shape (..., {self.m_a}, {self.m_b}) for "
                                 f"{self.name}; got {c.shape}")
        v = self.constant + np.sum(self.correlators * c, axis=(-2, -1))
        for label, marg, coef, m in (("marg_a", marg_a, self.alice, self.m_a),
                                     ("marg_b", marg_b, self.bob, self.m_b)):
            if marg is None:
                if coef.any():
                    raise BellInputError(f"{self.name} has marginal terms: give {label}")
                continue
            marg = np.asarray(marg, dtype=np.float64)
            if marg.shape[-1:] != (m,):
                raise BellInputError(f"{label} must have shape (..., {m}); got {marg.shape}")
            v = v + marg @ coef
        return float(v) if np.ndim(v) == 0 else v

    def item_sums(self, a: Any, b: Any) -> np.ndarray:
        """Per-item sums T_k from outcomes aligned by item, ``a``, ``b`` ``(..., m_A, m_B, K)``.

        ``a[x, y, k]`` is Alice's ±1 outcome for setting x in the pair model (x, y) on item k,
        ``b[x, y, k]`` Bob's. T_k = F00 + Σ_x F[x,0] mean_y a[x,y,k] + Σ_y F[0,y] mean_x
        b[x,y,k] + Σ_xy F[x,y] a[x,y,k] b[x,y,k], shape ``(..., K)``; its mean over k is
        :meth:`value` of the correlators and the partner-averaged marginals.
        """
        a, b = _pm1(a, "a"), _pm1(b, "b")
        shape = (self.m_a, self.m_b)
        if a.shape != b.shape or a.ndim < 3 or a.shape[-3:-1] != shape:
            raise BellInputError(f"outcomes must have shape (..., {self.m_a}, {self.m_b}, K) "
                                 f"for {self.name}; got A {a.shape} and B {b.shape}")
        t = self.constant + np.einsum("xy,...xyk->...k", self.correlators, a * b)
        t = t + np.einsum("x,...xk->...k", self.alice, a.mean(axis=-2))
        return t + np.einsum("y,...yk->...k", self.bob, b.mean(axis=-3))

    # ---- bounds --------------------------------------------------------------------------

    def local_bound(self) -> LocalBound:
        """The exact local (deterministic-strategy) maximum; see :func:`local_bound`."""
        return local_bound(self.fc)

    def no_signalling_bound(self) -> NoSignallingBound:
        """The maximum over the no-signalling polytope; see :func:`no_signalling_bound`."""
        return no_signalling_bound(self.fc)

    def quantum_bound(self, npa_level: NpaLevel = DEFAULT_NPA_LEVEL) -> QuantumBound:
        """Exact (Tsirelson) when correlator-only, else an NPA upper bound at ``npa_level``;
        needs the ``bell`` extra."""
        return quantum_bound(self.fc, npa_level)

    def bounds(self, npa_level: NpaLevel = DEFAULT_NPA_LEVEL, quantum: bool = True
               ) -> BellBounds:
        """All three bounds (the quantum one only with ``quantum=True``).

        Local <= quantum <= no-signalling always holds; the local bound is exact, the LP
        exact up to rounding, so the no-signalling value is raised to the local one where
        rounding put it below, and the quantum value is clipped into the interval: where an
        optimum lies on its edge the SDP's own value can fall outside by the solver tolerance
        (about 1e-7). The solver's numbers stay in ``primal_value`` and ``dual_value``.
        """
        local, ns = self.local_bound(), self.no_signalling_bound()
        if ns.value < local.value:
            ns = replace(ns, value=local.value)
        q = self.quantum_bound(npa_level) if quantum else None
        if q is not None:
            q = replace(q, value=float(min(max(q.value, local.value), ns.value)))
        return BellBounds(self.m_a, self.m_b, local, ns, q)


def partner_averaged_marginals(marg_a_pairs: Any, marg_b_pairs: Any
                               ) -> tuple[np.ndarray, np.ndarray]:
    """Marginals per setting from per-pair marginals ``(..., m_A, m_B)``.

    ``marg_a_pairs[..., x, y]`` is <A_x> in the pair model (x, y); it differs across y where
    the models signal. Returns <A_x> averaged over y ``(..., m_A)`` and <B_y> averaged over x
    ``(..., m_B)``.
    """
    a = np.asarray(marg_a_pairs, dtype=np.float64)
    b = np.asarray(marg_b_pairs, dtype=np.float64)
    if a.shape != b.shape or a.ndim < 2:
        raise BellInputError(f"per-pair marginals must both have shape (..., m_A, m_B); got "
                             f"{a.shape} and {b.shape}")
    return a.mean(axis=-1), b.mean(axis=-2)
