"""`ncnet bell list | show | bounds`: tables, the JSON object, and one-line errors (exit 2)."""

import json
import math
import sys

import pytest
from typer.testing import CliRunner

from ncnet.bell import preset_names
from ncnet.cli import app

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, ["bell", *[str(a) for a in args]], env={"COLUMNS": "120"})


def one_line_error(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2, (result.exit_code, result.stderr, result.exception)
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def bounds_json(*args):
    result = invoke("bounds", *args, "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_list_shows_every_preset_with_its_settings():
    result = invoke("list")
    assert result.exit_code == 0, result.stderr
    for name in preset_names():
        assert f"│ {name} " in result.stdout
    listed = json.loads(invoke("list", "--json").stdout)
    assert [p["name"] for p in listed] == preset_names()
    assert listed[2] == {"name": "i3322", "m_a": 3, "m_b": 3,
                         "description": listed[2]["description"]}


def test_bounds_json_is_one_object_with_the_six_keys():
    pytest.importorskip("clarabel")
    out = bounds_json("chained-3")
    assert set(out) == {"local", "quantum", "quantum_kind", "no_signalling", "m_a", "m_b"}
    assert out["local"] == 4 and out["m_a"] == out["m_b"] == 3
    assert out["quantum"] == pytest.approx(6 * math.cos(math.pi / 6), abs=1e-6)
    assert out["quantum_kind"] == "exact"
    assert out["no_signalling"] == pytest.approx(6, abs=1e-9)
    i3322 = bounds_json("i3322")
    assert i3322["quantum_kind"] == "npa-2 upper bound" and i3322["local"] == 0
    assert bounds_json("i3322", "--npa-level", "1+AB")["quantum_kind"] == "npa-1+AB upper bound"
    assert bounds_json("ch")["quantum"] == pytest.approx((math.sqrt(2) - 1) / 2, abs=1e-7)


def test_show_prints_fc_cg_and_the_three_bounds():
    pytest.importorskip("clarabel")
    result = invoke("show", "i3322")
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    assert "Full correlators (FC)" in text and "Collins–Gisin (CG), as given" in text
    assert "│ A1 │ 0.25 │  0.25 │  0.25 │  0.25 │" in text  # FC row of A1
    assert "│ A1 │ -1 │  1 │  1 │  1 │" in text  # CG row of A1
    assert "│ quantum       │ 0.2509397 │ upper bound (NPA level 2)" in text
    assert "│ no-signalling │         1 │" in text
    chsh = invoke("show", "chsh").stdout
    assert "Collins–Gisin" not in chsh and "exact (Tsirelson SDP)" in chsh
    assert "│ quantum       │ 2.828427 │" in chsh and "│ local         │        2 │" in chsh


def test_show_and_bounds_read_a_file(tmp_path):
    pytest.importorskip("clarabel")
    path = tmp_path / "mine.toml"
    path.write_text("correlators = [[1, 1], [1, -1]]\nconstant = 1\n")
    out = bounds_json(path)
    assert out["local"] == 3 and out["quantum"] == pytest.approx(1 + 2 * math.sqrt(2), abs=1e-7)
    result = invoke("show", path)
    assert result.exit_code == 0 and "mine: from" in result.stdout


def test_without_the_extra_bounds_and_show_give_the_exact_bounds_and_name_the_install(
        monkeypatch):
    """The local and no-signalling bounds need no SDP solver: `bounds --json` gives them with
    quantum null and the install in quantum_kind (it used to fail outright)."""
    monkeypatch.setitem(sys.modules, "clarabel", None)
    result = invoke("bounds", "chsh", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {
        "local": 2.0, "quantum": None, "no_signalling": 4.0, "m_a": 2, "m_b": 2,
        "quantum_kind": "clarabel is not installed; it comes with the extra: "
                        "pip install 'ncnet[bell]'"}
    result = invoke("show", "chsh")
    assert result.exit_code == 0, result.stderr
    assert "clarabel is not installed; it comes with the extra: pip install 'ncnet[bell]'" in \
        result.stdout
    assert "│ local         │     2 │" in result.stdout


@pytest.mark.parametrize("content, suffix, message", [
    ("correlators = [[1, 1], [1]]\n", ".toml", "correlators is ragged: row 1 has 1 entries"),
    ('correlators = [[1, "a"]]\n', ".toml", "correlators[0][1] = 'a' is not a number"),
    ('{"correlators": [[NaN]]}', ".json", "correlators[0][0] = nan is not finite"),
    ("correlators = [[inf]]\n", ".toml", "correlators[0][0] = inf is not finite"),
    ("cg = [[0, 0], [0, 1]]\ncorrelators = [[1]]\n", ".toml", "give either cg or correlators"),
    ("correlators = " + str([[1] * 21] * 21) + "\n", ".toml",
     "local bound: m_A = 21 and m_B = 21 settings; exact enumeration allows at most 20"),
])
def test_bad_expression_files_are_one_line_errors(tmp_path, content, suffix, message):
    path = tmp_path / f"bad{suffix}"
    path.write_text(content)
    for command in ("show", "bounds"):
        line = one_line_error(invoke(command, path, "--json") if command == "bounds"
                              else invoke(command, path))
        assert message in line, line


def test_unknown_names_levels_and_files_are_one_line_errors(tmp_path):
    line = one_line_error(invoke("show", "chained-12"))
    assert line.startswith("error: unknown Bell expression 'chained-12'; presets: chsh, ch, "
                           "i3322, chained-2")
    line = one_line_error(invoke("bounds", "i3322", "--npa-level", "0"))
    assert line == "error: NPA level 0 is not allowed: use a whole number >= 1 or 1+AB"
    line = one_line_error(invoke("bounds", tmp_path / "none.json"))
    assert line.endswith("none.json does not exist")
    assert invoke("show", "chsh").stderr == ""
