"""The ``ncnet`` command line: parse, validate, call one function, print a table.

This package's ``__init__`` is the entry point (``ncnet.cli:app``, ``ncnet.cli:main``): the
root app with ``--version``, and the command groups, each in its own module:

- :mod:`ncnet.cli.train`: ``toy``, ``run``, ``lora`` and ``lora params``;
- :mod:`ncnet.cli.analyze`: ``report`` and ``analyze``;
- :mod:`ncnet.cli.score`: ``score``;
- :mod:`ncnet.cli.bench`: ``bench toy`` and ``bench lora``;
- :mod:`ncnet.cli.bell`: ``bell list``, ``bell show`` and ``bell bounds``;

with what they share in :mod:`ncnet.cli.common`. User mistakes end in one line
``error: ...`` on stderr and exit status 2; nothing stored is touched before the input has
been validated. No library module imports this package.
"""

from __future__ import annotations

import typer

from ncnet.cli import analyze as analyze_commands
from ncnet.cli import score as score_commands
from ncnet.cli import train as train_commands
from ncnet.cli.bell import bell_app
from ncnet.cli.bench import bench_app
from ncnet.cli.common import console, examples
from ncnet.cli.train import lora_app

__all__ = ["app", "main"]

app = typer.Typer(
    help="CHSH / Bell-type statistics in classical neural networks (arXiv 2603.04451).",
    epilog=examples(
        "ncnet toy --hidden 2,3,4 --runs 50 --out runs/fig2   # Figure 2 of the paper",
        "ncnet score my_outcomes.csv   # S of your own model's outcomes",
        "ncnet lora --suite offline-mixed --out runs/lora   # Section 5, offline",
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# the help lists commands in this order: toy, run, report, analyze, score, bench, lora, bell
app.add_typer(train_commands.commands)
app.add_typer(analyze_commands.commands)
app.add_typer(score_commands.commands)
app.add_typer(bench_app, name="bench")
app.add_typer(lora_app, name="lora")
app.add_typer(bell_app, name="bell")


def _version(value: bool) -> None:
    if value:
        from ncnet import __version__

        console.print(f"ncnet {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="print the version and exit"),
) -> None:
    """CHSH / Bell-type statistics in classical neural networks (arXiv 2603.04451)."""


def main() -> None:  # pragma: no cover
    app()
