"""Expression files (TOML, JSON): both forms, labels, and one-line errors for bad input."""

import json

import numpy as np
import pytest

from ncnet.bell import BellInputError, cg_to_fc, load_expression, resolve_expression


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_toml_correlators_with_marginals_and_labels(tmp_path):
    path = write(tmp_path, "mine.toml", 'correlators = [[1, 1, 0], [1, 0, 1], [0, 1, -1]]\n'
                 'alice = [0.5, 0, 0]\nbob = [0, 0, -0.5]\nconstant = 1\n'
                 'description = "three by three"\n')
    e = load_expression(path)
    assert e.name == "mine" and e.description == "three by three" and e.cg is None
    np.testing.assert_array_equal(e.fc, [[1, 0, 0, -0.5], [0.5, 1, 1, 0], [0, 1, 0, 1],
                                         [0, 0, 1, -1]])


def test_json_cg_is_mapped_to_fc(tmp_path):
    cg = [[0, -2, -1, 0], [-1, 1, 1, 1], [0, 1, 1, -1], [0, 1, -1, 0]]
    e = load_expression(write(tmp_path, "i.json", json.dumps({"cg": cg, "name": "my-i3322"})))
    assert e.name == "my-i3322"
    np.testing.assert_array_equal(e.cg, cg)
    np.testing.assert_array_equal(e.fc, cg_to_fc(cg))


def test_resolve_prefers_presets_then_files(tmp_path):
    assert resolve_expression("chsh").name == "chsh"
    path = write(tmp_path, "x.toml", "correlators = [[2]]\n")
    assert resolve_expression(str(path)).correlators.tolist() == [[2.0]]
    with pytest.raises(BellInputError, match="does not exist"):
        resolve_expression(str(tmp_path / "missing.toml"))
    with pytest.raises(BellInputError, match="unknown Bell expression 'nonsense'; presets: chsh"):
        resolve_expression("nonsense")


@pytest.mark.parametrize("name, text, message", [
    ("a.toml", "correlators = [[1, 1], [1]]\n", "correlators is ragged: row 1 has 1"),
    ("a.toml", 'correlators = [[1, "x"]]\n', "correlators[0][1] = 'x' is not a number"),
    ("a.toml", "correlators = [[1, nan]]\n", "correlators[0][1] = nan is not finite"),
    ("a.toml", "correlators = [[1, inf]]\n", "correlators[0][1] = inf is not finite"),
    ("a.json", '{"correlators": [[1, NaN]]}', "correlators[0][1] = nan is not finite"),
    ("a.json", '{"cg": [[0, 1], [1, Infinity]]}', "cg[1][1] = inf is not finite"),
    ("a.toml", "cg = [[0, 0], [0, 1]]\ncorrelators = [[1]]\n",
     "give either cg or correlators (with alice, bob, constant), not both: found cg and "
     "correlators"),
    ("a.toml", "cg = [[0, 0], [0, 1]]\nalice = [1]\n", "not both: found cg and alice"),
    ("a.toml", "correlatros = [[1]]\n", "key 'correlatros' is not allowed; allowed: cg, "
     "correlators, alice, bob, constant, name, description"),
    ("a.toml", "name = 'x'\n", "no coefficients: give correlators = [[...]] or cg = [[...]]"),
    ("a.toml", "correlators = [[1]]\nname = 3\n", "name = 3 must be a string"),
    ("a.toml", "correlators = [[1, 1]]\nbob = [1]\n", "bob has 1 entries; it needs 2"),
    ("a.toml", "correlators = [[1]\n", "is not valid TOML"),
    ("a.json", "[1, 2]", "expected a table of keys"),
    ("a.yaml", "correlators: [[1]]", "unknown file type '.yaml'; allowed: .toml, .json"),
])
def test_bad_files_are_one_line_errors(tmp_path, name, text, message):
    path = write(tmp_path, name, text)
    with pytest.raises(BellInputError) as err:
        load_expression(path)
    assert message in str(err.value) and "\n" not in str(err.value)
    assert str(err.value).startswith(str(path))


def test_the_documented_example_file_loads():
    from pathlib import Path

    e = load_expression(Path(__file__).resolve().parents[2] / "docs" / "bell-example.toml")
    assert e.name == "bell-example" and e.alice.tolist() == [0.5, 0]
    assert e.local_bound().value == 2.5 and e.no_signalling_bound().value == pytest.approx(4)
