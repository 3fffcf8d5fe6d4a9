"""Size of ncnet's one-sided item tests of S > 2 at S = 2, and the plug-in z-tests they
replaced, by simulation (issue 14). The numbers in the README's statistics section come from
`python scripts/item_test_sizes.py 10000` (about 10 minutes on one core).

Paired scheme: K shared items, per-item CHSH sums T_k in [-4, 4] with mean exactly 2.
Independent scheme: four pairs of independent items, correlators with S = 2 exactly.
"""

from __future__ import annotations

import math
import sys
import warnings

import numpy as np
from scipy import stats

from ncnet import chsh
from ncnet.stats.runs import fraction_ci

warnings.simplefilter("ignore")
REPS = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
SIGNS = chsh.CHSH_SIGNS.ravel()
PATTERN = {4: (1, 1, 1, -1), 2: (1, 1, 1, 1), 0: (1, 1, -1, 1), -2: (1, -1, -1, 1)}
PAIRED = {
    "independent products, C = ±0.5": None,
    "T in {4, 2, 0, -2} (.3, .5, .1, .1)": ([4, 2, 0, -2], [0.3, 0.5, 0.1, 0.1]),
    "T in {4, 0} (.5, .5)": ([4, 0], [0.5, 0.5]),
}
INDEPENDENT = {"C = (.5, .5, .5, -.5)": (0.5, 0.5, 0.5, -0.5),
               "C = (.9, .9, .6, .4)": (0.9, 0.9, 0.6, 0.4)}


def paired(rng: np.random.Generator, spec, k: int) -> np.ndarray:
    if spec is None:
        c = np.array([0.5, 0.5, 0.5, -0.5])
        return np.where(rng.random((4, k)) < (1 + c[:, None]) / 2, 1, -1)
    t = rng.choice(spec[0], size=k, p=spec[1])
    return np.array([PATTERN[v] for v in t]).T


def rate(hits: int) -> str:
    lo, hi = fraction_ci(hits, REPS)
    return f"{hits / REPS:.3f} [{lo:.3f}, {hi:.3f}]"


def main() -> None:
    rng = np.random.default_rng(0)
    print(f"| scheme | items | truth (S = 2) | ncnet | plug-in z | ({REPS} repetitions) |")
    print("|---|---|---|---|---|---|")
    for k in (30, 60, 150):
        for name, spec in PAIRED.items():
            ours = plug = 0
            for _ in range(REPS):
                prods = paired(rng, spec, k)
                ours += chsh.paired_z_test(prods)["p_value"] < 0.05
                t = SIGNS @ prods
                sd = t.std(ddof=1)
                z = (t.mean() - 2) / (sd / math.sqrt(k)) if sd > 0 else math.inf * (t.mean() > 2)
                plug += stats.norm.sf(z) < 0.05
            print(f"| paired | {k} | {name} | {rate(ours)} | {rate(plug)} | |", flush=True)
    for counts in ((30,) * 4, (60,) * 4, (150,) * 4, (30, 60, 150, 500)):
        n = np.array(counts, dtype=float)
        for name, c in INDEPENDENT.items():
            p = (1 + np.array(c)) / 2
            ours = plug = 0
            for _ in range(REPS):
                kk = rng.binomial(counts, p)
                ch = 2 * kk / n - 1
                ours += chsh.item_z_test(ch.reshape(2, 2), n.reshape(2, 2))["p_value"] < 0.05
                se = math.sqrt(np.sum((1 - ch**2) / n))
                s = SIGNS @ ch
                z = (s - 2) / se if se > 0 else math.inf * (s > 2)
                plug += stats.norm.sf(z) < 0.05
            label = "/".join(map(str, counts))
            print(f"| independent | {label} | {name} | {rate(ours)} | {rate(plug)} | |",
                  flush=True)


if __name__ == "__main__":
    main()
