"""The toy's cells for 'S as a metric' (:mod:`ncnet.studies.s_metric`): one cell per (hidden
size n, run), where a hidden size at which some head's mean accuracy is not shown above chance
(:func:`ncnet.experiments.toy.summary.hidden_size_gate`) is left out.

Toy training budget (``ncnet analyze DIR --resource epochs``): the toy sweeps stored in DIR
that differ from the latest one only in ``epochs``, at one hidden size; one cell per
(epochs, run), gated per epochs level. Run r's initial weights depend on (seed, n, r, i, j)
only and training has no schedule, so run r at E epochs is run r at E' < E trained on: units
are paired across levels, as LoRA's seeds are.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ncnet.studies.s_metric import claims as mc


def _gated_toy_rows(level: float, hidden: int, records: Sequence[dict[str, Any]]
                    ) -> tuple[list[dict[str, Any]], list[str]]:
    """Cell rows of one toy level (one per run of ``records``, all at hidden size
    ``hidden``) and the gate's sentences; every row is marked unlearned if one is given."""
    from ncnet.experiments.toy.summary import hidden_size_gate

    failed = hidden_size_gate(hidden, records)["did_not_learn"]
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
