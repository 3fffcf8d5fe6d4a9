"""The learnability gate: a head whose accuracy is not shown above chance did not learn its
task, and no conclusion about S is drawn from the models it belongs to.

Chance for a task is ``max(0.5, majority-class rate of its test labels)``: a head that always
answers the majority class reaches that rate without learning anything, and one below 0.5
(anti-correlated or stuck) has not learned either. A head *learned* when the 95% interval of
its accuracy lies strictly above chance:

- over test items (the LoRA heads, one trained model): the exact Clopper–Pearson interval of
  ``correct`` of ``n`` items (:func:`item_gate`);
- over runs (the toy, many trained models per hidden size): the Student-t interval of the mean
  accuracy over the runs; where it cannot be formed or has zero width (one run, or every run
  at the same accuracy) the exact interval over the pooled items of all runs takes its place,
  so a point never decides (:func:`run_gate`).

See docs/learnability.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ncnet.stats.runs import fraction_ci, t_interval

LEVEL = 0.95
"""Confidence level of every gate interval."""

NO_LEARNING = 0.5
"""Accuracy of a head that answers at random on a balanced task: chance is never below it."""


def chance_level(label_counts: Sequence[int] | None) -> float:
    """``max(0.5, majority-class rate)`` of a test set given as counts per class; 0.5 when
    the counts are unknown (``None`` or empty).

    >>> chance_level([70, 30]), chance_level([150, 150]), chance_level(None)
    (0.7, 0.5, 0.5)
    """
    counts = [int(c) for c in label_counts or ()]
    if not counts or sum(counts) <= 0:
        return NO_LEARNING
    return max(NO_LEARNING, max(counts) / sum(counts))


def item_gate(correct: int, n: int, chance: float, level: float = LEVEL) -> dict[str, Any]:
    """Gate of one head over its ``n`` test items, ``correct`` of them right: accuracy, exact
    (Clopper–Pearson) ``ci``, ``chance`` and ``learned`` (``ci`` lies strictly above chance).

    >>> g = item_gate(210, 300, 0.7)
    >>> g["accuracy"], g["learned"]
    (0.7, False)
    """
    lo, hi = fraction_ci(correct, n, level)
    return {"accuracy": correct / n, "correct": int(correct), "n": int(n), "ci": [lo, hi],
            "chance": float(chance), "learned": bool(lo > chance),
            "method": f"Clopper-Pearson over {n} test items"}


def run_gate(accuracies: Sequence[float], items: int, chance: float = NO_LEARNING,
             level: float = LEVEL) -> dict[str, Any]:
    """Gate of one head over runs: ``accuracies`` (one per run, each over ``items`` inputs).
    ``ci``: Student t of the mean over runs, clipped to [0, 1]; with one run or zero spread,
    the exact interval of the pooled ``runs * items`` answers instead. ``learned``: ``ci``
    lies strictly above ``chance``; ``at_chance``: runs whose accuracy is at or below chance.

    >>> run_gate([0.5, 0.5, 0.5], 16)["learned"], run_gate([1.0, 1.0], 16)["learned"]
    (False, True)
    """
    acc = np.asarray(accuracies, dtype=np.float64).ravel()
    if acc.size == 0:
        raise ValueError("run_gate needs at least one run")
    ci = t_interval(acc, level)
    if ci is not None and ci[1] > ci[0]:
        interval = [max(0.0, ci[0]), min(1.0, ci[1])]
        method = f"Student t over {acc.size} runs"
    else:
        correct = int(round(float(acc.sum()) * items))
        interval = list(fraction_ci(correct, acc.size * items, level))
        method = (f"Clopper-Pearson over the {acc.size * items} pooled answers of "
                  f"{acc.size} run{'s' if acc.size > 1 else ''} (no spread over runs)")
    return {"accuracy": float(acc.mean()), "ci": interval, "chance": float(chance),
            "learned": bool(interval[0] > chance), "runs": int(acc.size),
            "at_chance": int((acc <= chance).sum()), "method": method}


def did_not_learn(task: str, where: str, failures: Sequence[tuple[str, Mapping[str, Any]]]
                  ) -> str:
    """One sentence for a task that did not learn at ``where`` (e.g. ``r = 1, seed 1``) in
    the models ``failures`` names (model label, gate), e.g. ``negation did not learn at r = 1,
    seed 1: accuracy 0.51 [0.44, 0.58] in pair (2, 1); chance 0.50``."""
    what = "mean accuracy" if "runs" in failures[0][1] else "accuracy"
    parts = [f"{g['accuracy']:.2f} [{g['ci'][0]:.2f}, {g['ci'][1]:.2f}] in {model}"
             for model, g in failures]
    return (f"{task} did not learn at {where}: {what} {', '.join(parts)}; "
            f"chance {failures[0][1]['chance']:.2f}")


def unlearned(entry: Mapping[str, Any]) -> str | None:
    """Why the claims of one summary entry (a toy hidden size) are undecided, in short
    (``α2 (X1 xor X2) did not learn at n = 2``), from its ``learnability`` block (its
    ``did_not_learn_tasks`` and ``at``); None when every gated head learned or the entry has
    no gate."""
    block = entry.get("learnability") or {}
    tasks = block.get("did_not_learn_tasks") or []
    return f"{', '.join(tasks)} did not learn at {block['at']}" if tasks else None
