"""Verdicts on claims from intervals: a claim's region (:class:`Region`, open or closed
edges) against an interval, with the fewest units a verdict is drawn on. Nothing here knows a
Bell expression.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["FEW_ITEMS", "MIN_ITEMS", "MIN_RUNS", "MIN_SEEDS", "Region", "verdict"]


#: Fewest independent units on which a verdict is drawn; below, every verdict is "undecided
#: (too few ...)". Runs: the t-interval of mean S covers from 5 runs on in the simulation of
#: ``tests/test_verdicts.py``; seeds: a t-interval over fewer than 3 seeds has 1 degree of
#: freedom; items: the item tests' size was checked from 30 items on.
MIN_RUNS: int = 5
MIN_SEEDS: int = 3
MIN_ITEMS: int = 30
#: Below this many items the item test and interval are printed with a warning naming K
#: (their size was checked in simulation at K = 30, 60 and 150, not below).
FEW_ITEMS: int = 30


@dataclass(frozen=True)
class Region:
    """The values of a quantity that support a claim: from ``low`` to ``high``, each edge
    closed (the edge value supports the claim) or open (it does not). A strict claim ("mean
    S > 2") has an open edge; "at least 92.9% of runs" a closed one.

    >>> str(Region(2.0, math.inf, low_closed=False))
    '(2, ∞)'
    >>> str(Region(0.9289, 1.0))
    '[0.9289, 1]'
    """

    low: float
    high: float
    low_closed: bool = True
    high_closed: bool = True

    def contains(self, x: float) -> bool:
        above = x >= self.low if self.low_closed else x > self.low
        below = x <= self.high if self.high_closed else x < self.high
        return above and below

    def __str__(self) -> str:
        def num(v: float) -> str:
            return "∞" if v == math.inf else "−∞" if v == -math.inf else f"{v:.4g}"

        left = "[" if self.low_closed and math.isfinite(self.low) else "("
        right = "]" if self.high_closed and math.isfinite(self.high) else ")"
        return f"{left}{num(self.low)}, {num(self.high)}{right}"


def verdict(ci: Sequence[float] | None, paper_region: Region | tuple[float, float],
            units: str, *, count: int | None = None, minimum: int = 0) -> str:
    """Verdict on a claim from an interval ``ci`` = (lo, hi), read as the closed set of values
    it keeps, against ``paper_region``, the values that support the paper's claim (a
    :class:`Region`; a plain ``(low, high)`` has closed edges, ``±inf`` for a one-sided
    claim). 'agrees' if every value of the interval supports the claim; 'does not reproduce'
    if none does; otherwise 'undecided at <units>' (e.g. "50 runs"). The rule is the same on
    both edges: an edge value belongs to the claim's side only if that edge is closed.

    Never decided: no interval, a zero-width interval (it claims a precision that no sample
    of ±1 outcomes has), and fewer than ``minimum`` units (``count``): "undecided (too few
    ...)".

    >>> verdict((2.1, 2.3), Region(2.0, math.inf, low_closed=False), "50 runs")
    'agrees'
    >>> verdict((2.0, 2.0125), Region(2.0, math.inf, low_closed=False), "50 runs")
    'undecided at 50 runs'
    >>> verdict((1.7, 2.0), Region(2.0, math.inf, low_closed=False), "50 runs")
    'does not reproduce'
    >>> verdict((1.5, 1.7), (1.9, 2.1), "500 runs")
    'does not reproduce'
    >>> verdict((2.1, 2.3), Region(2.0, math.inf, False), "2 runs", count=2, minimum=MIN_RUNS)
    'undecided (too few: 2 runs, at least 5 needed)'
    >>> verdict((2.125, 2.125), Region(2.0, math.inf, False), "50 runs")
    'undecided (zero-width interval) at 50 runs'
    """
    region = paper_region if isinstance(paper_region, Region) else Region(*paper_region)
    if count is not None and count < minimum:
        return f"undecided (too few: {units}, at least {minimum} needed)"
    if ci is None or any(v != v for v in ci):
        return f"undecided at {units}"
    lo, hi = float(ci[0]), float(ci[1])
    if not hi > lo:
        return f"undecided (zero-width interval) at {units}"
    if region.contains(lo) and region.contains(hi):
        return "agrees"
    outside_low = hi < region.low if region.low_closed else hi <= region.low
    outside_high = lo > region.high if region.high_closed else lo >= region.high
    if outside_low or outside_high:
        return "does not reproduce"
    return f"undecided at {units}"
