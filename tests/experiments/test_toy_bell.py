"""The toy experiment with m tasks per side and Bell expressions (issue 15, part 5)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from ncnet import chsh
from ncnet.bell import preset, preset_names
from ncnet.bell import score as bell_score
from ncnet.cli import app
from ncnet.experiments.toy import bell as toy_bell
from ncnet.experiments.toy import config as toy_config
from ncnet.stats.outcomes import pm_string
from ncnet.tasks import bits

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args], env={"COLUMNS": "200"})


TINY = ["--hidden", "2,3", "--runs", "2", "--epochs", "150", "--no-report"]
THREE = ["--tasks-a", "bit1,bit2,xor", "--tasks-b", "bit1,bit2,xor"]


# ---- the paper's design is untouched --------------------------------------------------------


def test_default_config_hash_is_mains():
    """The hash of the default ToyConfig as main computed it before the task options (a
    sha256 of the identity fields, not a float); spelling the paper's tasks out keeps it."""
    assert toy_config.ToyConfig().config_hash() == "cc59f8ce5876"
    spelled = toy_config.ToyConfig(tasks_a=["BIT1", "xor"], tasks_b=["bit1", "xor"],
                            expression=["chsh"])
    assert spelled.config_hash() == "cc59f8ce5876" and spelled.paper_design
    assert toy_config.ToyConfig(tasks_a=["bit1", "bit2"]).config_hash() != "cc59f8ce5876"


def test_paper_tasks_are_the_old_truth_tables():
    assert (bits.side_targets(bits.PAPER_TASKS, "A") == bits.alice_targets()).all()
    assert (bits.side_targets(bits.PAPER_TASKS, "B") == bits.bob_targets()).all()
    x = bits.input_bits()
    assert (bits.side_targets(["and", "nor"], "B")
            == np.stack([x[:, 2] & x[:, 3], 1 - (x[:, 2] | x[:, 3])])).all()


def test_default_run_has_todays_columns_and_spelled_tasks_give_the_same_bytes(tmp_path):
    """`--tasks-a bit1,xor --tasks-b bit1,xor` is the default run, byte for byte; neither has
    a column of the Bell options (results.csv was also compared with main's, byte for byte,
    when this was built)."""
    assert invoke("toy", *TINY, "--out", tmp_path / "d").exit_code == 0
    spelled = invoke("toy", *TINY, "--tasks-a", "bit1,xor", "--tasks-b", "bit1,xor",
                     "--expression", "chsh", "--out", tmp_path / "s")
    assert spelled.exit_code == 0, spelled.stderr
    default = (tmp_path / "d" / "results.csv").read_bytes()
    assert default == (tmp_path / "s" / "results.csv").read_bytes()
    columns = pd.read_csv(tmp_path / "d" / "results.csv").columns
    assert not [c for c in columns if c.startswith(("spread_", "chsh"))]
    assert "C13" not in columns and "S" in columns


# ---- m tasks per side -----------------------------------------------------------------------


def _synthetic_record(rng, m_a, m_b, p_joint=None):
    pm = pm_string
    rec = {"outcomes": {f"{x}{y}": {"A": pm(rng.choice([-1, 1], 16)),
                                    "B": pm(rng.choice([-1, 1], 16))}
                        for x in range(1, m_a + 1) for y in range(1, m_b + 1)}}
    p = rng.random(m_a + m_b) if p_joint is None else p_joint
    heads = np.where(rng.random((m_a + m_b, 16)) < p[:, None], 1, -1)
    rec["joint_outcomes"] = {**{f"A{x + 1}": pm(heads[x]) for x in range(m_a)},
                             **{f"B{y + 1}": pm(heads[m_a + y]) for y in range(m_b)}}
    return rec


@pytest.mark.parametrize("name", preset_names())
def test_joint_control_never_exceeds_the_local_bound(name):
    """Per input the joint control's heads are one deterministic strategy, so its value is
    a mean of local values: at most the local bound, for every preset and any outcomes
    (also the heads that are right with probability near 1, where the bound is reached)."""
    e = preset(name)
    local = e.local_bound().value
    rng = np.random.default_rng(len(name))
    values = []
    for k in range(300):
        p = np.full(e.m_a + e.m_b, 0.999) if k % 3 == 0 else None
        cols = toy_bell.expression_columns(_synthetic_record(rng, e.m_a, e.m_b, p), [e],
                                           e.m_a, e.m_b)
        values.append(cols[f"{e.name}_joint"])
    assert max(values) <= local + 1e-12, (max(values), local)


def test_three_task_run_columns_and_values(tmp_path):
    out = tmp_path / "o"
    result = invoke("toy", *TINY, *THREE, "--expression", "chained-3,i3322,chsh", "--out", out)
    assert result.exit_code == 0, result.stderr
    frame = pd.read_csv(out / "results.csv")
    assert len(frame) == 4
    for name in ("chained-3", "i3322", "chsh"):
        assert {name, f"{name}_joint", f"{name}_product"} <= set(frame.columns)
        local = preset(name).local_bound().value
        assert (frame[f"{name}_joint"] <= local + 1e-12).all()
    for x in (1, 2, 3):
        for y in (1, 2, 3):
            assert {f"C{x}{y}", *chsh.acc_columns(x, y)} <= set(frame.columns)
    assert np.array_equal(frame["chsh"], frame["S"])  # CHSH on settings 1, 2
    assert np.array_equal(frame["chsh_joint"], frame["S_joint"])
    # one run's V against ncnet.bell.score on the stored outcomes (all pairs share the inputs)
    import json

    doc = json.loads((out / "summary.json").read_text())
    entry = doc["by_hidden"]["3"]["bell"]["i3322"]
    assert entry["bounds"]["local"] == 0.0 and entry["runs"] == 2
    assert entry["joint"]["runs_above_local"] == 0
    from ncnet.engine import store

    with store.Store(out / "results.sqlite") as st:
        rec = next(iter(st.records("toy", doc["config_hash"]).values()))
    a, b, _, _ = toy_bell.run_outcomes(rec, 3, 3)
    ref = bell_score.score_pairs(preset("i3322"), list(a.reshape(9, 16)),
                                 list(b.reshape(9, 16)), items=[np.arange(16)] * 9,
                                 n_boot=10, with_bounds=False)
    row = frame[(frame.hidden == rec["hidden"]) & (frame.run == rec["run"])].iloc[0]
    assert row["i3322"] == pytest.approx(ref.value, abs=1e-12)
    assert row["i3322_product"] == pytest.approx(ref.value_product, abs=1e-12)
    assert "Bell expressions per hidden size" in result.stdout


@pytest.mark.parametrize(("args", "fragment"), [
    (("--tasks-a", "bit1,majority"), "unknown task 'majority'; allowed: bit1, bit2, xor"),
    (("--tasks-a", "bit1,xor,bit1"), "named twice"),
    (("--tasks-b", "xor"), "2 to 8 tasks"),
    (("--expression", "chained-3"), "needs 3 tasks for Alice and 3 for Bob"),
    (("--expression", "nope"), "unknown Bell expression 'nope'"),
])
def test_bad_task_options_are_one_line_errors_and_write_nothing(tmp_path, args, fragment):
    out = tmp_path / "o"
    result = invoke("toy", *TINY, *args, "--out", out)
    assert result.exit_code == 2, result.stdout
    assert fragment in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_trace_is_for_the_paper_design_only():
    with pytest.raises(ValidationError, match="paper's tasks"):
        toy_config.ToyConfig(tasks_a=["bit1", "bit2", "xor"], trace_every=50)
