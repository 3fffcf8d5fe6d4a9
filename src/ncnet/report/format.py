"""Number formats shared by the terminal tables and the reports, and strict JSON.

>>> interval([0.1234, 0.5678])
'[0.123, 0.568]'
>>> with_interval(2.2449, [2.1302, 2.3597])
'2.245 [2.130, 2.360]'
>>> with_interval(-0.05, [-0.1, 0.002], digits=2, sign="+")
'-0.05 [-0.10, +0.00]'
>>> percent_interval(0.78, [0.64, 0.88]), percent_interval(0.78, [0.64, 0.88], sep=",")
('78% [64%, 88%]', '78% [64%,88%]')
>>> interval(None), format_p(3e-5), format_num(float("nan"))
('—', '< 1e-4', '—')
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any


def format_p(p: float | None) -> str:
    """A p-value for people: two significant digits, '< 1e-4' below that, '—' if undefined."""
    if p is None or p != p:
        return "—"
    return f"{p:.2g}" if p >= 1e-4 else "< 1e-4"


def format_num(x: float | None, digits: int = 3) -> str:
    """``x`` with ``digits`` decimals, '—' for None or NaN."""
    return "—" if x is None or x != x else f"{x:.{digits}f}"


def interval(ci: Sequence[float] | None, digits: int = 3, sign: str = "") -> str:
    """``"[lo, hi]"`` with ``digits`` decimals (``sign="+"``: always signed); '—' for None."""
    if ci is None:
        return "—"
    return f"[{ci[0]:{sign}.{digits}f}, {ci[1]:{sign}.{digits}f}]"


def with_interval(value: float, ci: Sequence[float], digits: int = 3, sign: str = "") -> str:
    """``"value [lo, hi]"``: an estimate and its interval, all with ``digits`` decimals."""
    return f"{value:{sign}.{digits}f} {interval(ci, digits, sign)}"


def percent_interval(fraction: float, ci: Sequence[float], sep: str = ", ") -> str:
    """``"12% [8%, 17%]"``: a fraction of runs and its interval in whole percent (``sep``
    between the edges: ``","`` for the 80-column terminal tables)."""
    return f"{fraction:.0%} [{ci[0]:.0%}{sep}{ci[1]:.0%}]"


def strict_json(obj: Any) -> Any:
    """``obj`` with NaN and infinities replaced by None, so the JSON is strict."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: strict_json(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [strict_json(v) for v in obj]
    return obj
