"""`ncnet analyze` writes the "S as a metric" section from a stored sweep."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from ncnet.cli import app
from ncnet.studies.s_metric import claims as mc

runner = CliRunner()
TINY = ["--runs", "6", "--epochs", "200", "--record-every", "0", "--no-report", "--no-joint"]


def test_analyze_writes_metric_claims_for_a_stored_toy_sweep(tmp_path):
    out = tmp_path / "toy"
    assert runner.invoke(app, ["toy", "--hidden", "1,2,3", *TINY, "--out", str(out)]
                         ).exit_code == 0
    result = runner.invoke(app, ["analyze", str(out), "--n-boot", "200"],
                           env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.stderr
    table = pd.read_csv(out / "metric_claims.csv")
    assert table.columns.tolist() == ["claim", "reading", "measured", "interval", "verdict"]
    assert table["claim"].tolist() == [*mc.CLAIMS, mc.CONTROL]
    assert (out / "metric.png").stat().st_size > 0 and (out / "metric.json").exists()
    assert "S as a metric" in result.stdout and "no traced runs" in result.stderr
    words = ("agrees", "does not reproduce", "undecided")
    assert all(v.startswith(words) for v in table["verdict"])


def test_a_one_level_store_decides_nothing_and_says_why(tmp_path):
    out = tmp_path / "one"
    assert runner.invoke(app, ["toy", "--hidden", "3", *TINY, "--out", str(out)]).exit_code == 0
    assert runner.invoke(app, ["analyze", str(out), "--n-boot", "100"]).exit_code == 0
    verdicts = pd.read_csv(out / "metric_claims.csv")["verdict"].tolist()
    assert len(verdicts) == 6
    assert all(v.startswith("undecided (1 level kept (n = 3): the claims are about a scan")
               for v in verdicts), verdicts


@pytest.mark.slow  # 36 tiny models: about a minute on a shared 2-core machine
def test_the_lora_metric_scan_ci_preset_on_the_tiny_bert(tiny_bert, tmp_path):
    """configs/lora-metric-scan-ci.toml (3 ranks x 3 seeds) trains on the tiny BERT and
    `ncnet analyze` gives every claim a verdict or names why not (the tiny model learns
    little: cells where a task did not learn are left out, and the verdicts say so)."""
    import tomllib
    from pathlib import Path

    from .conftest import TEXT_FIXTURES

    preset = Path(__file__).parents[1] / "configs" / "lora-metric-scan-ci.toml"
    table = tomllib.loads(preset.read_text())["lora"]
    assert table["seeds"] == [1, 2, 3] and len(table["ranks"]) >= 3
    body = "".join(f"{k} = {v!r}\n".replace("'", '"').replace("False", "false")
                   for k, v in table.items() if k != "out")
    cfg = tmp_path / "scan.toml"
    cfg.write_text(f'[lora]\n{body}model = "{tiny_bert}"\ndata_dir = "{TEXT_FIXTURES / "data"}"\n')
    out = tmp_path / "scan"
    result = runner.invoke(app, ["run", str(cfg), "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    result = runner.invoke(app, ["analyze", str(out)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.stderr
    claims = pd.read_csv(out / "metric_claims.csv")
    assert claims["claim"].tolist() == [*mc.CLAIMS, mc.CONTROL]
    import json

    doc = json.loads((out / "metric.json").read_text())
    assert [r["level"] for r in doc["levels"]] == [1, 2, 4] and doc["unit"] == "seed"
    kept = sum(r["units"] for r in doc["levels"])
    left_out = sum(r["left_out"] for r in doc["levels"])
    assert kept + left_out == 9
    for verdict in claims["verdict"]:
        assert verdict.startswith(("agrees", "does not reproduce", "undecided"))
        if left_out and verdict.startswith("undecided ("):
            assert "did not learn" in verdict or "too few" in verdict or "level" in verdict


def _budget_records(hidden: int, runs: int, acc: float, s_value: float) -> list[dict]:
    """Synthetic toy records: every head at accuracy ``acc``, S = S_product = ``s_value``."""
    from ncnet import chsh

    heads = {name: acc for i, j in chsh.PAIRS for name in chsh.acc_columns(i, j)}
    return [{"hidden": hidden, "run": r, "S": s_value + 0.01 * r, "S_product": s_value,
             **heads} for r in range(runs)]


def test_budget_cells_pair_runs_across_epochs_gate_levels_and_leave_other_sweeps_out():
    """A budget scan: level = epochs, unit = run (paired), one gated level (heads at chance),
    a sweep with another lr left out with a note, another hidden size ignored."""
    from ncnet.experiments.toy.config import ToyConfig
    from ncnet.experiments.toy.metric_cells import budget_cells

    def sweep(epochs, acc, s_value, runs=8, **kw):
        config = ToyConfig(hidden=[3], runs=runs, epochs=epochs, **kw)
        recs = _budget_records(3, runs, acc, s_value) + _budget_records(4, runs, 1.0, 9.9)
        return config, recs, config.config_hash()

    sweeps = [sweep(1, 0.5, 0.0), sweep(100, 0.9, 1.5), sweep(400, 1.0, 2.0),
              sweep(200, 0.95, 1.8, lr=0.1), sweep(400, 1.0, 2.0, runs=4, record_every=0),
              sweep(800, 1.0, 2.0)]
    cells, notes = budget_cells(sweeps)  # the latest (800 epochs) has one hidden size: 3
    assert (cells.paired, cells.log_axis, cells.unit_name) == (True, True, "run")
    assert list(cells.levels()) == [1.0, 100.0, 400.0, 800.0]
    assert cells.S[cells.level == 100].tolist() == [1.5 + 0.01 * r for r in range(8)]
    assert cells.learned[cells.level == 1].sum() == 0 and cells.learned[cells.level > 1].all()
    assert cells.gated and all(g.startswith("at 1 epochs: ") for g in cells.gated)
    assert notes[0] == "hidden size n = 3; 4 training budgets from 6 stored sweeps"
    assert (cells.level == 400).sum() == 8  # 8 + 4 runs stored at 400 epochs: 8 runs
    assert notes[1].endswith("(epochs 200) differs in lr: left out")
    with pytest.raises(ValueError, match="no stored sweep like the latest one has hidden size 5"):
        budget_cells(sweeps, hidden=5)
    two = ToyConfig(hidden=[3, 4], runs=8, epochs=50)
    with pytest.raises(ValueError, match=r"hidden sizes \[3, 4\]: pick one with --hidden"):
        budget_cells([(two, _budget_records(3, 8, 1.0, 2.0), two.config_hash())])


def test_analyze_resource_epochs_reads_every_stored_budget(tmp_path):
    """Three toy sweeps into one directory, then `--resource epochs`: the levels are the
    budgets and each level's mean S is the mean of that sweep's stored S (recomputed here)."""
    import json

    from ncnet.engine.sweep import load_all

    out = tmp_path / "budget"
    tiny = [a for a in TINY if a not in ("--epochs", "200")]
    for epochs in ("20", "40", "80"):
        assert runner.invoke(app, ["toy", "--hidden", "3", *tiny, "--epochs", epochs,
                                   "--out", str(out)]).exit_code == 0
    result = runner.invoke(app, ["analyze", str(out), "--resource", "epochs", "--n-boot", "100"],
                           env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.stderr
    assert "no traced runs" not in result.stderr  # the competition section is not attempted
    doc = json.loads((out / "metric.json").read_text())
    assert doc["resource"] == "training epochs" and doc["paired"] is True
    _, sweeps = load_all(out)
    stored = {c.epochs: sum(r["S"] for r in recs) / len(recs) for c, recs, _ in sweeps}
    for row in doc["levels"]:
        if "S" in row:
            assert row["S"] == pytest.approx(stored[int(row["level"])], abs=1e-12)
    assert sorted(int(r["level"]) for r in doc["levels"]) == [20, 40, 80]
    assert len(pd.read_csv(out / "metric_claims.csv")) == 6


@pytest.mark.parametrize(("args", "message"), [
    (["--resource", "rank"], "--resource rank is not allowed for a toy sweep: use hidden or "
                             "epochs"),
    (["--hidden", "3"], "--hidden goes with --resource epochs only"),
    (["--resource", "epochs", "--hidden", "0"], "--hidden 0 is not allowed"),
    (["--resource", "epochs", "--hidden", "7"], "no stored sweep like the latest one has "
                                                "hidden size 7"),
])
def test_analyze_resource_bad_input_is_one_line(tmp_path, args, message):
    out = tmp_path / "toy"
    assert runner.invoke(app, ["toy", "--hidden", "3", *TINY, "--out", str(out)]).exit_code == 0
    before = (out / "results.sqlite").read_bytes() if (out / "results.sqlite").exists() else None
    result = runner.invoke(app, ["analyze", str(out), *args], env={"COLUMNS": "200"})
    assert result.exit_code != 0 and message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    if before is not None:
        assert (out / "results.sqlite").read_bytes() == before
