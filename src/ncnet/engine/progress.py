"""Sweep progress as plain lines, for a log file, ``nohup`` or a batch job, where a progress
bar shows nothing until the end::

    progress: 3/16 units (19%), 1m02s elapsed, about 4m10s left

The share is of the work (epochs) done, counted when the executor reports it (per epoch
inline, per finished unit in worker processes); "left" extrapolates it linearly from the
elapsed time. A line comes at a steady pace, by time (a daemon thread keeps it while a unit
trains; default every :data:`DEFAULT_SECONDS`) or by units (after every N stored units), and
once more when the last unit is stored. The pace is read from :data:`PACE_ENV`.

Imports nothing of ncnet; the object has the ``Progress`` hooks of
:mod:`ncnet.engine.seam`.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any

DEFAULT_SECONDS = 30.0
PACE_ENV = "NCNET_PROGRESS_EVERY"
_PACE = re.compile(r"\s*(?P<n>\d+(?:\.\d*)?|\.\d+)\s*(?P<unit>s|sec|u|units?)?\s*", re.I)


@dataclass(frozen=True)
class Pace:
    """A line every ``seconds`` (> 0), or after every ``units`` stored units (>= 1); one of
    the two is None."""

    seconds: float | None = DEFAULT_SECONDS
    units: int | None = None


def parse_pace(text: str | None) -> Pace:
    """``None`` or ``""``: every 30 s; ``"10"`` or ``"10s"``: every 10 s (fractions allowed);
    ``"5u"`` or ``"5units"``: after every 5 units. ``ValueError`` (one line) otherwise.

    >>> parse_pace("2.5"), parse_pace("4u")
    (Pace(seconds=2.5, units=None), Pace(seconds=None, units=4))
    """
    if text is None or not text.strip():
        return Pace()
    match = _PACE.fullmatch(text)
    by_units = bool(match and match["unit"] and match["unit"].lower().startswith("u"))
    value = float(match["n"]) if match else 0.0
    if not match or value <= 0 or by_units and not value.is_integer():
        raise ValueError(f"{PACE_ENV}={text!r} is not allowed: use seconds > 0 (e.g. 30 or "
                         "30s) or a whole number of units (e.g. 5u)")
    return Pace(seconds=None, units=int(value)) if by_units else Pace(seconds=value)


def format_duration(seconds: float) -> str:
    """``42s``, ``4m10s``, ``2h05m``: whole seconds (hours and minutes above an hour),
    rounded down; ``seconds`` >= 0.

    >>> format_duration(42.9), format_duration(250), format_duration(7500)
    ('42s', '4m10s', '2h05m')
    """
    whole = int(max(seconds, 0.0))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


class LineProgress:
    """The ``Progress`` hooks of a sweep, written as lines by ``write`` (called from this
    thread or the pacing thread, one call at a time). Use it as a context manager: leaving
    it stops the pacing thread."""

    def __init__(self, write: Callable[[str], Any], pace: Pace = Pace(),
                 clock: Callable[[], float] = time.monotonic):
        self.write = write
        self.pace = pace
        self.clock = clock
        self.units = self.work = self.units_done = self.work_done = 0
        self.started = 0.0
        self._last_line = 0.0
        self._last_units: int | None = None  # units_done in the last line
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def line(self) -> str:
        """The progress line now."""
        elapsed = self.clock() - self.started
        share = (self.work_done / self.work if self.work
                 else self.units_done / self.units if self.units else 1.0)
        share = min(max(share, 0.0), 1.0)
        text = (f"progress: {self.units_done}/{self.units} units ({int(share * 100)}%), "
                f"{format_duration(elapsed)} elapsed")
        if 0 < share < 1:
            text += f", about {format_duration(elapsed * (1 - share) / share)} left"
        return text

    def _emit(self) -> None:
        with self._lock:
            self.write(self.line())
            self._last_line = self.clock()
            self._last_units = self.units_done

    def _keep_pace(self, seconds: float) -> None:
        while True:
            with self._lock:
                wait = self._last_line + seconds - self.clock()
            if wait > 0:
                if self._stop.wait(wait):
                    return
                continue
            self._emit()

    def start(self, units: int, work: int) -> None:
        self.units, self.work = units, work
        self.started = self._last_line = self.clock()
        if units and self.pace.seconds is not None and self._thread is None:
            self._thread = threading.Thread(target=self._keep_pace, args=(self.pace.seconds,),
                                            name="ncnet-progress", daemon=True)
            self._thread.start()

    def unit(self, label: str) -> None:
        pass

    def advance(self, steps: int) -> None:
        with self._lock:
            self.work_done += steps

    def done(self, unit: Any) -> None:
        with self._lock:
            self.units_done += 1
        last = self.units_done >= self.units
        if last:
            self.close()
        by_units = self.pace.units is not None and self.units_done % self.pace.units == 0
        if (last or by_units) and self._last_units != self.units_done:
            self._emit()

    def close(self) -> None:
        """Stop the pacing thread (no more lines by time)."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    def __enter__(self) -> LineProgress:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
