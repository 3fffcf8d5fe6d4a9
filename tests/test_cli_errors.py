"""One line on stderr, exit status 2 and nothing written: missing extras, unreadable tables."""

import os
import sys

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from ncnet.cli import app

from .conftest import TEXT_FIXTURES

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args], env={"COLUMNS": "80"})


def one_line_error(result) -> str:
    """The single stderr line of a failed command (asserting exit 2, no traceback)."""
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2, (result.exit_code, result.stderr, result.exception)
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def lora_args(model, out, tmp_path, suite="offline-mixed", data_dir=TEXT_FIXTURES / "data"):
    args = ["lora", "--suite", suite, "--model", model, "--ranks", "1", "--epochs", "1",
            "--train-size", "8", "--test-size", "4", "--threads", "1", "--device", "cpu",
            "--cache-dir", tmp_path / "cache", "--out", out]
    return args + (["--data-dir", data_dir] if data_dir else [])


# -- missing optional extras --------------------------------------------------------------


def test_missing_transformers_names_the_lora_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "transformers", None)
    line = one_line_error(invoke("lora", "params", "--model", "bert-base-uncased",
                                 "--ranks", "1"))
    assert line == ("error: transformers is not installed; it comes with the extra: "
                    "pip install 'ncnet[lora]'")


def test_missing_peft_fails_before_anything_is_written(monkeypatch, tiny_bert, tmp_path):
    monkeypatch.setitem(sys.modules, "peft", None)
    out = tmp_path / "out"
    line = one_line_error(invoke(*lora_args(tiny_bert, out, tmp_path)))
    assert line.endswith("peft is not installed; it comes with the extra: "
                         "pip install 'ncnet[lora]'")
    assert not out.exists()


def test_missing_datasets_names_the_lora_extra(monkeypatch, tiny_bert, tmp_path):
    monkeypatch.setitem(sys.modules, "datasets", None)
    out = tmp_path / "out"
    line = one_line_error(invoke(*lora_args(tiny_bert, out, tmp_path, suite="paper-mixed",
                                            data_dir=None)))
    assert line.endswith("datasets is not installed; it comes with the extra: "
                         "pip install 'ncnet[lora]'")
    assert not out.exists()


def test_a_paper_suite_offline_fails_at_once_naming_the_switch(tmp_path):
    # in a fresh process with nothing cached: one line that names NCNET_ALLOW_HUB, before
    # torch or the data stack is imported
    import subprocess

    code = ("import atexit, sys\n"
            "atexit.register(lambda: print('heavy:', sorted({'torch', 'datasets', "
            "'transformers'} & set(sys.modules)), file=sys.stderr))\n"
            "from ncnet.cli import app\n"
            "app(sys.argv[1:], prog_name='ncnet')\n")
    env = {k: v for k, v in os.environ.items()
           if k not in ("NCNET_ALLOW_HUB", "HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE")}
    env.update(HF_HUB_CACHE=str(tmp_path / "hf"), PYTHONPATH=os.pathsep.join(sys.path),
               COLUMNS="300")
    out = tmp_path / "out"
    result = subprocess.run([sys.executable, "-c", code, "lora", "--suite", "paper-mixed",
                             "--cache-dir", str(tmp_path / "cache"), "--out", str(out)],
                            capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [
        "error: suite paper-mixed: task(s) sst2, commonsenseqa, mrpc, mathqa come from the "
        "Hugging Face hub and are not cached here; set NCNET_ALLOW_HUB=1 (with network) to "
        "allow the hub, or give --data-dir DIR with DIR/<task>/{train,test}.csv",
        "heavy: []"]
    assert not out.exists()


# -- corrupt or foreign tables given to `ncnet score` --------------------------------------


def _good_frame(n=64, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"i": np.repeat([1, 1, 2, 2], n // 4), "j": np.tile([1, 2], n // 2),
                         "A": rng.integers(0, 2, n), "B": rng.integers(0, 2, n)})


def _files(tmp_path):
    good = tmp_path / "good.parquet"
    _good_frame().to_parquet(good)
    raw = good.read_bytes()
    files = {
        "random.parquet": os.urandom(400),
        "truncated.parquet": raw[: len(raw) // 2],
        "empty.parquet": b"",
        "parquet-named.csv": raw,
        "binary.csv": bytes(range(256)) * 8,
        "empty.csv": b"",
        "ragged.csv": b"i,j,A,B\n1,1,1,1\n1,2,1,1,0,0\n",
        "latin1.csv": "i,j,A,B\n1,1,1,\xe9\n".encode("latin-1"),
        "foreign.csv": b"name,age\nada,36\n",
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    # a foreign Parquet: another tool's table, and one whose outcome column is nested
    pd.DataFrame({"experiment": ["toy"], "S": [2.5]}).to_parquet(tmp_path / "foreign.parquet")
    _good_frame().assign(A=[{"x": 1}] * 64).to_parquet(tmp_path / "nested.parquet")
    return sorted(p for p in tmp_path.iterdir() if p.name != "good.parquet")


def test_score_reports_a_corrupt_or_foreign_table_in_one_line(tmp_path):
    files = _files(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    expected = {
        "random.parquet": "could not be read as Parquet",
        "truncated.parquet": "could not be read as Parquet",
        "empty.parquet": "could not be read as Parquet",
        "parquet-named.csv": "could not be read as CSV",
        "binary.csv": "could not be read as CSV",
        "empty.csv": "could not be read as CSV",
        "ragged.csv": "could not be read as CSV",
        "latin1.csv": "could not be read as CSV",
        "foreign.csv": "missing column(s) ['i', 'j', 'A', 'B']",
        "foreign.parquet": "missing column(s) ['i', 'j', 'A', 'B']",
        "nested.parquet": "columns i, j, A, B must hold plain numbers",
    }
    assert sorted(p.name for p in files) == sorted(expected)
    for path in files:
        line = one_line_error(invoke("score", path, "--n-boot", "10"))
        assert str(path) in line and expected[path.name] in line, line
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_score_reads_the_good_file_it_is_compared_with(tmp_path, suffix):
    path = tmp_path / f"good{suffix}"
    frame = _good_frame()
    frame.to_csv(path, index=False) if suffix == ".csv" else frame.to_parquet(path)
    result = invoke("score", path, "--n-boot", "10", "--json")
    assert result.exit_code == 0, result.stderr


# -- checks of the whole config name their fields, not "--" ---------------------------------


def test_a_whole_config_check_names_its_fields_in_its_own_words(tmp_path):
    """A check that spans fields (pydantic: no location) prints its own message, which names
    the options; from a file, after the file's name. It used to print "-- is not allowed"
    and "FILE:  is not allowed"."""
    line = one_line_error(invoke("toy", "--expression", "i3322", "--out", tmp_path / "o"))
    assert line == ("error: expression i3322 needs 3 tasks for Alice and 3 for Bob; the run "
                    "has 2 and 2 (--tasks-a, --tasks-b)")
    config = tmp_path / "traced.toml"
    config.write_text('[toy]\ntrace_every = 5\ntasks_a = ["bit1", "bit2"]\n')
    line = one_line_error(invoke("run", config))
    assert line == f"error: {config}: trace_every works with the paper's tasks (bit1,xor) only"
    suite = tmp_path / "suite.toml"
    suite.write_text('[lora]\nsuite = "mine"\n')
    assert one_line_error(invoke("run", suite)).startswith(
        f"error: {suite}: suite = 'mine' is not allowed: unknown suite 'mine'; allowed: ")
    assert not (tmp_path / "o").exists()
