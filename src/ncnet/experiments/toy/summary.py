"""The toy's summary of stored runs, per hidden size n: S with its Student-t interval and test,
the fractions of runs (exact intervals), Welch tests between neighbouring n, the mean
correlators, accuracies and gaps, the joint control, and the learnability gate
(:func:`hidden_size_gate`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ncnet import chsh
from ncnet.bell.cbd import TOLERANCE as CBD_TOLERANCE
from ncnet.stats import learnability
from ncnet.stats.resampling import bootstrap_mean_ci, bootstrap_mean_cis
from ncnet.stats.runs import describe_fraction, holm, welch_test
from ncnet.tasks.bits import (
    N_INPUTS,
    PAPER_TASKS,
    side_targets,
)

#: Fractions of runs reported per hidden size, each with an exact (Clopper–Pearson) CI:
#: name -> (which S column, predicate).
FRACTIONS: dict[str, tuple[str, Callable[[np.ndarray], np.ndarray]]] = {
    "fraction_S_above_2": ("S", lambda s: s > chsh.LOCAL_BOUND),
    "fraction_S_below_1.5": ("S", lambda s: s < 1.5),
    "fraction_S_above_tsirelson": ("S", lambda s: s > chsh.TSIRELSON_BOUND),
    "fraction_S_above_3.4": ("S", lambda s: s >= 3.4),
    "fraction_S_joint_above_2": ("S_joint", lambda s: s > chsh.LOCAL_BOUND + 1e-12),
    # contextual beyond direct influence (Contextuality-by-Default, ncnet.bell.cbd)
    "fraction_cbd_contextual": ("cbd_excess", lambda e: e > CBD_TOLERANCE),
}


def summarize_hidden_sizes(rows: Sequence[dict[str, Any]], n_boot: int = 10_000,
              tasks: tuple[Sequence[str], Sequence[str]] = (PAPER_TASKS, PAPER_TASKS)
              ) -> dict[str, Any]:
    """Per hidden size (key ``str(n)``): S statistics with a Student-t CI of the mean over
    runs (:func:`ncnet.chsh.mean_s_interval`; the percentile bootstrap beside it as
    ``ci_bootstrap``) and a one-sided t-test of mean S > 2 (p Holm-adjusted across the hidden
    sizes as ``p_holm``); each fraction of :data:`FRACTIONS` with its exact CI
    (``<name>_ci``); Welch tests of this n's mean S against the next smaller and larger n
    (``S_vs_smaller``, ``S_vs_larger``: one-sided p that this n is higher, CI of the
    difference); mean C's, accuracies and signalling gaps (each with a CI of the mean), the
    product-of-marginals S and the joint control."""
    by_n: dict[str, Any] = {}
    sizes = sorted({r["hidden"] for r in rows})
    s_by_n = {n: np.array([r["S"] for r in rows if r["hidden"] == n]) for n in sizes}
    for pos, n in enumerate(sizes):
        sub = [r for r in rows if r["hidden"] == n]
        s = s_by_n[n]
        names = _mean_columns(sub[0])
        joint = all("S_joint" in r for r in sub)
        table = np.array([[r["S"], *(r[name] for name in names),
                           *((r["S_joint"],) if joint else ())] for r in sub], dtype=np.float64)
        cis = [list(ci) for ci in bootstrap_mean_cis(table, n_boot=n_boot)]
        entry: dict[str, Any] = {
            "runs": len(sub),
            "S": {**_describe(s, n_boot, ci=list(chsh.mean_s_interval(s))),
                  "ci_method": "student-t", "ci_bootstrap": cis[0]},
            "S_test": chsh.test_s_above(s) if len(s) > 1 else None,
        }
        for name, (column, flag) in FRACTIONS.items():
            values = np.array([r[column] for r in sub if column in r], dtype=np.float64)
            if values.size:
                frac = describe_fraction(flag(values))
                entry[name], entry[f"{name}_ci"] = frac["fraction"], frac["ci"]
        if pos > 0:
            entry["S_vs_smaller"] = {"n": sizes[pos - 1],
                                     **welch_test(s, s_by_n[sizes[pos - 1]])}
        if pos + 1 < len(sizes):
            entry["S_vs_larger"] = {"n": sizes[pos + 1],
                                    **welch_test(s, s_by_n[sizes[pos + 1]])}
        for k, name in enumerate(names, start=1):
            entry[name] = {"mean": float(table[:, k].mean()), "ci": cis[k]}
        if joint:
            entry["S_joint"] = _describe(table[:, -1], n_boot, ci=cis[-1])
        elif "S_joint" in sub[0]:
            sj = np.array([r["S_joint"] for r in sub if "S_joint" in r])
            entry["S_joint"] = _describe(sj, n_boot)
        entry["learnability"] = hidden_size_gate(n, sub, *tasks)
        by_n[str(n)] = entry
    tested = [e["S_test"] for e in by_n.values() if e["S_test"] is not None]
    for test, p in zip(tested, holm([t["p_value"] for t in tested]), strict=True):
        test["p_holm"] = p
    return by_n


TASK_NAMES = {"A1": "α1 (X1)", "A2": "α2 (X1 xor X2)", "B1": "β1 (X3)", "B2": "β2 (X3 xor X4)"}
"""The task of each head: Alice's setting i, Bob's setting j (:mod:`ncnet.tasks.bits`)."""


_TASK_TEXT = {"bit1": "{u}", "bit2": "{v}", "xor": "{u} xor {v}", "xnor": "{u} xnor {v}",
              "and": "{u} and {v}", "or": "{u} or {v}", "nand": "{u} nand {v}",
              "nor": "{u} nor {v}"}


def task_names(tasks_a: Sequence[str] = PAPER_TASKS, tasks_b: Sequence[str] = PAPER_TASKS
               ) -> dict[str, str]:
    """Head -> its task in words, e.g. ``{"A1": "α1 (X1)", ...}`` (:data:`TASK_NAMES` for the
    paper's tasks)."""
    out = {f"A{x}": f"α{x} ({_TASK_TEXT[t].format(u='X1', v='X2')})"
           for x, t in enumerate(tasks_a, start=1)}
    out.update({f"B{y}": f"β{y} ({_TASK_TEXT[t].format(u='X3', v='X4')})"
                for y, t in enumerate(tasks_b, start=1)})
    return out


def hidden_size_gate(hidden: int, rows: Sequence[dict[str, Any]],
                      tasks_a: Sequence[str] = PAPER_TASKS,
                      tasks_b: Sequence[str] = PAPER_TASKS) -> dict[str, Any]:
    """The learnability gate of one hidden size (:mod:`ncnet.stats.learnability`): per head of the
    four pair models (by accuracy column) its :func:`ncnet.stats.learnability.run_gate` over the
    runs ``rows``, chance = max(0.5, majority rate of its truth table) = 0.5;
    ``did_not_learn``: one sentence per task with a head whose mean-accuracy CI does not lie
    strictly above chance (the hidden size's claims are then undecided);
    ``runs_with_a_head_at_chance``: runs in which some head's accuracy is at or below chance
    (informative only: at n = 2 many runs fail an XOR task, which is Figure 2's point).
    Rows without accuracy columns give no heads and no gate."""
    heads: dict[str, Any] = {}
    failures: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    at_chance = np.zeros(len(rows), dtype=bool)
    names = task_names(tasks_a, tasks_b)
    targets = {"A": side_targets(tasks_a, "A"), "B": side_targets(tasks_b, "B")}
    for i, j in [(x, y) for x in range(1, len(tasks_a) + 1) for y in range(1, len(tasks_b) + 1)]:
        for side, t, column in (("A", i, chsh.acc_columns(i, j)[0]),
                                ("B", j, chsh.acc_columns(i, j)[1])):
            if not rows or not all(column in r for r in rows):
                continue
            acc = np.array([r[column] for r in rows], dtype=np.float64)
            labels = targets[side][t - 1]
            chance = learnability.chance_level(np.bincount(labels, minlength=2).tolist())
            gate = learnability.run_gate(acc, N_INPUTS, chance)
            heads[column] = {"task": f"{side}{t}", "pair": [i, j], **gate}
            if names[f"{side}{t}"] != TASK_NAMES.get(f"{side}{t}"):
                heads[column]["task_name"] = names[f"{side}{t}"]
            at_chance |= acc <= chance
            if not gate["learned"]:
                failures.setdefault(f"{side}{t}", []).append((f"pair model ({i}, {j})", gate))
    return {
        "at": f"n = {hidden}",
        "heads": heads,
        "did_not_learn_tasks": [names[t] for t in sorted(failures)],
        "did_not_learn": [learnability.did_not_learn(names[t], f"n = {hidden}", f)
                          for t, f in sorted(failures.items())],
        "runs": len(rows),
        "runs_with_a_head_at_chance": int(at_chance.sum()) if heads else None,
    }


def _mean_columns(row: dict[str, Any]) -> list[str]:
    prefixes = ("C", "acc_", "gap_")
    return [k for k in row if k.startswith(prefixes) and isinstance(row[k], float)] + [
        "S_product", *(k for k in ("Delta", "S_odd", "cbd_excess") if k in row)
    ]


def _ci(values: np.ndarray, n_boot: int) -> list[float]:
    lo, hi = bootstrap_mean_ci(np.asarray(values, dtype=np.float64), n_boot=n_boot)
    return [lo, hi]


def _describe(s: np.ndarray, n_boot: int, ci: list[float] | None = None) -> dict[str, Any]:
    """Mean with a 95% percentile-bootstrap CI over the ``n`` runs (``ci`` if already
    computed), median, sd, range."""
    return {
        "n": int(s.size),
        "mean": float(s.mean()),
        "median": float(np.median(s)),
        "sd": float(s.std(ddof=1)) if len(s) > 1 else math.nan,
        "min": float(s.min()),
        "max": float(s.max()),
        "ci": ci if ci is not None else _ci(s, n_boot),
    }
