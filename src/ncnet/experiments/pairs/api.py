"""``run_pairs``: the pair design over your own function, from Python (a script or a notebook).

>>> import numpy as np
>>> def train_pair(task_a, task_b, level, seed):
...     rng = np.random.default_rng([seed, level, len(task_a), len(task_b)])
...     return {"A": rng.random(40) < 0.9, "B": rng.random(40) < 0.9, "item": np.arange(40)}
>>> import tempfile
>>> result = run_pairs(train_pair, tasks_a=["x", "xy"], tasks_b=["z", "zw"], levels=[2, 4],
...                    seeds=[0, 1], out=tempfile.mkdtemp(), report=False)
>>> list(result.summary), len(result.rows), result.verdicts[2]
([2, 4], 4, 'undecided (too few: 2 seeds, at least 3 needed)')
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ncnet.experiments.pairs.config import PairsConfig
from ncnet.experiments.pairs.experiment import PairsExperiment


@dataclass
class PairsResult:
    """What :func:`run_pairs` returns: ``rows`` (results.csv as a data frame), ``summary``
    and ``verdicts`` (on mean S > 2) keyed by each level as you gave it, the output
    directory and the files written there."""

    rows: Any
    summary: dict[Any, dict[str, Any]]
    verdicts: dict[Any, str]
    out: Path
    files: list[str]


def run_pairs(train_pair: Callable[..., Any] | str, *, tasks_a: Sequence[str],
              tasks_b: Sequence[str], levels: Sequence[int | float], out: str | Path,
              seeds: Sequence[int] = (0,), train_joint: str | None = None,
              version: str = "", report: bool = True,
              progress: Any = None, executor: Any = None) -> PairsResult:
    """Train and score one pair model per setting pair, level and seed with ``train_pair``
    (a function, or ``"module:function"``), store them in ``out`` (a rerun trains only what
    is missing) and summarize S per level (``train_joint``: ``"module:function"`` of the
    joint control, see :class:`ncnet.experiments.pairs.config.PairsConfig`); with ``report``,
    write ``report.md`` /
    ``report.html`` and the figure. The same rows as ``ncnet run`` on a ``[pairs]`` table.

    ``progress``: an :class:`ncnet.engine.seam.Progress` (default: silent); ``executor``:
    one of :mod:`ncnet.engine.executors` (default inline: a function defined in a notebook or
    a script's ``__main__`` cannot be sent to worker processes; pass ``"module:function"``
    for a pool or Ray).
    """
    import pandas as pd

    from ncnet.engine import sweep

    spec = train_pair if isinstance(train_pair, str) else (
        f"{train_pair.__module__}:{train_pair.__qualname__}")
    config = PairsConfig(train=spec if ":" in spec and "<" not in spec else "user:train_pair",
                         tasks_a=list(tasks_a), tasks_b=list(tasks_b), levels=list(levels),
                         seeds=list(seeds), version=version, train_joint=train_joint)
    experiment = PairsExperiment(None if isinstance(train_pair, str) else train_pair)
    result = sweep.run(experiment, config, out, executor, progress)
    files = ["results.csv", "results.parquet", "summary.json", "results.sqlite"]
    if report and result.rows:
        files += experiment.write_report(result.out, config, result)
    summary = {e["level"]: e for e in result.summary.values()}
    return PairsResult(rows=pd.DataFrame(result.rows), summary=summary,
                       verdicts={k: e["verdict_mean_S_above_2"] for k, e in summary.items()},
                       out=result.out, files=files)
