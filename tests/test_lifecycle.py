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
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ncnet.cli import app
from ncnet.engine import lifecycle

from .conftest import stored_count

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


def stat(pid: int) -> tuple[str, int, int] | None:
    """(state, parent pid, start time in clock ticks) of ``pid``, None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return fields[0], int(fields[1]), int(fields[19])


def alive(pid: int, started: int | None = None) -> bool:
    """Whether ``pid`` runs (a zombie, dead but not yet reaped, does not), and is the process
    that started at ``started`` if given (not a reused pid)."""
    info = stat(pid)
    return info is not None and info[0] != "Z" and started in (None, info[2])


def descendants(pid: int) -> dict[int, int]:
    """Every process below ``pid`` now: pid -> start time."""
    stats = {int(e.name): stat(int(e.name)) for e in Path("/proc").iterdir() if e.name.isdigit()}
    below, todo = {}, [pid]
    while todo:
        parent = todo.pop()
        for child, info in stats.items():
            if info is not None and info[1] == parent and child not in below:
                below[child] = info[2]
                todo.append(child)
    return below


def command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:120]
    except OSError:
        return "?"


def marked(marker: str, tree: dict[int, int] | None = None) -> dict[int, str]:
    """Live processes of a run: those whose environment holds ``MARK=marker``, and those of
    ``tree`` (pid -> start time, from :func:`descendants`; some processes overwrite their
    environment block with their title, Ray's agents do): pid -> command line."""
    found = {pid: command(pid) for pid, started in (tree or {}).items() if alive(pid, started)}
    needle = f"{MARK}={marker}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if needle not in (entry / "environ").read_bytes().split(b"\0"):
                continue
        except OSError:  # gone meanwhile, or not ours to read
            continue
        if alive(int(entry.name)):
            found[int(entry.name)] = command(int(entry.name))
    return found


def wait_until(condition, seconds: float, step: float = 0.05) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return bool(condition())


@pytest.fixture
def marker():
    """A marker for one test's processes; whatever still carries it at the end is killed."""
    value = uuid.uuid4().hex
    yield value
    for pid in marked(value):  # (a process that hides its mark is left to its own exit)
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


def assert_nothing_left(marker: str, tree: dict[int, int]) -> None:
    """No process of the run within 10 s (polled)."""
    wait_until(lambda: not marked(marker, tree), 10, step=0.1)
    assert not marked(marker, tree), f"left behind: {marked(marker, tree)}"


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
    tree = descendants(driver.pid)
    driver.send_signal(signal.SIGKILL)
    driver.wait()
    assert_nothing_left(marker, tree)


@linux_only
@pytest.mark.parametrize("kind", KINDS)
def test_sigterm_keeps_finished_units_and_the_rerun_trains_the_rest(kind, tmp_path, marker):
    driver, out = start_training(kind, tmp_path, marker, stored=UNITS // 2)  # a short rerun
    tree = descendants(driver.pid)
    driver.send_signal(signal.SIGTERM)
    assert driver.wait(timeout=60) == lifecycle.TERMINATED_EXIT, (tmp_path / "stderr").read_text()
    assert (tmp_path / "stderr").read_text().strip() == TERMINATED
    assert_nothing_left(marker, tree)
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


CHILD = ("import sys, time\nfrom ncnet.engine import lifecycle\n"
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
    code = ("from ncnet.engine import lifecycle\nlifecycle.die_with_parent(1)\nimport time\n"
            "time.sleep(60)")
    child = subprocess.run([sys.executable, "-c", code], env=child_env(**{MARK: marker}),
                           timeout=30)
    assert child.returncode == 1


def test_an_interrupted_pool_kills_its_workers_without_waiting_for_their_units(tmp_path):
    """Library use: Ctrl-C while two workers each train a unit of hours; the sweep ends within
    seconds, no worker is left and nothing half-trained is stored."""
    import multiprocessing
    import threading

    from ncnet.engine import executors, sweep
    from ncnet.experiments.toy import config as toy_config
    from ncnet.experiments.toy import experiment as toy

    config = toy_config.ToyConfig(hidden=[2], runs=2, epochs=10_000_000, chunk_runs=1, joint=False,
                           record_every=0)
    sent = []

    def interrupt_once_training() -> None:
        wait_until(lambda: len(multiprocessing.active_children()) >= 2, 120)
        time.sleep(1.0)  # let them get into their units
        sent.append(time.monotonic())
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=interrupt_once_training, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):
        sweep.run(toy.ToyExperiment(), config, tmp_path, executors.Pool(2))
    assert sent and time.monotonic() - sent[0] < 10
    assert multiprocessing.active_children() == []
    assert stored_count(tmp_path) == 0


SLEEPER = [sys.executable, "-c", "import time; time.sleep(60)"]
TREE = ("import subprocess, sys, time\n"
        "grandchild = subprocess.Popen(" + repr(SLEEPER) + ")\n"
        "print(grandchild.pid, flush=True)\ntime.sleep(60)\n")
REAPED_PARENT = ("import subprocess, sys, time\nfrom ncnet.engine import lifecycle\n"
                 "reaper = lifecycle.Reaper()\nwith reaper.new_children():\n"
                 "    child = subprocess.Popen([sys.executable, '-c', sys.argv[1]], "
                 "stdout=subprocess.PIPE)\n"
                 "grandchild = int(child.stdout.readline())\n"
                 "time.sleep(1.0)  # the watcher records the tree\n"
                 "print(child.pid, grandchild, flush=True)\ntime.sleep(60)\n")


@linux_only
def test_a_reaper_kills_the_trees_it_watches_when_its_process_is_killed(marker):
    """A child and a grandchild without any parent-death signal: the reaper ends both."""
    pytest.importorskip("psutil")
    parent = subprocess.Popen([sys.executable, "-c", REAPED_PARENT, TREE],
                              env=child_env(**{MARK: marker}), stdout=subprocess.PIPE)
    pids = [int(p) for p in parent.stdout.readline().split()]
    assert len(pids) == 2 and all(alive(p) for p in pids)
    parent.kill()
    parent.wait()
    assert wait_until(lambda: not any(alive(p) for p in pids), 5), "the tree outlived it"


def test_a_closed_reaper_kills_what_it_watches(marker):
    pytest.importorskip("psutil")
    reaper = lifecycle.Reaper()
    with reaper.new_children():
        sleeper = subprocess.Popen(SLEEPER, env=child_env(**{MARK: marker}))
    other = subprocess.Popen(SLEEPER, env=child_env(**{MARK: marker}))  # not watched
    try:
        time.sleep(0.5)  # the watcher records it
        reaper.close()
        assert sleeper.wait(timeout=5) == -signal.SIGKILL
        assert other.poll() is None
    finally:
        other.kill()
        other.wait()
