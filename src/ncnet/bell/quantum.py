"""The quantum bound: exact for correlator-only expressions, an NPA upper bound otherwise.

**Correlator-only (XOR games).** With no marginal terms, V = F00 + Σ_xy M_xy <A_x B_y>, and
Tsirelson (1980, Lett. Math. Phys. 4, 93) showed that the quantum correlators are exactly
the inner products <u_x, v_y> of real unit vectors. The quantum maximum is the SDP

    maximise  F00 + Σ_xy M_xy G[x, m_A + y]
    over      G ⪰ 0 (the Gram matrix of u_1..u_mA, v_1..v_mB),  G_ii = 1,

with dual  minimise F00 + Σ_i λ_i  s.t.  Diag(λ) - W ⪰ 0, W = [[0, M/2], [M^T/2, 0]]
(Cleve, Høyer, Toner & Watrous 2004). The value is exact up to the solver tolerance; the
reported dual objective certifies it from above.

**With marginal terms.** The NPA hierarchy (Navascués, Pironio & Acín, PRL 98, 010401
(2007); New J. Phys. 10, 073013 (2008)) relaxes the quantum set: for ±1 observables
(A_x² = B_y² = 1, [A_x, B_y] = 0) and the words S_k of length <= k in them, the moment
matrix Γ[u, v] = <u† v> is PSD with Γ[1, 1] = 1, and entries whose words reduce to the same
operator (or its adjoint) are equal. Its maximum is an *upper bound* on the quantum value,
tightening with k; level "1+AB" uses the words {1, A_x, B_y, A_x B_y}. The moment matrix is
taken real: the real part of a feasible complex Γ is feasible with the same (real)
objective, and in it <w> = <w†>, which is why a word is tied to its adjoint.

Reference value: I3322 (Collins–Gisin form, :mod:`ncnet.bell.presets`) at NPA level 2 is
0.2509397 (Navascués, Pironio & Acín 2008, as quoted in the literature), with the same
28 x 28 moment matrix and 154 distinct moments as the I3322 oracle of NCTSSoS.jl
(QuantumSOS/NCTSSoS.jl, test/oracles/results/i3322_oracles.jl: 0.25093979763 with MOSEK).
This module finds 0.25093972 (primal PSD to 2e-9, dual objective 1e-9 above it; an
independent projector formulation in cvxpy agrees to 1e-10), 8e-8 below that oracle. The
quantum value itself is about 0.2508753845 (Pál & Vértesi, PRA 82, 022116 (2010)).

Both SDPs are solved by Clarabel at gap and feasibility tolerance 1e-8
(:mod:`ncnet.bell.sdp`): exact values agree with closed forms to about 1e-7. An exact bound
reports the primal optimum; an NPA upper bound reports the dual objective, which bounds the
relaxation from above (the primal lies at most the duality gap below it).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np

from ncnet.bell.errors import BellInputError
from ncnet.bell.sdp import MAX_MATRIX_SIDE, maximize_moment_matrix

#: An NPA level: a whole number >= 1, or the intermediate level "1+AB".
NpaLevel = int | str

DEFAULT_NPA_LEVEL = 2

#: The largest NPA moment matrix (side) this module builds: the SDP's own limit.
MAX_MOMENT_MATRIX = MAX_MATRIX_SIDE

Word = tuple[tuple[int, ...], tuple[int, ...]]  # (Alice's letters, Bob's letters)


@dataclass(frozen=True, eq=False)
class QuantumBound:
    """The quantum bound ``value`` of an expression.

    ``exact``: True for the Tsirelson SDP (correlator-only; ``value`` is the primal optimum),
    False for an NPA upper bound (``value`` is the dual objective); ``level``: the NPA level
    (None when exact); ``primal_value``, ``dual_value``: the SDP's two objectives, equal up
    to the solver tolerance; ``size``: the side of the PSD matrix; ``status``: the solver's.
    """

    value: float
    exact: bool
    level: NpaLevel | None
    primal_value: float
    dual_value: float
    size: int
    status: str

    @property
    def label(self) -> str:
        """``"exact"`` or ``"upper bound (NPA level k)"``, for people."""
        return "exact" if self.exact else f"upper bound (NPA level {self.level})"

    @property
    def json_kind(self) -> str:
        """``"exact"`` or ``"npa-k upper bound"``, for the JSON output."""
        return "exact" if self.exact else f"npa-{self.level} upper bound"


def check_npa_level(level: Any) -> NpaLevel:
    """``level`` as an int >= 1 or ``"1+AB"``; anything else is a one-line error."""
    if isinstance(level, str):
        text = level.strip()
        if text.upper() == "1+AB":
            return "1+AB"
        if text.isdigit():
            level = int(text)
    if isinstance(level, int) and not isinstance(level, bool) and level >= 1:
        return level
    raise BellInputError(f"NPA level {level!r} is not allowed: use a whole number >= 1 or 1+AB")


def tsirelson_bound(fc: Any) -> QuantumBound:
    """The exact quantum maximum of a correlator-only FC table ``fc`` ``(m_A+1, m_B+1)``.

    Raises :class:`~ncnet.bell.errors.BellInputError` if ``fc`` has marginal terms.
    """
    fc = np.asarray(fc, dtype=np.float64)
    if fc[1:, 0].any() or fc[0, 1:].any():
        raise BellInputError("the Tsirelson SDP is for correlator-only expressions; this one "
                             "has marginal terms (use the NPA bound)")
    m_a, m_b = fc.shape[0] - 1, fc.shape[1] - 1
    n = m_a + m_b
    if n > MAX_MATRIX_SIDE:
        raise BellInputError(f"the Tsirelson SDP for m_A = {m_a}, m_B = {m_b} has a "
                             f"{n} x {n} Gram matrix; the most allowed is m_A + m_B = "
                             f"{MAX_MATRIX_SIDE}")
    labels = np.zeros((n, n), dtype=np.int64)
    rows, cols = np.triu_indices(n, k=1)
    labels[rows, cols] = labels[cols, rows] = np.arange(1, rows.size + 1)
    objective = np.zeros(rows.size + 1)
    objective[0] = fc[0, 0]
    cross = labels[:m_a, m_a:]
    objective[cross.ravel()] = fc[1:, 1:].ravel()
    sol = maximize_moment_matrix(labels, objective)
    return QuantumBound(sol.value, True, None, sol.value, sol.dual_value, n, sol.status)


def _reduced(letters: tuple[int, ...]) -> tuple[int, ...]:
    """A word in one party's ±1 observables with every A A = 1 cancelled."""
    out: list[int] = []
    for letter in letters:
        if out and out[-1] == letter:
            out.pop()
        else:
            out.append(letter)
    return tuple(out)


def _party_words(m: int, length: int) -> list[tuple[int, ...]]:
    """All reduced words of exactly ``length`` letters over ``m`` observables."""
    return [w for w in itertools.product(range(m), repeat=length)
            if all(w[i] != w[i + 1] for i in range(length - 1))]


def _n_party_words(m: int, length: int) -> int:
    return 1 if length == 0 else m * (m - 1) ** (length - 1)


def npa_size(m_a: int, m_b: int, level: NpaLevel) -> int:
    """The side of the NPA moment matrix: the number of words at ``level``."""
    level = check_npa_level(level)
    if level == "1+AB":
        return (1 + m_a) * (1 + m_b)
    return sum(_n_party_words(m_a, la) * _n_party_words(m_b, t - la)
               for t in range(int(level) + 1) for la in range(t + 1))


def npa_words(m_a: int, m_b: int, level: NpaLevel) -> list[Word]:
    """The operator words indexing the NPA moment matrix at ``level`` (identity first)."""
    level = check_npa_level(level)
    if level == "1+AB":
        return ([((), ())] + [((x,), ()) for x in range(m_a)] + [((), (y,)) for y in range(m_b)]
                + [((x,), (y,)) for x in range(m_a) for y in range(m_b)])
    words: list[Word] = []
    for total in range(int(level) + 1):
        for la in range(total + 1):
            words += [(wa, wb) for wa in _party_words(m_a, la)
                      for wb in _party_words(m_b, total - la)]
    return words


def _moment_key(u: Word, v: Word) -> Word:
    """The canonical word of <u† v>: reduced, and the smaller of it and its adjoint."""
    wa = _reduced(u[0][::-1] + v[0])
    wb = _reduced(u[1][::-1] + v[1])
    return min((wa, wb), (wa[::-1], wb[::-1]))


def npa_upper_bound(fc: Any, level: NpaLevel = DEFAULT_NPA_LEVEL) -> QuantumBound:
    """An upper bound on the quantum maximum of the FC table ``fc`` at NPA ``level``.

    Raises :class:`~ncnet.bell.errors.BellInputError` for a bad level or a moment matrix of
    more than :data:`MAX_MOMENT_MATRIX` rows.
    """
    fc = np.asarray(fc, dtype=np.float64)
    m_a, m_b = fc.shape[0] - 1, fc.shape[1] - 1
    level = check_npa_level(level)
    n = npa_size(m_a, m_b, level)
    if n > MAX_MOMENT_MATRIX:
        raise BellInputError(
            f"NPA level {level} with m_A = {m_a}, m_B = {m_b} needs a moment matrix of {n} "
            f"rows; the most allowed is {MAX_MOMENT_MATRIX}: use a lower level (1+AB has "
            f"{npa_size(m_a, m_b, '1+AB')} rows, level 1 has {1 + m_a + m_b})")
    words = npa_words(m_a, m_b, level)
    index: dict[Word, int] = {((), ()): 0}
    labels = np.empty((n, n), dtype=np.int64)
    for i in range(n):
        for j in range(i, n):
            key = _moment_key(words[i], words[j])
            labels[i, j] = labels[j, i] = index.setdefault(key, len(index))
    objective = np.zeros(len(index))
    objective[0] = fc[0, 0]
    for x in range(m_a):
        objective[index[((x,), ())]] += fc[x + 1, 0]
        for y in range(m_b):
            objective[index[((x,), (y,))]] += fc[x + 1, y + 1]
    for y in range(m_b):
        objective[index[((), (y,))]] += fc[0, y + 1]
    sol = maximize_moment_matrix(labels, objective)
    return QuantumBound(max(sol.value, sol.dual_value), False, level, sol.value, sol.dual_value,
                        n, sol.status)


def quantum_bound(fc: Any, npa_level: NpaLevel = DEFAULT_NPA_LEVEL) -> QuantumBound:
    """The quantum bound of the FC table ``fc``: the exact Tsirelson SDP when it has no
    marginal terms, else the NPA upper bound at ``npa_level``. Needs the ``bell`` extra."""
    fc = np.asarray(fc, dtype=np.float64)
    level = check_npa_level(npa_level)
    if not (fc[1:, 0].any() or fc[0, 1:].any()):
        return tsirelson_bound(fc)
    return npa_upper_bound(fc, level)
