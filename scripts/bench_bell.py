"""Speed of the Bell bounds on this machine: `python scripts/bench_bell.py` (prints, asserts
nothing). Targets (issue 15): local bound at m = 12 <= 1 s, Tsirelson SDP at m <= 8 <= 1 s,
`ncnet bell bounds chained-5` <= 3 s as a whole process."""

import subprocess
import sys
import time

import numpy as np

from ncnet.bell import BellExpression, chained, preset


def timed(label, func, repeat=3):
    best = min(_once(func) for _ in range(repeat))
    print(f"{label:<52} {best:7.3f} s (best of {repeat})")


def _once(func):
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


rng = np.random.default_rng(0)
for m in (12, 16, 20):
    e = BellExpression.from_fc(rng.normal(size=(m + 1, m + 1)))
    timed(f"local bound, random {m} x {m} (2^{m} strategies)", e.local_bound, 1 if m == 20 else 3)
for m in (2, 5, 8):
    timed(f"Tsirelson SDP, chained-{m}", chained(m).quantum_bound)
timed("no-signalling LP, chained-8", chained(8).no_signalling_bound)
timed("NPA level 2, i3322 (28 x 28)", preset("i3322").quantum_bound)
start = time.perf_counter()
subprocess.run([sys.executable, "-m", "ncnet", "bell", "bounds", "chained-5", "--json"],
               check=True, capture_output=True)
print(f"{'process: ncnet bell bounds chained-5 --json':<52} "
      f"{time.perf_counter() - start:7.3f} s")
