"""How ncnet's processes stop: SIGTERM reads as Ctrl-C in the driver, and a worker process
ends when the driver that started it ends, even when the driver is killed (SIGKILL).

- :func:`sigterm_raises`: within the block, SIGTERM (what ``timeout``, SLURM, systemd and
  Kubernetes send) raises :class:`Terminated`, a :class:`KeyboardInterrupt`, in the main
  thread, so the clean-up of Ctrl-C runs: ``finally`` blocks, the store's context manager
  (its SQLite transaction rolls back or commits whole, the file is closed), the executors'
  shutdown.
- :func:`kept_sigterm_handler`: a call (``ray.init``) may not replace the SIGTERM handler.
- :func:`die_with_parent`: called first thing in a worker process; it ends the worker when
  its parent ends: Linux's parent-death signal (``prctl(PR_SET_PDEATHSIG, SIGKILL)``, at once)
  and, on every platform, a daemon thread that polls ``os.getppid()``.
- :class:`Reaper`: for processes that another program starts on this one's behalf, beyond
  the reach of both (a local Ray instance's agents, children of its raylet): a small watcher
  process records the trees of the processes it is given and kills them once this process
  ends, however it ends.

Imports nothing of ncnet.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

TERMINATED_EXIT = 128 + signal.SIGTERM
"""Exit status after SIGTERM (143), as a shell reports a process that SIGTERM ended."""

PARENT_POLL_SECONDS = 1.0
"""How often the watchdog of :func:`die_with_parent` looks for its parent."""

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived (see :func:`sigterm_raises`); handled wherever Ctrl-C is."""


_sigterm = threading.Event()  # set by the handler of the current sigterm_raises block


def sigterm_received() -> bool:
    """Whether SIGTERM arrived during the latest :func:`sigterm_raises` block (the
    :class:`Terminated` it raised can come out as a plain KeyboardInterrupt: Ray's waits turn
    any interrupt into one)."""
    return _sigterm.is_set()


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _restore(handler: Any) -> None:
    # getsignal gives None for a handler not installed from Python: the default is the best guess
    signal.signal(signal.SIGTERM, signal.SIG_DFL if handler is None else handler)


def _raise_terminated(signum: int, frame: Any) -> None:
    # a second SIGTERM while the first one's clean-up runs ends the process at once (the
    # default action): the store stays consistent (SQLite) and workers die with this process
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _sigterm.set()
    raise Terminated("SIGTERM")


@contextmanager
def sigterm_raises() -> Iterator[None]:
    """Within the block, the first SIGTERM raises :class:`Terminated` in the main thread; the
    handler before it is back afterwards. Outside the main thread (where Python cannot set
    handlers) nothing changes."""
    if not _in_main_thread():
        yield
        return
    _sigterm.clear()
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        _restore(previous)


@contextmanager
def kept_sigterm_handler() -> Iterator[None]:
    """The SIGTERM handler after the block is the one before it (``ray.init`` installs its
    own, which calls ``sys.exit``)."""
    if not _in_main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGTERM)
    try:
        yield
    finally:
        _restore(previous)


def set_parent_death_signal() -> bool:
    """Ask Linux to SIGKILL this process when the thread that started it ends (the parent's
    thread, not the parent process: start workers from a thread that outlives them). False
    where that is not available (not Linux, no ``prctl``)."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return False
    prctl.restype = ctypes.c_int
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong,
                      ctypes.c_ulong]
    return prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0


def _watch_parent(parent: int, poll: float) -> None:
    while os.getppid() == parent:  # once the parent is gone, this process is reparented
        time.sleep(poll)
    os._exit(1)


def die_with_parent(parent: int, poll: float = PARENT_POLL_SECONDS,
                    kernel: bool = True) -> None:
    """End this process when ``parent`` (the pid of the process that started it directly)
    ends: with the parent-death signal where ``kernel`` and Linux allow it (at once), and a
    daemon thread that checks every ``poll`` seconds whether the parent is still this
    process's parent (everywhere; it also covers a parent that died before this call). Ends
    at once if ``parent`` is not the parent now."""
    if kernel:
        set_parent_death_signal()
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent, poll), name="ncnet-parent-watch",
                     daemon=True).start()


REAPER_POLL_SECONDS = 0.25
"""How often the reaper's watcher records the process trees it watches."""


def _reaper_main() -> None:
    """The watcher of :class:`Reaper`. Its stdin brings pids, one a line, until it closes
    (the driver closed it or ended); meanwhile it records every descendant of those
    processes, and afterwards it kills the ones still running (psutil checks that a pid was
    not reused). Ctrl-C, SIGTERM and SIGHUP of a whole process group leave it to do that."""
    import queue

    import psutil

    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_IGN)
    incoming: queue.SimpleQueue[int | None] = queue.SimpleQueue()

    def read() -> None:
        for line in sys.stdin:
            if line.strip().isdigit():
                incoming.put(int(line))
        incoming.put(None)

    threading.Thread(target=read, daemon=True).start()
    roots: list[psutil.Process] = []
    tracked: dict[int, psutil.Process] = {}
    open_ = True
    while open_:
        try:
            pid = incoming.get(timeout=REAPER_POLL_SECONDS)
        except queue.Empty:
            pid = -1
        if pid is None:
            open_ = False
        elif pid > 0:
            try:
                roots.append(psutil.Process(pid))
            except psutil.Error:
                pass
        for process in (*roots, *tracked.values()):
            try:
                if process.is_running():
                    tracked[process.pid] = process
                    for child in process.children(recursive=True):
                        tracked.setdefault(child.pid, child)
            except psutil.Error:
                continue
    for process in tracked.values():
        try:
            if process.is_running():
                process.kill()
        except psutil.Error:
            continue


class Reaper:
    """A watcher process that kills the process trees it is given once this process ends,
    however it ends (SIGKILL too: it holds the only copy of a pipe from this process, and
    learns of its end from it), or at :meth:`close`.

    For processes another program starts on this one's behalf, beyond the reach of the
    parent-death signal: a local Ray instance's raylet starts agents that outlive a killed
    driver by about 20 s. Needs psutil (Ray depends on it); without it, it does nothing."""

    def __init__(self) -> None:
        self._watcher: subprocess.Popen | None = None
        try:
            import psutil  # noqa: F401
        except ImportError:
            return
        source = str(Path(__file__).resolve().parents[1])  # this ncnet, installed or not
        path = os.pathsep.join(p for p in (source, os.environ.get("PYTHONPATH")) if p)
        self._watcher = subprocess.Popen(
            [sys.executable, "-c",
             "from ncnet.engine.lifecycle import _reaper_main; _reaper_main()"],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env={**os.environ, "PYTHONPATH": path}, text=True)

    def watch(self, pids: set[int] | list[int]) -> None:
        """Kill these processes and all they start, when this process ends."""
        if self._watcher is None or self._watcher.stdin is None:
            return
        self._watcher.stdin.write("".join(f"{pid}\n" for pid in pids))
        self._watcher.stdin.flush()

    @contextmanager
    def new_children(self) -> Iterator[None]:
        """:meth:`watch` the child processes that this process starts within the block."""
        if self._watcher is None:
            yield
            return
        import psutil

        before = {child.pid for child in psutil.Process().children()}
        try:
            yield
        finally:
            after = {child.pid for child in psutil.Process().children()}
            self.watch(after - before - {self._watcher.pid})

    def close(self, timeout: float = 10.0) -> None:
        """Kill what is left of the watched processes now and let the watcher end."""
        watcher, self._watcher = self._watcher, None
        if watcher is None:
            return
        if watcher.stdin is not None:
            watcher.stdin.close()
        try:
            watcher.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            watcher.kill()
            watcher.wait()
