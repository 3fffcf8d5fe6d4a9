"""Stopping: SIGTERM reads as Ctrl-C (exit 143, finished units kept, the rerun trains the
rest), and nothing of a run is left 10 s after its driver is killed, for every executor.

The end-to-end tests start ``python -m ncnet run`` on a ``[toy]`` table (``chunk_runs = 1``
gives 8 small units) with a marker in its environment, which every process it starts
inherits (pool workers, the resource tracker, a local Ray instance and its workers); they
look for the marker in ``/proc/*/environ``. Linux only.
"""

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ncnet import lifecycle
from ncnet.cli import app

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="finds processes through /proc (Linux)")
SRC = str(Path(__file__).resolve().parents[1] / "src")
MARK = "NCNET_TEST_RUN"
UNITS = 8  # hidden 2, 3 x runs 2, pair models and joint controls, one run per unit
TOY = "[toy]\nhidden = [2, 3]\nruns = 2\nepochs = 2000\nchunk_runs = 1\nthreads = 1\n"
EXECUTORS = {  # name -> (sweep file tail, processes of the run while it trains, at least)
    "inline": ('report = false\n[executor]\nkind = "inline"\n', 1),
    "background": ("", 3),  # with a report and no executor: the driver, a worker, its tracker
    "pool": ('report = false\n[executor]\nkind = "pool"\nworkers = 2\n', 4),
    "ray": ('report = false\n[executor]\nkind = "ray"\nworkers = 2\n', 4),
}
TERMINATED = "terminated (SIGTERM): finished work is stored; rerun the command to resume"


def child_env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "TTY_COMPATIBLE")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (SRC, os.environ.get("PYTHONPATH")) if p)
    env.update(OMP_NUM_THREADS="1", **extra)
    return env


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, dead but not yet reaped, does not)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def marked(marker: str) -> dict[int, str]:
    """Live processes whose environment holds ``MARK=marker``: pid -> command line."""
    found = {}
    needle = f"{MARK}={marker}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if needle not in (entry / "environ").read_bytes().split(b"\0"):
                continue
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:  # gone meanwhile, or not ours to read
            continue
        if alive(int(entry.name)):
            found[int(entry.name)] = command.strip()[:120]
    return found


def wait_until(condition, seconds: float, step: float = 0.05) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return bool(condition())


def stored_count(out: Path) -> int:
    if not (out / "results.sqlite").exists():
        return 0
    db = sqlite3.connect(out / "results.sqlite")
    try:
        return db.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
    except sqlite3.OperationalError:  # the tables do not exist yet
        return 0
    finally:
        db.close()


@pytest.fixture
def marker():
    """A marker for one test's processes; whatever still carries it at the end is killed."""
    value = uuid.uuid4().hex
    yield value
    for pid in marked(value):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def start_training(kind: str, tmp_path: Path, marker: str,
                   stored: int = 1) -> tuple[subprocess.Popen, Path]:
    """``python -m ncnet run`` with ``kind``'s executor, once it has stored ``stored`` units
    and its workers are up (in a session of its own; stderr to ``tmp_path / "stderr"``)."""
    tail, processes = EXECUTORS[kind]
    cfg, out = tmp_path / "sweep.toml", tmp_path / "out"
    cfg.write_text(TOY + tail)
    with open(tmp_path / "stderr", "wb") as err:
        driver = subprocess.Popen(
            [sys.executable, "-m", "ncnet", "run", str(cfg), "--out", str(out)],
            env=child_env(**{MARK: marker, "NCNET_PROGRESS_EVERY": "1000"}),
            stdout=subprocess.DEVNULL, stderr=err, start_new_session=True)
    started = wait_until(lambda: stored_count(out) >= stored or driver.poll() is not None, 120)
    running = marked(marker)
    if not started or driver.poll() is not None or stored_count(out) >= UNITS:
        driver.kill()
        pytest.fail(f"the driver did not get to train: {(tmp_path / 'stderr').read_text()}")
    assert len(running) >= processes, running  # the workers the test is about are there
    return driver, out


def assert_nothing_left(marker: str) -> None:
    """No process of the run within 10 s (polled)."""
    wait_until(lambda: not marked(marker), 10, step=0.1)
    assert not marked(marker), f"left behind: {marked(marker)}"


def executor_param(kind: str):
    return pytest.param(kind, id=kind, marks=[pytest.mark.skipif(
        kind == "ray" and not _has_ray(), reason="Ray is not installed")])


def _has_ray() -> bool:
    import importlib.util

    return importlib.util.find_spec("ray") is not None


KINDS = [executor_param(k) for k in EXECUTORS]


@linux_only
@pytest.mark.parametrize("kind", KINDS)
def test_nothing_of_a_killed_driver_is_left(kind, tmp_path, marker):
    """SIGKILL of the driver (no clean-up runs): its workers end with it."""
    driver, _ = start_training(kind, tmp_path, marker)
    driver.send_signal(signal.SIGKILL)
    driver.wait()
    assert_nothing_left(marker)


@linux_only
@pytest.mark.parametrize("kind", KINDS)
def test_sigterm_keeps_finished_units_and_the_rerun_trains_the_rest(kind, tmp_path, marker):
    driver, out = start_training(kind, tmp_path, marker, stored=UNITS // 2)  # a short rerun
    driver.send_signal(signal.SIGTERM)
    assert driver.wait(timeout=60) == lifecycle.TERMINATED_EXIT
    assert (tmp_path / "stderr").read_text().strip() == TERMINATED
    assert_nothing_left(marker)
    assert not (out / "results.sqlite-wal").exists()  # the store was closed (WAL folded in)
    kept = stored_count(out)
    assert 1 <= kept < UNITS
    cfg = tmp_path / "resume.toml"  # the same [toy] table: the same config hash
    cfg.write_text(TOY + 'report = false\n[executor]\nkind = "inline"\n')
    result = CliRunner().invoke(app, ["run", str(cfg), "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    trained = re.search(r"(\d+) runs trained \(\+(\d+) joint controls\)", result.stdout)
    assert int(trained[1]) + int(trained[2]) == UNITS - kept
    assert stored_count(out) == UNITS


def test_sigterm_raises_terminated_and_restores_the_handler():
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(lifecycle.Terminated), lifecycle.sigterm_raises():
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(10)  # interrupted by the handler
    assert lifecycle.sigterm_received()
    assert signal.getsignal(signal.SIGTERM) is before
    with lifecycle.sigterm_raises():
        pass
    assert not lifecycle.sigterm_received()  # each block starts afresh


def test_kept_sigterm_handler_undoes_a_replacement():
    before = signal.getsignal(signal.SIGTERM)
    with lifecycle.kept_sigterm_handler():
        signal.signal(signal.SIGTERM, lambda *a: None)  # as ray.init does
    assert signal.getsignal(signal.SIGTERM) is before


CHILD = ("import sys, time\nfrom ncnet import lifecycle\n"
         "lifecycle.die_with_parent(int(sys.argv[1]), poll=0.2, kernel=sys.argv[2] == '1')\n"
         "print('armed', flush=True)\ntime.sleep(60)\n")
PARENT = ("import os, subprocess, sys\n"
          "child = subprocess.Popen([sys.executable, '-c', sys.argv[1], str(os.getpid()), "
          "sys.argv[2]], stdout=subprocess.PIPE)\n"
          "assert child.stdout.readline() == b'armed\\n'\n"
          "print(child.pid, flush=True)\nchild.wait()\n")


@linux_only
@pytest.mark.parametrize("kernel", [True, False], ids=["parent-death-signal", "watchdog"])
def test_a_worker_dies_with_its_parent(kernel, marker):
    parent = subprocess.Popen([sys.executable, "-c", PARENT, CHILD, "1" if kernel else "0"],
                              env=child_env(**{MARK: marker}), stdout=subprocess.PIPE)
    child = int(parent.stdout.readline())
    assert alive(child)
    parent.kill()
    parent.wait()
    assert wait_until(lambda: not alive(child), 5), "the child outlived its parent"


@linux_only
def test_a_worker_whose_parent_is_gone_already_exits_at_once(marker):
    code = "from ncnet import lifecycle\nlifecycle.die_with_parent(1)\nimport time\ntime.sleep(60)"
    child = subprocess.run([sys.executable, "-c", code], env=child_env(**{MARK: marker}),
                           timeout=30)
    assert child.returncode == 1
