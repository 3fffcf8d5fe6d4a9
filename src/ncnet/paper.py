"""The paper's numbers and how its claims are read, in one place: Table 2 (S per LoRA rank),
Figure 4b's μ∇S, and the Figure-2 claims with the region of one interval of ours that each
claim is read as (:data:`CLAIM_REGIONS`). Reports compare against these; nothing here decides
a verdict (that is :func:`ncnet.stats.verdicts.verdict`).
"""

from __future__ import annotations

import math

from ncnet import chsh
from ncnet.stats.runs import fraction_ci
from ncnet.stats.verdicts import Region

PAPER_TABLE2_S = {
    "paper-mixed": {1: 1.902, 2: 2.191, 4: 2.103, 8: 2.001, 16: 2.020, 32: 2.021},
    "paper-multilingual": {1: 1.502, 2: 1.713, 4: 1.870, 8: 1.931, 16: 1.938, 32: 1.985},
}
"""The paper's Table 2: S by LoRA rank for its two suites."""


PAPER_MU_GRAD_S_R1 = 0.0208
"""The paper's Figure 4b: mean instantaneous slope of S over epochs 0-80 at r = 1 (mixed)."""


PAPER_MU_GRAD_S_EPOCHS = 80
"""The last epoch of the paper's μ∇S window; our μ∇S is comparable only over the same span."""


PAPER_FIG2 = {
    "n2_below_1.5": "most of 50 runs have S < 1.5",
    "n3_all_above_2": "S > 2 in all 50 runs",
    "n3_max": "some runs reach S ≈ 3.5",
    "n3_tsirelson": "some runs pass Tsirelson's 2.83",
    "n4_near_2": "S decreases and stabilises around 2",
}


#: How each of the paper's Figure-2 claims is read as a region for one interval of ours, with
#: each edge open or closed (:class:`ncnet.stats.verdicts.Region`). "Most runs below 1.5" is read as
#: P(S < 1.5) > 0.5 (open: exactly half is not most); "all 50 runs above 2" as P(S > 2) >=
#: 0.9289, the exact 95% lower bound of the paper's own 50 of 50 (closed); "some runs ≈ 3.5"
#: as P(S >= 3.4) >= 1/50 and "above Tsirelson" as P(S > 2√2) >= 1/50 (one such run expected in
#: a 50-run sweep; closed); "mean S > 2" strictly (open at 2); "around 2" as mean S within
#: [1.9, 2.1] (closed).
CLAIM_REGIONS: dict[str, Region] = {
    "n2_below_1.5": Region(0.5, 1.0, low_closed=False),
    "n3_all_above_2": Region(fraction_ci(50, 50)[0], 1.0),
    "n3_max": Region(1 / 50, 1.0),
    "n3_tsirelson": Region(1 / 50, 1.0),
    "n3_mean_above_2": Region(chsh.LOCAL_BOUND, math.inf, low_closed=False),
    "n4_near_2": Region(1.9, 2.1),
}


#: What each claim's region is a region of (the reading printed beside the verdict).
CLAIM_QUANTITIES = {
    "n2_below_1.5": "P(S < 1.5)",
    "n3_all_above_2": "P(S > 2)",
    "n3_max": "P(S ≥ 3.4)",
    "n3_tsirelson": "P(S > 2√2)",
    "n3_mean_above_2": "mean S",
    "n4_near_2": "mean S",
}


def claim_reading(name: str) -> str:
    """``"P(S > 2) in [0.9289, 1]"``: the claim as a region of one quantity, edges shown."""
    return f"{CLAIM_QUANTITIES[name]} in {CLAIM_REGIONS[name]}"
