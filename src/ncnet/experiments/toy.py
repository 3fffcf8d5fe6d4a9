"""Section 4 of the paper: NCnet runs for several hidden sizes -> CHSH rows.

A *run* is one (hidden size n, run index r): four separately trained pair models
(i, j) in {1, 2}^2 and, with ``joint`` on, one four-head control model. Every model's
initial weights come from its own seed, derived from (config seed, n, r, i, j), so a run's
result does not depend on which other runs share its batch, and adding runs or hidden sizes
later leaves the earlier ones unchanged.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Literal

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict, Field, field_validator

from ncnet import chsh
from ncnet.models.ncnet import (
    Init,
    Loss,
    Optimizer,
    TrainSettings,
    init_params,
    train_batched,
)
from ncnet.tasks.bits import Encoding, encode_inputs, joint_targets, pair_targets

EXPERIMENT = "toy"
JOINT_EXPERIMENT = "toy-joint"
JOINT_CODE = (0, 0)
IDENTITY_FIELDS = (
    "epochs", "optimizer", "lr", "momentum", "loss", "encoding", "init", "seed", "dtype",
    "record_every",  # changes what a record holds (loss curves), not its CHSH numbers
    "trace_every",  # likewise (gradient cosines); hashed only when on, so old hashes hold
)
OPTIONAL_IDENTITY = {"trace_every": 0}
"""Identity fields added later, left out of the hash at these default values."""


class ToyConfig(BaseModel):
    """Everything that defines a Figure-2 sweep. Defaults are the documented reproduction.

    Only the fields in ``IDENTITY_FIELDS`` decide a run's record and go into its hash;
    ``hidden`` and ``runs`` pick which runs exist, the rest says how to compute them.
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, validate_assignment=True)

    hidden: list[int] = Field(default=[2, 3, 4], min_length=1, description="hidden sizes n")
    runs: int = Field(default=50, ge=1, le=100_000, description="independent runs per n")
    epochs: int = Field(default=5000, ge=1, le=10_000_000, description="full-batch epochs")
    optimizer: Optimizer = "adam"
    lr: float = Field(default=0.01, gt=0, le=100, description="learning rate")
    momentum: float = Field(default=0.0, ge=0, lt=1, description="SGD momentum")
    loss: Loss = "bce"
    encoding: Encoding = "pm1"
    init: Init = "he"
    seed: int = Field(default=0, ge=0, lt=2**63)
    joint: bool = Field(default=True, description="also train the four-head control")
    dtype: Literal["float64", "float32"] = "float64"
    device: Literal["cpu", "cuda", "auto"] = "cpu"
    threads: int = Field(default=1, ge=1, le=256, description="torch CPU threads")
    chunk_runs: int = Field(default=100, ge=1, description="runs trained per batch")
    record_every: int = Field(default=50, ge=0, description="store losses every k epochs")
    trace_every: int = Field(
        default=0, ge=0, description="compare Alice's and Bob's gradients on the shared layer "
        "at epoch 1 and every k epochs (0: off)")

    @field_validator("hidden")
    @classmethod
    def _positive_hidden(cls, v: list[int]) -> list[int]:
        bad = [h for h in v if h < 1 or h > 4096]
        if bad:
            raise ValueError(f"hidden size {bad[0]} must be a whole number from 1 to 4096")
        return sorted(dict.fromkeys(v))

    def identity(self) -> dict[str, Any]:
        """The fields that decide a run's outcome."""
        return {k: getattr(self, k) for k in IDENTITY_FIELDS
                if OPTIONAL_IDENTITY.get(k, object()) != getattr(self, k)}

    def config_hash(self) -> str:
        """12-hex-digit identity of a run's settings (not of which runs exist)."""
        blob = json.dumps(self.identity(), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:12]

    def settings(self) -> TrainSettings:
        return TrainSettings(
            epochs=self.epochs, lr=self.lr, optimizer=self.optimizer, loss=self.loss,
            momentum=self.momentum,
        )

    def resolved_device(self) -> str:
        if self.device == "auto":
            return "cuda" if torch.cuda.is_available() else "cpu"
        if self.device == "cuda" and not torch.cuda.is_available():
            raise ValueError("device 'cuda' is not available here; allowed: cpu, auto")
        return self.device


def run_key(hidden: int, run: int) -> str:
    """Store key of one run."""
    return f"n{hidden}-r{run}"


def model_seed(seed: int, hidden: int, run: int, i: int, j: int) -> int:
    """Seed of one model: a function of (config seed, n, r, i, j) only; (0, 0) is the joint."""
    return int(np.random.SeedSequence([seed, hidden, run, i, j]).generate_state(1)[0])


def _signed(correct: np.ndarray) -> np.ndarray:
    return np.where(correct, 1, -1).astype(np.int8)


def pair_outcomes(correct: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pair-model correctness (R, 4, N, 2) in pair order (1,1),(1,2),(2,1),(2,2) -> (A, B),
    each ±1 of shape (R, 2, 2, N) indexed [run, i, j, item]."""
    r, _, n, _ = correct.shape
    signed = _signed(correct).reshape(r, 2, 2, n, 2)
    return signed[..., 0], signed[..., 1]


def joint_outcomes(correct: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Joint-model correctness (R, N, 4) with heads (α1, α2, β1, β2) -> (A, B) as in
    :func:`pair_outcomes`, each setting pair read off the same model and the same inputs."""
    signed = _signed(correct)
    a = np.stack([signed[:, :, 0], signed[:, :, 1]], axis=1)  # (R, 2, N)
    b = np.stack([signed[:, :, 2], signed[:, :, 3]], axis=1)
    r, n = signed.shape[0], signed.shape[1]
    return (
        np.broadcast_to(a[:, :, None, :], (r, 2, 2, n)),
        np.broadcast_to(b[:, None, :, :], (r, 2, 2, n)),
    )


def pair_rows(a: np.ndarray, b: np.ndarray) -> list[dict[str, Any]]:
    """CHSH columns of each run from outcomes (R, 2, 2, N): C's, S, head accuracies,
    signalling gaps and the product-of-marginals prediction."""
    c = chsh.correlators(a, b)
    s = chsh.chsh_value(c)
    acc_a, acc_b = chsh.marginals(a, b)
    gap_a, gap_b = chsh.signalling_gap(acc_a, acc_b)
    c_prod = chsh.product_prediction(acc_a, acc_b)
    s_prod = chsh.chsh_value(c_prod)
    rows = []
    for r in range(a.shape[0]):
        row: dict[str, Any] = {}
        for i, j in chsh.PAIRS:
            row[f"C{i}{j}"] = float(c[r, i - 1, j - 1])
        row["S"] = float(s[r])
        for i, j in chsh.PAIRS:
            row[f"acc_A{i}_B{j}"] = float(acc_a[r, i - 1, j - 1])
            row[f"acc_B{j}_A{i}"] = float(acc_b[r, i - 1, j - 1])
        for t in (1, 2):
            row[f"gap_A{t}"] = float(gap_a[r, t - 1])
            row[f"gap_B{t}"] = float(gap_b[r, t - 1])
        row["S_product"] = float(s_prod[r])
        rows.append(row)
    return rows


def joint_rows(a: np.ndarray, b: np.ndarray) -> list[dict[str, Any]]:
    """Control columns of each run: ``C11_joint`` .. ``C22_joint``, ``S_joint`` and the four
    heads' accuracies ``acc_joint_A1`` .. ``acc_joint_B2``."""
    c = chsh.correlators(a, b)
    s = chsh.chsh_value(c)
    rows = []
    for r in range(a.shape[0]):
        row = {f"C{i}{j}_joint": float(c[r, i - 1, j - 1]) for i, j in chsh.PAIRS}
        row["S_joint"] = float(s[r])
        for t in (1, 2):
            row[f"acc_joint_A{t}"] = float((a[r, t - 1, 0] > 0).mean())
            row[f"acc_joint_B{t}"] = float((b[r, 0, t - 1] > 0).mean())
        rows.append(row)
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
    gradient-weighted index ``competition_w_ij`` (:mod:`ncnet.competition`)."""
    from ncnet.competition import competition_index, weighted_competition_index

    tr = result.trace
    if tr is None:
        return [None] * len(runs)
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
    if config.threads:
        torch.set_num_threads(config.threads)
    torch.set_flush_denormal(True)


def train_pair_runs(
    config: ToyConfig,
    runs: Sequence[tuple[int, int]],
    progress: Callable[[int], None] | None = None,
) -> list[dict[str, Any]]:
    """Train the four pair models of each (hidden, run) as one batch; one record per run.

    A record holds ``key``, ``hidden``, ``run``, the columns of :func:`pair_rows`,
    ``outcomes`` (per pair model "ij", Alice's and Bob's ±1 outcomes on the 16 inputs as
    '+'/'-' strings) and, with ``record_every``, ``loss_curves``. ``progress(epochs)``
    reports epochs finished.
    """
    if not runs:
        return []
    _prepare_torch(config)
    targets = np.stack([pair_targets(i, j) for i, j in chsh.PAIRS]).astype(np.float64)
    result = _train(config, runs, chsh.PAIRS, targets, progress, config.trace_every)
    correct = result.correct.numpy().reshape(len(runs), 4, *targets.shape[1:])
    a, b = pair_outcomes(correct)
    curves = _curves(result, len(runs), 4)
    traces = _traces(result, runs)
    out = []
    for r, row in enumerate(pair_rows(a, b)):
        hidden, run = runs[r]
        rec: dict[str, Any] = {"key": run_key(hidden, run), "hidden": hidden, "run": run}
        rec.update(row)
        rec["outcomes"] = {
            f"{i}{j}": {"A": chsh.pm_string(a[r, i - 1, j - 1]),
                        "B": chsh.pm_string(b[r, i - 1, j - 1])}
            for i, j in chsh.PAIRS
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
    targets = joint_targets()
    result = _train(config, runs, [JOINT_CODE], targets[None].astype(np.float64), progress)
    correct = result.correct.numpy().reshape(len(runs), *targets.shape)
    a, b = joint_outcomes(correct)
    out = []
    for r, row in enumerate(joint_rows(a, b)):
        hidden, run = runs[r]
        rec: dict[str, Any] = {"key": run_key(hidden, run), "hidden": hidden, "run": run}
        rec.update(row)
        rec["joint_outcomes"] = {
            name: chsh.pm_string(_signed(correct[r, :, h]))
            for h, name in enumerate(("A1", "A2", "B1", "B2"))
        }
        out.append(rec)
    return out


def planned_runs(config: ToyConfig) -> list[tuple[int, int]]:
    """Every (hidden, run) the config asks for, in sweep order."""
    return [(h, r) for h in config.hidden for r in range(config.runs)]


def chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def summarize(rows: Sequence[dict[str, Any]], n_boot: int = 10_000) -> dict[str, Any]:
    """Per hidden size: S statistics with a bootstrap CI of the mean and a one-sided t-test of
    mean S > 2, the fraction of runs above 2, mean C's, accuracies and signalling gaps (each
    with a CI of the mean), the product-of-marginals S and the joint control."""
    by_n: dict[str, Any] = {}
    for n in sorted({r["hidden"] for r in rows}):
        sub = [r for r in rows if r["hidden"] == n]
        s = np.array([r["S"] for r in sub])
        entry: dict[str, Any] = {
            "runs": len(sub),
            "S": _describe(s, n_boot),
            "S_test": chsh.test_s_above(s) if len(s) > 1 else None,
            "fraction_S_above_2": float((s > chsh.LOCAL_BOUND).mean()),
            "fraction_S_above_2_ci": _ci(s > chsh.LOCAL_BOUND, n_boot),
            "fraction_S_below_1.5": float((s < 1.5).mean()),
            "fraction_S_above_tsirelson": float((s > chsh.TSIRELSON_BOUND).mean()),
        }
        for name in _mean_columns(sub[0]):
            v = np.array([r[name] for r in sub], dtype=np.float64)
            entry[name] = {"mean": float(v.mean()), "ci": _ci(v, n_boot)}
        if "S_joint" in sub[0]:
            sj = np.array([r["S_joint"] for r in sub if "S_joint" in r])
            entry["S_joint"] = _describe(sj, n_boot)
            entry["fraction_S_joint_above_2"] = float((sj > chsh.LOCAL_BOUND + 1e-12).mean())
        by_n[str(n)] = entry
    return by_n


def _mean_columns(row: dict[str, Any]) -> list[str]:
    prefixes = ("C", "acc_", "gap_")
    return [k for k in row if k.startswith(prefixes) and isinstance(row[k], float)] + [
        "S_product"
    ]


def _ci(values: np.ndarray, n_boot: int) -> list[float]:
    lo, hi = chsh.bootstrap_ci(np.asarray(values, dtype=np.float64), n_boot=n_boot)
    return [lo, hi]


def _describe(s: np.ndarray, n_boot: int) -> dict[str, Any]:
    return {
        "mean": float(s.mean()),
        "median": float(np.median(s)),
        "sd": float(s.std(ddof=1)) if len(s) > 1 else math.nan,
        "min": float(s.min()),
        "max": float(s.max()),
        "ci": _ci(s, n_boot),
    }
