"""The quantum bound: Tsirelson's SDP (exact) and NPA upper bounds, checked against closed
forms, the literature, see-saw lower bounds (real strategies that reach a value) and
independent cvxpy models of the same SDPs (the dual for Tsirelson, projectors for NPA)."""

import itertools
import math
import sys

import numpy as np
import pytest

from ncnet.bell import (
    BellExpression,
    BellInputError,
    chained,
    npa_upper_bound,
    preset,
    tsirelson_bound,
)
from ncnet.bell.quantum import npa_size, npa_words
from ncnet.runtime.extras import MissingExtraError

pytest.importorskip("clarabel")

#: I3322 at NPA level 2, Navascués, Pironio & Acín, New J. Phys. 10, 073013 (2008); the
#: NCTSSoS.jl oracle (MOSEK) gives 0.25093979763 for the same 28 x 28 moment matrix.
I3322_NPA2 = 0.2509397
#: I3322 in qubits: 1/4 (Collins & Gisin 2004); the quantum value is about 0.2508754.
I3322_QUBITS = 0.25


def seesaw_vectors(correlators, starts=8, iterations=300, seed=0):
    """A lower bound on the XOR-game value: alternate u_x ∝ Σ_y M_xy v_y and v_y ∝ Σ_x M_xy
    u_x over real unit vectors (each step is that side's best response)."""
    m = np.asarray(correlators, dtype=float)
    rng = np.random.default_rng(seed)
    best = -np.inf
    for _ in range(starts):
        v = rng.normal(size=(m.shape[1], sum(m.shape)))
        v /= np.linalg.norm(v, axis=1, keepdims=True)
        for _ in range(iterations):
            u = m @ v
            u /= np.maximum(np.linalg.norm(u, axis=1, keepdims=True), 1e-300)
            v = m.T @ u
            v /= np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-300)
        best = max(best, float(np.sum(m * (u @ v.T))))
    return best


def _sign(h):
    """The ±1 observable maximising tr(A h) for Hermitian h."""
    w, vecs = np.linalg.eigh(h)
    return (vecs * np.where(w >= 0, 1.0, -1.0)) @ vecs.conj().T


def seesaw_qubits(fc, dim=2, starts=20, iterations=200, seed=0):
    """A lower bound on the quantum value of any FC expression: alternate the state (top
    eigenvector of the Bell operator) and each side's ±1 observables (sign of the partial
    trace) in dimension ``dim`` per side. Every value it returns is reached by a quantum
    strategy."""
    fc = np.asarray(fc, dtype=float)
    m_a, m_b = fc.shape[0] - 1, fc.shape[1] - 1
    eye = np.eye(dim)
    rng = np.random.default_rng(seed)

    def observable():
        h = rng.normal(size=(dim, dim)) + 1j * rng.normal(size=(dim, dim))
        return _sign(h + h.conj().T)

    def bell_operator(a, b):
        op = fc[0, 0] * np.eye(dim * dim)
        op = op + sum(fc[x + 1, 0] * np.kron(a[x], eye) for x in range(m_a))
        op = op + sum(fc[0, y + 1] * np.kron(eye, b[y]) for y in range(m_b))
        return op + sum(fc[x + 1, y + 1] * np.kron(a[x], b[y])
                        for x in range(m_a) for y in range(m_b))

    best = -np.inf
    for _ in range(starts):
        a = [observable() for _ in range(m_a)]
        b = [observable() for _ in range(m_b)]
        for _ in range(iterations):
            w, vecs = np.linalg.eigh(bell_operator(a, b))
            psi = vecs[:, -1].reshape(dim, dim)  # psi[i, j]: Alice i, Bob j
            # <ψ|A⊗B|ψ> = tr(A ψ B^T ψ†) = tr(B ψ^T A^T ψ̄): sign the operator beside A or B
            for x in range(m_a):
                field = fc[x + 1, 0] * eye + sum(fc[x + 1, y + 1] * b[y] for y in range(m_b))
                a[x] = _sign(psi @ field.T @ psi.conj().T)
            for y in range(m_b):
                field = fc[0, y + 1] * eye + sum(fc[x + 1, y + 1] * a[x] for x in range(m_a))
                b[y] = _sign(psi.T @ field.T @ psi.conj())
        w = np.linalg.eigvalsh(bell_operator(a, b))
        best = max(best, float(w[-1]))
    return best


def random_expressions(seed=0, marginals=True):
    rng = np.random.default_rng(seed)
    for m_a, m_b in [(2, 2), (2, 3), (3, 2), (3, 3), (4, 2)]:
        fc = rng.normal(size=(m_a + 1, m_b + 1))
        if not marginals:
            fc[1:, 0] = fc[0, 1:] = 0
        yield BellExpression.from_fc(fc)


@pytest.mark.parametrize("m", range(2, 9))
def test_chained_quantum_bound_is_2m_cos_pi_over_2m_exactly(m):
    q = chained(m).quantum_bound()
    assert q.exact and q.label == "exact" and q.json_kind == "exact" and q.size == 2 * m
    assert q.value == pytest.approx(2 * m * math.cos(math.pi / (2 * m)), abs=1e-6)
    assert q.dual_value >= q.value - 1e-9 and q.dual_value - q.value < 1e-6


def test_chsh_and_clauser_horne_are_exact_after_the_fc_mapping():
    assert preset("chsh").quantum_bound().value == pytest.approx(2 * math.sqrt(2), abs=1e-7)
    q = preset("ch").quantum_bound()
    assert q.exact and q.value == pytest.approx((math.sqrt(2) - 1) / 2, abs=1e-7)


def test_i3322_npa_level_2_matches_the_published_value():
    q = preset("i3322").quantum_bound()
    assert not q.exact and q.level == 2 and q.size == 28
    assert q.label == "upper bound (NPA level 2)" and q.json_kind == "npa-2 upper bound"
    assert q.value == pytest.approx(I3322_NPA2, abs=1e-6)
    assert q.value >= q.primal_value and q.value - q.primal_value < 1e-6


def test_npa_levels_tighten_and_stay_above_a_qubit_strategy():
    e = preset("i3322")
    level1, ab, level2 = (e.quantum_bound(k).value for k in (1, "1+AB", 2))
    assert level1 >= ab - 1e-7 >= level2 - 2e-7
    assert ab == pytest.approx(npa_upper_bound(e.fc, "1+ab").value, abs=1e-9)
    qubits = seesaw_qubits(e.fc, starts=5, iterations=50)
    assert qubits == pytest.approx(I3322_QUBITS, abs=1e-6)
    assert qubits <= level2 + 1e-7


def test_npa_on_correlator_only_expressions_equals_tsirelson():
    for e in random_expressions(1, marginals=False):
        exact = tsirelson_bound(e.fc).value
        assert npa_upper_bound(e.fc, 1).value == pytest.approx(exact, abs=1e-6)
        assert npa_upper_bound(e.fc, 2).value == pytest.approx(exact, abs=1e-6)


def test_tsirelson_is_reached_by_seesaw_vectors_and_by_its_own_gram_factors():
    for e in random_expressions(2, marginals=False):
        exact = e.quantum_bound()
        seesaw = e.constant + seesaw_vectors(e.correlators)
        assert seesaw <= exact.value + 1e-7
        assert seesaw == pytest.approx(exact.value, abs=1e-5)


def test_local_quantum_no_signalling_are_ordered_on_random_expressions():
    for seed, marginals in itertools.product(range(2), (True, False)):
        for e in random_expressions(10 + seed, marginals):
            b = e.bounds()
            q = b.quantum
            assert b.local.value <= q.value <= b.no_signalling.value  # clipped into the interval
            scale = 1 + abs(b.no_signalling.value)  # the solver's own numbers, to its tolerance
            assert b.local.value <= q.dual_value + 1e-7 * scale
            assert q.primal_value <= b.no_signalling.value + 1e-7 * scale
            assert abs(q.primal_value - q.value) <= 1e-7 * scale
            assert q.exact == (not marginals)
    for name in ("chsh", "ch", "i3322", "chained-3", "chained-7"):
        b = preset(name).bounds()
        assert b.local.value < b.quantum.value < b.no_signalling.value, name


def test_npa_upper_bounds_stay_above_qubit_and_qutrit_strategies():
    for e in random_expressions(3):
        bound = e.quantum_bound().value
        for dim in (2, 3):
            reached = seesaw_qubits(e.fc, dim=dim, starts=3, iterations=40)
            assert e.local_bound().value <= reached + 1e-9
            assert reached <= bound + 1e-7


def test_bad_levels_and_oversized_moment_matrices_are_one_line_errors():
    e = preset("i3322")
    for level in (0, "two", -1, 1.5, True):
        with pytest.raises(BellInputError, match="NPA level .* is not allowed: use a whole "
                                                 "number >= 1 or 1\\+AB"):
            e.quantum_bound(level)
    # 1 + 20 + 280 + 3420 + 38880 words of length <= 4 (10 * 9^(L-1) reduced words per side)
    with pytest.raises(BellInputError, match="NPA level 4 with m_A = 10, m_B = 10 needs a "
                                             "moment matrix of 42601 rows"):
        npa_upper_bound(np.ones((11, 11)), 4)
    with pytest.raises(BellInputError, match="m_A = 10, m_B = 10 needs a moment matrix of 301 "
                                             "rows; the most allowed is 100: use a lower level "
                                             r"\(1\+AB has 121 rows, level 1 has 21\)"):
        npa_upper_bound(np.ones((11, 11)), 2)
    with pytest.raises(BellInputError, match="Tsirelson SDP for m_A = 60, m_B = 41 has a "
                                             "101 x 101 Gram matrix; the most allowed is "
                                             r"m_A \+ m_B = 100"):
        tsirelson_bound(np.pad(np.ones((60, 41)), ((1, 0), (1, 0))))
    for m_a, m_b, level in [(3, 3, 4), (2, 4, 3), (3, 2, "1+AB")]:
        assert npa_size(m_a, m_b, level) == len(npa_words(m_a, m_b, level))
    with pytest.raises(BellInputError, match="correlator-only"):
        tsirelson_bound(e.fc)


def test_without_the_bell_extra_the_quantum_bound_names_the_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "clarabel", None)
    e = preset("chained-3")
    with pytest.raises(MissingExtraError) as err:
        e.quantum_bound()
    assert str(err.value) == ("clarabel is not installed; it comes with the extra: "
                              "pip install 'ncnet[bell]'")
    b = e.bounds(quantum=False)
    assert b.local.value == 4 and b.no_signalling.value == pytest.approx(6, abs=1e-9)
    assert b.quantum is None and b.to_json()["quantum"] is None


# ---- an independent model of both SDPs in cvxpy (Clarabel behind it) -------------------


def cvxpy_tsirelson_dual(fc):
    """min F00 + Σ λ s.t. Diag(λ) - W ⪰ 0: the dual of the Gram-matrix SDP."""
    cp = pytest.importorskip("cvxpy")
    fc = np.asarray(fc, dtype=float)
    m = fc[1:, 1:]
    m_a, m_b = m.shape
    w = np.zeros((m_a + m_b, m_a + m_b))
    w[:m_a, m_a:] = m / 2
    w[m_a:, :m_a] = m.T / 2
    lam = cp.Variable(m_a + m_b)
    problem = cp.Problem(cp.Minimize(cp.sum(lam)), [cp.diag(lam) - w >> 0])
    problem.solve(solver=cp.CLARABEL)
    return fc[0, 0] + problem.value


def cvxpy_npa_projectors(cg, level):
    """NPA over projectors E_x = (1 + A_x)/2, F_y = (1 + B_y)/2 (E² = E), maximising the
    CG form directly: a different basis and a different objective from the module's."""
    cp = pytest.importorskip("cvxpy")
    cg = np.asarray(cg, dtype=float)
    m_a, m_b = cg.shape[0] - 1, cg.shape[1] - 1

    def reduced(word):
        out = []
        for letter in word:
            if not (out and out[-1] == letter):
                out.append(letter)
        return tuple(out)

    def party(m, length):
        return [w for w in itertools.product(range(m), repeat=length)
                if all(w[i] != w[i + 1] for i in range(length - 1))]

    words = [(wa, wb) for t in range(level + 1) for la in range(t + 1)
             for wa in party(m_a, la) for wb in party(m_b, t - la)]
    n = len(words)
    gamma = cp.Variable((n, n), symmetric=True)
    first = {}
    constraints = [gamma >> 0]
    for i in range(n):
        for j in range(i, n):
            u, v = words[i], words[j]
            key = (reduced(u[0][::-1] + v[0]), reduced(u[1][::-1] + v[1]))
            key = min(key, (key[0][::-1], key[1][::-1]))
            if key in first:
                constraints.append(gamma[i, j] == gamma[first[key]])
            else:
                first[key] = (i, j)
    constraints.append(gamma[0, 0] == 1)

    def moment(key):
        return gamma[first[key]]

    objective = cg[0, 0] + sum(cg[x + 1, 0] * moment(((x,), ())) for x in range(m_a))
    objective = objective + sum(cg[0, y + 1] * moment(((), (y,))) for y in range(m_b))
    objective = objective + sum(cg[x + 1, y + 1] * moment(((x,), (y,)))
                                for x in range(m_a) for y in range(m_b))
    problem = cp.Problem(cp.Maximize(objective), constraints)
    problem.solve(solver=cp.CLARABEL)
    return problem.value


def test_tsirelson_equals_its_dual_modelled_in_cvxpy():
    for e in list(random_expressions(4, marginals=False)) + [chained(5)]:
        assert e.quantum_bound().value == pytest.approx(cvxpy_tsirelson_dual(e.fc), abs=1e-6)


def test_npa_equals_a_projector_model_in_cvxpy():
    assert npa_upper_bound(preset("i3322").fc, 2).value == pytest.approx(
        cvxpy_npa_projectors(preset("i3322").cg, 2), abs=1e-6)
    rng = np.random.default_rng(5)
    for m_a, m_b in [(2, 2), (2, 3)]:
        e = BellExpression.from_cg(rng.normal(size=(m_a + 1, m_b + 1)))
        for level in (1, 2):
            assert npa_upper_bound(e.fc, level).value == pytest.approx(
                cvxpy_npa_projectors(e.cg, level), abs=1e-6)


@pytest.mark.parametrize("alpha", [0.25, 0.5, 1.0])
def test_tilted_chsh_reaches_its_known_quantum_value(alpha):
    # α<A1> + CHSH: local 2 + α, quantum sqrt(8 + 2α²) for 0 <= α < 2 (Acín, Massar &
    # Pironio, PRL 108, 100402 (2012)); NPA level 2 is an upper bound, and here tight
    e = BellExpression.from_correlators([[1, 1], [1, -1]], alice=[alpha, 0])
    exact = math.sqrt(8 + 2 * alpha**2)
    b = e.bounds()
    assert b.local.value == 2 + alpha and not b.quantum.exact
    assert b.quantum.value >= exact - 1e-7
    assert b.quantum.value == pytest.approx(exact, abs=1e-6)
    assert seesaw_qubits(e.fc, starts=3, iterations=40) == pytest.approx(exact, abs=1e-6)
