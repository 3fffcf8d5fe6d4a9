"""The pair design over a user's own function: `ncnet run` on a [pairs] table with the module
beside it, resume, report, analyze, one-line errors naming the pair, and run_pairs."""

import sqlite3

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from ncnet import chsh
from ncnet.cli import app
from ncnet.engine.seam import UnitError
from ncnet.engine.sweep import load_latest
from ncnet.experiments.pairs.api import run_pairs
from ncnet.stats.outcomes import from_pm_string

MODULE = '''
import numpy as np

def train_pair(task_a, task_b, level, seed):
    rng = np.random.default_rng([seed, level, len(task_a), len(task_b)])
    p = 1 - 0.3 / level
    return {"A": rng.random(40) < p, "B": rng.random(40) < p, "item": np.arange(40)}

def train_joint(tasks_a, tasks_b, level, seed):
    rng = np.random.default_rng([seed, level, 99])
    p = 1 - 0.3 / level
    return {"A": [rng.random(40) < p for _ in tasks_a], "B": [rng.random(40) < p for _ in tasks_b]}

def joint_too_short(tasks_a, tasks_b, level, seed):
    return {"A": [[1, 1], [1, 1]], "B": [[1, 1], [1]]}

def fails_at_8(task_a, task_b, level, seed):
    if level == 8 and task_b == "pixels":
        raise RuntimeError("out of memory\\nsecond line")
    return train_pair(task_a, task_b, level, seed)
'''

TABLE = '''[pairs]
train = "{train}"
tasks_a = ["even", "gt4"]
tasks_b = ["mod3", "pixels"]
levels = [2, 4, 8]
seeds = [0, 1]
out = "{out}"
'''

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args], env={"COLUMNS": "100"})


def sweep_file(tmp_path, train="my_model:train_pair", name="pairs"):
    """A TOML file and the user's module beside it (the module is not on sys.path)."""
    folder = tmp_path / "project"
    folder.mkdir(exist_ok=True)
    (folder / "my_model.py").write_text(MODULE)
    out = tmp_path / name
    path = folder / f"{name}.toml"
    path.write_text(TABLE.format(train=train, out=out))
    return path, out


def stored(out):
    with sqlite3.connect(out / "results.sqlite") as db:
        return db.execute("select count(*) from runs").fetchone()[0]


def test_a_pairs_table_runs_resumes_reports_and_analyzes(tmp_path):
    path, out = sweep_file(tmp_path)
    first = invoke("run", path)
    assert first.exit_code == 0, first.stderr
    assert "24 pair models trained, 0 already in the store" in first.stdout
    frame = pd.read_csv(out / "results.csv")
    assert frame[["level", "seed"]].values.tolist() == [[2, 0], [2, 1], [4, 0], [4, 1],
                                                        [8, 0], [8, 1]]
    assert list(frame.columns[:4]) == ["experiment", "run", "seed", "level"]
    # S of one row recomputed from the stored outcomes, exactly (same items, same code)
    _, _, recs, _ = load_latest(out)
    members = sorted((r for r in recs if r["level"] == 4 and r["seed"] == 1),
                     key=lambda r: (r["i"], r["j"]))
    a = [from_pm_string(m["A"]) for m in members]
    b = [from_pm_string(m["B"]) for m in members]
    want = chsh.score_items(a, b, n_boot=2000, items=[np.arange(40)] * 4)
    row = frame[(frame.level == 4) & (frame.seed == 1)].iloc[0]
    assert (row.S, row.S_ci_lo, row.S_ci_hi) == (want.S, *want.ci)
    assert row.S_ci_scheme == "paired-items"
    again = invoke("run", path)
    assert "0 pair models trained, 24 already in the store" in again.stdout
    report = invoke("report", out)
    assert report.exit_code == 0, report.stderr
    text = (out / "report.md").read_text()
    assert "`my_model:train_pair`" in text and "`even`" in text and "`pixels`" in text
    assert "Table 2" not in text and "paper S" not in text  # no paper value beside own tasks
    analyze = invoke("analyze", out)
    assert analyze.exit_code == 0, analyze.stderr
    assert (out / "metric_claims.csv").exists()


def test_a_function_that_raises_is_one_line_naming_the_pair_and_keeps_stored_units(tmp_path):
    path, out = sweep_file(tmp_path, train="my_model:fails_at_8", name="broken")
    result = invoke("run", path)
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "error: my_model:fails_at_8(task_a='even', task_b='pixels', level=8, seed=0) raised "
        "RuntimeError: out of memory")
    assert stored(out) == 17  # levels 2 and 4 (16 pair models), then level 8 seed 0 pair (1,1)


@pytest.mark.parametrize("train, fragment", [
    ("nonsense", "train = 'nonsense' is not module:function"),
    ("no_such_module:train_pair", "cannot import no_such_module"),
    ("my_model:no_such_function", "my_model has no function no_such_function"),
])
def test_a_train_that_cannot_be_loaded_is_one_line_before_anything_is_written(
        tmp_path, train, fragment):
    path, out = sweep_file(tmp_path, train=train, name="bad")
    result = invoke("run", path)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], result.stderr
    assert not out.exists()


def _returns(value):
    def train_pair(task_a, task_b, level, seed):
        return value
    return train_pair


@pytest.mark.parametrize("value, fragment", [
    ({"A": [1, 1]}, "returned ['A']; give a mapping with A and B"),
    ([1, 1], "returned list; give a mapping with A and B"),
    ({"A": [1, 1, -1], "B": [1, -1]}, "3 outcomes in A but 2 in B"),
    ({"A": [1, 2], "B": [1, 1]}, "returned A:"),
    ({"A": [1, 1], "B": [1, 1], "item": [0, 0]}, "item ids that are not 2 distinct"),
])
def test_a_wrong_return_value_is_one_line_naming_the_pair(tmp_path, value, fragment):
    with pytest.raises(UnitError) as err:
        run_pairs(_returns(value), tasks_a=["a1", "a2"], tasks_b=["b1", "b2"], levels=[3],
                  out=tmp_path / "o", report=False)
    message = str(err.value)
    assert "(task_a='a1', task_b='b1', level=3, seed=0)" in message and fragment in message
    assert "\n" not in message


def test_the_joint_control_never_exceeds_2_and_is_recomputed_exactly(tmp_path):
    path, out = sweep_file(tmp_path)
    path.write_text(path.read_text().replace('seeds = [0, 1]\n', 'seeds = [0, 1]\n'
                                             'train_joint = "my_model:train_joint"\n'))
    result = invoke("run", path)
    assert result.exit_code == 0, result.stderr
    assert "24 pair models and 6 joint controls trained" in result.stdout
    frame = pd.read_csv(out / "results.csv")
    assert (frame.S_joint <= 2 + 1e-12).all()
    _, _, recs, _ = load_latest(out)
    joint = next(r for r in recs if r.get("A_joint") and r["level"] == 8 and r["seed"] == 1)
    a = np.array([from_pm_string(x) for x in joint["A_joint"]], dtype=float)
    b = np.array([from_pm_string(x) for x in joint["B_joint"]], dtype=float)
    c = np.array([[np.mean(a[i] * b[j]) for j in range(2)] for i in range(2)])
    row = frame[(frame.level == 8) & (frame.seed == 1)].iloc[0]
    assert row.S_joint == c[0, 0] + c[0, 1] + c[1, 0] - c[1, 1]
    assert "no model exceeds 2" in (out / "report.md").read_text()
    again = invoke("run", path)
    assert "0 pair models trained, 30 already in the store" in again.stdout
    bad = path.parent / "bad.toml"
    bad.write_text(path.read_text().replace("my_model:train_joint", "my_model:joint_too_short")
                   .replace(str(out), str(tmp_path / "bad")))
    failed = invoke("run", bad)
    assert failed.exit_code == 2
    assert "returned heads of different lengths [1, 2]" in failed.stderr


def test_run_pairs_gives_the_rows_of_the_toml_route(tmp_path, monkeypatch):
    path, out = sweep_file(tmp_path)
    assert invoke("run", path).exit_code == 0
    monkeypatch.syspath_prepend(str(path.parent))
    import my_model

    result = run_pairs(my_model.train_pair, tasks_a=["even", "gt4"],
                       tasks_b=["mod3", "pixels"], levels=[2, 4, 8], seeds=[0, 1],
                       out=tmp_path / "python")
    toml_rows = pd.read_csv(out / "results.csv")
    python_rows = pd.read_csv(tmp_path / "python" / "results.csv")
    pd.testing.assert_frame_equal(python_rows, toml_rows)
    assert list(result.summary) == [2, 4, 8]  # keyed by the levels as given
    assert result.verdicts[8].startswith("undecided (too few: 2 seeds")
    assert (tmp_path / "python" / "report.html").exists()
