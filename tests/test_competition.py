"""Gradient competition: the cosine helper, the trainer's trace against autograd, the
competition index, the correlations, and that tracing changes no result and no hash."""

import contextlib
import math
import re

import numpy as np
import pytest
import torch

from ncnet.experiments.toy import config as toy_config
from ncnet.experiments.toy import experiment as toy
from ncnet.models.ncnet_trainer import cosine, head_losses, init_params, to_module, train_batched
from ncnet.models.settings import TrainSettings
from ncnet.studies import competition
from ncnet.tasks.bits import encode_inputs, pair_targets

DEFAULT_TOY_HASH = "cc59f8ce5876"  # ToyConfig().config_hash() on main before tracing existed


def test_cosine_known_answers():
    g = torch.tensor([0.3, -1.2, 2.0, 0.0, 5.0], dtype=torch.float64)
    assert cosine(g, g).item() == pytest.approx(1.0, abs=1e-15)
    assert cosine(g, -g).item() == pytest.approx(-1.0, abs=1e-15)
    assert cosine(g, 3 * g).item() == pytest.approx(1.0, abs=1e-15)
    assert cosine(torch.tensor([1.0, 0.0]), torch.tensor([0.0, 2.0])).item() == 0.0
    assert math.isnan(cosine(g, torch.zeros_like(g)).item())
    a = torch.tensor([[1.0, 0.0], [1.0, 1.0]])
    b = torch.tensor([[1.0, 1.0], [-1.0, -1.0]])
    torch.testing.assert_close(cosine(a, b, 1), torch.tensor([1 / math.sqrt(2), -1.0]))
    # flattened: dot -1, norms √3 and 2
    torch.testing.assert_close(cosine(a, b, (0, 1)), torch.tensor(-1 / (2 * math.sqrt(3))))


def test_competition_index_known_answers():
    assert competition.competition_index(np.array([1.0, 1.0])) == 0.0
    assert competition.competition_index(np.array([-1.0, -1.0])) == 1.0
    got = competition.competition_index(np.array([[0.5, -0.5, np.nan, -0.25], [0, 0, 0, 0]]))
    assert got.tolist() == [0.1875, 0.0]


def _autograd_cosines(theta_row, hidden, hmax, x, y):
    """Alice's and Bob's gradients on (W1, b1) by autograd, one module: (overall, per unit)."""
    grads = []
    for head in (0, 1):
        net = to_module(theta_row, hidden, hmax, 2)
        loss = head_losses(net(torch.as_tensor(x, dtype=torch.float64))[None],
                           torch.as_tensor(y, dtype=torch.float64)[None], "bce")[0, head]
        loss.backward()
        grads.append(torch.cat([net[0].weight.grad, net[0].bias.grad[:, None]], dim=1))
    ga, gb = grads  # (hidden, 5)
    return cosine(ga, gb, (0, 1)).item(), cosine(ga, gb, 1).numpy(), ga.norm().item()


@pytest.mark.parametrize("epochs", [1, 40])
def test_trace_matches_autograd(epochs):
    hidden = [2, 3, 4, 3]
    codes = [(1, 1), (1, 2), (2, 1), (2, 2)]
    targets = np.stack([pair_targets(i, j) for i, j in codes]).astype(np.float64)
    x = encode_inputs("pm1")
    theta0 = init_params(hidden, 2, [11, 12, 13, 14], "he")
    settings = TrainSettings(epochs=epochs)
    traced = train_batched(theta0, 4, x, targets, settings, trace_every=epochs)
    assert traced.trace.epochs.tolist() == ([1] if epochs == 1 else [1, epochs])
    # the gradient traced at epoch e is the one at the parameters after e - 1 steps
    before = (theta0 if epochs == 1 else
              train_batched(theta0, 4, x, targets, TrainSettings(epochs=epochs - 1)).theta)
    for m, h in enumerate(hidden):
        cos, units, norm_a = _autograd_cosines(before[m], h, 4, x, targets[m])
        assert traced.trace.cos[-1, m] == pytest.approx(cos, abs=1e-12)
        np.testing.assert_allclose(traced.trace.cos_units[-1, m, :h], units, atol=1e-12)
        assert np.isnan(traced.trace.cos_units[-1, m, h:]).all()  # padded units
        assert traced.trace.norms[-1, m, 0] == pytest.approx(norm_a, rel=1e-12)


def test_traced_run_has_identical_outcomes_and_default_hash():
    base = toy_config.ToyConfig(hidden=[2, 3], runs=3, epochs=300, joint=False)
    traced = base.model_copy(update={"trace_every": 25})
    plain = toy.train_pair_runs(base, toy.planned_runs(base))
    with_trace = toy.train_pair_runs(traced, toy.planned_runs(traced))
    for a, b in zip(plain, with_trace, strict=True):
        assert {k: v for k, v in b.items() if k in a} == a
        assert b["gradient_trace"]["epochs"] == [1, *range(25, 301, 25)]
        assert np.shape(b["gradient_trace"]["cos"]) == (4, 13)
        assert np.shape(b["gradient_trace"]["cos_units"]) == (4, 13, b["hidden"])
        assert 0 <= b["competition_22"] <= 1
        assert "gradient_trace" not in a and "competition_22" not in a
    assert toy_config.ToyConfig().config_hash() == DEFAULT_TOY_HASH
    assert toy_config.ToyConfig(trace_every=0).config_hash() == DEFAULT_TOY_HASH
    assert toy_config.ToyConfig(trace_every=25).config_hash() != DEFAULT_TOY_HASH


def test_correlation_known_answers():
    x = np.arange(20.0)
    res = competition.correlation(x, 2 * x + 1, "pearson")
    assert res["r"] == pytest.approx(1.0) and res["n"] == 20
    res = competition.correlation(x, -(x**3), "spearman", n_boot=200)
    assert res["r"] == pytest.approx(-1.0) and res["ci"] == pytest.approx([-1.0, -1.0])
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=400), rng.normal(size=400)
    res = competition.correlation(a, a + b, "pearson")  # true r = 1/sqrt(2)
    assert res["ci"][0] < 1 / math.sqrt(2) < res["ci"][1]
    # Fisher z: tanh(atanh(r) +- 1.96/sqrt(n-3))
    half = 1.959964 / math.sqrt(397)
    assert res["ci"][1] == pytest.approx(math.tanh(math.atanh(res["r"]) + half))
    assert math.isnan(competition.correlation([1, 2, 3], [1, 2, 3])["r"])  # too few
    assert math.isnan(competition.correlation(x, np.ones(20))["r"])  # constant


def test_cli_toy_trace_every_and_bad_value(tmp_path):
    from typer.testing import CliRunner

    from ncnet.cli import app

    runner = CliRunner()
    out = tmp_path / "t"
    result = runner.invoke(app, ["toy", "--hidden", "3", "--runs", "4", "--epochs", "200",
                                 "--trace-every", "50", "--no-report", "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    import pandas as pd

    frame = pd.read_csv(out / "results.csv")
    assert {"competition_11", "competition_22"} <= set(frame.columns)
    bad = runner.invoke(app, ["toy", "--trace-every", "-1", "--out", str(tmp_path / "b")])
    assert bad.exit_code == 2 and "--trace-every" in bad.stderr
    assert not (tmp_path / "b").exists()


def test_weighted_index_and_degenerate_correlations():
    cos = np.array([[-1.0, 1.0, np.nan]])
    got = competition.weighted_competition_index(cos, np.array([[3.0, 1.0, np.nan]]),
                                                 np.array([[1.0, 1.0, 1.0]]))
    assert got.tolist() == [0.75]
    assert competition.weighted_competition_index(cos, np.zeros((1, 3)), np.ones((1, 3))) == 0
    s = np.full(50, 2.0)
    s[:3] = 2.5  # only three runs off S = 2
    x = np.arange(50.0)
    assert math.isnan(competition.correlation(x, s, min_varying=5)["r"])
    assert not math.isnan(competition.correlation(x, s, min_varying=1)["r"])


def test_analyze_writes_the_scan_and_explains_untraced(tmp_path):
    from typer.testing import CliRunner

    from ncnet.cli import app

    runner = CliRunner()
    traced, plain = tmp_path / "traced", tmp_path / "plain"
    common = ["--hidden", "2,3", "--runs", "6", "--epochs", "300", "--record-every", "0"]
    assert runner.invoke(app, ["toy", *common, "--trace-every", "20", "--out", str(traced)]
                         ).exit_code == 0
    assert (traced / "capacity-scan.png").stat().st_size > 0  # the toy report draws it too
    assert "Gradient competition" in (traced / "report.md").read_text()
    (traced / "capacity-scan.png").unlink()
    result = runner.invoke(app, ["analyze", str(traced), "--n-boot", "200"])
    assert result.exit_code == 0, result.stderr
    assert (traced / "capacity-scan.png").stat().st_size > 0
    import json

    doc = json.loads((traced / "competition.json").read_text())
    assert [r["hidden"] for r in doc["capacity_scan"]] == [2, 3]
    assert "Gradient competition at n = 3?" in (traced / "competition.md").read_text()
    runner.invoke(app, ["toy", *common, "--no-report", "--out", str(plain)])
    bad = runner.invoke(app, ["analyze", str(plain)], env={"COLUMNS": "300"})
    # the "S as a metric" section needs no trace; the competition section says what it needs
    assert bad.exit_code == 0 and "no traced runs" in bad.stderr
    assert (plain / "metric_claims.csv").exists()
    assert not (plain / "competition.json").exists()
    # the advice: the same sweep, traced, into a new directory (the old one keeps one config)
    import shlex
    import sqlite3

    from ncnet.engine import sweep

    rerun, then = re.findall(r"`([^`]*)`", bad.stderr)[:2]
    again = tmp_path / "plain-traced"
    assert shlex.split(rerun) == ["ncnet", "toy", *common, "--trace-every", "50", "--out",
                                  str(again)]
    assert then == f"ncnet analyze {again}"
    assert runner.invoke(app, shlex.split(rerun)[1:] + ["--no-report"]).exit_code == 0
    assert any("competition_22" in r for r in sweep.load_latest(again)[2])  # traced
    with contextlib.closing(sqlite3.connect(plain / "results.sqlite")) as db:
        assert db.execute("SELECT COUNT(*) FROM configs").fetchone() == (1,)
