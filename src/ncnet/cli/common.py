"""What every ``ncnet`` command module shares: the consoles, one-line user errors (exit 2),
option parsing and validation, progress on stderr and terminal tables.

User mistakes end in one line ``error: ...`` on stderr and exit status 2; nothing stored is
touched before the input has been validated. Importing this module also fixes how typer shows
flags in help (no ``<bool>`` after a flag).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn, TypeVar

import typer
from pydantic import BaseModel, ValidationError
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

# ---- help that teaches: no "<bool>" after flags, real examples under each command

_flag_type = getattr(typer.core.TyperOption, "display_type_rich", None)  # newer typer only


def _no_type_for_flags(self: typer.core.TyperOption, ctx: Any) -> str | None:
    """A flag takes no value, so its help shows no ``<bool>`` type."""
    return None if self.is_flag else _flag_type(self, ctx)


if _flag_type is not None:
    typer.core.TyperOption.display_type_rich = _no_type_for_flags  # type: ignore[method-assign]


def examples(*lines: str) -> str:
    """The epilog of a command's help: real invocations (tests parse every one)."""
    return "Examples:\n" + "\n".join(escape(line) for line in lines)


console = Console()
err_console = Console(stderr=True)
M = TypeVar("M", bound=BaseModel)


class UserError(Exception):
    """A mistake in the user's input: printed as one line, exit status 2."""


def fail(message: str) -> NoReturn:
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def guarded(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn known user-facing errors raised by ``func`` into one-line messages."""
    import functools

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from ncnet.engine.executors import ExecutorError
        from ncnet.engine.lifecycle import TERMINATED_EXIT, sigterm_raises, sigterm_received
        from ncnet.engine.seam import UnitError
        from ncnet.engine.store import StoreError
        from ncnet.engine.sweep import InputError, OutputDirError
        from ncnet.runtime.extras import MissingExtraError

        try:
            with sigterm_raises():  # SIGTERM (timeout, SLURM, systemd) as Ctrl-C
                return func(*args, **kwargs)
        except (UserError, StoreError, OutputDirError, InputError, ExecutorError,
                MissingExtraError, UnitError) as err:
            fail(str(err))
        except KeyboardInterrupt:  # Ctrl-C, or SIGTERM as lifecycle.Terminated
            if sigterm_received():
                err_console.print("terminated (SIGTERM): finished work is stored; rerun the "
                                  "command to resume", highlight=False, soft_wrap=True)
                raise typer.Exit(TERMINATED_EXIT) from None
            err_console.print("interrupted: finished work is stored; rerun the command to resume")
            raise typer.Exit(130) from None

    return wrapper


def parse_ints(option: str, text: str) -> list[int]:
    """``"2,3,4"`` -> [2, 3, 4]; anything else is a :class:`UserError` naming ``option``."""
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise UserError(
            f"{option} {text!r} is not a list of whole numbers; use e.g. {option} 2,3,4"
        ) from None
    if not values:
        raise UserError(f"{option} is empty; use e.g. {option} 2,3,4")
    return values


def validated(model: type[M], values: dict[str, Any], source: str = "option") -> M:
    """Build a config; the first validation error becomes a one-line :class:`UserError`."""
    try:
        return model.model_validate(values)
    except ValidationError as err:
        first = err.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        message = first["msg"].removeprefix("Value error, ")
        if not field:  # a check of the whole config: its message names the fields
            raise UserError(message if source == "option" else f"{source}: {message}") from None
        name = f"--{field.replace('_', '-')}" if source == "option" else f"{source}: {field}"
        value = first.get("input")
        shown = "" if isinstance(value, dict) else f" = {value!r}"
        raise UserError(f"{name}{shown} is not allowed: {message}") from None


def progress_bar() -> Progress:
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>5.1f}%"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=False,
    )


def field_option(model: type[BaseModel], name: str, *flags: str, **kwargs: Any) -> Any:
    """The ``typer.Option`` of config field ``name``: its default (a list or tuple as the
    comma-separated text the option parses) and its help (the field's description), so each
    is written once, in the config. ``flags`` and ``kwargs`` go on to ``typer.Option``.

    >>> from ncnet.experiments.toy.config import ToyConfig
    >>> option = field_option(ToyConfig, "hidden")
    >>> option.default, option.help
    ('2,3,4', 'hidden sizes n, comma-separated')
    """
    field = model.model_fields[name]
    default = field.get_default(call_default_factory=True)
    if isinstance(default, list | tuple):
        default = ",".join(map(str, default))
    return typer.Option(default, *flags, help=field.description, **kwargs)


def toy_config_from(values: dict[str, Any], source: str = "option"):
    from ncnet.experiments.toy.config import ToyConfig

    return validated(ToyConfig, values, source)

def progress_pace():
    """The pace of plain progress lines, from the environment (:data:`PACE_ENV`)."""
    import os

    from ncnet.engine.progress import PACE_ENV, parse_pace

    try:
        return parse_pace(os.environ.get(PACE_ENV))
    except ValueError as err:
        raise UserError(str(err)) from None


def _write_err_line(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


@contextmanager
def sweep_progress(pace: Any) -> Iterator[Any]:
    """The progress bar on a terminal; where stderr is a file or pipe (where the bar shows
    nothing until the end), plain lines at ``pace`` (:mod:`ncnet.engine.progress`)."""
    if err_console.is_terminal:
        with progress_bar() as bar:
            yield BarProgress(bar)
        return
    from ncnet.engine.progress import LineProgress

    with LineProgress(_write_err_line, pace) as lines:
        yield lines


class BarProgress:
    """Sweep progress on one bar: the work (epochs) of every unit, the current unit's label."""

    def __init__(self, bar: Progress):
        self.bar = bar
        self.task = bar.add_task("training", total=None)

    def start(self, units: int, work: int) -> None:
        self.bar.update(self.task, total=max(work, 1), completed=0 if work else 1)

    def unit(self, label: str) -> None:
        self.bar.update(self.task, description=label)

    def advance(self, steps: int) -> None:
        self.bar.advance(self.task, steps)

    def done(self, unit: Any) -> None:
        pass
