"""Executors: inline, pool and Ray give the same rows; a Ray task that dies is retried; a
killed driver loses no finished unit; bad executor, device and precision input is refused."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ncnet.cli import app
from ncnet.engine import executors, sweep
from ncnet.experiments.toy import config as toy_config
from ncnet.experiments.toy import experiment as toy

from .conftest import stored_count

runner = CliRunner()
TINY = toy_config.ToyConfig(hidden=[2, 3], runs=2, epochs=100, chunk_runs=1)
SRC = str(Path(__file__).resolve().parents[1] / "src")


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args], env={"COLUMNS": "120"})


def assert_one_line_exit_2(result, fragment, out=None):
    assert result.exit_code == 2, result.stdout + result.stderr
    assert fragment in result.stderr, result.stderr
    assert result.stderr.startswith("error:") and len(result.stderr.strip().splitlines()) == 1
    if out is not None:
        assert not Path(out).exists()


@pytest.fixture(scope="module")
def inline_rows(tmp_path_factory):
    return sweep.run(toy.ToyExperiment(), TINY, tmp_path_factory.mktemp("inline")).rows


@pytest.fixture(scope="module")
def ray_cluster():
    ray = pytest.importorskip("ray")
    saved = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (SRC, saved) if p)  # for its workers
    ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
    yield ray
    ray.shutdown()
    if saved is None:
        del os.environ["PYTHONPATH"]
    else:
        os.environ["PYTHONPATH"] = saved


def test_pool_gives_the_inline_rows(inline_rows, tmp_path):
    result = sweep.run(toy.ToyExperiment(), TINY, tmp_path, executors.Pool(2))
    assert result.rows == inline_rows
    assert result.trained == {toy_config.EXPERIMENT: 4, toy_config.JOINT_EXPERIMENT: 4}


def test_ray_gives_the_inline_rows(inline_rows, ray_cluster, tmp_path):
    executor = executors.make(executors.ExecutorConfig(kind="ray"))
    result = sweep.run(toy.ToyExperiment(), TINY, tmp_path, executor)
    assert result.rows == inline_rows
    assert stored_count(tmp_path) == 8


class DiesOnce(toy.ToyExperiment):
    """Kills its worker process the first time it trains ``victim`` (a marker file says)."""

    def __init__(self, marker: str, victim: str):
        self.marker, self.victim = marker, victim

    def train(self, config, unit, progress=None):
        if unit.key == self.victim and not os.path.exists(self.marker):
            Path(self.marker).write_text("died")
            os._exit(1)
        return super().train(config, unit, progress)


def test_a_ray_task_whose_worker_dies_is_retried(inline_rows, ray_cluster, tmp_path):
    import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    marker = tmp_path / "died"
    victim = toy.ToyExperiment().units(TINY, {})[1].key
    executor = executors.make(executors.ExecutorConfig(kind="ray", max_retries=2))
    result = sweep.run(DiesOnce(str(marker), victim), TINY, tmp_path / "o", executor)
    assert marker.read_text() == "died"
    assert result.rows == inline_rows
    assert result.trained == {toy_config.EXPERIMENT: 4, toy_config.JOINT_EXPERIMENT: 4}
    assert stored_count(tmp_path / "o") == 8  # no duplicates


def test_a_killed_driver_resumes_without_losing_a_finished_unit(inline_rows, tmp_path):
    out = tmp_path / "o"
    cfg = tmp_path / "slow.toml"
    cfg.write_text("[toy]\nhidden = [2, 3]\nruns = 2\nepochs = 100\nchunk_runs = 1\n"
                   "report = false\n")
    slow = ("import time, sys\nfrom ncnet.experiments.toy import experiment as toy\n"
            "real = toy.train_pair_runs\n"
            "def slow(*a, **k):\n    time.sleep(1.0)\n    return real(*a, **k)\n"
            "toy.train_pair_runs = slow\nfrom ncnet.cli import app\n"
            f"sys.argv = ['ncnet', 'run', {str(cfg)!r}, '--out', {str(out)!r}]\napp()\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (SRC, os.environ.get("PYTHONPATH")) if p)}
    driver = subprocess.Popen([sys.executable, "-c", slow], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (
            (out / "results.sqlite").exists() and stored_count(out) >= 1):
        time.sleep(0.05)
    driver.send_signal(signal.SIGKILL)
    driver.wait()
    kept = stored_count(out)
    assert 1 <= kept < 8
    resumed = sweep.run(toy.ToyExperiment(), TINY, out)
    assert sum(resumed.trained.values()) == 8 - kept
    assert resumed.rows == inline_rows
    assert stored_count(out) == 8


def test_executor_table_in_a_sweep_file(tmp_path, inline_rows):
    cfg = tmp_path / "c.toml"
    cfg.write_text("[toy]\nhidden = [2, 3]\nruns = 2\nepochs = 100\nchunk_runs = 1\n"
                   "report = false\n[executor]\nkind = \"inline\"\nmax_retries = 1\n")
    result = invoke("run", cfg, "--out", tmp_path / "o")
    assert result.exit_code == 0, result.stderr
    assert "4 runs trained (+4 joint controls)" in result.stdout
    cfg.write_text("[toy]\nruns = 1\n[executor]\nkind = \"cloud\"\n")
    assert_one_line_exit_2(invoke("run", cfg, "--out", tmp_path / "o2"), "kind",
                           tmp_path / "o2")


TOY = ["toy", "--hidden", "2", "--runs", "1", "--epochs", "10", "--no-report"]


def test_unreachable_ray_address_fails_fast(tmp_path):
    pytest.importorskip("ray")
    start = time.monotonic()
    result = invoke(*TOY, "--executor", "ray", "--address", "127.0.0.1:1",
                    "--out", tmp_path / "o")
    assert time.monotonic() - start < 30
    assert_one_line_exit_2(result, "no Ray cluster answers at 127.0.0.1:1", tmp_path / "o")


def test_an_address_where_something_else_listens_fails_fast(tmp_path):
    """ray.init would wait minutes on a port that is not a Ray cluster; the probe does not."""
    import socket
    import threading

    pytest.importorskip("ray")
    server = socket.create_server(("127.0.0.1", 0))
    threading.Thread(target=lambda: [server.accept() for _ in range(3)], daemon=True).start()
    cfg = tmp_path / "c.toml"
    cfg.write_text("[toy]\nruns = 1\nepochs = 10\n[executor]\nkind = \"ray\"\n"
                   f"address = \"127.0.0.1:{server.getsockname()[1]}\"\nconnect_timeout = 2\n")
    start = time.monotonic()
    result = invoke("run", cfg, "--out", tmp_path / "o")
    assert time.monotonic() - start < 30
    assert_one_line_exit_2(result, "no Ray cluster answers", tmp_path / "o")
    server.close()


def test_ray_executor_without_ray_installed(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError
    result = invoke(*TOY, "--executor", "ray", "--out", tmp_path / "o")
    assert_one_line_exit_2(result, "pip install 'ncnet[ray]'", tmp_path / "o")


def test_unknown_executor(tmp_path):
    result = invoke(*TOY, "--executor", "slurm", "--out", tmp_path / "o")
    assert_one_line_exit_2(result, "--executor 'slurm' is not allowed", tmp_path / "o")


def no_gpu():
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is present")


def test_gpus_per_task_without_a_gpu(tmp_path):
    no_gpu()
    pytest.importorskip("ray")
    result = invoke(*TOY, "--executor", "ray", "--gpus-per-task", "0.25", "--out",
                    tmp_path / "o")
    assert_one_line_exit_2(result, "no GPU", tmp_path / "o")


LORA = ["lora", "--model", "minilm", "--ranks", "1", "--epochs", "1", "--no-report"]


@pytest.mark.parametrize("args, fragment", [
    (["toy", "--device", "cuda:7"], "'cuda:7' is not available here"),
    (["toy", "--device", "cuda:x"], "cuda:N"),
    ([*LORA, "--device", "cuda:7"], "'cuda:7' is not available here"),
    ([*LORA, "--device", "cuda"], "'cuda' is not available here"),
    ([*LORA, "--device", "cpu", "--precision", "bf16"], "bf16 needs a CUDA device"),
    ([*LORA, "--precision", "fp8"], "--precision = 'fp8'"),
])
def test_devices_and_precision_that_are_not_here(tmp_path, args, fragment):
    no_gpu()
    result = invoke(*args, "--out", tmp_path / "o")
    assert_one_line_exit_2(result, fragment, tmp_path / "o")


def test_toy_batch_size_comes_from_the_device(monkeypatch):
    import torch

    config = toy_config.ToyConfig(runs=100_000)
    assert toy.runs_per_batch(config, "cpu") == toy.CPU_CHUNK_RUNS
    assert toy.runs_per_batch(config.model_copy(update={"chunk_runs": 7}), "cuda:0") == 7
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda device: (8 * 2**30, 80 * 2**30))
    fits = toy.runs_per_batch(config, "cuda:0")
    assert fits == 4 * 2**30 // toy.run_bytes(config) and fits > 10_000
    small = toy_config.ToyConfig(hidden=[3], runs=20)
    assert toy.runs_per_batch(small, "cuda") == 20  # never more than the sweep has


def test_background_gives_the_inline_rows(inline_rows, tmp_path):
    result = sweep.run(toy.ToyExperiment(), TINY, tmp_path, executors.Background())
    assert result.rows == inline_rows
    assert result.trained == {toy_config.EXPERIMENT: 4, toy_config.JOINT_EXPERIMENT: 4}


def test_a_default_cpu_toy_run_trains_in_the_background(monkeypatch, tmp_path):
    """With a report and no executor asked for, `ncnet toy` on the CPU trains in one worker
    process (while the report's modules load); with --executor inline or --no-report, here."""
    from ncnet.cli import train as cli_train

    used = []
    real = sweep.run
    monkeypatch.setattr(sweep, "run", lambda e, c, o, ex, *a: used.append(type(ex).__name__)
                        or real(e, c, o, ex, *a))
    monkeypatch.setattr(cli_train, "start_imports", lambda modules: used.append(modules))
    base = ("toy", "--hidden", "2", "--runs", "1", "--epochs", "20", "--no-joint")
    assert invoke(*base, "--out", tmp_path / "a").exit_code == 0
    assert invoke(*base, "--executor", "inline", "--out", tmp_path / "b").exit_code == 0
    assert invoke(*base, "--no-report", "--out", tmp_path / "c").exit_code == 0
    assert used == [("scipy.stats", "pandas", "pyarrow.parquet", "ncnet.experiments.toy.report"),
                    "Background", "Inline", "Inline"]


def test_a_sweep_file_asking_for_a_device_that_is_not_here(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[toy]\nruns = 2\nepochs = 10\ndevice = "cuda:7"\n')
    result = invoke("run", cfg, "--out", tmp_path / "o")
    assert_one_line_exit_2(result, "'cuda:7' is not available here", tmp_path / "o")
