"""The "S as a metric" section of ``ncnet analyze``: the cells of a stored toy or LoRA sweep,
the claims of :mod:`ncnet.metric_claims` on them, and the files ``metric_claims.csv``,
``metric.json`` and ``metric.png`` (no retraining: everything comes from the store).

Toy: one cell per (hidden size n, run); a hidden size where some head's mean accuracy is not
shown above chance (:func:`ncnet.experiments.toy.learnability_gate`) is left out. LoRA: one
cell per (rank, seed) at the last epoch; a (rank, seed) where a task did not learn
(:func:`ncnet.experiments.lora_summary.learnability_gate`) is left out; rank 0 (heads only)
has no place on the log2-rank axis and is left out too. A LoRA config has one training-set
size, so within one store the resource is the rank.

Toy training budget (``ncnet analyze DIR --resource epochs``): the toy sweeps stored in DIR
that differ from the latest one only in ``epochs``, at one hidden size; one cell per
(epochs, run), gated per epochs level. Run r's initial weights depend on (seed, n, r, i, j)
only and training has no schedule, so run r at E epochs is run r at E' < E trained on: units
are paired across levels, as LoRA's seeds are.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ncnet import metric_claims as mc
from ncnet.experiments.base import TableData

CSV_NAME = "metric_claims.csv"
JSON_NAME = "metric.json"
FIGURE_NAME = "metric.png"


def _gated_toy_rows(level: float, hidden: int, records: Sequence[dict[str, Any]]
                    ) -> tuple[list[dict[str, Any]], list[str]]:
    """Cell rows of one toy level (one per run of ``records``, all at hidden size
    ``hidden``) and the gate's sentences; every row is marked unlearned if one is given."""
    from ncnet.experiments.toy import learnability_gate

    failed = learnability_gate(hidden, records)["did_not_learn"]
    return [{"level": level, "unit": r["run"], "S": r["S"], "S_product": r["S_product"],
             "acc": mc.comb_avg_accuracy(r), "learned": not failed} for r in records], failed


def toy_cells(records: Sequence[dict[str, Any]]) -> mc.Cells:
    """Cells of a toy sweep: (hidden size, run), gated per hidden size."""
    rows, gated = [], []
    for n in sorted({r["hidden"] for r in records}):
        level_rows, failed = _gated_toy_rows(n, n, [r for r in records if r["hidden"] == n])
        rows += level_rows
        gated += failed
    return mc.make_cells("hidden size n", "n", "run", False, False, rows, gated)


#: Fields a budget scan's sweeps may differ in besides ``epochs`` (what a record holds, not
#: its outcomes).
BUDGET_FREE_FIELDS = ("epochs", "record_every", "trace_every")


def budget_cells(sweeps: Sequence[tuple[Any, Sequence[dict[str, Any]], str]],
                 hidden: int | None = None) -> tuple[mc.Cells, list[str]]:
    """Cells of a toy training-budget scan from ``sweeps`` ((config, records, hash), oldest
    first, the latest last): level = epochs (log2 axis), unit = run, paired; and notes (the
    sweeps left out because they differ in more than the epochs). ``hidden``: the hidden size
    (default: the latest sweep's, if it has exactly one). ValueError (one line) if the
    hidden size is not given where it must be or is in no sweep."""
    latest = sweeps[-1][0]

    def rest(config: Any) -> dict[str, Any]:
        return {k: v for k, v in config.identity().items() if k not in BUDGET_FREE_FIELDS}

    want = rest(latest)
    if hidden is None:
        if len(latest.hidden) != 1:
            raise ValueError(f"the latest sweep has hidden sizes {latest.hidden}: pick one "
                             "with --hidden")
        hidden = latest.hidden[0]
    notes, by_epochs = [], {}
    for config, records, digest in sweeps:
        have = rest(config)
        differs = sorted(k for k in set(have) | set(want) if have.get(k) != want.get(k))
        if differs:
            notes.append(f"sweep {digest} (epochs {config.epochs}) differs in "
                         f"{', '.join(differs)}: left out")
            continue
        # Two sweeps at one budget differ only in what a record holds (record_every,
        # trace_every), not in its outcomes: a run stored by both is taken once.
        for r in records:
            if r["hidden"] == hidden:
                by_epochs.setdefault(config.epochs, {})[r["run"]] = r
    if not by_epochs:
        raise ValueError(f"no stored sweep like the latest one has hidden size {hidden}")
    rows, gated = [], []
    for epochs in sorted(by_epochs):
        level_rows, failed = _gated_toy_rows(
            epochs, hidden, [by_epochs[epochs][run] for run in sorted(by_epochs[epochs])])
        rows += level_rows
        gated += [f"at {epochs} epochs: {text}" for text in failed]
    notes.insert(0, f"hidden size n = {hidden}; {len(by_epochs)} training budgets from "
                    f"{len(sweeps)} stored sweeps")
    return mc.make_cells("training epochs", "epochs", "run", True, True, rows, gated), notes


def lora_cells(experiment: Any, config: Any, digest: str,
               records: Sequence[dict[str, Any]]) -> tuple[mc.Cells, list[str]]:
    """Cells of a LoRA sweep: (rank, seed) at the last epoch, gated per cell; and notes
    (rank 0 left out)."""
    outputs = experiment.summarize(config, digest, list(records))
    gate = outputs.doc.get("learnability") or {}
    notes = []
    if any(r["rank"] == 0 for r in outputs.rows):
        notes.append("rank 0 (heads only) has no place on the log2-rank axis: left out")
    rows = [{"level": r["rank"], "unit": r["seed"], "S": r["S"], "S_product": r["S_product"],
             "acc": mc.comb_avg_accuracy(r), "learned": r.get("tasks_learned", True)}
            for r in outputs.rows if r["rank"] > 0]
    gated = [f["text"] for f in gate.get("did_not_learn", []) if f["rank"] > 0]
    return mc.make_cells("LoRA rank r", "r", "seed", True, True, rows, gated), notes


def metric_section(out: Path, experiment: Any, config: Any, digest: str,
                   records: Sequence[dict[str, Any]], n_boot: int = 2000,
                   cells: tuple[mc.Cells, list[str]] | None = None
                   ) -> tuple[dict[str, Any], list[TableData], list[str]]:
    """Compute the section for the sweep stored in ``out`` and write its files there.
    ``cells``: precomputed cells and notes (e.g. :func:`budget_cells`) instead of the
    latest sweep's. Returns the result (:func:`ncnet.metric_claims.analyze`, with
    ``notes``), the console tables and the names of the files written."""
    from ncnet import plots
    from ncnet.store import strict_json

    if cells is not None:
        cells, notes = cells
    elif experiment.name == "lora":
        cells, notes = lora_cells(experiment, config, digest, records)
    else:
        cells, notes = toy_cells(records), []
    result = mc.analyze(cells, n_boot=n_boot)
    result["notes"] = notes
    rows = [c.csv_row() for c in result["claims"]]
    import pandas as pd

    pd.DataFrame(rows, columns=["claim", "reading", "measured", "interval", "verdict"]).to_csv(
        out / CSV_NAME, index=False)
    doc = {**result, "claims": [asdict(c) for c in result["claims"]]}
    (out / JSON_NAME).write_text(json.dumps(strict_json(doc), indent=2) + "\n")
    written = [CSV_NAME, JSON_NAME]
    if any("S" in r for r in result["levels"]):
        plots.metric_figure(result["levels"], {k: getattr(cells, k) for k in (
            "level", "S", "S_product", "acc", "learned")}, cells.resource, cells.log_axis,
            out / FIGURE_NAME)
        written.append(FIGURE_NAME)
    return result, tables(result), written


def _ci(ci: Sequence[float] | None, digits: int = 3) -> str:
    return "—" if ci is None else f"[{ci[0]:.{digits}f}, {ci[1]:.{digits}f}]"


def tables(result: dict[str, Any]) -> list[TableData]:
    """The console tables: per level, the correlations, the claims."""
    unit = result["unit"]
    per_level = TableData(
        f"S as a metric: per level ({result['resource']}; 95% CIs over {unit}s)",
        ["level", f"{unit}s", "mean S", "Acc_comb_avg", "S_product"], [])
    for r in result["levels"]:
        if "S" not in r:
            per_level.rows.append([f"{r['level']:g}", f"0 (+{r['left_out']} left out)",
                                   "—", "—", "—"])
            continue
        left = f" (+{r['left_out']} left out)" if r["left_out"] else ""
        per_level.rows.append([f"{r['level']:g}", f"{r['units']}{left}",
                               f"{r['S']:.3f} {_ci(r['S_ci'])}",
                               f"{r['acc']:.3f} {_ci(r['acc_ci'])}",
                               f"{r['S_product']:.3f} {_ci(r['S_product_ci'])}"])
    per_level.caption = "; ".join(result["left_out"] + result.get("notes", []))
    corr = TableData("S as a metric: correlations with Acc_comb_avg (95% CIs)",
                     ["measure", "Spearman", "Pearson"], [])
    for measure, label in mc.MEASURES.items():
        cells = [c for c in result["correlations"] if c["measure"] == measure]
        by = {c["method"]: c for c in cells}
        corr.rows.append([label, *(
            "—" if by[m]["r"] != by[m]["r"] else f"{by[m]['r']:+.3f} {_ci(by[m]['ci'])}"
            for m in ("spearman", "pearson"))])
    if result["correlations"]:
        corr.caption = result["correlations"][0]["scheme"]
    claims = TableData("S as a metric: the paper's claims (metric_claims.csv)",
                       ["claim", "reading", "measured", "interval", "verdict"],
                       [[c.claim, c.reading, c.measured, c.interval, c.verdict]
                        for c in result["claims"]])
    claims.caption = (f"δ = {result['delta_s']:g} for 'about 2', δ_acc = "
                      f"{result['delta_acc']:g} for the accuracy plateau; {result['split']}")
    return [per_level, corr, claims]


def summary_numbers(result: dict[str, Any]) -> dict[str, Any]:
    """Verdicts by claim (for docs and tests)."""
    return {c.claim: c.verdict for c in result["claims"]}

