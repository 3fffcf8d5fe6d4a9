"""Bell expressions on the toy experiment's runs: per-run columns and per-hidden-size summaries.

A run of the toy experiment with m_A tasks for Alice and m_B for Bob holds m_A x m_B pair
models, each scored on the same 16 inputs, and a joint control with m_A + m_B heads. For an
expression E (:mod:`ncnet.bell`) a run gets the columns

- ``E``: V of the pair models, with the partner-averaged marginals (:mod:`ncnet.bell.score`);
- ``E_product``: V of the product-of-marginals prediction C_xy = <A_x>_y <B_y>_x;
- ``E_joint``: V of the joint control, whose heads answer every setting pair on the same
  input, so per input the sum is a deterministic strategy's value: ``E_joint`` never exceeds
  E's local bound (an identity, not a finding);

and once per run ``spread_A{x}`` / ``spread_B{y}``: the accuracy of each setting's head over
its partner settings, max - min (signalling; 0 without it). The columns are computed from the
stored outcomes when the runs are collected, so the expressions are not part of a run's
identity: scoring the same runs with another expression trains nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ncnet.bell import score as bell_score
from ncnet.stats.outcomes import from_pm_string
from ncnet.stats.resampling import bootstrap_mean_ci
from ncnet.stats.runs import describe_fraction, holm

#: Runs whose joint control is above the local bound by more than this are counted (none is:
#: the identity; rounding of 16 ±1 outcomes is exact to far below this).
JOINT_TOLERANCE = 1e-9


def _pm(text: str) -> np.ndarray:
    return from_pm_string(text).astype(np.float64)


def run_outcomes(rec: dict[str, Any], m_a: int, m_b: int
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Pair outcomes ``a``, ``b`` (m_A, m_B, 16) and the joint control's, broadcast the same
    way (None without a joint record), from a stored record's strings."""
    out = rec["outcomes"]
    a = np.stack([np.stack([_pm(out[f"{x}{y}"]["A"]) for y in range(1, m_b + 1)])
                  for x in range(1, m_a + 1)])
    b = np.stack([np.stack([_pm(out[f"{x}{y}"]["B"]) for y in range(1, m_b + 1)])
                  for x in range(1, m_a + 1)])
    joint = rec.get("joint_outcomes")
    if not joint:
        return a, b, None, None
    ja = np.stack([_pm(joint[f"A{x}"]) for x in range(1, m_a + 1)])  # (m_A, 16)
    jb = np.stack([_pm(joint[f"B{y}"]) for y in range(1, m_b + 1)])  # (m_B, 16)
    n = ja.shape[-1]
    return (a, b, np.broadcast_to(ja[:, None, :], (m_a, m_b, n)),
            np.broadcast_to(jb[None, :, :], (m_a, m_b, n)))


def expression_columns(rec: dict[str, Any], expressions: Sequence[Any], m_a: int,
                       m_b: int) -> dict[str, float]:
    """The columns of one run (module docstring) for ``expressions``; an expression uses the
    first m_A' x m_B' settings when it has fewer than the run."""
    a, b, ja, jb = run_outcomes(rec, m_a, m_b)
    acc_a, acc_b = (a > 0).mean(axis=-1), (b > 0).mean(axis=-1)  # (m_A, m_B)
    cols: dict[str, float] = {}
    for e in expressions:
        sa, sb = a[: e.m_a, : e.m_b], b[: e.m_a, : e.m_b]
        c = np.mean(sa * sb, axis=-1)
        marg_a_pairs, marg_b_pairs = sa.mean(axis=-1), sb.mean(axis=-1)
        marg_a, marg_b = marg_a_pairs.mean(axis=1), marg_b_pairs.mean(axis=0)
        cols[e.name] = float(e.value(c, marg_a, marg_b))
        cols[f"{e.name}_product"] = float(e.value(marg_a_pairs * marg_b_pairs, marg_a, marg_b))
        if ja is not None:
            ta, tb = ja[: e.m_a, : e.m_b], jb[: e.m_a, : e.m_b]
            cols[f"{e.name}_joint"] = float(np.mean(e.item_sums(ta, tb)))
    for x in range(m_a):
        cols[f"spread_A{x + 1}"] = float(np.ptp(acc_a[x]))
    for y in range(m_b):
        cols[f"spread_B{y + 1}"] = float(np.ptp(acc_b[:, y]))
    return cols


def _mean_ci(values: np.ndarray, n_boot: int) -> dict[str, Any]:
    return {"mean": float(values.mean()),
            "ci": list(bootstrap_mean_ci(values, n_boot=n_boot))}


def summarize_expressions(rows: Sequence[dict[str, Any]], expressions: Sequence[Any],
                          n_boot: int = 10_000) -> dict[str, dict[str, Any]]:
    """Per hidden size (``str(n)``) and expression name: the bounds (local, quantum with its
    kind, no-signalling) and the range of V; ``V`` (mean, sd, min, max, Student-t CI of the
    mean over runs, :func:`ncnet.bell.score.runs_interval`); ``test`` of mean V > local bound
    (:func:`ncnet.bell.score.runs_test`, ``p_holm`` across the hidden sizes); ``product``
    (mean of ``E_product`` with a bootstrap CI); ``fraction_above_local`` with its exact CI;
    ``joint`` (max, and runs above the local bound: always 0); ``spread`` (the mean over runs
    of the largest accuracy spread of a head over its partner settings, with a CI)."""
    sizes = sorted({r["hidden"] for r in rows})
    out: dict[str, dict[str, Any]] = {str(n): {} for n in sizes}
    for e in expressions:
        bounds = bell_score.bounds_dict(e)
        lo, hi = bell_score.item_sum_range(e)
        local = bounds["local"]
        tests = []
        for n in sizes:
            sub = [r for r in rows if r["hidden"] == n and e.name in r]
            if not sub:
                continue
            v = np.array([r[e.name] for r in sub], dtype=np.float64)
            spread_cols = [k for k in sub[0] if k.startswith(("spread_A", "spread_B"))]
            spread = np.array([max(r[k] for k in spread_cols) for r in sub])
            frac = describe_fraction(v > local + JOINT_TOLERANCE)
            entry: dict[str, Any] = {
                "bounds": bounds, "range": [lo, hi], "runs": len(sub),
                "V": {"n": int(v.size), "mean": float(v.mean()),
                      "sd": float(v.std(ddof=1)) if v.size > 1 else float("nan"),
                      "min": float(v.min()), "max": float(v.max()),
                      "ci": list(bell_score.runs_interval(v, lo, hi)), "ci_method": "student-t"},
                "test": bell_score.runs_test(v, local, lo, hi),
                "product": _mean_ci(np.array([r[f"{e.name}_product"] for r in sub]), n_boot),
                "fraction_above_local": frac["fraction"],
                "fraction_above_local_ci": frac["ci"],
                "spread": _mean_ci(spread, n_boot),
            }
            joint = [r[f"{e.name}_joint"] for r in sub if f"{e.name}_joint" in r]
            if joint:
                j = np.array(joint)
                entry["joint"] = {"max": float(j.max()), "mean": float(j.mean()),
                                  "runs_above_local": int(np.sum(j > local + JOINT_TOLERANCE))}
            out[str(n)][e.name] = entry
            tests.append(entry["test"])
        ps = [t["p_value"] for t in tests]
        for t, p in zip(tests, holm(ps), strict=True):
            t["p_holm"] = p
    return out


def console_tables(summary: dict[str, Any]) -> list[Any]:
    """Three tables, each within 80 columns: the bounds of each expression (once: they do not
    depend on n); per expression and hidden size, mean V against the local bound (the CI, the
    runs above it and the test); and the product prediction, the joint control and the
    signalling spread. Nothing without Bell expressions in ``summary``."""
    from ncnet.report.format import format_p, percent_interval, with_interval
    from ncnet.report.table import Table

    names = list(dict.fromkeys(name for e in summary.values() for name in e.get("bell", {})))
    cells = [(name, n, b) for name in names for n, e in summary.items()
             if (b := e.get("bell", {}).get(name)) is not None]
    if not cells:
        return []
    bounds = Table("Bell expressions: the largest V of local, quantum and no-signalling "
                   "statistics", ["expression", "local", "quantum", "no-signalling"], [],
                   caption="quantum: Tsirelson SDP (exact) or an NPA upper bound, its kind "
                           "in summary.json")
    for name in names:
        bd = next(b["bounds"] for m, _, b in cells if m == name)
        q = "—" if bd["quantum"] is None else f"{bd['quantum']:.4g}"
        bounds.rows.append([name, f"{bd['local']:.4g}", q, f"{bd['no_signalling']:.4g}"])
    values = Table("Bell expressions per hidden size n: mean V against the local bound "
                   "(partner-averaged marginals)",
                   ["expression", "n", "mean V [95% CI]", ">local [95% CI]", "p Holm"], [],
                   caption="V: Student-t 95% CI over runs; >local: runs above the local "
                           "bound, exact CI; p: one-sided t-test of mean V > local, Holm "
                           "across n")
    controls = Table("Bell expressions per hidden size n: the controls",
                     ["expression", "n", "V if independent", "joint max", "spread"], [],
                     caption="V if independent: mean V of the product-of-marginals "
                             "prediction; joint max: the joint control's largest V; "
                             "spread: mean over runs of the largest accuracy spread of a "
                             "head over partner tasks")
    for name, n, b in cells:
        v = b["V"]
        values.rows.append([
            name, n, with_interval(v["mean"], v["ci"]),
            percent_interval(b["fraction_above_local"], b["fraction_above_local_ci"], sep=","),
            format_p(b["test"].get("p_holm"))])
        controls.rows.append([
            name, n, f"{b['product']['mean']:.3f}",
            f"{b['joint']['max']:.3f}" if "joint" in b else "—", f"{b['spread']['mean']:.3f}"])
    return [bounds, values, controls]
