"""docs/example-digits.md runs in CI at tiny size: the digits example's own module and TOML
through `ncnet run`, at 40 epochs and two trunk widths."""

import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from ncnet.cli import app

EXAMPLES = Path(__file__).parents[2] / "docs" / "examples"


def test_the_digits_example_runs_through_the_pair_design(tmp_path):
    pytest.importorskip("sklearn")
    folder = tmp_path / "examples"
    shutil.copytree(EXAMPLES, folder)
    text = (folder / "digits.toml").read_text()
    assert 'train = "digits_pairs:train_pair"' in text  # the page's own file
    quick = (text.replace("digits_pairs:train_pair", "digits_pairs:train_pair_quick")
             .replace("digits_pairs:train_joint", "digits_pairs:train_joint_quick")
             .replace("levels = [1, 2, 4, 8, 16]", "levels = [2, 8]")
             .replace("seeds = [0, 1, 2, 3, 4]", "seeds = [0, 1]")
             .replace('out = "runs/digits"', f'out = "{tmp_path / "digits"}"'))
    (folder / "quick.toml").write_text(quick)
    result = CliRunner().invoke(app, ["run", str(folder / "quick.toml")])
    assert result.exit_code == 0, result.stderr
    assert "16 pair models and 4 joint controls trained" in result.stdout
    frame = pd.read_csv(tmp_path / "digits" / "results.csv")
    assert frame[["level", "seed"]].values.tolist() == [[2, 0], [2, 1], [8, 0], [8, 1]]
    assert (frame.S_ci_scheme == "paired-items").all() and (frame["items"] == 539).all()
    assert ((frame.S >= -4) & (frame.S <= 4)).all() and (frame.S_joint <= 2 + 1e-12).all()
    assert (tmp_path / "digits" / "report.html").exists()
