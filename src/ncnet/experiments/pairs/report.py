"""The pair design's console tables, its report (``report.md`` / ``report.html``) and its
figure: S per level, each seed's S with its item interval, the mean over the seeds where every
task learned with its Student-t interval, and the local bound 2."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ncnet import chsh
from ncnet.bell.score import PAIRED_SCHEME
from ncnet.report.figures import draw_both, finish_runs_figure, wrap_title
from ncnet.report.format import format_p, interval, with_interval
from ncnet.report.render import Block, write_report
from ncnet.report.table import Table
from ncnet.stats.verdicts import MIN_SEEDS

FIGURE = "pairs-S.png"


def _learned(e: dict[str, Any]) -> str:
    bad = [str(s) for s, ok in zip(e["seed_ids"], e["tasks_learned"], strict=True) if not ok]
    return "yes" if not bad else f"no: seed {', '.join(bad)}"


def console_tables(summary: dict[str, Any]) -> list[Table]:
    """S per level (within 80 columns) and, where some head did not learn, which."""
    t = Table("CHSH S per level (four pair models per level and seed)",
              ["level", "seeds", "mean S", "CI seeds (t)", "p Holm", "S indep.", "learned"],
              [], caption="CI seeds: Student t over the seeds where every task learned; p: "
                          "one-sided item test of S > 2 per seed, Holm over levels and seeds")
    failed = Table("heads that did not learn: their (level, seed) cells are left out",
                   ["level", "seed", "head", "task", "pair", "accuracy [95% CI]"], [])
    joint = any("S_joint" in e for e in summary.values())
    if joint:
        t.columns.insert(-1, "joint max")
    for key, e in summary.items():
        s = e["S"]
        t.rows.append([key, str(e["seeds"]), f"{s['mean']:.3f}",
                       interval(s["ci_over_seeds"], 2) if s["ci_over_seeds"] else "—",
                       " ".join(format_p(p) for p in s["p_S_above_2_holm"]),
                       f"{e['S_product']:.3f}",
                       *([f"{e['S_joint']['max']:.2f}" if "S_joint" in e else "—"]
                         if joint else []), _learned(e)])
        failed.rows += [[key, str(f["seed"]), f["head"], f["task"], "({}, {})".format(*f["pair"]),
                         with_interval(f["accuracy"], f["ci"], 2)] for f in e["did_not_learn"]]
    return [t, failed] if failed.rows else [t]


def level_table(summary: dict[str, Any]) -> Table:
    """The report's table: per level the seeds, mean S (all seeds; over the learned seeds
    with its t interval), each seed's S with its item interval and Holm p, S_product, the
    mean accuracy, whether every task learned, and the verdict on mean S > 2."""
    rows = []
    for key, e in summary.items():
        s = e["S"]
        rows.append({
            "level": key, "seeds": e["seeds"], "mean S": round(s["mean"], 3),
            "mean S (learned) [95% CI, t over seeds]": "—" if s["mean_learned"] is None else (
                with_interval(s["mean_learned"], s["ci_over_seeds"]) if s["ci_over_seeds"]
                else f"{s['mean_learned']:.3f}"),
            "S per seed [95% CI over items]": "; ".join(
                with_interval(v, ci) for v, ci in zip(s["per_seed"], s["ci_over_items"],
                                                      strict=True)),
            "p (S > 2, Holm)": "; ".join(format_p(p) for p in s["p_S_above_2_holm"]),
            "S if independent": round(e["S_product"], 3),
            **({"joint control: max S": round(e["S_joint"]["max"], 3)} if "S_joint" in e
               else {}),
            "mean accuracy": round(e["accuracy"], 3),
            "tasks learned": _learned(e),
            "mean S > 2": e["verdict_mean_S_above_2"],
        })
    return Table.from_records(rows)


def pairs_figure(summary: dict[str, Any], path: Any, narrow: bool = False) -> None:
    """S per level: each seed (dots, its item interval as a bar), the mean over the learned
    seeds with its t interval, and S = 2."""
    import matplotlib.pyplot as plt

    from ncnet.report.figures import NARROW_WIDTH

    fig, ax = plt.subplots(figsize=(NARROW_WIDTH, 3.4) if narrow else (6.4, 3.6))
    keys = list(summary)
    for x, key in enumerate(keys):
        s = summary[key]["S"]
        for k, (v, ci) in enumerate(zip(s["per_seed"], s["ci_over_items"], strict=True)):
            ax.errorbar(x - 0.08 + 0.16 * k / max(1, len(s["per_seed"]) - 1), v,
                        yerr=[[v - ci[0]], [ci[1] - v]], fmt="o", color="#4c72b0", ms=4,
                        alpha=0.7, label="a seed (item CI)" if x == 0 and k == 0 else None)
        if s["ci_over_seeds"]:
            m, (lo, hi) = s["mean_learned"], s["ci_over_seeds"]
            ax.errorbar(x + 0.2, m, yerr=[[m - lo], [hi - m]], fmt="s", color="black", ms=5,
                        capsize=3, label="mean (t CI over seeds)" if x == 0 else None)
    ax.axhline(chsh.LOCAL_BOUND, color="red", ls="--", lw=1.2, label="local bound 2")
    ax.set_xticks(range(len(keys)), keys)
    ax.set_xlabel("level")
    ax.set_ylabel("S")
    ax.set_title(wrap_title("CHSH S of your pair models per level", narrow))
    finish_runs_figure(fig, ax, path, narrow)


def scheme_note(summary: dict[str, Any]) -> str:
    """Which item scheme the intervals used: paired where the function gave item ids."""
    schemes = {s for e in summary.values() for s in e["S"]["ci_over_items_scheme"]}
    return ("paired over the item ids your function returned" if schemes == {PAIRED_SCHEME}
            else "independent pairs (return item ids to pair them)" if PAIRED_SCHEME not in
            schemes else "paired where item ids were returned, independent elsewhere")


def _joint_note(summary: dict[str, Any]) -> str:
    if not any("S_joint" in e for e in summary.values()):
        return " (No joint control: give train_joint to train one model with all four heads.)"
    top = max(e["S_joint"]["max"] for e in summary.values() if "S_joint" in e)
    return (" The joint control (one model, four heads, the same items) has a joint "
            "distribution, so its S can never exceed 2; its largest S here is "
            f"{top:.3f}" + (" — no model exceeds 2." if top <= 2 + 1e-12 else
                            " — ERROR: a model exceeds 2."))


def write_pairs_report(out: str | Path, config: Any, result: Any) -> list[str]:
    """The figure and both reports of a pair-design sweep into ``out``; the file names."""
    path = Path(out)
    summary = result.summary
    narrow = {FIGURE: draw_both(pairs_figure, path / FIGURE, summary)}
    blocks = [
        Block("h1", "Your pair models: the CHSH statistic per level"),
        Block("p", f"Function `{config.train}`; Alice's tasks A1 = `{config.tasks_a[0]}`, "
                   f"A2 = `{config.tasks_a[1]}`; Bob's B1 = `{config.tasks_b[0]}`, B2 = "
                   f"`{config.tasks_b[1]}`; levels {config.levels}; seeds {config.seeds}. "
                   f"One pair model per setting pair, level and seed. Config "
                   f"`{result.config_hash}`."),
        Block("h2", "S per level"),
        Block("table", table=level_table(summary)),
        Block("p", f"Item intervals and tests: {scheme_note(summary)}. Mean S is judged by "
                   f"its Student-t interval over the seeds where every head learned (its "
                   f"exact accuracy interval lies above 0.5): 'agrees' only if it lies wholly "
                   f"above 2, with fewer than {MIN_SEEDS} such seeds 'undecided'. Separately "
                   "trained pair models have no joint distribution, so S can pass 2 without "
                   "anything non-classical: 'S if independent', the product of the marginals, "
                   "shows how much of S the eight accuracies already fix." + _joint_note(summary)),
        Block("img", "S per level: each seed with its item interval, the mean with its "
                     "t interval over seeds, and the local bound 2.", path=FIGURE),
    ]
    return [FIGURE, *write_report(path, blocks, "Pair-design CHSH report", narrow)]
