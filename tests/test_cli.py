import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from ncnet.cli import app
from ncnet.engine import sweep
from ncnet.experiments.toy import config as toy_config
from ncnet.experiments.toy import experiment as toy
from ncnet.experiments.toy import summary as toy_summary

runner = CliRunner()
TINY = ["--hidden", "2,3", "--runs", "3", "--epochs", "200"]


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args], env={"COLUMNS": "120"})


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("tiny")
    result = invoke("toy", *TINY, "--out", out)
    assert result.exit_code == 0, result.stderr
    return out, result


def test_toy_writes_the_output_contract(tiny_run):
    out, result = tiny_run
    assert "6 runs trained (+6 joint controls), 0 already complete" in result.stdout
    frame = pd.read_csv(out / "results.csv")
    assert len(frame) == 6
    expected = ["experiment", "run", "seed", "hidden", "C11", "C12", "C21", "C22", "S"]
    assert list(frame.columns[:9]) == expected
    for i, j in [(1, 1), (1, 2), (2, 1), (2, 2)]:
        assert f"acc_A{i}_B{j}" in frame and f"acc_B{j}_A{i}" in frame
    assert {"S_joint", "C22_joint", "S_product", "gap_A2"} <= set(frame.columns)
    assert (frame["S_joint"] <= 2 + 1e-12).all()
    s = frame["C11"] + frame["C12"] + frame["C21"] - frame["C22"]
    assert (s - frame["S"]).abs().max() < 1e-12
    assert sorted(frame["hidden"].unique()) == [2, 3]
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary["by_hidden"]) == {"2", "3"}
    assert summary["by_hidden"]["3"]["runs"] == 3
    assert summary["by_hidden"]["3"]["S"]["mean"] == pytest.approx(
        frame.loc[frame.hidden == 3, "S"].mean())
    assert summary["config"]["epochs"] == 200
    for name in ("fig2a.png", "fig2b.png", "signalling.png", "cbd.png", "communication.png",
                 "report.md", "results.sqlite", "results.parquet"):
        assert (out / name).stat().st_size > 0
    page = (out / "report.html").read_text()
    assert page.count("data:image/png;base64,") == 2 * 5 and 'src="fig' not in page
    assert page.count("<picture><source media=") == 5  # each figure's phone variant
    assert "Against the paper" in (out / "report.md").read_text()


def test_toy_cbd_columns_equal_a_recomputation_from_the_same_rows(tiny_run):
    """Delta, S_odd and cbd_excess of results.csv from its own correlators and accuracies:
    Delta = the four heads' |<A> beside task 1 - <A> beside task 2| (<A> = 2 acc - 1), S_odd
    by enumerating the odd sign patterns. Exact: the toy's values sit on a 1/16 grid."""
    import itertools

    out, _ = tiny_run
    f = pd.read_csv(out / "results.csv")
    ea = {(i, j): 2 * f[f"acc_A{i}_B{j}"] - 1 for i in (1, 2) for j in (1, 2)}
    eb = {(i, j): 2 * f[f"acc_B{j}_A{i}"] - 1 for i in (1, 2) for j in (1, 2)}
    delta = ((ea[1, 1] - ea[1, 2]).abs() + (ea[2, 1] - ea[2, 2]).abs()
             + (eb[1, 1] - eb[2, 1]).abs() + (eb[1, 2] - eb[2, 2]).abs())
    c = f[["C11", "C12", "C21", "C22"]].to_numpy()
    s_odd = np.max([c @ np.array(s) for s in itertools.product((1, -1), repeat=4)
                    if s.count(-1) % 2 == 1], axis=0)
    assert f.Delta.tolist() == delta.tolist()
    assert f.S_odd.tolist() == s_odd.tolist()
    assert f.cbd_excess.tolist() == (s_odd - 2 - delta).tolist()
    summary = json.loads((out / "summary.json").read_text())["by_hidden"]
    for n in ("2", "3"):
        rows = f[f.hidden == int(n)]
        assert summary[n]["fraction_cbd_contextual"] == float((rows.cbd_excess > 1e-9).mean())


def test_rerun_resumes_and_extends(tiny_run, tmp_path):
    out, _ = tiny_run
    before = (out / "results.csv").read_text()
    again = invoke("toy", *TINY, "--out", out)
    assert again.exit_code == 0
    assert "0 runs trained (+0 joint controls), 6 already complete" in again.stdout
    assert (out / "results.csv").read_text() == before
    more = invoke("toy", "--hidden", "2,3", "--runs", "4", "--epochs", "200", "--out", out)
    assert "2 runs trained (+2 joint controls), 6 already complete" in more.stdout
    frame = pd.read_csv(out / "results.csv")
    assert len(frame) == 8
    old = pd.read_csv(pd.io.common.StringIO(before))
    merged = frame.merge(old, on=["hidden", "run"], suffixes=("", "_old"))
    assert (merged["S"] == merged["S_old"]).all()


def test_interrupted_sweep_resumes_to_the_same_result(tmp_path, monkeypatch):
    config = toy_config.ToyConfig(hidden=[2, 3], runs=3, epochs=150, chunk_runs=2)
    clean = sweep.run(toy.ToyExperiment(), config, tmp_path / "clean")

    calls = {"n": 0}
    real = toy.train_pair_runs

    def dies_after_one_chunk(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(toy, "train_pair_runs", dies_after_one_chunk)
    with pytest.raises(KeyboardInterrupt):
        sweep.run(toy.ToyExperiment(), config, tmp_path / "cut")
    monkeypatch.setattr(toy, "train_pair_runs", real)
    resumed = sweep.run(toy.ToyExperiment(), config, tmp_path / "cut")
    assert resumed.complete_before == 0
    assert resumed.trained == {toy_config.EXPERIMENT: 4, toy_config.JOINT_EXPERIMENT: 6}
    assert resumed.records == clean.records


def test_report_command_redraws(tiny_run):
    out, _ = tiny_run
    (out / "report.md").unlink()
    result = invoke("report", out)
    assert result.exit_code == 0, result.stderr
    assert (out / "report.md").exists()


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--hidden", "0"], "hidden size 0"),
        (["--hidden", "-2"], "hidden size -2"),
        (["--hidden", "2,x"], "--hidden '2,x' is not a list"),
        (["--runs", "0"], "--runs = 0"),
        (["--epochs", "0"], "--epochs = 0"),
        (["--optimizer", "rmsprop"], "'adam' or 'sgd'"),
        (["--encoding", "bits"], "--encoding = 'bits'"),
        (["--loss", "hinge"], "--loss = 'hinge'"),
        (["--init", "zeros"], "--init = 'zeros'"),
        (["--lr", "nan"], "--lr = nan"),
        (["--device", "tpu"], "--device = 'tpu'"),
    ],
)
def test_bad_options_give_one_line_errors(tmp_path, args, fragment):
    result = invoke("toy", *args, "--out", tmp_path / "o")
    assert result.exit_code == 2
    assert fragment in result.stderr
    assert result.stderr.startswith("error:") and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr + result.stdout
    assert not (tmp_path / "o").exists()


def test_out_that_is_a_file(tmp_path):
    target = tmp_path / "file.txt"
    target.write_text("keep me")
    result = invoke("toy", *TINY, "--out", target)
    assert result.exit_code == 2 and "is a file" in result.stderr
    assert target.read_text() == "keep me"


def test_out_that_cannot_be_created(tmp_path):
    (tmp_path / "file.txt").write_text("x")
    result = invoke("toy", *TINY, "--out", tmp_path / "file.txt" / "sub")
    assert result.exit_code == 2 and "not writable" in result.stderr


def test_corrupt_store_is_not_touched(tmp_path):
    out = tmp_path / "o"
    out.mkdir()
    (out / "results.sqlite").write_bytes(b"garbage" * 500)
    result = invoke("toy", *TINY, "--out", out)
    assert result.exit_code == 2 and "not a usable ncnet store" in result.stderr
    assert (out / "results.sqlite").read_bytes() == b"garbage" * 500
    assert sorted(p.name for p in out.iterdir()) == ["results.sqlite"]


def test_report_of_an_empty_directory(tmp_path):
    result = invoke("report", tmp_path)
    assert result.exit_code == 2 and "holds no results.sqlite" in result.stderr


def test_run_a_toml_config(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[toy]\nhidden = [3]\nruns = 2\nepochs = 100\nreport = false\n')
    result = invoke("run", cfg, "--out", tmp_path / "o")
    assert result.exit_code == 0, result.stderr
    assert len(pd.read_csv(tmp_path / "o" / "results.csv")) == 2
    bad = tmp_path / "bad.toml"
    bad.write_text('[toy]\nrunz = 2\n')
    result = invoke("run", bad, "--out", tmp_path / "o2")
    assert result.exit_code == 2 and "runz" in result.stderr
    bad.write_text('[nope]\nx = 1\n')
    assert "table [nope] is not allowed" in invoke("run", bad).stderr


def _score_file(tmp_path):
    # pair (1,1): 4 items all agree -> C=1; (1,2): A=+1,B=-1 on 2 of 4 -> C=0;
    # (2,1): C=1; (2,2): all anti -> C=-1. S = 1 + 0 + 1 + 1 = 3.
    rows = []
    for a, b in [(1, 1)] * 4:
        rows.append((1, 1, a, b))
    for a, b in [(1, 1), (1, 1), (1, 0), (1, 0)]:
        rows.append((1, 2, a, b))
    for a, b in [(0, 0), (1, 1)]:
        rows.append((2, 1, a, b))
    for a, b in [(1, 0), (0, 1), (1, 0)]:
        rows.append((2, 2, a, b))
    path = tmp_path / "outcomes.csv"
    pd.DataFrame(rows, columns=["i", "j", "A", "B"]).to_csv(path, index=False)
    return path


def test_score_known_answers(tmp_path):
    path = _score_file(tmp_path)
    result = invoke("score", path, "--json", "--n-boot", "500")
    assert result.exit_code == 0, result.stderr
    d = json.loads(result.stdout)
    assert d["C"] == [[1.0, 0.0], [1.0, -1.0]]
    assert d["S"] == pytest.approx(3.0)
    assert d["n_items"] == [[4, 4], [2, 3]]
    assert d["acc_B"][0][1] == pytest.approx(0.5)
    assert d["signalling_gap_A"][1] == pytest.approx(0.5 - 2 / 3)
    table = invoke("score", path, "--n-boot", "500")
    assert table.exit_code == 0 and "S = 3.0000" in table.stdout
    parquet = tmp_path / "o.parquet"
    pd.read_csv(path).to_parquet(parquet)
    assert json.loads(invoke("score", parquet, "--json", "--n-boot", "500").stdout)["S"] == 3.0


def test_score_bad_inputs(tmp_path):
    assert "does not exist" in invoke("score", tmp_path / "none.csv").stderr
    bad = tmp_path / "bad.csv"
    bad.write_text("i,j,A\n1,1,1\n")
    result = invoke("score", bad)
    assert result.exit_code == 2 and "B" in result.stderr
    bad.write_text("i,j,A,B\n1,1,1,1\n1,2,1,1\n2,1,1,1\n3,2,1,1\n")
    assert "3" in invoke("score", bad).stderr
    other = tmp_path / "x.xlsx"
    other.write_text("")
    assert "unknown file type" in invoke("score", other).stderr



@pytest.mark.parametrize("sep", [";", "\t", ", "])
def test_score_detects_the_separator(tmp_path, sep):
    # the same outcomes with semicolons, tabs, or commas and spaces give the comma file's score
    path = _score_file(tmp_path)
    want = json.loads(invoke("score", path, "--json", "--n-boot", "300").stdout)
    other = tmp_path / "other.csv"
    other.write_text(path.read_text().replace(",", sep))
    assert ";" in other.read_text() or sep != ";"
    result = invoke("score", other, "--json", "--n-boot", "300")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == want and want["S"] == 3.0


def test_score_missing_columns_lists_the_columns_found_and_the_separator(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("x;j;A;b\n1;1;1;1\n")
    result = invoke("score", bad)
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.strip() == (
        f"error: {bad} (read as semicolon-separated CSV): score_table: missing column(s) "
        "['i', 'B']; required columns are i, j, A, B (and optionally item); found "
        "['x', 'j', 'A', 'b']")
    # a separator it does not know: one column, named as found
    bad.write_text("i|j|A|B\n1|1|1|1\n")
    line = invoke("score", bad).stderr.strip()
    assert line == (f"error: {bad} (read as comma-separated CSV with one column; separate "
                    "values by commas, semicolons or tabs): score_table: missing column(s) "
                    "['i', 'j', 'A', 'B']; required columns are i, j, A, B (and optionally "
                    "item); found ['i|j|A|B']")


def test_score_help_shows_a_sample_file_that_scores(tmp_path):
    result = runner.invoke(app, ["score", "--help"], env={"COLUMNS": "120"})
    lines = [line.strip() for line in result.stdout.splitlines()]
    start = lines.index("i,j,item,A,B")
    sample = lines[start:start + 5]
    assert len(sample) == 5 and all(line.count(",") == 4 for line in sample)
    path = tmp_path / "sample.csv"
    path.write_text("\n".join(sample) + "\n")
    d = json.loads(invoke("score", path, "--json", "--n-boot", "50").stdout)
    # item 0 under the four pairs: products 1*1, 1*-1, -1*1, 1*1 -> S = 1 - 1 - 1 - 1
    assert d["C"] == [[1.0, -1.0], [-1.0, 1.0]] and d["S"] == -2.0
    assert d["scheme"] == "paired-items"

def test_bench_prints_both_timings_and_the_ratio():
    result = invoke("bench", "toy", "--hidden", "2", "--runs", "1", "--epochs", "30",
                    "--naive-models", "1")
    assert result.exit_code == 0, result.stderr
    assert "naive" in result.stdout and "batched" in result.stdout and "x" in result.stdout
    for phase in ("start-up and imports", "training", "summary and bootstraps",
                  "figures and report", "whole run"):
        assert phase in result.stdout
    assert "traced every 50" in result.stdout and "tracing costs" in result.stdout
    assert "m-task toy against the CHSH toy" in result.stdout and "the models for" in result.stdout


def test_version():
    from ncnet import __version__

    assert invoke("--version").stdout.strip() == f"ncnet {__version__}"


def test_cuda_when_absent(tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    result = invoke("toy", *TINY, "--device", "cuda", "--out", tmp_path / "o")
    assert result.exit_code == 2 and "not available" in result.stderr
    assert not (tmp_path / "o").exists()


def _item_file(tmp_path, ids_of=lambda i, j: range(40), name="items.csv"):
    import numpy as np

    rng = np.random.default_rng(3)
    rows = [(i, j, k, int(rng.random() < 0.9), int(rng.random() < 0.8))
            for i in (1, 2) for j in (1, 2) for k in ids_of(i, j)]
    path = tmp_path / name
    pd.DataFrame(rows, columns=["i", "j", "item", "A", "B"]).to_csv(path, index=False)
    return path


def test_score_with_item_column_uses_the_paired_scheme(tmp_path):
    from ncnet import chsh

    path = _item_file(tmp_path)
    d = json.loads(invoke("score", path, "--json", "--n-boot", "2000", "--seed", "4").stdout)
    assert d["scheme"] == "paired-items" and d["ci_units"] == 40
    frame = pd.read_csv(path)
    parts = [frame[(frame.i == i) & (frame.j == j)] for i, j in chsh.PAIRS]
    ids = [p.item.to_numpy() for p in parts]
    lo, hi = chsh.item_bootstrap_s([p.A for p in parts], [p.B for p in parts], n_boot=2000,
                                   seed=4, items=ids)
    assert d["ci_bootstrap"] == [lo, hi]
    prods = [2.0 * p.A.to_numpy() - 1 for p in parts]
    prods = [a * (2.0 * p.B.to_numpy() - 1) for a, p in zip(prods, parts, strict=True)]
    assert d["ci"] == list(chsh.item_interval(prods, chsh.paired_products(prods, ids)))
    assert "paired" in d["test"]["test"]
    table = invoke("score", path, "--n-boot", "200")
    assert "paired-items" in table.stdout and "40 shared items" in table.stdout
    no_item = tmp_path / "no-item.csv"
    frame.drop(columns="item").to_csv(no_item, index=False)
    assert json.loads(invoke("score", no_item, "--json", "--n-boot", "200").stdout)[
        "scheme"] == "independent-pairs"


def test_score_item_column_bad_inputs(tmp_path):
    path = _item_file(tmp_path)
    frame = pd.read_csv(path)
    cases = {
        "missing values": frame.assign(item=frame["item"].astype(float).where(frame.index != 7)),
        "occur more than once": pd.concat([frame, frame.iloc[[0]]]),
        "shared by only some pairs": frame.assign(
            item=frame["item"] + 100 * (frame["j"] == 2)),
    }
    for fragment, bad in cases.items():
        bad_path = tmp_path / "bad-items.csv"
        bad.to_csv(bad_path, index=False)
        result = invoke("score", bad_path)
        assert result.exit_code == 2, fragment
        assert fragment in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_toy_names_tasks_that_did_not_learn(tmp_path):
    """Untrained heads (lr 1e-9, one epoch): the console says which tasks did not learn."""
    result = invoke("toy", "--hidden", "2", "--runs", "8", "--epochs", "1", "--lr", "1e-9",
                    "--no-joint", "--no-report", "--out", tmp_path)
    assert result.exit_code == 0, result.stderr
    text = " ".join(result.stdout.split())
    assert "tasks that did not learn: the claims at their n are undecided" in text
    gate = json.loads((tmp_path / "summary.json").read_text())["by_hidden"]["2"]["learnability"]
    names = {toy_summary.TASK_NAMES[h["task"]] for h in gate["heads"].values() if not h["learned"]}
    assert names and all(name in result.stdout for name in names)


def test_score_without_spread_gives_no_p_zero(tmp_path):
    """Issue 14: K = 8 shared items that all give T = 4. p >= 0.05 (the exact worst case
    under S <= 2 is 0.75^8 = 0.10), an interval that is not a point, a warning naming K."""
    rows = [(i, j, k, 1, 0 if (i, j) == (2, 2) else 1) for i in (1, 2) for j in (1, 2)
            for k in range(8)]
    path = tmp_path / "perfect.csv"
    pd.DataFrame(rows, columns=["i", "j", "item", "A", "B"]).to_csv(path, index=False)
    result = invoke("score", path, "--json")
    d = json.loads(result.stdout)
    assert d["S"] == 4.0 and d["test"]["p_value"] >= 0.05
    assert d["ci"][1] - d["ci"][0] > 1.0
    assert "warning: only K = 8 items" in result.stderr
