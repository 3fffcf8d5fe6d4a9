"""Contextuality-by-Default (CbD) for binary (±1) systems measured in pairs: is a system
contextual beyond its direct influences?

A *content* q (a task of one side, e.g. Alice's A1) is measured in several *contexts* (the
pair models it is in); its copies R_q^c are different random variables, and where their
distributions differ the system has direct influences (here: signalling). CbD (Dzhafarov &
Kujala, arXiv 1511.03516; Kujala, Dzhafarov & Larsson, PRL 115, 150401, 2015) calls the
system noncontextual when its copies can be coupled so that every context keeps its observed
distribution and every connection (the copies of one content) is coupled *maximally*
(for binary copies: the comonotone coupling, R_q^c = +1 iff U < P(R_q^c = +1) for one
uniform U), and contextual otherwise.

- **Cyclic systems** of rank n (each content in two contexts, the contexts a cycle; CHSH is
  rank 4, the chained expression with m settings a side rank 2m): noncontextual exactly
  when ``s_odd(<R R> of the n contexts) <= n - 2 + Delta``, where ``s_odd(x)`` is the largest
  ``sum(+-x_k)`` over sign patterns with an odd number of minus signs and ``Delta`` the sum
  over contents of ``|<R_q^c> - <R_q^c'>|``. :func:`cyclic` gives s_odd, Delta and the
  *excess* ``s_odd - (n - 2) - Delta`` (> 0: contextual beyond direct influence).
- **Any system** of pairs: the linear program of :func:`noncontextual_lp` over joint
  distributions of every copy (HiGHS), feasible exactly when the system is noncontextual.
  With consistent connections (Delta = 0) both reduce to Fine's / Bell's criterion.

Separately trained pair models make Delta > 0 by construction, so S > 2 alone says nothing
about contextuality; the excess does.

>>> r = chsh([[1, 1], [1, -1]], [[1, 1], [1, 1]], [[1, 1], [1, 1]])   # PR box, no signalling
>>> r.s_odd, r.delta, r.excess
(4.0, 0.0, 2.0)
>>> r = chsh([[1, 0.5], [0.5, -1]], [[1, 0.5], [1, 1]], [[1, 1], [0.5, -1]])
>>> r.s_odd, r.delta, r.excess    # S = 3 from signalling alone (independent heads)
(3.0, 3.0, -2.0)
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ncnet.bell.errors import BellInputError

TOLERANCE = 1e-9
"""An excess (or an LP residual) within this of 0 counts as 0: noncontextual."""


@dataclass(frozen=True)
class CyclicCbd:
    """The CbD quantities of one cyclic system of rank ``rank``: ``s_odd``, ``delta``
    (direct influences, ±1 units) and ``excess = s_odd - (rank - 2) - delta``."""

    rank: int
    s_odd: float
    delta: float

    @property
    def excess(self) -> float:
        return self.s_odd - (self.rank - 2) - self.delta

    @property
    def contextual(self) -> bool:
        """Contextual beyond direct influence: the excess is above 0."""
        return self.excess > TOLERANCE

    def to_json(self) -> dict[str, Any]:
        return {"rank": self.rank, "s_odd": self.s_odd, "delta": self.delta,
                "excess": self.excess, "contextual": self.contextual}


def s_odd(x: Sequence[float]) -> float:
    """The largest ``sum(s_k x_k)`` over signs s_k = ±1 with an odd number of minus signs:
    ``sum |x_k|`` when an odd number of the x_k is negative, else ``sum |x_k| - 2 min |x_k|``.

    >>> s_odd([1, 1, 1, -1]), s_odd([1, 1, 1, 1]), s_odd([0.5, -0.5, 0.5, -0.5])
    (4.0, 2.0, 1.0)
    """
    a = np.asarray(x, dtype=np.float64).ravel()
    if a.size == 0:
        raise BellInputError("s_odd needs at least one value")
    total = float(np.abs(a).sum())
    return total if int((a < 0).sum()) % 2 == 1 else total - 2.0 * float(np.abs(a).min())


def cyclic(products: Sequence[float], first: Sequence[float], second: Sequence[float],
           ) -> CyclicCbd:
    """A cyclic system of rank n given context by context around the cycle: context k
    measures contents q_k and q_{k+1} (q_n = q_0); ``products[k] = <R_{q_k} R_{q_k+1}>``,
    ``first[k] = <R_{q_k}>`` and ``second[k] = <R_{q_k+1}>`` in context k (all in [-1, 1]).
    Content q_k's two copies are ``first[k]`` and ``second[k - 1]``."""
    p, f, s = (np.asarray(v, dtype=np.float64).ravel() for v in (products, first, second))
    n = p.size
    if n < 2 or f.size != n or s.size != n:
        raise BellInputError(f"a cyclic system needs n >= 2 contexts with a product and two "
                             f"expectations each; got {p.size}, {f.size}, {s.size}")
    if np.any(np.abs(np.concatenate([p, f, s])) > 1 + 1e-12):
        raise BellInputError("expectations of ±1 variables lie in [-1, 1]")
    delta = float(np.abs(f - np.roll(s, 1)).sum())
    return CyclicCbd(n, s_odd(p), delta)


def chsh(c: Any, ea: Any, eb: Any) -> CyclicCbd:
    """CHSH's four contexts as a rank-4 cycle: ``c[i, j] = <A_i B_j>``, ``ea[i, j] = <A_i>``
    and ``eb[i, j] = <B_j>`` in the pair model (i, j) (index 0 for setting 1; ±1 units, so a
    head's ``<A> = 2 accuracy - 1``). The cycle is A1 -(1,1)- B1 -(2,1)- A2 -(2,2)- B2 -(1,2)-
    A1, so Delta is the four heads' accuracy gaps, doubled."""
    c, ea, eb = (np.asarray(v, dtype=np.float64).reshape(2, 2) for v in (c, ea, eb))
    # contexts around the cycle, each as (first content, second content)
    products = [c[0, 0], c[1, 0], c[1, 1], c[0, 1]]
    first = [ea[0, 0], eb[1, 0], ea[1, 1], eb[0, 1]]  # A1 in (1,1), B1 in (2,1), A2, B2
    second = [eb[0, 0], ea[1, 0], eb[1, 1], ea[0, 1]]  # B1 in (1,1), A2 in (2,1), B2, A1
    return cyclic(products, first, second)


def chsh_batch(c: Any, ea: Any, eb: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`chsh` of R systems at once, for sweeps: ``c``, ``ea``, ``eb`` of shape
    ``(R, 2, 2)``; returns ``(delta, s_odd, excess)``, each ``(R,)``, equal to the one-system
    values.

    >>> d, s, e = chsh_batch([[[1, 1], [1, -1]]], np.ones((1, 2, 2)), np.ones((1, 2, 2)))
    >>> d.tolist(), s.tolist(), e.tolist()
    ([0.0], [4.0], [2.0])
    """
    c, ea, eb = (np.asarray(v, dtype=np.float64).reshape(-1, 2, 2) for v in (c, ea, eb))
    # the cycle A1 -(1,1)- B1 -(2,1)- A2 -(2,2)- B2 -(1,2)- A1, as in chsh()
    products = np.stack([c[:, 0, 0], c[:, 1, 0], c[:, 1, 1], c[:, 0, 1]], axis=1)
    delta = (np.abs(ea[:, 0, 0] - ea[:, 0, 1]) + np.abs(eb[:, 1, 0] - eb[:, 0, 0])
             + np.abs(ea[:, 1, 1] - ea[:, 1, 0]) + np.abs(eb[:, 0, 1] - eb[:, 1, 1]))
    total = np.abs(products).sum(axis=1)
    odd = (products < 0).sum(axis=1) % 2 == 1
    s = np.where(odd, total, total - 2.0 * np.abs(products).min(axis=1))
    return delta, s, s - 2.0 - delta


def noncontextual_lp(contexts: Sequence[tuple[Any, Any]], products: Sequence[float],
                     first: Sequence[float], second: Sequence[float]) -> bool:
    """Whether the system of pairs is noncontextual in CbD: a linear program (HiGHS) for a
    joint distribution of every copy (one ±1 variable per content and context) that keeps
    each context's observed distribution and couples every connection comonotonically.

    ``contexts[k] = (x, y)``: the two contents of context k (any hashable names), with
    ``products[k] = <R_x R_y>``, ``first[k] = <R_x>``, ``second[k] = <R_y>`` there. At most
    20 copies (2^20 atoms).

    >>> noncontextual_lp([("a1", "b1"), ("a1", "b2"), ("a2", "b1"), ("a2", "b2")],
    ...                  [1, 1, 1, -1], [1, 1, 1, 1], [1, 1, 1, 1])   # PR box
    False
    """
    from scipy.optimize import linprog
    from scipy.sparse import csr_matrix

    k = len(contexts)
    prod, fst, snd = (np.asarray(v, dtype=np.float64).ravel() for v in (products, first,
                                                                         second))
    if not (prod.size == fst.size == snd.size == k) or k == 0:
        raise BellInputError("give one product and two expectations per context")
    copies = [(q, c) for c, pair in enumerate(contexts) for q in pair]
    if len(copies) > 20:
        raise BellInputError(f"{len(copies)} copies: the LP enumerates 2^copies atoms; at "
                             "most 20")
    atoms = np.array(list(itertools.product((1, -1), repeat=len(copies))), dtype=np.int8)
    rows, rhs = [], []
    for c in range(k):  # each context's distribution of (R_x, R_y), through its moments
        x, y = atoms[:, 2 * c], atoms[:, 2 * c + 1]
        for values, target in ((x, fst[c]), (y, snd[c]), (x * y, prod[c])):
            rows.append(values.astype(np.float64))
            rhs.append(target)
    p_plus = (1.0 + np.array([fst, snd]).T.ravel()) / 2.0  # P(copy = +1), copy order
    by_content: dict[Any, list[int]] = {}
    for idx, (q, _) in enumerate(copies):
        by_content.setdefault(q, []).append(idx)
    for members in by_content.values():  # comonotone: for every pair of copies of q,
        for u, v in itertools.combinations(members, 2):  # P(both +1) = min of their P(+1)
            both = ((atoms[:, u] == 1) & (atoms[:, v] == 1)).astype(np.float64)
            rows.append(both)
            rhs.append(min(p_plus[u], p_plus[v]))
    rows.append(np.ones(len(atoms)))
    rhs.append(1.0)
    res = linprog(np.zeros(len(atoms)), A_eq=csr_matrix(np.array(rows)), b_eq=np.array(rhs),
                  bounds=(0, None), method="highs")
    if res.status not in (0, 2):
        raise BellInputError(f"the CbD linear program failed: {res.message}")
    return res.status == 0
