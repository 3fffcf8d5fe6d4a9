"""Progress without a terminal: plain lines at a steady pace, by time or by units, with the
units done, the elapsed time and an estimate of what remains."""

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ncnet.cli import app
from ncnet.engine.progress import LineProgress, Pace, format_duration, parse_pace

from .conftest import TEXT_FIXTURES

SRC = str(Path(__file__).resolve().parents[1] / "src")
LINE = re.compile(r"progress: (\d+)/(\d+) units \((\d+)%\), (\w+) elapsed(?:, about (\w+) left)?")


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.mark.parametrize("text, pace", [
    (None, Pace(30.0, None)), ("", Pace(30.0, None)), ("10", Pace(10.0, None)),
    ("0.25s", Pace(0.25, None)), (" 2 sec ", Pace(2.0, None)), ("5u", Pace(None, 5)),
    ("1units", Pace(None, 1)), ("3U", Pace(None, 3)),
])
def test_parse_pace(text, pace):
    assert parse_pace(text) == pace


@pytest.mark.parametrize("text", ["0", "-1", "fast", "2.5u", "0u", "5m", "nan"])
def test_parse_pace_refuses(text):
    with pytest.raises(ValueError, match=f"NCNET_PROGRESS_EVERY={text!r} is not allowed"):
        parse_pace(text)


@pytest.mark.parametrize("seconds, text", [
    (0, "0s"), (59.99, "59s"), (60, "1m00s"), (3599, "59m59s"), (3600, "1h00m"),
    (36000 + 59 * 60 + 59, "10h59m"), (-3, "0s"),
])
def test_format_duration(seconds, text):
    assert format_duration(seconds) == text


def test_lines_by_units_with_elapsed_and_left():
    """Every second unit and the last; "left" extrapolates the share of the work done."""
    clock, lines = Clock(), []
    progress = LineProgress(lines.append, Pace(seconds=None, units=2), clock)
    progress.start(4, 400)
    for at, steps in [(10, 100), (25, 100), (62, 50), (100, 150)]:
        clock.now = 1000.0 + at
        progress.advance(steps)
        progress.done(None)
    assert lines == ["progress: 2/4 units (50%), 25s elapsed, about 25s left",
                     "progress: 4/4 units (100%), 1m40s elapsed"]


def test_lines_by_time_while_a_unit_trains():
    """The pacing thread writes while nothing is reported; the last unit writes once more."""
    lines = []
    with LineProgress(lines.append, Pace(seconds=0.05)) as progress:
        progress.start(2, 20)
        deadline = time.monotonic() + 10
        while len(lines) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        progress.advance(5)
        progress.done(None)
        time.sleep(0.2)
        seen = len(lines)
        assert all(re.fullmatch(r"progress: [01]/2 units \((0|25)%\), 0s elapsed.*", line)
                   for line in lines), lines
        progress.advance(15)
        progress.done(None)
        time.sleep(0.2)
    assert len(lines) >= 3 and lines[:2] == ["progress: 0/2 units (0%), 0s elapsed"] * 2
    assert lines[seen:] == ["progress: 2/2 units (100%), 0s elapsed"]  # and none after it


def test_nothing_to_train_writes_nothing():
    lines = []
    with LineProgress(lines.append, Pace(seconds=0.01)) as progress:
        progress.start(0, 0)
        time.sleep(0.1)
    assert lines == []


def run_piped(args, tmp_path, pace):
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "TTY_COMPATIBLE")}
    env.update(PYTHONPATH=os.pathsep.join(p for p in (SRC, env.get("PYTHONPATH")) if p),
               NCNET_PROGRESS_EVERY=pace, OMP_NUM_THREADS="1")
    return subprocess.run([sys.executable, "-m", "ncnet", *args, "--out", str(tmp_path / "o")],
                          env=env, capture_output=True, text=True, timeout=300)


def test_a_piped_toy_run_prints_progress_lines_while_it_trains(tmp_path):
    """stderr a pipe: lines at the pace asked for (0.2 s) while it trains, unit counts and
    shares that only grow, the last line at 2/2 units (pair models and joint controls)."""
    done = run_piped(["toy", "--hidden", "2,3", "--runs", "2", "--epochs", "2000",
                      "--executor", "inline", "--no-report"], tmp_path, "0.2")
    assert done.returncode == 0, done.stderr
    assert "4 runs trained (+4 joint controls)" in done.stdout
    lines = done.stderr.strip().splitlines()
    parsed = [LINE.fullmatch(line) for line in lines]
    assert all(parsed), lines
    units = [int(m[1]) for m in parsed]
    shares = [int(m[3]) for m in parsed]
    assert {int(m[2]) for m in parsed} == {2}
    assert units == sorted(units) and shares == sorted(shares)
    assert lines[-1].startswith("progress: 2/2 units (100%), ") and "left" not in lines[-1]
    working = [m for m in parsed if int(m[1]) < 2]
    assert working and all(m[5] is not None for m in working if int(m[3]) > 0)
    assert all(int(m[3]) >= 50 * int(m[1]) for m in parsed)  # a stored unit's work is done


def test_a_bad_pace_is_a_one_line_error(tmp_path):
    result = CliRunner().invoke(app, ["toy", "--runs", "1", "--epochs", "10", "--no-report",
                                      "--out", str(tmp_path / "o")],
                                env={"NCNET_PROGRESS_EVERY": "soon"})
    assert result.exit_code == 2
    assert result.stderr.strip() == ("error: NCNET_PROGRESS_EVERY='soon' is not allowed: use "
                                     "seconds > 0 (e.g. 30 or 30s) or a whole number of units "
                                     "(e.g. 5u)")
    assert not (tmp_path / "o").exists()


def test_a_lora_run_without_a_terminal_prints_a_line_per_unit(tiny_bert, tmp_path):
    """The LoRA path is the same one: 4 pair models of one rank, a line after each."""
    args = ["lora", "--model", tiny_bert, "--data-dir", str(TEXT_FIXTURES / "data"), "--ranks",
            "1", "--epochs", "1", "--batch-size", "4", "--train-size", "16", "--test-size",
            "8", "--max-len", "16", "--threads", "1", "--device", "cpu", "--no-report",
            "--out", str(tmp_path / "o")]
    result = CliRunner().invoke(app, args, env={"NCNET_PROGRESS_EVERY": "1u"})
    assert result.exit_code == 0, result.stderr
    parsed = [LINE.fullmatch(line) for line in result.stderr.strip().splitlines()]
    assert all(parsed), result.stderr
    assert [(int(m[1]), int(m[2])) for m in parsed] == [(1, 4), (2, 4), (3, 4), (4, 4)]
