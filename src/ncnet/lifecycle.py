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

Imports nothing of ncnet.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
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
