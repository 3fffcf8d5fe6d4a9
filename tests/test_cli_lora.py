"""`ncnet lora` end to end on a tiny random BERT and the text fixtures."""

import json
import shutil

import pandas as pd
import pytest
from typer.testing import CliRunner

from ncnet.cli import app
from ncnet.engine import sweep
from ncnet.experiments.lora import config as lora_config
from ncnet.experiments.lora import experiment as lora

from .conftest import TEXT_FIXTURES

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args], env={"COLUMNS": "120"})


def tiny_args(model, out, data_dir=TEXT_FIXTURES / "data", ranks="1,2"):
    return ["lora", "--model", model, "--data-dir", data_dir, "--ranks", ranks, "--epochs", "2",
            "--batch-size", "4", "--train-size", "16", "--test-size", "8", "--max-len", "16",
            "--threads", "1", "--device", "cpu", "--lr", "0.005", "--out", out]


@pytest.fixture(scope="module")
def tiny_sweep(tiny_bert, tmp_path_factory):
    out = tmp_path_factory.mktemp("lora")
    result = invoke(*tiny_args(tiny_bert, out))
    assert result.exit_code == 0, result.stderr
    return out, result


def test_lora_writes_tables_figures_and_checkpoints(tiny_sweep):
    out, result = tiny_sweep
    assert "8 pair models trained, 0 already in the store" in result.stdout
    frame = pd.read_csv(out / "results.csv")
    assert frame["rank"].tolist() == [1, 2]
    assert list(frame.columns[:4]) == ["experiment", "run", "seed", "rank"]
    s = frame["C11"] + frame["C12"] + frame["C21"] - frame["C22"]
    assert (s - frame["S"]).abs().max() < 1e-12
    assert {"acc_A2_B2", "acc_B2_A2", "C22_product", "S_product", "S_ci_lo",
            "p_S_above_2"} <= set(frame.columns)
    epochs = pd.read_csv(out / "epochs.csv")
    assert len(epochs) == 2 * 3 and epochs["epoch"].tolist() == [0, 1, 2, 0, 1, 2]
    last = epochs[epochs.epoch == 2].set_index("rank")["S"]
    assert last.to_dict() == pytest.approx(frame.set_index("rank")["S"].to_dict())
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary["by_rank"]) == {"1", "2"}
    assert summary["by_rank"]["1"]["S"]["mean"] == pytest.approx(frame.S[0])
    assert len(list((out / "checkpoints").glob("*/r*-p*-s1"))) == 8
    for name in ("fig3.png", "fig4.png", "fig5.png", "report.md"):
        assert (out / name).stat().st_size > 0
    html = (out / "report.html").read_text()
    assert html.count("data:image/png;base64,") == 2 * 3  # and each one's phone variant
    md = (out / "report.md").read_text()
    assert "Table 4" in md and "Table 2" in md


def test_rerun_skips_everything(tiny_sweep, tiny_bert):
    out, _ = tiny_sweep
    before = (out / "results.csv").read_text()
    again = invoke(*tiny_args(tiny_bert, out))
    assert again.exit_code == 0, again.stderr
    assert "0 pair models trained, 8 already in the store" in again.stdout
    assert (out / "results.csv").read_text() == before


def test_interrupted_sweep_resumes_to_the_same_result(tiny_sweep, tiny_bert, tmp_path,
                                                      monkeypatch):
    clean, _ = tiny_sweep
    real = lora.train_pair
    calls = {"n": 0}

    def dies_on_the_fourth_model(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(lora, "train_pair", dies_on_the_fourth_model)
    cut = invoke(*tiny_args(tiny_bert, tmp_path / "cut"))
    assert cut.exit_code == 130
    monkeypatch.setattr(lora, "train_pair", real)
    resumed = invoke(*tiny_args(tiny_bert, tmp_path / "cut"))
    assert "5 pair models trained, 3 already in the store" in resumed.stdout
    a = pd.read_csv(clean / "results.csv")
    b = pd.read_csv(tmp_path / "cut" / "results.csv")
    pd.testing.assert_frame_equal(a, b)


def _broken_data(tmp_path, task, content, name="train.csv"):
    data = tmp_path / "data"
    shutil.copytree(TEXT_FIXTURES / "data", data)
    for old in (data / task).iterdir():
        old.unlink()
    (data / task / name).write_text(content)
    (data / task / name.replace("train", "test")).write_text(content)
    return data


@pytest.mark.parametrize(
    "extra, fragment",
    [
        (["--suite", "nope"], "unknown suite 'nope'"),
        (["--ranks", "1,-1"], "ranks must be whole numbers >= 0"),
        (["--ranks", "x"], "--ranks 'x' is not a list"),
        (["--epochs", "0"], "--epochs = 0"),
        (["--seeds", "0"], "--seeds 0"),
        (["--data-dir", "/nonexistent/ncnet-data"],
         "--data-dir /nonexistent/ncnet-data is not a directory"),
    ],
)
def test_bad_options(tiny_sweep, tiny_bert, extra, fragment):
    out, _ = tiny_sweep
    before = (out / "results.sqlite").read_bytes()
    result = invoke(*tiny_args(tiny_bert, out), *extra)
    assert result.exit_code == 2, result.stdout
    assert fragment in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert (out / "results.sqlite").read_bytes() == before


def test_a_data_dir_that_holds_none_of_the_suites_tasks_is_an_error(tiny_sweep, tiny_bert,
                                                                   tmp_path):
    """Folders named after the user's own tasks are not read by a packaged suite: one line
    naming the suite's tasks and the folders found, nothing trained or stored (it used to
    train the packaged tasks and exit 0)."""
    out, _ = tiny_sweep
    before = (out / "results.sqlite").read_bytes()
    mine = tmp_path / "mytasks"
    for name in ("digits-odd", "digits-big"):
        shutil.copytree(TEXT_FIXTURES / "data" / "negation", mine / name)
    result = invoke(*tiny_args(tiny_bert, out, data_dir=mine), "--suite", "offline-easy")
    assert result.exit_code == 2, result.stdout
    assert result.stderr.strip() == (
        f"error: --data-dir {mine} holds no folder named after a task of suite offline-easy "
        "(lexicon-sentiment, tense, bbc-topic, noun-kind); it holds: digits-big, digits-odd. "
        "A data dir replaces a suite's tasks by name")
    assert (out / "results.sqlite").read_bytes() == before


def test_the_report_states_the_run_it_reproduces(tiny_sweep):
    """report.md's "Reproduce with" command carries every option that differs from the
    defaults (data dir, item counts, lr, ...) and its header the items actually scored."""
    out, _ = tiny_sweep
    text = (out / "report.md").read_text()
    command = text.split("Reproduce with `")[1].split("`")[0]
    assert command.split(" --")[1:] == [
        "suite offline-mixed", f"model {command.split('--model ')[1].split(' ')[0]}",
        "ranks 1,2", "epochs 2", "seed 1", "seeds 1", "lr 0.005", "batch-size 4", "max-len 16",
        "train-size 16", "test-size 8", f"data-dir {TEXT_FIXTURES / 'data'}"]
    assert "at most 16 train / 8 test items per task (8 test items scored per pair)" in text


@pytest.mark.parametrize(
    "content, fragment",
    [
        ("words,label\nhello,1\nbye,0\n", "text"),
        ("text,target\nhello,1\nbye,0\n", "label"),
        ("text,label\nhello,1\nbye,2\n", "binary"),
        ("text,label\n", "empty"),
    ],
    ids=["no-text", "no-label", "not-binary", "empty"],
)
def test_bad_data_files(tiny_sweep, tiny_bert, tmp_path, content, fragment):
    out, _ = tiny_sweep
    before = (out / "results.sqlite").read_bytes()
    data = _broken_data(tmp_path, "negation", content)
    result = invoke(*tiny_args(tiny_bert, out, data_dir=data))
    assert result.exit_code == 2, result.stdout
    assert fragment in result.stderr and "negation" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert (out / "results.sqlite").read_bytes() == before


def test_unknown_model(tmp_path):
    result = invoke(*tiny_args(str(tmp_path / "no-such-model"), tmp_path / "o"))
    assert result.exit_code == 2 and "cannot be" in result.stderr
    assert not (tmp_path / "o" / "results.sqlite").exists()


def test_report_redraws_a_lora_directory(tiny_sweep):
    out, _ = tiny_sweep
    (out / "fig3.png").unlink()
    result = invoke("report", out)
    assert result.exit_code == 0, result.stderr
    assert (out / "fig3.png").exists()


def test_params_reproduce_table_4():
    result = invoke("lora", "params", "--model", "bert-base-uncased", "--ranks",
                    "1,2,4,8,16,32", "--json")
    assert result.exit_code == 0, result.stderr
    rows = {r["rank"]: (r["total"], r["trainable"]) for r in json.loads(result.stdout)}
    assert rows[1] == (109_522_180, 39_940)
    assert rows[32] == (110_664_964, 1_182_724)
    mbert = json.loads(invoke("lora", "params", "--model", "bert-base-multilingual-cased",
                              "--ranks", "1", "--json").stdout)
    assert (mbert[0]["total"], mbert[0]["trainable"]) == (177_893_380, 39_940)
    bad = invoke("lora", "params", "--ranks", "-1")
    assert bad.exit_code == 2 and "ranks must be whole numbers >= 0" in bad.stderr


def test_cli_defaults_are_the_config_defaults():
    import inspect

    from ncnet.cli.train import lora as lora_command

    params = inspect.signature(lora_command).parameters
    defaults = lora_config.LoraConfig()
    for name in ("suite", "epochs", "lr", "batch_size", "lora_alpha", "lora_dropout", "pooling",
                 "max_len", "train_size", "test_size", "device"):
        assert params[name].default.default == getattr(defaults, name), name
    assert params["ranks"].default.default == ",".join(map(str, defaults.ranks))


def test_run_a_lora_toml(tiny_bert, tmp_path):
    cfg = tmp_path / "l.toml"
    cfg.write_text(
        f'[lora]\nmodel = "{tiny_bert}"\ndata_dir = "{TEXT_FIXTURES / "data"}"\nranks = [1]\n'
        'epochs = 1\nbatch_size = 4\ntrain_size = 8\ntest_size = 8\nmax_len = 16\n'
        'threads = 1\ndevice = "cpu"\nreport = false\nslope_window = 5\n')
    result = invoke("run", cfg, "--out", tmp_path / "o")
    assert result.exit_code == 0, result.stderr
    assert pd.read_csv(tmp_path / "o" / "results.csv")["rank"].tolist() == [1]
    assert json.loads((tmp_path / "o" / "summary.json").read_text())["slope_window"] == 5
    cfg.write_text('[lora]\nranks = [-1]\n')
    bad = invoke("run", cfg, "--out", tmp_path / "o2")
    assert bad.exit_code == 2 and "ranks must be whole numbers >= 0" in bad.stderr
    cfg.write_text('[lora]\nranks = [1]\n[toy]\nruns = 1\n')
    assert "give exactly one of" in invoke("run", cfg).stderr


def test_partitioned_sweeps_share_one_store_and_report(tiny_bert, tmp_path):
    """Scale-out by partition: two invocations (e.g. two machines or processes) train disjoint
    ranks into one directory; the report covers both."""
    out = tmp_path / "shared"
    first = invoke(*tiny_args(tiny_bert, out, ranks="1"))
    second = invoke(*tiny_args(tiny_bert, out, ranks="2"))
    assert first.exit_code == 0 and second.exit_code == 0
    result = invoke("report", out)
    assert result.exit_code == 0, result.stderr
    assert pd.read_csv(out / "results.csv")["rank"].tolist() == [1, 2]


def test_worker_processes_give_the_same_results(tiny_sweep, tiny_bert, tmp_path):
    clean, _ = tiny_sweep
    result = invoke(*tiny_args(tiny_bert, tmp_path / "pool"), "--workers", "2")
    assert result.exit_code == 0, result.stderr
    assert "8 pair models trained" in result.stdout
    pd.testing.assert_frame_equal(pd.read_csv(clean / "results.csv"),
                                  pd.read_csv(tmp_path / "pool" / "results.csv"))


@pytest.fixture(scope="module")
def untrained_sweep(tiny_bert, tmp_path_factory):
    """One epoch at lr 1e-7: the heads stay at their random init, i.e. at chance."""
    out = tmp_path_factory.mktemp("lora-untrained")
    args = tiny_args(tiny_bert, out)
    args[args.index("--lr") + 1], args[args.index("--epochs") + 1] = "1e-7", "1"
    result = invoke(*args)
    assert result.exit_code == 0, result.stderr
    return out, result


def test_untrained_tasks_are_named_and_draw_no_conclusion(untrained_sweep):
    out, result = untrained_sweep
    doc = json.loads((out / "summary.json").read_text())
    gate = doc["learnability"]
    assert gate["did_not_learn"], "heads at their init should not pass the gate"
    text = " ".join(result.stdout.split())
    assert "tasks that did not learn" in text
    assert all(f["task"] in result.stdout for f in gate["did_not_learn"])
    frame = pd.read_csv(out / "results.csv")
    assert sorted([int(r), int(s)] for r, s in frame.loc[~frame.tasks_learned, ["rank", "seed"]]
                  .itertuples(index=False)) == gate["excluded"]
    trend = doc["rank_trend"]
    assert trend["excluded"] == gate["excluded"]
    md = " ".join((out / "report.md").read_text().split())
    assert all(f["text"] in md for f in gate["did_not_learn"])
    if len(gate["excluded"]) == len(frame):  # every cell gated: nothing is concluded
        assert trend["shape"] == "undecided" and "The trend with rank is undecided" in md
        assert "S > 2 (Holm-adjusted p < 0.05)" not in md and "S is below 2" not in md
        assert "undecided whether S > 2 at any rank" in md


def test_an_older_store_reloads_the_test_labels(untrained_sweep):
    """Records stored before they kept their labels: the labels are reloaded from the task
    data, the same rows training used, and the gate comes out the same."""
    out, _ = untrained_sweep
    experiment, config, records, digest = sweep.load_latest(out)
    tasks = [config.task(h, k) for h in ("A", "B") for k in (1, 2)]
    counts = lora.reload_label_counts(config, tasks)
    for r in records:
        assert r["test_labels"] == {"A": counts[config.task("A", r["i"])],
                                    "B": counts[config.task("B", r["j"])]}
    stored = experiment.summarize(config, digest, records).doc["learnability"]
    old = [{k: v for k, v in r.items() if k != "test_labels"} for r in records]
    reloaded = experiment.summarize(config, digest, old).doc["learnability"]
    assert {c["chance_source"] for c in reloaded["cells"]} == {"reloaded"}
    drop = {"chance_source"}
    assert ([{k: v for k, v in c.items() if k not in drop} for c in reloaded["cells"]]
            == [{k: v for k, v in c.items() if k not in drop} for c in stored["cells"]])
    assert reloaded["excluded"] == stored["excluded"]


OWN = {"lexicon-sentiment": "my-sent", "negation": "my-neg", "bbc-topic": "my-topic",
       "contrast": "my-contrast"}


def _own_data(tmp_path):
    data = tmp_path / "mine"
    for old, new in OWN.items():
        shutil.copytree(TEXT_FIXTURES / "data" / old, data / new)
    return data


def test_your_own_tasks_train_and_report_under_their_names(tiny_bert, tmp_path):
    """Four local tasks under the user's names, declared with --tasks-a/--tasks-b and
    --data-dir: they train and report under those names, with no paper value beside them;
    `ncnet report` and `ncnet analyze` work on the store."""
    out = tmp_path / "o"
    args = [*tiny_args(tiny_bert, out, data_dir=_own_data(tmp_path), ranks="1"),
            "--tasks-a", "my-sent,my-neg", "--tasks-b", "my-topic,my-contrast"]
    result = invoke(*args)
    assert result.exit_code == 0, result.stderr
    text = (out / "report.md").read_text()
    assert ("Your tasks (--tasks-a/--tasks-b): Alice A1 = `my-sent`, A2 = `my-neg`; Bob B1 = "
            "`my-topic`, B2 = `my-contrast`") in text
    assert "paper S" not in text and "No paper values" in text
    assert "--tasks-a my-sent,my-neg --tasks-b my-topic,my-contrast" in text
    assert invoke("report", out).exit_code == 0
    analyzed = invoke("analyze", out)
    assert analyzed.exit_code == 0, analyzed.stderr


def test_a_named_task_without_files_is_one_line_before_training(tiny_bert, tmp_path):
    out = tmp_path / "o"
    data = _own_data(tmp_path)
    result = invoke(*tiny_args(tiny_bert, out, data_dir=data, ranks="1"),
                    "--tasks-a", "my-sent,nope", "--tasks-b", "my-topic,my-contrast")
    assert result.exit_code == 2, result.stdout
    assert result.stderr.strip() == (
        f"error: task 'nope' is neither a packaged task nor a local one: no folder "
        f"{data / 'nope'} (with train and test as .csv, .jsonl or .parquet)")
    assert not out.exists()
    one_side = invoke(*tiny_args(tiny_bert, out, data_dir=data), "--tasks-a", "my-sent,my-neg")
    assert one_side.exit_code == 2 and "give both --tasks-a and --tasks-b" in one_side.stderr
