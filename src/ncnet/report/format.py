"""Number formatting shared by the terminal tables and the reports."""

from __future__ import annotations


def format_p(p: float | None) -> str:
    """A p-value for people: two significant digits, '< 1e-4' below that, '—' if undefined."""
    if p is None or p != p:
        return "—"
    return f"{p:.2g}" if p >= 1e-4 else "< 1e-4"


def format_num(x: float | None, digits: int = 3) -> str:
    """``x`` with ``digits`` decimals, '—' for None or NaN."""
    return "—" if x is None or x != x else f"{x:.{digits}f}"
