"""`ncnet analyze` writes the "S as a metric" section from a stored sweep."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from ncnet import metric_claims as mc
from ncnet.cli import app

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
