"""Section 4 of the paper: NCnet runs for several hidden sizes -> CHSH rows.

A *run* is one (hidden size n, run index r): four separately trained pair models
(i, j) in {1, 2}^2 and, with ``joint`` on, one four-head control model. Every model's
initial weights come from its own seed, derived from (config seed, n, r, i, j), so a run's
result does not depend on which other runs share its batch, and adding runs or hidden sizes
later leaves the earlier ones unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from ncnet import chsh
from ncnet.experiments.toy.config import EXPERIMENT, JOINT_CODE, JOINT_EXPERIMENT, ToyConfig
from ncnet.experiments.toy.summary import summarize_hidden_sizes
from ncnet.experiments.toy.tables import console_tables
from ncnet.stats.outcomes import pm_strings
from ncnet.tasks.bits import (
    encode_inputs,
    side_targets,
)


def run_key(hidden: int, run: int) -> str:
    """Store key of one run."""
    return f"n{hidden}-r{run}"


def model_seed(seed: int, hidden: int, run: int, i: int, j: int) -> int:
    """Seed of one model: a function of (config seed, n, r, i, j) only; (0, 0) is the joint."""
    return int(np.random.SeedSequence([seed, hidden, run, i, j]).generate_state(1)[0])


def _signed(correct: np.ndarray) -> np.ndarray:
    return np.where(correct, 1, -1).astype(np.int8)


def pair_outcomes(correct: np.ndarray, m_a: int = 2, m_b: int = 2
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Pair-model correctness (R, m_A m_B, N, 2) in row-major pair order ((1,1),(1,2),(2,1),
    (2,2) for the paper) -> (A, B), each ±1 of shape (R, m_A, m_B, N) indexed [run, x, y,
    item]."""
    r, _, n, _ = correct.shape
    signed = _signed(correct).reshape(r, m_a, m_b, n, 2)
    return signed[..., 0], signed[..., 1]


def joint_outcomes(correct: np.ndarray, m_a: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Joint-model correctness (R, N, m_A + m_B) with heads (α1 .. α_mA, β1 .. β_mB) -> (A, B)
    as in :func:`pair_outcomes`, each setting pair read off the same model and inputs."""
    signed = _signed(correct)
    a = signed[:, :, :m_a].transpose(0, 2, 1)  # (R, m_A, N)
    b = signed[:, :, m_a:].transpose(0, 2, 1)  # (R, m_B, N)
    r, n, m_b = signed.shape[0], signed.shape[1], b.shape[1]
    return (
        np.broadcast_to(a[:, :, None, :], (r, m_a, m_b, n)),
        np.broadcast_to(b[:, None, :, :], (r, m_a, m_b, n)),
    )


def pair_rows(a: np.ndarray, b: np.ndarray) -> list[dict[str, Any]]:
    """CHSH columns of each run from outcomes (R, m_A, m_B, N): C's, S, head accuracies,
    signalling gaps and the product-of-marginals prediction (:func:`ncnet.chsh.chsh_rows`) of
    settings 1 and 2; with more tasks then every other pair's ``C{x}{y}`` and accuracies."""
    rows = chsh.chsh_rows(a[:, :2, :2], b[:, :2, :2])
    m_a, m_b = a.shape[1], a.shape[2]
    if (m_a, m_b) == (2, 2):
        return rows
    c = np.mean(a * b, axis=-1)
    acc_a, acc_b = np.mean(a > 0, axis=-1), np.mean(b > 0, axis=-1)
    for r, row in enumerate(rows):
        for x in range(1, m_a + 1):
            for y in range(1, m_b + 1):
                if x > 2 or y > 2:
                    row[chsh.c_column(x, y)] = float(c[r, x - 1, y - 1])
                    name_a, name_b = chsh.acc_columns(x, y)
                    row[name_a] = float(acc_a[r, x - 1, y - 1])
                    row[name_b] = float(acc_b[r, x - 1, y - 1])
    return rows


def joint_rows(a: np.ndarray, b: np.ndarray) -> list[dict[str, Any]]:
    """Control columns of each run: ``C11_joint`` .. ``C22_joint``, ``S_joint`` (settings 1
    and 2) and every head's accuracy ``acc_joint_A1`` .. ``acc_joint_B{m_B}``."""
    rows = chsh.chsh_rows(a[:, :2, :2], b[:, :2, :2], suffix="_joint", accuracies=False)
    m_a, m_b = a.shape[1], a.shape[2]
    for r, row in enumerate(rows):
        for t in range(1, max(m_a, m_b) + 1):
            if t <= m_a:
                row[f"acc_joint_A{t}"] = float((a[r, t - 1, 0] > 0).mean())
            if t <= m_b:
                row[f"acc_joint_B{t}"] = float((b[r, 0, t - 1] > 0).mean())
    return rows


def _train(
    config: ToyConfig,
    runs: Sequence[tuple[int, int]],
    codes: Sequence[tuple[int, int]],
    targets: np.ndarray,
    progress: Callable[[int], None] | None,
    trace_every: int = 0,
):
    """Train ``len(runs) * len(codes)`` models; ``targets`` (len(codes), N, K) per code."""
    import torch

    from ncnet.models.ncnet_trainer import init_params, train_batched

    hidden = [h for h, _ in runs for _ in codes]
    seeds = [model_seed(config.seed, h, r, i, j) for h, r in runs for i, j in codes]
    theta0 = init_params(hidden, targets.shape[-1], seeds, config.init)
    y = np.tile(targets, (len(runs), 1, 1))
    return train_batched(
        theta0,
        max(hidden),
        encode_inputs(config.encoding),
        y,
        config.settings(),
        dtype=getattr(torch, config.dtype),
        device=config.resolved_device(),
        record_every=config.record_every,
        progress=progress,
        trace_every=trace_every,
    )


def _curves(result, n_runs: int, n_models: int) -> list[dict[str, Any] | None]:
    if result.loss_curves is None:
        return [None] * n_runs
    curves = result.loss_curves.reshape(len(result.curve_epochs), n_runs, n_models, -1)
    epochs = result.curve_epochs.tolist()
    return [
        {"epochs": epochs, "loss": np.round(curves[:, r], 6).transpose(1, 2, 0).tolist()}
        for r in range(n_runs)
    ]


def _traces(result, runs: Sequence[tuple[int, int]]) -> list[dict[str, Any] | None]:
    """Per run: ``gradient_trace`` (epochs; per pair model in pair order the overall cosine,
    the per-unit cosines of its n units and both gradient norms, at each traced epoch; None
    for NaN), and each pair model's competition index ``competition_ij`` and
    gradient-weighted index ``competition_w_ij`` (:mod:`ncnet.studies.competition`)."""
    tr = result.trace
    if tr is None:
        return [None] * len(runs)
    from ncnet.studies.competition import competition_index, weighted_competition_index

    t = len(tr.epochs)

    def clean(x: np.ndarray) -> list:
        return np.where(np.isnan(x), None, np.round(x, 5)).tolist()

    cos = tr.cos.reshape(t, len(runs), 4).transpose(1, 2, 0)  # (R, 4, T)
    units = tr.cos_units.reshape(t, len(runs), 4, -1).transpose(1, 2, 0, 3)  # (R, 4, T, H)
    norms = tr.norms.reshape(t, len(runs), 4, 2).transpose(1, 2, 0, 3)  # (R, 4, T, 2)
    index = competition_index(cos)  # (R, 4)
    weighted = weighted_competition_index(cos, norms[..., 0], norms[..., 1])
    out = []
    for r, (hidden, _) in enumerate(runs):
        rec: dict[str, Any] = {
            "gradient_trace": {
                "epochs": tr.epochs.tolist(), "cos": clean(cos[r]),
                "cos_units": clean(units[r, :, :, :hidden]),
                "norm_A": clean(norms[r, :, :, 0]), "norm_B": clean(norms[r, :, :, 1]),
            },
        }
        for p, (i, j) in enumerate(chsh.PAIRS):
            rec[f"competition_{i}{j}"] = float(index[r, p])
        for p, (i, j) in enumerate(chsh.PAIRS):
            rec[f"competition_w_{i}{j}"] = float(weighted[r, p])
        out.append(rec)
    return out


def _prepare_torch(config: ToyConfig) -> None:
    import torch

    if config.threads:
        torch.set_num_threads(config.threads)
    torch.set_flush_denormal(True)


def train_pair_runs(
    config: ToyConfig,
    runs: Sequence[tuple[int, int]],
    progress: Callable[[int], None] | None = None,
) -> list[dict[str, Any]]:
    """Train the pair models of each (hidden, run) as one batch (four for the paper's tasks,
    m_A x m_B in general); one record per run.

    A record holds ``key``, ``hidden``, ``run``, the columns of :func:`pair_rows`,
    ``outcomes`` (per pair model "ij", Alice's and Bob's ±1 outcomes on the 16 inputs as
    '+'/'-' strings) and, with ``record_every``, ``loss_curves``. ``progress(epochs)``
    reports epochs finished.
    """
    if not runs:
        return []
    _prepare_torch(config)
    codes = config.pair_codes()
    m_a, m_b = len(config.tasks_a), len(config.tasks_b)
    alice, bob = side_targets(config.tasks_a, "A"), side_targets(config.tasks_b, "B")
    targets = np.stack([np.stack([alice[x - 1], bob[y - 1]], axis=1)
                        for x, y in codes]).astype(np.float64)
    result = _train(config, runs, codes, targets, progress, config.trace_every)
    correct = result.correct.numpy().reshape(len(runs), len(codes), *targets.shape[1:])
    a, b = pair_outcomes(correct, m_a, m_b)
    curves = _curves(result, len(runs), len(codes))
    traces = _traces(result, runs)
    a_text, b_text = pm_strings(a), pm_strings(b)  # (R, 2, 2) each
    out = []
    for r, row in enumerate(pair_rows(a, b)):
        hidden, run = runs[r]
        rec: dict[str, Any] = {"key": run_key(hidden, run), "hidden": hidden, "run": run}
        rec.update(row)
        rec["outcomes"] = {
            f"{i}{j}": {"A": a_text[r, i - 1, j - 1], "B": b_text[r, i - 1, j - 1]}
            for i, j in codes
        }
        if curves[r] is not None:
            rec["loss_curves"] = curves[r]
        if traces[r] is not None:
            rec.update(traces[r])
        out.append(rec)
    return out


def train_joint_runs(
    config: ToyConfig,
    runs: Sequence[tuple[int, int]],
    progress: Callable[[int], None] | None = None,
) -> list[dict[str, Any]]:
    """Train the four-head control model of each (hidden, run); one record per run with
    ``key``, ``hidden``, ``run``, the columns of :func:`joint_rows` and ``joint_outcomes``."""
    if not runs:
        return []
    _prepare_torch(config)
    m_a = len(config.tasks_a)
    targets = np.concatenate([side_targets(config.tasks_a, "A"),
                              side_targets(config.tasks_b, "B")]).T  # (16, m_A + m_B)
    result = _train(config, runs, [JOINT_CODE], targets[None].astype(np.float64), progress)
    correct = result.correct.numpy().reshape(len(runs), *targets.shape)
    a, b = joint_outcomes(correct, m_a)
    heads_text = pm_strings(_signed(correct).transpose(0, 2, 1))  # (R, heads)
    head_names = [f"A{x}" for x in range(1, m_a + 1)] + [
        f"B{y}" for y in range(1, len(config.tasks_b) + 1)]
    out = []
    for r, row in enumerate(joint_rows(a, b)):
        hidden, run = runs[r]
        rec: dict[str, Any] = {"key": run_key(hidden, run), "hidden": hidden, "run": run}
        rec.update(row)
        rec["joint_outcomes"] = {
            name: heads_text[r, h] for h, name in enumerate(head_names)
        }
        out.append(rec)
    return out


def planned_runs(config: ToyConfig) -> list[tuple[int, int]]:
    """Every (hidden, run) the config asks for, in sweep order."""
    return [(h, r) for h in config.hidden for r in range(config.runs)]


def chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --------------------------------------------------------------------------------------------
# The sweep seam (ncnet.engine.seam): units of runs, records, tables, report
# --------------------------------------------------------------------------------------------

TOY_ID_COLUMNS = ("experiment", "run", "seed", "hidden")
CPU_CHUNK_RUNS = 100
"""Runs per batch on the CPU (the results do not depend on it; the run time barely does)."""


def run_bytes(config: ToyConfig) -> int:
    """Device memory one run's models take while they train (all of a run's models, with the
    optimizer state and the work buffers of :func:`ncnet.models.ncnet_trainer.train_batched`, twice
    over for temporaries)."""
    item = 8 if config.dtype == "float64" else 4
    h, n, d = max(config.hidden), 16, 4
    m_a, m_b = len(config.tasks_a), len(config.tasks_b)
    per_model = []
    for k, models in ((2, m_a * m_b), (m_a + m_b, 1 if config.joint else 0)):
        params = h * (d + 1) + k * (h + 1)
        per_model.append(models * (8 * params + n * (4 * h + 4 * k + h * k)))
    return 2 * item * max(per_model)


def runs_per_batch(config: ToyConfig, device: str) -> int:
    """``chunk_runs`` if set; else on the CPU :data:`CPU_CHUNK_RUNS`; on CUDA as many runs as
    half of the device's free memory holds (:func:`run_bytes` each)."""
    if config.chunk_runs is not None:
        return config.chunk_runs
    if not device.startswith("cuda"):
        return CPU_CHUNK_RUNS
    import torch

    free, _total = torch.cuda.mem_get_info(torch.device(device))
    fits = int(free // 2 // run_bytes(config))
    return max(1, min(fits, len(config.hidden) * config.runs))


def collect_toy(config: ToyConfig, pairs: dict[str, dict[str, Any]],
                joint: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Stored records of the runs ``config`` asks for, pair and joint columns merged by key,
    in sweep order; runs not (yet) stored are left out. Outside the paper's design scored by
    CHSH alone, each record also gets the expression columns of
    :func:`ncnet.experiments.toy.bell.expression_columns`."""
    from ncnet.experiments.toy import bell as toy_bell

    expressions = config.expressions() if config.scores_expressions else []
    m_a, m_b = len(config.tasks_a), len(config.tasks_b)
    merged = []
    for hidden, run in planned_runs(config):
        key = run_key(hidden, run)
        if key not in pairs:
            continue
        rec = {"experiment": EXPERIMENT, "seed": config.seed, **pairs[key]}
        if config.joint and key in joint:
            rec.update({k: v for k, v in joint[key].items() if k not in rec})
        if expressions:
            rec.update(toy_bell.expression_columns(rec, expressions, m_a, m_b))
        merged.append(rec)
    return merged


def summary_json(config: ToyConfig, summary: dict[str, Any]) -> dict[str, Any]:
    return {
        "experiment": EXPERIMENT,
        "config_hash": config.config_hash(),
        "config": config.model_dump(mode="json"),
        "by_hidden": summary,
    }


class ToyExperiment:
    """Section 4 on the sweep seam: a unit is a batch of runs of one store (pair models or
    the joint control), at most :func:`runs_per_batch` runs."""

    name = EXPERIMENT
    config_type = ToyConfig
    stores = (EXPERIMENT, JOINT_EXPERIMENT)
    id_columns = TOY_ID_COLUMNS
    options: dict[str, Any] = {}

    def config_hash(self, config: ToyConfig) -> str:
        return config.config_hash()

    def prepare(self, config: ToyConfig) -> None:
        config.resolved_device()

    def background_modules(self, config: ToyConfig) -> tuple[str, ...]:
        """On the CPU a default run trains in a worker process while the CLI imports these
        (what the summary, export and report need); on CUDA none (training stays in this
        process, with per-epoch progress)."""
        if config.resolved_device() != "cpu":
            return ()
        return ("scipy.stats", "pandas", "pyarrow.parquet", "ncnet.experiments.toy.report")

    def planned(self, config: ToyConfig) -> list[str]:
        return [run_key(h, r) for h, r in planned_runs(config)]

    def units(self, config: ToyConfig, done: dict[str, set[str]]) -> list:
        from ncnet.engine.seam import Unit

        size = runs_per_batch(config, config.resolved_device())
        out = []
        for store in self.stores if config.joint else self.stores[:1]:
            todo = [hr for hr in planned_runs(config) if run_key(*hr) not in done.get(store, ())]
            for chunk in chunks(todo, size):
                keys = tuple(run_key(*hr) for hr in chunk)
                out.append(Unit(store=store, key=f"{store}:{keys[0]}..{keys[-1]}:{len(keys)}",
                                keys=keys, work=config.epochs,
                                label=f"{'joint controls' if store != EXPERIMENT else 'runs'} "
                                      f"{keys[0]} .. {keys[-1]}",
                                spec=tuple(chunk)))
        return out

    def train(self, config: ToyConfig, unit: Any,
              progress: Callable[[int], None] | None = None) -> list[dict[str, Any]]:
        last = [0]

        def report(epoch: int) -> None:
            if progress is not None:
                progress(epoch - last[0])
            last[0] = epoch

        train = train_joint_runs if unit.store == JOINT_EXPERIMENT else train_pair_runs
        return train(config, list(unit.spec), report)

    def collect(self, config: ToyConfig, stored: dict[str, Any]) -> list[dict[str, Any]]:
        return collect_toy(config, stored.get(EXPERIMENT, {}), stored.get(JOINT_EXPERIMENT, {}))

    def reload(self, config_json: dict[str, Any], stored: dict[str, Any]) -> ToyConfig:
        return ToyConfig.model_validate(config_json)

    def summarize(self, config: ToyConfig, digest: str, records: Sequence[dict[str, Any]]):
        from ncnet.engine.seam import Outputs

        summary = summarize_hidden_sizes(records, tasks=(config.tasks_a, config.tasks_b))
        if config.scores_expressions and records:
            from ncnet.experiments.toy import bell as toy_bell

            bell = toy_bell.summarize_expressions(records, config.expressions())
            for n, entry in bell.items():
                summary[n]["bell"] = entry
        return Outputs(rows=list(records), summary=summary, doc=summary_json(config, summary))

    def headline(self, result: Any) -> str:
        joint = result.trained.get(JOINT_EXPERIMENT) if result.config.joint else None
        return (f"{result.trained.get(EXPERIMENT, 0)} runs trained"
                + (f" (+{joint} joint controls)" if joint is not None else "")
                + f", {result.complete_before} already complete in the store "
                f"(config {result.config_hash})")

    def console_tables(self, summary: dict[str, Any]) -> list:
        return console_tables(summary)

    def metric_cells(self, config: ToyConfig, digest: str,
                     records: Sequence[dict[str, Any]]) -> tuple[Any, list[str]]:
        """The cells of 'S as a metric' (hidden size n, run) and notes (none)."""
        from ncnet.experiments.toy.metric_cells import toy_cells

        return toy_cells(records), []

    def write_report(self, out: Any, config: ToyConfig, result: Any) -> list[str]:
        from ncnet.experiments.toy.report import write_toy_report

        return write_toy_report(out, config, result.records, result.summary)
