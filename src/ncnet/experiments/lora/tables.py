"""LoRA's console tables (within 80 columns): S per rank with its intervals, tests and the
learnability gate, and the tasks that did not learn. The wide report tables of the same summary
are in :mod:`ncnet.experiments.lora.report`."""

from __future__ import annotations

from typing import Any

from ncnet.report.format import format_p, interval, with_interval
from ncnet.report.table import Table


def learned_label(entry: dict[str, Any]) -> str:
    """'yes' when every task learned at every seed of a rank's summary entry, else which
    seeds did not ('no: seed 1, 3'); '—' for entries without a gate."""
    flags = entry.get("tasks_learned")
    if flags is None:
        return "—"
    bad = [str(s) for s, ok in zip(entry["seed_ids"], flags, strict=True) if not ok]
    return "yes" if not bad else f"no: seed {', '.join(bad)}"


def console_tables(summary: dict[str, Any]) -> list[Table]:
    """S per rank (seeds, mean S, CI over seeds and items, Holm p, S_product, tasks
    learned) and, where some task did not learn, the cells it left out."""
    t = Table("CHSH S per LoRA rank (four pair models per rank and seed)",
              ["rank", "seeds", "mean S", "CI seeds (t)", "CI items", "p Holm",
               "S indep.", "tasks learned"], [])
    failed = Table("tasks that did not learn: their (rank, seed) cells are left out "
                   "of the trend and the S > 2 conclusions",
                   ["rank", "seed", "task", "pair", "accuracy [95% CI]", "chance"], [])
    for r, e in summary.items():
        s = e["S"]
        seeds_ci = s.get("ci_over_seeds")
        t.rows.append([
            r, str(e["seeds"]), f"{s['mean']:.3f}",
            interval(seeds_ci, 2) if seeds_ci else "— 1 seed",
            " ".join(interval(ci, 2) for ci in s["ci_over_items"]),
            " ".join(format_p(p) for p in s.get("p_S_above_2_holm", s["p_S_above_2"])),
            f"{e['S_product']:.3f}", learned_label(e)])
        failed.rows += [[r, str(f["seed"]), f"{f['task']} ({f['head']})",
                         "({}, {})".format(*c["pair"]),
                         with_interval(c["accuracy"], c["ci"], 2),
                         f"{c['chance']:.2f}"]
                        for f in e.get("did_not_learn", []) for c in f.get("cells", [])]
    items = sorted({n for e in summary.values() for n in e["S"].get("items", []) if n})
    schemes = sorted({x for e in summary.values()
                      for x in e["S"].get("ci_over_items_scheme", [])})
    t.caption = (f"CI seeds: Student t over the seeds; CI items ({', '.join(schemes)}, "
                 f"{'/'.join(map(str, items))} items): one per seed; p: one-sided test of "
                 "S > 2 per seed, Holm-adjusted over ranks and seeds; tasks learned: "
                 "every task's test accuracy CI (exact) above chance, per seed")
    return [t, failed] if failed.rows else [t]
