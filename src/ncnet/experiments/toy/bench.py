"""``ncnet bench toy``: the batched NCnet trainer against the naive loop, the m-task toy against
the CHSH toy, and the split of a whole ``ncnet toy`` run, measured in one process.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import torch

from ncnet import chsh
from ncnet.experiments.toy.config import JOINT_EXPERIMENT, ToyConfig
from ncnet.experiments.toy.experiment import ToyExperiment, model_seed, planned_runs
from ncnet.models.ncnet_trainer import init_params, to_module, train_batched
from ncnet.report.table import Table
from ncnet.tasks.bits import PAPER_TASKS, encode_inputs, pair_targets


def naive_loop(
    theta0: torch.Tensor, hidden: list[int], x: np.ndarray, targets: np.ndarray, epochs: int,
    lr: float,
) -> list[torch.Tensor]:
    """What a user would write: per model an ``nn.Sequential`` in float32, ``nn.BCEWithLogitsLoss``
    and ``torch.optim.Adam`` with its defaults, one Python loop over models and epochs.
    Returns each model's final logits (16, 2)."""
    xt = torch.as_tensor(x, dtype=torch.float32)
    outputs = []
    for m, h in enumerate(hidden):
        net = to_module(theta0[m], h, max(hidden), targets.shape[-1]).float()
        opt = torch.optim.Adam(net.parameters(), lr=lr)
        loss_fn = torch.nn.BCEWithLogitsLoss()
        y = torch.as_tensor(targets[m], dtype=torch.float32)
        for _ in range(epochs):
            opt.zero_grad()
            loss_fn(net(xt), y).backward()
            opt.step()
        outputs.append(net(xt).detach())
    return outputs


def bench_toy(config: ToyConfig, naive_models: int = 3, trace_every: int = 0) -> dict[str, Any]:
    """Seconds for the whole sweep batched, and for ``naive_models`` models trained one by one
    (:func:`naive_loop`), scaled to the sweep's model count. The batched trainer runs as
    ``ncnet toy`` runs it (float64, denormals flushed); the naive loop as a user's script would
    (float32, torch's default denormal handling). ``trace_every`` > 0 also times the batched
    sweep with the gradient trace on (``traced_seconds``, ``trace_ratio`` to untraced)."""
    torch.set_num_threads(config.threads)
    runs = planned_runs(config)
    codes = list(chsh.PAIRS)
    hidden = [h for h, _ in runs for _ in codes]
    seeds = [model_seed(config.seed, h, r, i, j) for h, r in runs for i, j in codes]
    targets = np.stack([pair_targets(i, j) for _ in runs for i, j in codes]).astype(np.float64)
    x = encode_inputs(config.encoding)
    theta0 = init_params(hidden, 2, seeds, config.init)
    settings = config.settings()

    torch.set_flush_denormal(True)
    start = time.perf_counter()
    train_batched(theta0, max(hidden), x, targets, settings)
    batched = time.perf_counter() - start
    traced = None
    if trace_every:
        start = time.perf_counter()
        train_batched(theta0, max(hidden), x, targets, settings, trace_every=trace_every)
        traced = time.perf_counter() - start
    torch.set_flush_denormal(False)

    k = min(naive_models, len(hidden))
    picks = np.linspace(0, len(hidden) - 1, k).round().astype(int)  # spread over hidden sizes
    start = time.perf_counter()
    naive_loop(theta0[picks], [hidden[p] for p in picks], x, targets[picks], config.epochs,
               config.lr)
    naive = time.perf_counter() - start
    naive_sweep = naive / k * len(hidden)
    return {
        "models": len(hidden),
        "batched_seconds": batched,
        "naive_models": int(k),
        "naive_seconds": naive,
        "naive_sweep_seconds": naive_sweep,
        "speedup": naive_sweep / batched,
        "trace_every": trace_every,
        "traced_seconds": traced,
        "trace_ratio": traced / batched if traced is not None else None,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "dtype": "float64",
    }


#: The m-task design that :func:`bench_mtask` times against the paper's: three tasks a side.
MTASK_TASKS = ("bit1", "bit2", "xor")


def toy_training_seconds(config: ToyConfig) -> dict[str, Any]:
    """Train every unit of ``config``'s sweep as ``ncnet toy`` does (:class:`ToyExperiment`:
    pair models and, with ``joint``, the joint control, in batches of ``runs_per_batch``),
    storing nothing. Returns ``seconds`` (wall), ``cpu_seconds`` (this process), ``models``
    trained in all, ``pairs_per_run`` (m_A x m_B pair models) and ``joint``."""
    experiment = ToyExperiment()
    units = experiment.units(config, {})
    pairs = len(config.tasks_a) * len(config.tasks_b)
    models = sum(len(u.keys) * (1 if u.store == JOINT_EXPERIMENT else pairs) for u in units)
    wall, cpu = time.perf_counter(), time.process_time()
    for unit in units:
        experiment.train(config, unit)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    torch.set_flush_denormal(False)
    return {"tasks_a": list(config.tasks_a), "tasks_b": list(config.tasks_b),
            "seconds": wall, "cpu_seconds": cpu, "models": models,
            "pairs_per_run": pairs, "joint": config.joint}


def cost_ratios(base: dict[str, Any], other: dict[str, Any]) -> dict[str, float]:
    """``other``'s cost against ``base``'s (two :func:`toy_training_seconds` results): the
    ratio of wall seconds, of CPU seconds and of models trained."""
    return {"time_ratio": other["seconds"] / base["seconds"],
            "cpu_ratio": other["cpu_seconds"] / base["cpu_seconds"],
            "model_ratio": other["models"] / base["models"]}


def bench_mtask(config: ToyConfig, tasks: tuple[str, ...] = MTASK_TASKS) -> dict[str, Any]:
    """The toy sweep of ``config``'s hidden sizes, runs and epochs, joint control on, in the
    paper's CHSH design (``chsh``: 4 + 1 models a run) and then with ``tasks`` on both sides
    (``mtask``: 9 + 1 for three tasks), one after the other in this process, and their
    :func:`cost_ratios`."""
    values = {**config.model_dump(), "joint": True, "expression": ["chsh"]}
    base = toy_training_seconds(ToyConfig.model_validate(
        {**values, "tasks_a": list(PAPER_TASKS), "tasks_b": list(PAPER_TASKS)}))
    other = toy_training_seconds(ToyConfig.model_validate(
        {**values, "tasks_a": list(tasks), "tasks_b": list(tasks)}))
    return {"chsh": base, "mtask": other, **cost_ratios(base, other)}


def mtask_table(r: dict[str, Any], epochs: int) -> Table:
    """The rows of :func:`bench_mtask`'s result ``r``: the CHSH design (the baseline, 1x) and
    the m-task design, with models per run, models trained, seconds and the time ratio."""
    table = Table(f"m-task toy against the CHSH toy, {epochs} epochs, joint control on",
                  ["design", "models per run", "models", "seconds", "time ratio"], [])
    for key, ratio in (("chsh", "1x"), ("mtask", f"{r['time_ratio']:.2f}x")):
        d = r[key]
        name = ",".join(d["tasks_a"]) + " x " + ",".join(d["tasks_b"])
        per_run = f"{d['pairs_per_run']} + 1" if d["joint"] else str(d["pairs_per_run"])
        table.rows.append([name, per_run, str(d["models"]),
                           f"{d['seconds']:.2f}", ratio])
    table.caption = (f"{r['model_ratio']:.2f}x the models for {r['time_ratio']:.2f}x the time "
                     f"(CPU seconds: {r['cpu_ratio']:.2f}x); training only, as `ncnet toy` "
                     "batches it, nothing stored")
    return table


WHOLE_RUN_MODULES = ("ncnet.engine.sweep", "ncnet.experiments.toy.report", "scipy.stats", "pandas",
                     "matplotlib.pyplot")


def whole_run(config: ToyConfig, started: float = 0.0) -> dict[str, float]:
    """Seconds of each phase of ``ncnet toy`` with ``config`` into a fresh directory, in this
    process: start-up and imports (``started``: seconds the process ran before, plus importing
    what a whole run imports; so call this first), training, storing, summary (with its
    bootstraps) and export, figures and report."""
    import importlib
    import tempfile
    from pathlib import Path

    start = time.perf_counter()
    for name in WHOLE_RUN_MODULES:
        importlib.import_module(name)
    from ncnet.engine import sweep
    from ncnet.experiments.toy.experiment import ToyExperiment

    phases = {"start-up and imports": started + time.perf_counter() - start}
    experiment = ToyExperiment()
    with tempfile.TemporaryDirectory() as out:
        result = sweep.run(experiment, config, out)
        begin = time.perf_counter()
        experiment.write_report(Path(out), config, result)
        report = time.perf_counter() - begin
    phases.update({
        "training": result.timings["training"],
        "store and export": result.timings["store"] + result.timings["export"],
        "summary and bootstraps": result.timings["summary"],
        "figures and report": report,
    })
    return phases


def cli_run_seconds(config: ToyConfig) -> float:
    """Wall seconds of ``python -m ncnet toy`` with ``config``'s sizes into a fresh directory,
    in a fresh process: the run as a user starts it (on the CPU, training in a worker process
    while the report's modules load)."""
    import subprocess
    import sys
    import tempfile

    with tempfile.TemporaryDirectory() as out:
        args = [sys.executable, "-m", "ncnet", "toy", "--hidden",
                ",".join(map(str, config.hidden)), "--runs", str(config.runs), "--epochs",
                str(config.epochs), "--threads", str(config.threads), "--out", out]
        start = time.perf_counter()
        subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        return time.perf_counter() - start
