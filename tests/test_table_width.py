"""The console tables of the Bell family fit an 80-column terminal, and keep their numbers.

Each table is rendered at width 80: no line is wider, no table is wider than 80 columns even
where nothing forces it narrower (so rich did not squeeze and wrap its numbers), and the
values in the cells are those computed here, in the same test.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from rich.cells import cell_len
from rich.console import Console
from typer.testing import CliRunner

from ncnet.bell import preset, preset_names
from ncnet.bell import score as bell_score
from ncnet.cli import app
from ncnet.cli import bell as cli_bell
from ncnet.experiments.toy import bell as toy_bell
from ncnet.experiments.toy import config as toy_config
from ncnet.experiments.toy import experiment as toy
from ncnet.experiments.toy import tables as toy_tables

WIDTH = 80
runner = CliRunner()


def invoke(*args):
    result = runner.invoke(app, [str(a) for a in args], env={"COLUMNS": str(WIDTH)})
    assert result.exit_code == 0, result.output
    return result.stdout


def widest(text: str) -> int:
    return max(cell_len(line) for line in text.splitlines())


def rendered(*tables) -> str:
    """``tables`` as an 80-column terminal shows them; each must fit without squeezing."""
    for t in tables:
        assert cli_bell._natural_width(t) <= WIDTH, t.title
    console = Console(width=WIDTH, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(*tables)
    text = console.export_text()
    assert widest(text) <= WIDTH
    return text


def cells(text: str) -> list[list[str]]:
    """The cells of each body line of the tables in ``text``."""
    return [[c.strip() for c in line.split("│")[1:-1]] for line in text.splitlines()
            if line.startswith("│")]


def outcome_file(tmp_path, m: int) -> tuple[pd.DataFrame, str]:
    rng = np.random.default_rng(m)
    rows = [(i, j, k, int(rng.random() < 0.85), int(rng.random() < 0.7 + 0.05 * j))
            for i in range(1, m + 1) for j in range(1, m + 1) for k in range(60)]
    frame = pd.DataFrame(rows, columns=["i", "j", "item", "A", "B"])
    path = tmp_path / f"o{m}.csv"
    frame.to_csv(path, index=False)
    return frame, str(path)


def test_score_expression_tables_fit_and_show_every_gap(tmp_path):
    """chained-5: four gaps per setting, once one line each, now one row each."""
    frame, path = outcome_file(tmp_path, 5)
    names = ["chained-5", "chsh"]
    out = invoke("score", path, "--expression", ",".join(names), "--n-boot", "100")
    assert widest(out) <= WIDTH
    scores = bell_score.score_many([preset(n) for n in names], frame, n_boot=100, seed=0)
    for d in (s.to_dict() for s in scores):
        views = cli_bell.score_views(d)
        text = rendered(*views)
        assert text in out or all(line in out for line in text.splitlines())
        assert f"V = {d['V']:.4f}" in text
        body = cells(text)
        pm = cli_bell._pm
        gaps = [[f"{'j' if side == 'A' else 'i'} 1-{t + 2}", f"{pm(g)} [{pm(lo)}, {pm(hi)}]"]
                for side in "AB"
                for row, cis in zip(d[f"signalling_gap_{side}"], d[f"signalling_gap_{side}_ci"],
                                    strict=True)
                for t, (g, (lo, hi)) in enumerate(zip(row, cis, strict=True))]
        assert [r[3:] for r in body if len(r) == 5 and r[3] != "—"] == gaps
        settings = [r[:3] for r in body if len(r) == 5 and r[0]]
        assert settings == [[f"{s}{x + 1}", f"{d[f'marg_{s}'][x]:+.4f}",
                             f"{d[f'signalling_spread_{s}'][x]:.4f}"]
                            for s in "AB" for x in range(d[f"m_{s.lower()}"])]
        pairs = [r for r in body if len(r) == 6]
        assert [r[2] for r in pairs] == [f"{c:.4f}" for row in d["C"] for c in row]


def test_bell_list_fits_and_keeps_every_description_whole():
    """The descriptions wrap inside their column (``--json`` has each on one line); the
    other columns never wrap."""
    text = invoke("bell", "list")
    assert widest(text) <= WIDTH
    rows: list[list[str]] = []
    for r in cells(text):
        if r[0]:
            rows.append(r)
        else:  # a wrapped description goes on in the next line
            rows[-1][3] += " " + r[3]
    expected = [[n, str(preset(n).m_a), str(preset(n).m_b), preset(n).description]
                for n in preset_names()]
    assert rows == expected


def test_bell_show_splits_a_wide_coefficient_table_into_blocks_that_fit():
    rng = np.random.default_rng(0)
    fc = np.round(rng.uniform(-1, 1, (13, 13)), 7)  # 12 x 12 settings, 7 digits each
    blocks = cli_bell._coefficients(fc, "A{}", "B{}")
    assert len(blocks) > 1
    texts = [rendered(b) for b in blocks]
    columns = [[c.header for c in b.columns][1:] for b in blocks]
    assert sum(columns, []) == ["1", *(f"B{y}" for y in range(1, 13))]
    for text, labels in zip(texts, columns, strict=True):
        first = [0 if c == "1" else int(c[1:]) for c in labels]
        assert [r[1:] for r in cells(text)] == [[cli_bell._num(fc[x, y]) for y in first]
                                                 for x in range(13)]
    (one,) = cli_bell._coefficients(np.asarray(preset("chained-10").fc), "A{}", "B{}")
    assert len(one.columns) == 12  # the row labels, "1" and B1 .. B10: one block


@pytest.mark.parametrize("name", ["chsh", "i3322", "chained-10"])
def test_bell_show_and_bounds_fit(name):
    pytest.importorskip("clarabel")
    e = preset(name)
    b = e.bounds(2)
    for command in ("show", "bounds"):
        text = invoke("bell", command, name)
        assert widest(text) <= WIDTH
        bounds = {r[0]: r[1] for r in cells(text) if len(r) == 3}
        assert bounds == {"local": cli_bell._num(b.local.value),
                          "quantum": cli_bell._num(b.quantum.value),
                          "no-signalling": cli_bell._num(b.no_signalling.value)}


def test_the_m_task_toy_tables_fit_and_show_the_summary():
    config = toy_config.ToyConfig(hidden=[2, 3], runs=3, epochs=60, record_every=0,
                           tasks_a=["bit1", "bit2", "xor"], tasks_b=["bit1", "bit2", "xor"],
                           expression=["chsh", "i3322", "chained-3"])
    runs = toy.planned_runs(config)
    pairs = {r["key"]: r for r in toy.train_pair_runs(config, runs)}
    joint = {r["key"]: r for r in toy.train_joint_runs(config, runs)}
    records = toy.collect_toy(config, pairs, joint)
    summary = toy.ToyExperiment().summarize(config, "", records).summary
    tables = toy_bell.console_tables(summary)
    assert len(tables) == 3
    text = rendered(*(t.to_rich() for t in toy_tables.console_tables(summary)))
    body = cells(text)
    for name in config.expression:
        bd = summary["2"]["bell"][name]["bounds"]
        assert [name, f"{bd['local']:.4g}", f"{bd['quantum']:.4g}",
                f"{bd['no_signalling']:.4g}"] in body
        for n in ("2", "3"):
            b = summary[n]["bell"][name]
            v = b["V"]
            row = [r for r in body if r[:2] == [name, n] and len(r) == 5]
            assert row[0][2] == f"{v['mean']:.3f} [{v['ci'][0]:.3f}, {v['ci'][1]:.3f}]"
            assert row[1][2:] == [f"{b['product']['mean']:.3f}", f"{b['joint']['max']:.3f}",
                                  f"{b['spread']['mean']:.3f}"]
