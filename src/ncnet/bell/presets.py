"""Named Bell expressions: ``chsh``, ``ch``, ``i3322`` and ``chained-2`` .. ``chained-10``.

========== ======= ===== ========= =========================
name       m_A=m_B local quantum   no-signalling
========== ======= ===== ========= =========================
chsh       2       2     2√2       4
ch         2       0     (√2-1)/2  1/2
i3322      3       0     ≈ 0.25088 1   (NPA level 2: 0.25094)
chained-M  M       2M-2  2M cos(π/2M) 2M
========== ======= ===== ========= =========================

Sources: Clauser, Horne, Shimony & Holt, PRL 23, 880 (1969); Clauser & Horne, PRD 10, 526
(1974); Braunstein & Caves, Ann. Phys. 202, 22 (1990); Collins & Gisin, J. Phys. A 37, 1775
(2004).

>>> preset("chained-3").correlators.tolist()
[[1.0, 0.0, -1.0], [1.0, 1.0, 0.0], [0.0, 1.0, 1.0]]
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ncnet.bell.errors import BellInputError
from ncnet.bell.expression import BellExpression

#: Settings per side of the chained presets.
CHAINED_SETTINGS = range(2, 11)


def chained(m: int) -> BellExpression:
    """Braunstein–Caves: Σ_k <A_k B_k> + Σ_{k<M} <A_{k+1} B_k> - <A_1 B_M> (M = ``m``)."""
    if m < 2:
        raise BellInputError(f"chained-{m}: the chained inequality needs M >= 2 settings")
    corr = np.eye(m) + np.eye(m, k=-1)
    corr[0, m - 1] = -1.0
    return BellExpression.from_correlators(
        corr, name=f"chained-{m}",
        description=f"Braunstein–Caves chained, M = {m} (1990)"
        + (" = CHSH" if m == 2 else ""))


def chsh() -> BellExpression:
    """CHSH: <A1B1> + <A1B2> + <A2B1> - <A2B2>, today's S."""
    return BellExpression.from_correlators(
        [[1, 1], [1, -1]], name="chsh",
        description="Clauser–Horne–Shimony–Holt (1969): C11+C12+C21-C22")


def ch() -> BellExpression:
    """Clauser–Horne, CG form: p(11|11) + p(11|12) + p(11|21) - p(11|22) - p_A(1) - p_B(1)."""
    return BellExpression.from_cg(
        [[0, -1, 0], [-1, 1, 1], [0, 1, -1]], name="ch",
        description="Clauser–Horne (1974), CG <= 0; in FC: S/4 - 1/2")


def i3322() -> BellExpression:
    """I3322, CG form: -p_A(1) - 2p_B(1) - p_B(2) + p(11) + p(12) + p(13) + p(21) + p(22)
    - p(23) + p(31) - p(32) <= 0."""
    return BellExpression.from_cg(
        [[0, -2, -1, 0], [-1, 1, 1, 1], [0, 1, 1, -1], [0, 1, -1, 0]], name="i3322",
        description="Collins–Gisin I3322 (2004), CG <= 0; with marginals")


PRESETS: dict[str, Callable[[], BellExpression]] = {
    "chsh": chsh,
    "ch": ch,
    "i3322": i3322,
    **{f"chained-{m}": (lambda m=m: chained(m)) for m in CHAINED_SETTINGS},
}


def preset_names() -> list[str]:
    """The preset names, in listing order."""
    return list(PRESETS)


def preset(name: str) -> BellExpression:
    """The preset called ``name``; an unknown name is a one-line error listing the allowed."""
    try:
        return PRESETS[name.strip().lower()]()
    except KeyError:
        raise BellInputError(f"unknown Bell expression {name!r}; presets: "
                             f"{', '.join(PRESETS)} (or a .toml / .json file)") from None
