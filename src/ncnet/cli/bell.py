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

from ncnet.bell.errors import BellInputError, SolverError
from ncnet.bell.expression import BellExpression
from ncnet.bell.files import resolve_expression
from ncnet.bell.presets import preset, preset_names
from ncnet.bell.quantum import check_npa_level
from ncnet.runtime.extras import MissingExtraError


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


#: The terminal width the tables of ``ncnet bell`` and ``ncnet score --expression`` fit.
TABLE_WIDTH = 80


def _natural_width(table: Table) -> int:
    """Columns ``table`` takes where nothing forces it narrower."""
    from rich.measure import Measurement

    wide = Console(width=10_000)
    return Measurement.get(wide, wide.options, table).maximum


def _coefficient_block(cells: list[list[str]], labels: list[str], rows: list[str],
                       columns: list[int]) -> Table:
    out = Table()
    out.add_column("", no_wrap=True)
    for c in columns:
        out.add_column(labels[c], justify="right", no_wrap=True)
    for x, label in enumerate(rows):
        out.add_row(label, *(cells[x][c] for c in columns))
    return out


def _coefficients(table: np.ndarray, row: str, col: str,
                  width: int = TABLE_WIDTH) -> list[Table]:
    """An FC or CG table with its row and column labels (row/col 0: marginal terms), as one
    table or, where that is wider than ``width`` columns, as blocks of consecutive columns
    that each fit (every block repeats the row labels)."""
    m_a, m_b = table.shape[0] - 1, table.shape[1] - 1
    labels = ["1", *(col.format(y) for y in range(1, m_b + 1))]
    rows = ["1", *(row.format(x) for x in range(1, m_a + 1))]
    cells = [[_num(v) for v in table[x]] for x in range(m_a + 1)]
    blocks: list[list[int]] = [[]]
    for c in range(m_b + 1):
        trial = [*blocks[-1], c]
        if blocks[-1] and _natural_width(_coefficient_block(cells, labels, rows, trial)) > width:
            blocks.append([c])
        else:
            blocks[-1] = trial
    return [_coefficient_block(cells, labels, rows, b) for b in blocks]


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
    table = Table()  # the descriptions wrap in their column: the rest fits 80 columns
    for column in ("name", "m_A", "m_B"):
        table.add_column(column, no_wrap=True)
    table.add_column("description")
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
    for column, justify in (("bound", "left"), ("value", "right")):
        table.add_column(column, justify=justify, no_wrap=True)  # type: ignore[arg-type]
    table.add_column("how")
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
    console.print(*_coefficients(np.asarray(e.fc), "A{}", "B{}"))
    if e.cg is not None:
        console.print("Collins–Gisin (CG), as given: the coefficients of p(++|xy), of p(+|x) "
                      "(column 1) and of p(+|y) (row 1)", highlight=False)
        console.print(*_coefficients(np.asarray(e.cg), "A{}", "B{}"))
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
    if json_out:  # without the bell extra: the exact bounds, and quantum_kind says why not
        try:
            doc = e.bounds(level).to_json()
        except MissingExtraError as err:
            doc = {**e.bounds(level, quantum=False).to_json(), "quantum_kind": str(err)}
        typer.echo(json.dumps(doc))
        return
    console.print(_bounds_table(e, level))


# ---- `ncnet score --expression`: the views (the statistics are in ncnet.bell.score) -------

#: Most expressions one ``--expression`` takes.
MAX_SCORED_EXPRESSIONS = 20


def parse_expressions(text: str) -> list[BellExpression]:
    """``"chsh,chained-3,my.toml"`` -> the expressions, in order; one-line errors."""
    names = [t.strip() for t in text.split(",") if t.strip()]
    if not names:
        raise BellInputError("--expression is empty; give presets or files, comma-separated "
                             f"(presets: {', '.join(preset_names())})")
    if len(set(names)) != len(names):
        raise BellInputError(f"--expression {text!r} names an expression twice")
    if len(names) > MAX_SCORED_EXPRESSIONS:
        raise BellInputError(f"--expression names {len(names)} expressions; the most allowed "
                             f"is {MAX_SCORED_EXPRESSIONS}")
    return [resolve_expression(n) for n in names]


def _pm(x: float) -> str:
    return f"{x:+.4f}"


def score_views(d: dict[str, Any]) -> list[Table]:
    """The tables of one expression's score (:meth:`ncnet.bell.score.ExpressionScore.to_dict`):
    the pairs (items, C, accuracies, product prediction), then each side's settings
    (partner-averaged marginal, accuracy spread over the partner settings, then one row per
    gap to partner setting 1 with its CI). Both fit :data:`TABLE_WIDTH` columns."""
    from ncnet.report.format import format_p

    b = d["bounds"]
    holm = d["test"].get("p_holm")
    holm_text = "" if holm is None else f" (Holm {format_p(holm)})"
    title = (f"{d['expression']}: V = {d['V']:.4f}   95% CI [{d['ci'][0]:.4f}, "
             f"{d['ci'][1]:.4f}]   p(V > {_num(b['local'])}) = "
             f"{format_p(d['test']['p_value'])}{holm_text}")
    pairs = Table(title=escape(title))
    for col in ("pair", "items", "C", "acc A", "acc B", "C if independent"):
        pairs.add_column(col, justify="right")
    m_a, m_b = d["m_a"], d["m_b"]
    for x in range(m_a):
        for y in range(m_b):
            pairs.add_row(f"({x + 1},{y + 1})", str(d["n_items"][x][y]), f"{d['C'][x][y]:.4f}",
                          f"{d['acc_A'][x][y]:.4f}", f"{d['acc_B'][x][y]:.4f}",
                          f"{d['C_product'][x][y]:.4f}")
    quantum = ("—" if b["quantum"] is None else f"{_num(b['quantum'])} ({b['quantum_kind']})")
    pairs.caption = escape(
        f"V if independent {d['V_product']:.4f}; bounds: local {_num(b['local'])}, quantum "
        f"{quantum}, no-signalling {_num(b['no_signalling'])}")
    sides = Table(title="marginals per setting: partner-averaged <A_x>, <B_y>; accuracy "
                        "spread over partner settings (max - min) and gaps to partner 1")
    for col in ("setting", "marginal", "acc spread", "partners", "gap [95% CI]"):
        sides.add_column(col, justify="right", no_wrap=True)
    for side, own, marg, spread, gaps, cis in (
            ("A", m_a, d["marg_A"], d["signalling_spread_A"], d["signalling_gap_A"],
             d["signalling_gap_A_ci"]),
            ("B", m_b, d["marg_B"], d["signalling_spread_B"], d["signalling_gap_B"],
             d["signalling_gap_B_ci"])):
        partner = "j" if side == "A" else "i"
        for s in range(own):
            head = [f"{side}{s + 1}", f"{marg[s]:+.4f}", f"{spread[s]:.4f}"]
            if not gaps[s]:
                sides.add_row(*head, "—", "—")
            for t, (g, ci) in enumerate(zip(gaps[s], cis[s], strict=True)):
                # one row per partner setting t + 2: the gap acc(partner 1) - acc(partner t + 2)
                sides.add_row(*(head if t == 0 else ["", "", ""]), f"{partner} 1-{t + 2}",
                              f"{_pm(g)} [{_pm(ci[0])}, {_pm(ci[1])}]")
    return [pairs, sides]


def print_scores(scores: list[Any], json_out: bool) -> None:
    """Print :class:`ncnet.bell.score.ExpressionScore` results as tables or one JSON list."""
    dicts = [s.to_dict() for s in scores]
    for d in dicts:
        if d["warning"]:
            err_console.print(escape(f"warning: {d['expression']}: {d['warning']}"),
                              highlight=False, soft_wrap=True)
    if json_out:
        from ncnet.report.format import strict_json

        typer.echo(json.dumps(strict_json(dicts), indent=2))
        return
    for d in dicts:
        console.print(*score_views(d))
        units = (f"{d['ci_units']} shared items, per-item sums T_k in "
                 f"[{_num(d['item_sum_range'][0])}, {_num(d['item_sum_range'][1])}]"
                 if d["scheme"] == "paired-items" else
                 "no item ids shared by the pairs, each pair on its own")
        console.print(escape(f"CI scheme: {d['scheme']} ({units}); test and interval: "
                             f"{d['test']['test']}"),
                      highlight=False)
        if d["ignored_rows"]:
            console.print(f"{d['ignored_rows']} rows with settings beyond m_A = {d['m_a']}, "
                          f"m_B = {d['m_b']} were left out", highlight=False)
    if len(dicts) > 1:
        console.print("p Holm: adjusted across the expressions scored together",
                      highlight=False)
