"""The local bound: the maximum of an FC expression over deterministic ±1 strategies.

Every local (shared-randomness) strategy is a mixture of deterministic ones, so the local
maximum is the best assignment a_x, b_y in {-1, +1}. For a fixed Alice assignment ``a`` the
expression is F00 + a·F[1:,0] + Σ_y b_y (F[0,y] + Σ_x a_x F[x,y]), so Bob's best response is
b_y = sign(...) and contributes Σ_y |F[0,y] + Σ_x a_x F[x,y]|. Enumerating only the smaller
party's 2^m assignments is therefore exact, in m·2^m·(m'+1) operations instead of
2^(m + m'). It is refused above :data:`MAX_ENUMERATED_SETTINGS` settings on both sides.

>>> local_bound([[0, 0, 0], [0, 1, 1], [0, 1, -1]]).value  # CHSH
2.0
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ncnet.bell.errors import BellInputError

#: The largest smaller-side number of settings the enumeration accepts (2^20 assignments).
MAX_ENUMERATED_SETTINGS = 20

# Largest number of float64 elements a block of assignments materialises at once.
_BLOCK_ELEMENTS = 1 << 22


@dataclass(frozen=True, eq=False)
class LocalBound:
    """The local maximum ``value`` and one deterministic strategy reaching it.

    ``alice`` ``(m_A,)`` and ``bob`` ``(m_B,)`` hold the ±1 outcome for each setting.
    """

    value: float
    alice: np.ndarray
    bob: np.ndarray


def _signs(indices: np.ndarray, m: int) -> np.ndarray:
    """Rows of ±1: bit i of ``indices[k]`` set gives -1 at column i, shape (len, m)."""
    bits = (indices[:, None] >> np.arange(m, dtype=np.int64)) & 1
    return 1.0 - 2.0 * bits


def _best_for_rows(fc: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Enumerate the row party of ``fc`` (m+1, m'+1); return value, its and the other's signs."""
    m = fc.shape[0] - 1
    block = max(1, min(1 << m, _BLOCK_ELEMENTS // (fc.shape[1] + m)))
    best, best_index = -np.inf, 0
    for start in range(0, 1 << m, block):
        idx = np.arange(start, min(start + block, 1 << m), dtype=np.int64)
        s = _signs(idx, m) @ fc[1:] + fc[0]  # (block, m'+1): Alice's column, Bob's fields
        values = s[:, 0] + np.abs(s[:, 1:]).sum(axis=1)
        k = int(np.argmax(values))
        if values[k] > best:
            best, best_index = float(values[k]), int(idx[k])
    rows = _signs(np.array([best_index], dtype=np.int64), m)[0]
    fields = rows @ fc[1:, 1:] + fc[0, 1:]
    cols = np.where(fields >= 0, 1.0, -1.0)
    value = float(fc[0, 0] + rows @ fc[1:, 0] + cols @ fields)
    return value, rows, cols


def local_bound(fc: Any) -> LocalBound:
    """The exact local maximum of the FC table ``fc`` ``(m_A + 1, m_B + 1)``.

    Enumerates the party with fewer settings; raises
    :class:`~ncnet.bell.errors.BellInputError` when both have more than
    :data:`MAX_ENUMERATED_SETTINGS`. ``value`` is recomputed from the returned strategy.
    """
    fc = np.asarray(fc, dtype=np.float64)
    m_a, m_b = fc.shape[0] - 1, fc.shape[1] - 1
    if min(m_a, m_b) > MAX_ENUMERATED_SETTINGS:
        raise BellInputError(
            f"local bound: m_A = {m_a} and m_B = {m_b} settings; exact enumeration allows at "
            f"most {MAX_ENUMERATED_SETTINGS} on the smaller side")
    if m_a <= m_b:
        value, alice, bob = _best_for_rows(fc)
    else:
        value, bob, alice = _best_for_rows(fc.T)
    return LocalBound(value, alice, bob)
