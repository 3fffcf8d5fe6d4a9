"""The LoRA (Section 5) report: S per rank against the paper's Table 2, the learnability gate,
Table 2's accuracies and correlators, Table 4's parameters and Figures 3-5;
:func:`write_lora_report` writes ``report.md`` / ``report.html`` through
:mod:`ncnet.report.render`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ncnet import chsh
from ncnet.experiments.lora.figures import figure_3, figure_4, figure_5
from ncnet.experiments.lora.summary import learned_seeds, rank_claims
from ncnet.paper import PAPER_MU_GRAD_S_EPOCHS, PAPER_MU_GRAD_S_R1, PAPER_TABLE2_S
from ncnet.report.figures import draw_both
from ncnet.report.format import format_p, interval, with_interval
from ncnet.report.render import Block, write_report
from ncnet.report.table import Table


def lora_rank_table(summary: dict[str, Any], paper: dict[int, float] | None) -> Table:
    """S per rank: mean over seeds with its t-interval, each seed's paired-item CI (and the
    independent-pairs CI it replaces), Holm-adjusted p of S > 2, S_product, μ∇S."""
    rows = []
    for r, e in summary.items():
        s = e["S"]
        items = s.get("items") or [None] * len(s["ci_over_items"])
        row = {
            "rank": int(r),
            "seeds": e["seeds"],
            "mean S": round(s["mean"], 3),
            "95% CI over seeds (t)": interval(s.get("ci_over_seeds")) if e["seeds"] > 1
            else "— (1 seed)",
            "95% CI over items, per seed": "; ".join(
                f"{interval(ci)} ({n} items)" if n else interval(ci)
                for ci, n in zip(s["ci_over_items"], items, strict=True)),
            "CI if pairs independent (old)": "; ".join(
                interval(ci) for ci in s.get("ci_over_items_independent") or []),
            "p (S > 2, Holm)": "; ".join(format_p(p) for p in
                                         s.get("p_S_above_2_holm", s["p_S_above_2"])),
            "S if independent": round(e["S_product"], 3),
            "μ∇S": round(e["mu_grad_S"], 4),
            "tasks learned": "; ".join("yes" if ok else "no (†)" for ok in learned_seeds(e)),
        }
        if paper:
            row["paper S"] = paper.get(int(r), "—")
        rows.append(row)
    return Table.from_records(rows)


def lora_learnability_blocks(gate: dict[str, Any] | None) -> list[Block]:
    """The learnability gate of a LoRA sweep: the rule, and every task that did not learn
    (per rank, seed and pair model, with its accuracy, exact CI and chance)."""
    if not gate or not gate.get("cells"):
        return []
    names = gate.get("chance_sources") or {}
    sources = [names.get(k, k) for k in sorted({c["chance_source"] for c in gate["cells"]})]
    rule = ("Learnability gate: a head learned its task at a (rank, seed) when the exact "
            "(Clopper–Pearson) 95% CI of its test accuracy lies strictly above chance, "
            "max(0.5, the majority-class rate of the task's test labels; from "
            f"{'; '.join(sources)}). ")
    failed = gate.get("did_not_learn") or []
    if not failed:
        return [Block("p", rule + "Every task learned at every rank and seed, so every "
                              "cell counts in the conclusions above.")]
    table = Table.from_records([{
        "rank": f["rank"], "seed": f["seed"], "task": f"{f['task']} ({f['head']})",
        "pair": "({}, {})".format(*c["pair"]),
        "accuracy [95% CI]": with_interval(c["accuracy"], c["ci"]),
        "items": c["n"], "chance": round(c["chance"], 3),
    } for f in failed for c in f["cells"]])
    return [Block("p", rule + "Where a task did not learn, its (rank, seed) cell is marked "
                              "† and 'no' under 'tasks learned' and left out of the rank "
                              "trend and the S > 2 conclusions: S of heads at chance says "
                              "nothing about trained models. "
                              + " ".join(f"{f['text']}." for f in failed)),
            Block("table", table=table)]


def lora_pair_table(summary: dict[str, Any]) -> Table:
    """The paper's Table 2 layout: per rank and pair, accuracies, C and its product prediction."""
    rows = []
    for r, e in summary.items():
        for i, j in chsh.PAIRS:
            rows.append({
                "rank": int(r), "pair": f"A{i}B{j}",
                "Acc(A_i)": f"{e[chsh.acc_columns(i, j)[0]]:.2%}",
                "Acc(B_j)": f"{e[chsh.acc_columns(i, j)[1]]:.2%}",
                "C(A_i, B_j)": round(e[chsh.c_column(i, j)], 4),
                "C if independent": round(e[chsh.c_column(i, j, "_product")], 4),
                "S": round(e["S"]["mean"], 3) if (i, j) == (1, 1) else "",
            })
    return Table.from_records(rows)


def lora_param_table(params: Sequence[Any]) -> Table:
    """Table 4 from the parameter counts the caller computed (``rank``, ``total``,
    ``trainable``, ``ratio`` per rank)."""
    return Table.from_records([
        {"rank": p.rank, "total": f"{p.total:,}", "trainable": f"{p.trainable:,}",
         "trainable / total": f"{p.ratio:.4%}"}
        for p in params
    ])


def _shape_sentence(summary: dict[str, Any], trend: dict[str, Any] | None) -> str:
    """What S does with rank, in words: the decisions of
    :func:`ncnet.experiments.lora.summary.rank_claims` (per-rank S > 2 only where the
    Holm-adjusted p of every seed is below 0.05, only from cells where every task learned)
    and the trend from the CI of the slope of S on log2(rank). Gated cells are shown, marked
    †, named and left out, and a rank with none is undecided."""
    c = rank_claims(summary)
    ranks, marked, s = c["ranks"], c["marked"], c["S"]
    text = "S by rank: " + ", ".join(
        f"r={r}: {s[r]:.3f}{'†' if r in marked else ''}" for r in ranks) + ". "
    if marked:
        why = "; ".join(f"r = {r}, seed {seed} ({', '.join(tasks)})"
                        for (r, seed), tasks in c["gated_cells"].items())
        text += ("† Left out of every conclusion below, because a task did not learn there "
                 f"(learnability gate, below): {why or 'see the gate'}. ")
    where = " where every task learned" if marked else ""
    if not c["judged"]:
        text += ("No rank has a cell where every task learned: undecided whether S > 2 at "
                 "any rank. ")
    elif c["significant"]:
        text += ("S > 2 (Holm-adjusted p < 0.05) at r = "
                 f"{', '.join(map(str, c['significant']))}. ")
    elif c["above"]:
        text += (f"S is above 2 at r = {', '.join(map(str, c['above']))} but not significantly "
                 "(Holm-adjusted p ≥ 0.05). ")
    else:
        text += f"S is below 2 at every rank{where}. "
    small_r = ("The paper's mixed-suite shape needs S > 2 at small r, which is "
               + {"undecided": f"undecided here: a task did not learn at r = {ranks[0]}.",
                  "seen": "seen here.", "not seen": "not seen here."}[c["smallest_rank"]])
    if trend is not None and trend.get("shape") == "undecided":
        return text + (f"The trend with rank is undecided: {trend['reason']}. ") + small_r
    if trend is None or trend.get("ci") is None:
        return text + "With fewer than two ranks (or no shared items) no trend is estimated."
    basis = ("the t-interval over seeds" if trend["basis"] == "seeds" else
             "the item bootstrap (conditional on these trained models; add seeds to include "
             "training noise)")
    lo, hi = trend["ci"]
    shape = {"rises": "S rises with rank", "falls": "S falls with rank",
             "no trend detected": "no trend with rank is detected (the interval holds 0)"}
    cells = (f" (ranks {', '.join(map(str, trend['ranks']))}, cells where every task learned "
             "only)" if trend.get("excluded") else "")
    text += (f"Slope of S per doubling of r{cells}: {trend['slope']:+.3f} [95% CI {lo:+.3f}, "
             f"{hi:+.3f}] from {basis}: {shape[trend['shape']]}. ")
    paper = {"rises": "the paper's multilingual suite rises to 2 from below (1.50 → 1.99). ",
             "falls": "the paper's mixed suite falls from above 2 towards 2. ",
             "no trend detected": ""}[trend["shape"]]
    return text + (f"For comparison, {paper}" if paper else "") + small_r


#: The options of ``ncnet lora`` that :func:`reproduce_command` writes where the config
#: differs from the defaults (besides suite, model, ranks, epochs and seeds, always written).
REPRODUCED_OPTIONS = ("tasks_a", "tasks_b", "lr", "batch_size", "lora_alpha", "lora_dropout",
                      "targets", "layers", "alpha_scaling", "trace_every", "pooling", "max_len",
                      "train_size", "test_size", "data_dir", "cache_dir", "precision")


def reproduce_command(config: Any) -> str:
    """The ``ncnet lora`` command that trains ``config``'s models again: suite, model, ranks,
    epochs and seeds, then every option of :data:`REPRODUCED_OPTIONS` whose value differs
    from its default. Seeds that are not consecutive cannot be a ``--seed``/``--seeds`` pair:
    the command then says to list them in a TOML ``[lora]`` table.

    >>> from ncnet.experiments.lora.config import LoraConfig
    >>> cmd = reproduce_command(LoraConfig(suite="offline-easy", ranks=(1, 8), seeds=(1, 2),
    ...                                    train_size=300, data_dir="my data"))
    >>> cmd.split(" --")
    ['ncnet lora', 'suite offline-easy', 'model minilm', 'ranks 1,8', 'epochs 12', 'seed 1', \
'seeds 2', 'train-size 300', "data-dir 'my data'"]
    >>> reproduce_command(LoraConfig(seeds=(1, 3)))[-42:]
    'with seeds = [1, 3] in a TOML [lora] table'
    """
    import shlex

    seeds = list(config.seeds)
    args = ["ncnet", "lora", "--suite", config.suite, "--model", config.model_name,
            "--ranks", ",".join(map(str, config.ranks)), "--epochs", str(config.epochs)]
    consecutive = seeds == list(range(seeds[0], seeds[0] + len(seeds)))
    if consecutive:
        args += ["--seed", str(seeds[0]), "--seeds", str(len(seeds))]
    fields = type(config).model_fields
    for name in REPRODUCED_OPTIONS:
        value = getattr(config, name)
        if value == fields[name].get_default(call_default_factory=True):
            continue
        text = ",".join(map(str, value)) if isinstance(value, tuple) else f"{value:g}" \
            if isinstance(value, float) else str(value)
        args += [f"--{name.replace('_', '-')}", text]
    command = shlex.join(args)
    return command if consecutive else f"{command} with seeds = {seeds} in a TOML [lora] table"


def write_lora_report(out: str | Path, config: Any, result: Any,
                      params: Sequence[Any] = ()) -> list[str]:
    """Figures 3-5, Tables 2 and 4 (``params``: parameter counts per rank) and the report of
    a LoRA sweep; returns the file names."""
    path = Path(out)
    summary = result.summary
    paper_key = getattr(config, "paper_suite", None)  # only a suite that declares one
    paper = PAPER_TABLE2_S.get(paper_key) if paper_key else None
    narrow = {  # file name -> PNG of its phone-width variant (report.html only)
        "fig3.png": draw_both(figure_3, path / "fig3.png", summary,
                                    suite=config.suite, paper=paper),
        "fig4.png": draw_both(figure_4, path / "fig4.png", result.epochs, summary,
                                    window=result.slope_window),
        "fig5.png": draw_both(figure_5, path / "fig5.png", summary),
    }
    tasks = [config.task(h, k) for h in ("A", "B") for k in (1, 2)]
    spans = [e.get("mu_grad_S_epochs") or [0, result.slope_window] for e in summary.values()]
    span = (0, min(hi for _, hi in spans))
    mu_note = (f"Same span as the paper's (mixed suite, r = 1: {PAPER_MU_GRAD_S_R1}), so the "
               "values compare." if span[1] == PAPER_MU_GRAD_S_EPOCHS else
               f"The paper's μ∇S (mixed suite, r = 1: {PAPER_MU_GRAD_S_R1}) spans epochs 0–"
               f"{PAPER_MU_GRAD_S_EPOCHS}; ours spans 0–{span[1]}, and S moves most in the "
               "first epochs, so the two numbers are not comparable and we do not compare them.")
    cmd = reproduce_command(config)
    items = sorted({n for e in summary.values() for n in e["S"].get("items") or [] if n})
    scored = f" ({'/'.join(map(str, items))} test items scored per pair)" if items else ""
    whose = ("Your tasks (--tasks-a/--tasks-b)" if getattr(config, "own_tasks", False)
             else f"Suite `{config.suite}`")
    layers = ("" if config.layers is None else
              f" in layers {', '.join(map(str, config.layers))}")
    blocks = [
        Block("h1", "Multi-task LoRA: the CHSH statistic per rank (arXiv 2603.04451, §5)"),
        Block("p", f"{whose}: Alice A1 = `{tasks[0]}`, A2 = `{tasks[1]}`; Bob "
                   f"B1 = `{tasks[2]}`, B2 = `{tasks[3]}`. Encoder `{config.model_name}` "
                   f"(frozen), LoRA on {' and '.join(config.targets)}{layers} (alpha "
                   f"{config.lora_alpha:g}{', × r' if config.alpha_scaling == 'rank' else ''}, "
                   f"dropout "
                   f"{config.lora_dropout:g}), {config.pooling} pooling, two heads "
                   f"Linear(hidden, 2). {config.epochs} epochs, AdamW lr {config.lr:g}, batch "
                   f"{config.batch_size} + {config.batch_size}, at most {config.train_size} "
                   f"train / {config.test_size} test items per task{scored}, max "
                   f"{config.max_len} tokens, {config.precision}, seeds "
                   f"{list(config.seeds)}. Config `{result.config_hash}`. Reproduce with "
                   f"`{cmd}`."),
        Block("h2", "S per rank"),
        Block("table", table=lora_rank_table(summary, paper)),
        Block("p", _shape_sentence(summary, getattr(result, "trend", None))
              + (f" Paper values: Table 2, {paper_key} suite." if paper else
                 " No paper values: this suite is not one the paper ran, nor declared to "
                 "stand in for one.")),
        Block("p", "CI over items: the four pair models score the same test index k (Alice's "
                   "item k of task i in pairs (i, 1) and (i, 2), Bob's item k of task j in "
                   "(1, j) and (2, j)), so the correlators covary; the item ids are resampled "
                   "jointly across the four pairs (paired scheme) and the test of S > 2 uses "
                   "the per-item sums T_k = Σ ± A·B. The CI that treated the pairs as "
                   "independent is shown beside it for comparison. p-values are Holm-adjusted "
                   "across every rank and seed in the table. CI over seeds: Student t with "
                   "seeds − 1 degrees of freedom (none with one seed). Alice's and Bob's test "
                   "items are different examples, so C is close to the product of the "
                   "marginals (2·acc_A − 1)(2·acc_B − 1): 'S if independent' shows how much of "
                   "S the eight accuracies already fix."),
        *lora_learnability_blocks(getattr(result, "gate", None)),
        Block("img", "Figure 3. S against LoRA rank" + (", with the paper's values" if paper
                                                         else "") + " and S = 2.",
              path="fig3.png"),
        Block("h2", "Table 2: accuracies and correlators per rank and pair"),
        Block("table", table=lora_pair_table(summary)),
        Block("img", "Figure 4. (a) S over epochs per rank; (b) μ∇S, the mean instantaneous "
                     f"slope of S over epochs {span[0]}–{span[1]}. " + mu_note
                     + " The mean of consecutive slopes telescopes to (S_last − S_first) / "
                     "span, so μ∇S measures net change, not speed along the way.",
              path="fig4.png"),
        Block("img", "Figure 5. Pair-mean accuracy (Acc(A_i) + Acc(B_j)) / 2 per pair and "
                     "rank, their average, and S.", path="fig5.png"),
        Block("h2", "Table 4: parameters"),
        Block("table", table=lora_param_table(params)),
    ]
    return [*narrow, *write_report(path, blocks, "LoRA CHSH report", narrow)]
