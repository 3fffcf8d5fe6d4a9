"""The toy's console tables (each within 80 columns): S per hidden size, the mean correlators,
the learnability gate and, for m-task designs, the Bell expressions. The wide report tables of
the same summary are in :mod:`ncnet.experiments.toy.report`.
"""

from __future__ import annotations

from typing import Any

from ncnet import chsh
from ncnet.experiments.toy.summary import TASK_NAMES
from ncnet.report.format import format_num, format_p, percent_interval, with_interval
from ncnet.report.table import Table


def console_tables(summary: dict[str, Any]) -> list:
    """Per hidden size n: S with its CI and test, then the mean correlators (fits 80 columns)."""
    s_table = Table("CHSH S per hidden size n (four separately trained models per run)",
                    ["n", "runs", "mean S [95% CI]", "max", "S>2 [95% CI]", "p Holm",
                     "joint max"], [])
    c_table = Table("mean correlators and the product-of-marginals S",
                    ["n", "C11", "C12", "C21", "C22", "S if independent"], [])
    for n, e in summary.items():
        s = e["S"]
        test = e.get("S_test") or {}
        joint = e.get("S_joint")
        s_table.rows.append([
            n, str(e["runs"]), with_interval(s["mean"], s["ci"]),
            f"{s['max']:.2f}",
            percent_interval(e["fraction_S_above_2"], e["fraction_S_above_2_ci"], sep=","),
            format_p(test.get("p_holm")), format_num(joint["max"], 2) if joint else "—",
        ])
        c_table.rows.append([n, *(format_num(e[chsh.c_column(i, j)]["mean"])
                                  for i, j in chsh.PAIRS),
                             format_num(e["S_product"]["mean"])])
    tables = [s_table, c_table, *cbd_tables(summary), *learnability_tables(summary)]
    if any(e.get("bell") for e in summary.values()):
        from ncnet.experiments.toy import bell as toy_bell

        tables += toy_bell.console_tables(summary)
    return tables


def cbd_tables(summary: dict[str, Any]) -> list:
    """Contextuality-by-Default per hidden size: the runs contextual beyond their direct
    influences (exact CI) and the mean Delta, S_odd and excess (bootstrap CIs). Nothing for
    summaries without it."""
    if not all("fraction_cbd_contextual" in e for e in summary.values()):
        return []
    t = Table("Contextuality-by-Default: S_odd against 2 + Delta (direct influences)",
              ["n", "contextual [95% CI]", "mean Delta", "mean S_odd", "mean excess [95% CI]"],
              [], caption="a run is contextual beyond direct influence when S_odd > 2 + Delta "
                          "(excess > 0); Delta: the heads' accuracy gaps, ±1 units")
    for n, e in summary.items():
        t.rows.append([n, percent_interval(e["fraction_cbd_contextual"],
                                           e["fraction_cbd_contextual_ci"], sep=","),
                       format_num(e["Delta"]["mean"]), format_num(e["S_odd"]["mean"]),
                       with_interval(e["cbd_excess"]["mean"], e["cbd_excess"]["ci"])])
    return [t]


def learnability_tables(summary: dict[str, Any]) -> list:
    """The learnability gate per hidden size (heads shown above chance, runs with a head at
    or below chance) and, where some head was not, a "did not learn" table naming each such
    head. Nothing for summaries without a gate."""

    gates = {n: e["learnability"] for n, e in summary.items()
             if (e.get("learnability") or {}).get("heads")}
    if not gates:
        return []
    table = Table("learnability: mean accuracy over runs above chance (95% CI)",
                  ["n", "heads learned", "runs with a head ≤ chance"], [],
                  caption="runs with a head at chance (e.g. a failed XOR at n = 2) are "
                          "kept in every statistic; only the mean decides")
    failed = Table("tasks that did not learn: the claims at their n are undecided",
                   ["n", "task", "pair model", "mean accuracy [95% CI]", "chance"], [])
    for n, g in gates.items():
        heads = g["heads"].values()
        table.rows.append([n, f"{sum(h['learned'] for h in heads)} of {len(heads)}",
                           f"{g['runs_with_a_head_at_chance']} of {g['runs']}"])
        failed.rows += [[n, h.get("task_name", TASK_NAMES.get(h["task"], h["task"])),
                         "({}, {})".format(*h["pair"]),
                         with_interval(h["accuracy"], h["ci"], 2),
                         f"{h['chance']:.2f}"] for h in heads if not h["learned"]]
    return [table, failed] if failed.rows else [table]
