"""``ncnet bell``: the Bell presets, an expression's coefficients and its three bounds.

``cli.py`` registers :data:`bell_app`. Bad input ends in one line ``error: ...`` on stderr
and exit status 2, as everywhere in the CLI; a solver that fails ends with status 1.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any, NoReturn

import numpy as np
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ncnet.bell import (
    BellExpression,
    BellInputError,
    SolverError,
    check_npa_level,
    preset,
    preset_names,
    resolve_expression,
)
from ncnet.extras import MissingExtraError


def _examples(*lines: str) -> str:
    return "Examples:\n" + "\n".join(escape(line) for line in lines)


EXPRESSION_HELP = "a preset (see `ncnet bell list`) or a .toml / .json expression file"
NPA_HELP = ("NPA level of the quantum upper bound for expressions with marginal terms: "
            "a whole number >= 1 or 1+AB")

bell_app = typer.Typer(
    help="Bell expressions: presets, coefficients and the local, quantum and no-signalling "
         "bounds.",
    epilog=_examples("ncnet bell list", "ncnet bell show i3322",
                     "ncnet bell bounds chained-5 --json"),
    no_args_is_help=True,
)
console = Console()
err_console = Console(stderr=True)


def _fail(message: str, code: int) -> NoReturn:
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def _guarded(func: Callable[..., Any]) -> Callable[..., Any]:
    """Bad input and a missing extra become one line and exit 2; a solver failure exit 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (BellInputError, MissingExtraError) as err:
            _fail(str(err), 2)
        except SolverError as err:
            _fail(str(err), 1)

    return wrapper


def _num(x: float) -> str:
    """Seven significant digits, no trailing zeros: 2, 2.828427, -0.5, 0.2509397."""
    text = f"{x:.7g}"
    return "0" if text == "-0" else text


def _coefficients(table: np.ndarray, row: str, col: str) -> Table:
    """An FC or CG table with its row and column labels (row/col 0: marginal terms)."""
    m_a, m_b = table.shape[0] - 1, table.shape[1] - 1
    out = Table()
    out.add_column("")
    for label in ["1", *(col.format(y) for y in range(1, m_b + 1))]:
        out.add_column(label, justify="right")
    for x in range(m_a + 1):
        label = "1" if x == 0 else row.format(x)
        out.add_row(label, *(_num(v) for v in table[x]))
    return out


@bell_app.command("list", epilog=_examples("ncnet bell list", "ncnet bell list --json"))
@_guarded
def list_presets(
    json_out: bool = typer.Option(False, "--json", help="print a JSON list instead of a table"),
) -> None:
    """The preset expressions: name, settings per side and what each is."""
    rows = [preset(name) for name in preset_names()]
    if json_out:
        typer.echo(json.dumps([{"name": e.name, "m_a": e.m_a, "m_b": e.m_b,
                                "description": e.description} for e in rows]))
        return
    table = Table()
    for column in ("name", "m_A", "m_B", "description"):
        table.add_column(column)
    for e in rows:
        table.add_row(escape(e.name), str(e.m_a), str(e.m_b), escape(e.description))
    console.print(table)


def _bounds_table(e: BellExpression, npa_level: str | int) -> Table:
    """The three bounds; without the ``bell`` extra the quantum row names the install."""
    try:
        b = e.bounds(npa_level)
        missing = None
    except MissingExtraError as err:
        b, missing = e.bounds(npa_level, quantum=False), str(err)
    table = Table()
    for column, justify in (("bound", "left"), ("value", "right"), ("how", "left")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    table.add_row("local", _num(b.local.value),
                  f"exact: all 2^{min(e.m_a, e.m_b)} strategies of the smaller side")
    if b.quantum is None:
        table.add_row("quantum", "—", escape(missing or ""))
    else:
        q = b.quantum
        how = ("exact (Tsirelson SDP)" if q.exact else q.label) + (
            "" if q.status == "Solved" else f"; solver: {q.status}")
        table.add_row("quantum", _num(q.value), how)
    table.add_row("no-signalling", _num(b.no_signalling.value),
                  "exact: LP over the no-signalling polytope")
    return table


@bell_app.command("show", epilog=_examples("ncnet bell show chsh",
                                           "ncnet bell show i3322 --npa-level 1+AB",
                                           "ncnet bell show my_expression.toml"))
@_guarded
def show(
    expression: str = typer.Argument(..., help=EXPRESSION_HELP, metavar="NAME|FILE"),
    npa_level: str = typer.Option("2", "--npa-level", help=NPA_HELP),
) -> None:
    """An expression's coefficients (FC, and CG where given) and its three bounds."""
    level = check_npa_level(npa_level)
    e = resolve_expression(expression)
    bounds_table = _bounds_table(e, level)  # before any output: a refusal prints only itself
    console.print(f"[bold]{escape(e.name)}[/]: {escape(e.description)} "
                  f"(m_A = {e.m_a}, m_B = {e.m_b})", highlight=False)
    console.print("Full correlators (FC): the coefficients of <A_x B_y>, of <A_x> (column 1) "
                  "and of <B_y> (row 1); the constant at (1, 1)", highlight=False)
    console.print(_coefficients(np.asarray(e.fc), "A{}", "B{}"))
    if e.cg is not None:
        console.print("Collins–Gisin (CG), as given: the coefficients of p(++|xy), of p(+|x) "
                      "(column 1) and of p(+|y) (row 1)", highlight=False)
        console.print(_coefficients(np.asarray(e.cg), "A{}", "B{}"))
    console.print("Bounds: the largest V of local, quantum and no-signalling statistics",
                  highlight=False)
    console.print(bounds_table)


@bell_app.command("bounds", epilog=_examples("ncnet bell bounds chained-5 --json",
                                             "ncnet bell bounds i3322 --npa-level 3"))
@_guarded
def bounds(
    expression: str = typer.Argument(..., help=EXPRESSION_HELP, metavar="NAME|FILE"),
    npa_level: str = typer.Option("2", "--npa-level", help=NPA_HELP),
    json_out: bool = typer.Option(False, "--json", help="print one JSON object: local, "
                                  "quantum, quantum_kind, no_signalling, m_a, m_b"),
) -> None:
    """The local, quantum and no-signalling bounds of one expression."""
    level = check_npa_level(npa_level)
    e = resolve_expression(expression)
    if json_out:
        typer.echo(json.dumps(e.bounds(level).to_json()))
        return
    console.print(_bounds_table(e, level))
