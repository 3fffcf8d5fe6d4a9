"""LoRA's cells for 'S as a metric' (:mod:`ncnet.studies.s_metric`): one cell per (rank, seed)
at the last epoch; a (rank, seed) where a task did not learn
(:func:`ncnet.experiments.lora.summary.rank_seed_gate`) is left out, and so is rank 0 (heads
only), which has no place on the log2-rank axis. A LoRA config has one training-set size, so
within one store the resource is the rank.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ncnet.studies.s_metric import claims as mc


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
