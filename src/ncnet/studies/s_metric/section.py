"""The "S as a metric" section of ``ncnet analyze``: the claims of
:mod:`ncnet.studies.s_metric.claims` on a stored sweep's cells, and the files
``metric_claims.csv``, ``metric.json`` and ``metric.png`` (no retraining: everything comes
from the store). The cells come from the experiment (its ``metric_cells(config, digest,
records)``: :mod:`ncnet.experiments.toy.metric_cells`, :mod:`ncnet.experiments.lora.metric_cells`)
or, for a training-budget scan, from the caller.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ncnet.report.format import interval, strict_json
from ncnet.report.table import Table
from ncnet.studies.s_metric import claims as mc

CSV_NAME = "metric_claims.csv"
JSON_NAME = "metric.json"
FIGURE_NAME = "metric.png"


def metric_section(out: Path, experiment: Any, config: Any, digest: str,
                   records: Sequence[dict[str, Any]], n_boot: int = 2000,
                   cells: tuple[mc.Cells, list[str]] | None = None
                   ) -> tuple[dict[str, Any], list[Table], list[str]]:
    """Compute the section for the sweep stored in ``out`` and write its files there.
    ``cells``: precomputed cells and notes (e.g.
    :func:`ncnet.experiments.toy.metric_cells.budget_cells`) instead of the latest sweep's.
    Returns the result (:func:`ncnet.studies.s_metric.claims.analyze`, with ``notes``), the
    console tables and the names of the files written."""
    from ncnet.studies.s_metric.figure import metric_figure

    cells, notes = cells if cells is not None else experiment.metric_cells(config, digest,
                                                                            records)
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
        metric_figure(result["levels"], {k: getattr(cells, k) for k in (
            "level", "S", "S_product", "acc", "learned")}, cells.resource, cells.log_axis,
            out / FIGURE_NAME)
        written.append(FIGURE_NAME)
    return result, tables(result), written


def tables(result: dict[str, Any]) -> list[Table]:
    """The console tables: per level, the correlations, the claims."""
    unit = result["unit"]
    per_level = Table(
        f"S as a metric: per level ({result['resource']}; 95% CIs over {unit}s)",
        ["level", f"{unit}s", "mean S", "Acc_comb_avg", "S_product"], [])
    for r in result["levels"]:
        if "S" not in r:
            per_level.rows.append([f"{r['level']:g}", f"0 (+{r['left_out']} left out)",
                                   "—", "—", "—"])
            continue
        left = f" (+{r['left_out']} left out)" if r["left_out"] else ""
        per_level.rows.append([f"{r['level']:g}", f"{r['units']}{left}",
                               f"{r['S']:.3f} {interval(r['S_ci'])}",
                               f"{r['acc']:.3f} {interval(r['acc_ci'])}",
                               f"{r['S_product']:.3f} {interval(r['S_product_ci'])}"])
    per_level.caption = "; ".join(result["left_out"] + result.get("notes", []))
    corr = Table("S as a metric: correlations with Acc_comb_avg (95% CIs)",
                 ["measure", "Spearman", "Pearson"], [])
    for measure, label in mc.MEASURES.items():
        cells = [c for c in result["correlations"] if c["measure"] == measure]
        by = {c["method"]: c for c in cells}
        corr.rows.append([label, *(
            "—" if by[m]["r"] != by[m]["r"] else f"{by[m]['r']:+.3f} {interval(by[m]['ci'])}"
            for m in ("spearman", "pearson"))])
    if result["correlations"]:
        corr.caption = result["correlations"][0]["scheme"]
    claims = Table("S as a metric: the paper's claims (metric_claims.csv)",
                   ["claim", "reading", "measured", "interval", "verdict"],
                   [[c.claim, c.reading, c.measured, c.interval, c.verdict]
                    for c in result["claims"]])
    claims.caption = (f"δ = {result['delta_s']:g} for 'about 2', δ_acc = "
                      f"{result['delta_acc']:g} for the accuracy plateau; {result['split']}")
    return [per_level, corr, claims]


def summary_numbers(result: dict[str, Any]) -> dict[str, Any]:
    """Verdicts by claim (for docs and tests)."""
    return {c.claim: c.verdict for c in result["claims"]}

