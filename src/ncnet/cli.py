"""The ``ncnet`` command line: parse, validate, call one function, print a table.

This module is the entry point (``ncnet.cli:app``, ``ncnet.cli:main``): the root app with
``--version``, and the command groups, each in its own module:

- :mod:`ncnet.cli_train`: ``toy``, ``run``, ``lora`` and ``lora params``;
- :mod:`ncnet.cli_analyze`: ``report`` and ``analyze``;
- :mod:`ncnet.cli_score`: ``score``;
- :mod:`ncnet.cli_bench`: ``bench toy`` and ``bench lora``;
- :mod:`ncnet.cli_bell`: ``bell list``, ``bell show`` and ``bell bounds``;

with what they share in :mod:`ncnet.cli_common`. User mistakes end in one line
``error: ...`` on stderr and exit status 2; nothing stored is touched before the input has
been validated. The names below the app are re-exported from those modules, so imports from
``ncnet.cli`` keep working.
"""

from __future__ import annotations

import typer

from ncnet import cli_analyze, cli_score, cli_train
from ncnet.cli_analyze import analyze, report
from ncnet.cli_bell import bell_app
from ncnet.cli_bench import bench_app, bench_lora_command, bench_toy, process_age
from ncnet.cli_common import (
    BarProgress,
    UserError,
    console,
    err_console,
    examples,
    fail,
    guarded,
    parse_ints,
    progress_bar,
    progress_pace,
    rich_table,
    sweep_progress,
    toy_config_from,
    validated,
)
from ncnet.cli_score import CSV_SEPARATORS, csv_separator, score, score_table_view
from ncnet.cli_train import (
    EXECUTOR_KINDS,
    SUITE_HELP,
    executor_settings,
    lora,
    lora_app,
    lora_params,
    parse_layers,
    parse_names,
    run,
    run_and_report,
    start_imports,
    toy,
)

__all__ = [
    "analyze", "app", "BarProgress", "bench_app", "bench_lora_command", "bench_toy", "console",
    "csv_separator", "CSV_SEPARATORS", "err_console", "EXECUTOR_KINDS", "executor_settings",
    "fail", "guarded", "lora", "lora_app", "lora_params", "main", "parse_ints", "parse_layers",
    "parse_names", "process_age", "progress_bar", "progress_pace", "report", "rich_table", "run",
    "run_and_report", "score", "score_table_view", "start_imports", "SUITE_HELP", "sweep_progress",
    "toy", "toy_config_from", "UserError", "validated",
]

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
app.add_typer(cli_train.commands)
app.add_typer(cli_analyze.commands)
app.add_typer(cli_score.commands)
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
