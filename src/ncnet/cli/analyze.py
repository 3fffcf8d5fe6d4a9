"""``ncnet report`` and ``ncnet analyze``: redraw a stored sweep's report; S as a metric and
gradient competition of a stored sweep."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from ncnet.cli.common import UserError, console, err_console, examples, guarded
from ncnet.cli.train import traced_rerun

REPORT_EXAMPLES = examples("ncnet report runs/fig2", "ncnet report runs/lora")
ANALYZE_EXAMPLES = examples(
    "ncnet analyze runs/capacity-scan --n-boot 5000   # toy: per hidden size n",
    "ncnet analyze runs/lora-traced   # LoRA: per (rank, seed)",
    "ncnet analyze runs/budget-scan --resource epochs   # toy: per training budget",
)
#: ``--resource`` of ``ncnet analyze``: the level of the "S as a metric" cells, by experiment
#: (the first is the default).
RESOURCES = {"toy": ("hidden", "epochs"), "lora": ("rank",), "pairs": ("level",)}

#: The commands of this module (``report``, ``analyze``); ``ncnet.cli`` merges them into its
#: app.
commands = typer.Typer()


@commands.command(epilog=REPORT_EXAMPLES)
@guarded
def report(
    out: Path = typer.Argument(..., help="a directory written by `ncnet toy` or `ncnet lora`"),
) -> None:
    """Redraw figures and write report.md / report.html from a directory's store."""
    from ncnet.engine import sweep

    experiment, config, records, digest = sweep.load_latest(out)
    result = sweep.export(experiment, config, digest, records, Path(out))
    if not result.rows:
        raise UserError(f"{out} holds no finished results of its latest sweep yet")
    console.print(*(t.to_rich() for t in experiment.console_tables(result.summary)))
    written = experiment.write_report(Path(out), config, result)
    console.print(f"wrote {', '.join(str(Path(out) / w) for w in written)}")


@commands.command(epilog=ANALYZE_EXAMPLES)
@guarded
def analyze(
    out: Path = typer.Argument(..., help="a directory written by `ncnet toy`, `ncnet lora` or "
                               "`ncnet run` (gradient competition: with --trace-every K)"),
    n_boot: int = typer.Option(2000, help="bootstrap resamples for the CIs (toy)"),
    resource: str | None = typer.Option(
        None, help="the resource of 'S as a metric': hidden (toy default: the latest "
        "sweep's hidden sizes), epochs (toy: every stored sweep that differs from the latest "
        "only in epochs, at one hidden size), rank (LoRA)"),
    hidden: int | None = typer.Option(
        None, help="with --resource epochs: the hidden size (default: the latest sweep's "
        "only one)"),
) -> None:
    """S as a metric (any stored sweep) and, for a traced sweep, gradient competition.

    S as a metric: per level S, accuracy and S_product with CIs, their correlations and the
    paper's metric claims; writes metric_claims.csv, metric.json and metric.png into OUT.
    With --resource epochs only this section (a training-budget scan: one toy sweep per
    epochs value stored in OUT).
    Gradient competition against S and the gaps, for a toy sweep per hidden size n
    (capacity-scan.png, competition.json, competition.md), for LoRA per (rank, seed)
    (competition.json).
    """
    from ncnet.engine.sweep import load_all, load_latest
    from ncnet.studies.competition_report import (
        competition_console_table,
        write_competition_report,
    )

    if n_boot < 1:
        raise UserError(f"--n-boot {n_boot} is not allowed: use a whole number >= 1")
    if hidden is not None and hidden < 1:
        raise UserError(f"--hidden {hidden} is not allowed: use a hidden size >= 1")
    experiment, config, records, digest = load_latest(out)
    if experiment.name not in RESOURCES:
        raise UserError(f"{out} holds a {experiment.name} sweep; analyze reads "
                        f"{', '.join(RESOURCES)}")
    allowed = RESOURCES[experiment.name]
    resource = allowed[0] if resource is None else resource
    if resource not in allowed:
        raise UserError(f"--resource {resource} is not allowed for a {experiment.name} sweep: "
                        f"use {' or '.join(allowed)}")
    if hidden is not None and resource != "epochs":
        raise UserError("--hidden goes with --resource epochs only")
    from ncnet.experiments.toy.metric_cells import budget_cells
    from ncnet.studies.s_metric.section import metric_section

    cells = None
    if resource == "epochs":
        try:
            cells = budget_cells(load_all(out)[1], hidden)
        except ValueError as err:
            raise UserError(f"{out}: {err}") from None
    try:
        _, metric_tables, metric_files = metric_section(out, experiment, config, digest,
                                                        records, n_boot, cells)
    except ValueError as err:  # cells the claims cannot use (e.g. levels not on a log axis)
        raise UserError(f"{out}: {err}") from None
    console.print(*(t.to_rich() for t in metric_tables))
    console.print(f"wrote {', '.join(str(Path(out) / w) for w in metric_files)}")
    if resource == "epochs":
        return
    if experiment.name == "lora":
        _analyze_lora(out, records)
        return
    if experiment.name != "toy":  # gradient competition needs the toy's traced runs
        return
    if not any("competition_22" in r for r in records):
        again = f"{out.name}-traced" if out.name else "traced"
        rerun = traced_rerun(config, out.parent / again)
        err_console.print(f"no gradient-competition section: {out} holds no traced runs. "
                          f"Tracing changes no outcome but is part of a sweep's config, so "
                          f"trace into a new directory: `{rerun}`, then `ncnet analyze "
                          f"{out.parent / again}` (or use configs/capacity-scan.toml)",
                          highlight=False, soft_wrap=True, markup=False)
        return
    scan, corr, written = write_competition_report(out, records, n_boot)
    t = competition_console_table(scan, corr).to_rich()
    console.print(t)
    console.print(f"wrote {', '.join(str(Path(out) / w) for w in written)}")

def _analyze_lora(out: Path, records: list[dict[str, Any]]) -> None:
    """Competition of each traced LoRA pair model per (rank, seed), beside S and the gaps."""
    from ncnet.experiments.lora.summary import final_rows
    from ncnet.studies.competition import lora_competition
    from ncnet.studies.competition_report import lora_competition_table, write_lora_competition

    result = lora_competition(records, final_rows(records))
    if not result["groups"]:
        err_console.print(f"no gradient-competition section: {out} holds no complete (rank, "
                          "seed) traced with `ncnet lora --trace-every K`", markup=False,
                          highlight=False, soft_wrap=True)
        return
    t = lora_competition_table(result).to_rich()
    console.print(t)
    console.print("per-layer indices of each (2,2) model and pooled correlations: "
                  "competition.json")
    console.print(f"wrote {out / write_lora_competition(out, result)}")
