"""``ncnet score``: CHSH (or, with ``--expression``, Bell-expression) statistics of a file of
paired per-item outcomes."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from ncnet.cli.common import UserError, console, err_console, examples, guarded
from ncnet.report.format import format_num as _fmt
from ncnet.report.format import format_p

SCORE_EXAMPLES = examples(
    "ncnet score my_outcomes.csv",
    "ncnet score my_outcomes.parquet --json --n-boot 2000 --seed 1",
    "ncnet score my_outcomes.csv --expression chained-3,i3322   # Bell family",
)

#: The command of this module (``score``); ``ncnet.cli`` merges it into its app.
commands = typer.Typer()


CSV_SEPARATORS = {",": "comma", ";": "semicolon", "\t": "tab"}


def csv_separator(file: Path, lines: int = 20) -> str:
    """The separator of a CSV file, one of :data:`CSV_SEPARATORS`, sniffed from its first
    ``lines`` lines (``csv.Sniffer``); a comma where they do not tell (one column, empty)."""
    import csv
    import itertools

    with open(file, encoding="utf-8", errors="replace", newline="") as fh:
        sample = "".join(itertools.islice(fh, lines))
    try:
        return csv.Sniffer().sniff(sample, delimiters="".join(CSV_SEPARATORS)).delimiter
    except csv.Error:
        return ","


@commands.command(epilog=SCORE_EXAMPLES)
@guarded
def score(
    file: Path = typer.Argument(..., help="CSV (comma-, semicolon- or tab-separated) or "
                                "Parquet with columns i, j, A, B and optionally item"),
    json_out: bool = typer.Option(False, "--json", help="print JSON instead of tables"),
    n_boot: int = typer.Option(10_000, help="bootstrap resamples for the CI"),
    seed: int = typer.Option(0, help="bootstrap seed"),
    expression: str | None = typer.Option(
        None, "--expression", metavar="NAME|FILE,...",
        help="Bell expressions to score instead of CHSH, comma-separated (presets: `ncnet "
             "bell list`, or .toml / .json files); settings i = 1..m_A, j = 1..m_B; p-values "
             "Holm-adjusted across them"),
) -> None:
    """CHSH statistics of your own model's paired per-item outcomes.

    Each row is one test item of setting pair (i, j) with Alice's outcome A and Bob's outcome
    B (+1/-1, or 1/0 for correct/incorrect). An optional `item` column names the test item:
    when the four pairs hold the same item ids, the ids are resampled jointly (paired scheme;
    correlators that share items covary); otherwise the pairs are resampled independently.
    The output says which scheme was used.

    With --expression, each named Bell expression is scored instead (docs/bell-data.md):
    its value V with the partner-averaged marginals, the spread of each marginal over the
    partner settings, and the test of V above its local bound.

    A CSV file of outcomes starts like this (values separated by commas, semicolons or tabs;
    the columns in any order), here test item 0 under all four setting pairs:

      i,j,item,A,B
      1,1,0,1,1
      1,2,0,1,0
      2,1,0,0,1
      2,2,0,1,1
    """
    import pandas as pd
    import pyarrow as pa

    from ncnet import chsh
    from ncnet.bell.score import PAIRED_SCHEME

    if not file.is_file():
        raise UserError(f"file {file} does not exist")
    if n_boot < 1:
        raise UserError(f"--n-boot {n_boot} is not allowed: use a whole number >= 1")
    if expression is not None:
        from ncnet.bell.errors import BellInputError
        from ncnet.cli.bell import parse_expressions

        try:
            expressions = parse_expressions(expression)
        except BellInputError as err:
            raise UserError(str(err)) from None
    kind, sep = "Parquet", None
    try:
        if file.suffix.lower() in (".parquet", ".pq"):
            frame = pd.read_parquet(file)
        elif file.suffix.lower() in (".csv", ".txt"):
            kind, sep = "CSV", csv_separator(file)
            frame = pd.read_csv(file, sep=sep, skipinitialspace=True)
        else:
            raise UserError(f"{file}: unknown file type {file.suffix!r}; allowed: .csv, .parquet")
    except (ValueError, OSError, pd.errors.ParserError, pa.ArrowException) as err:
        reason = (str(err).strip().splitlines() or [type(err).__name__])[0]
        seen = f"{CSV_SEPARATORS[sep]}-separated: " if sep else ""
        raise UserError(f"{file} could not be read as {kind} ({seen}{reason})") from None
    read_as = f" (read as {CSV_SEPARATORS[sep]}-separated CSV)" if sep else ""
    if sep and frame.shape[1] == 1:
        read_as = read_as[:-1] + " with one column; separate values by commas, semicolons or tabs)"
    if expression is not None:
        return _score_expressions(expressions, frame, f"{file}{read_as}", n_boot, seed, json_out)
    try:
        result = chsh.score_table(frame, n_boot=n_boot, seed=seed)
    except ValueError as err:
        raise UserError(f"{file}{read_as}: {err}") from None
    except TypeError as err:  # nested values (lists, structs) in a foreign table
        raise UserError(f"{file}: columns i, j, A, B must hold plain numbers ({err})") from None
    data = result.to_dict()
    if data["warning"]:
        err_console.print(f"warning: {data['warning']}", highlight=False, soft_wrap=True)
    if json_out:
        from ncnet.report.format import strict_json

        sys.stdout.write(json.dumps(strict_json(data), indent=2) + "\n")
        return
    console.print(score_table_view(data))
    units = (f"{data['ci_units']} shared items (the per-item sums T_k are the units)"
             if data["scheme"] == PAIRED_SCHEME else
             "no item ids shared by the pairs, each pair on its own")
    console.print(f"CI scheme: {data['scheme']} ({units}); test and interval: "
                  f"{data['test']['test']}", highlight=False)
    cbd = data["cbd"]
    console.print(f"Contextuality-by-Default: S_odd {cbd['s_odd']:.4f} against 2 + Delta = "
                  f"{2 + cbd['delta']:.4f}, excess {cbd['excess']:+.4f} (point values; "
                  "> 0 would be contextual beyond direct influence)", highlight=False)


def _score_expressions(expressions: list[Any], frame: Any, source: str, n_boot: int, seed: int,
                       json_out: bool) -> None:
    """``ncnet score --expression``: :func:`ncnet.bell.score.score_many`, then the views."""
    from ncnet.bell.score import score_many
    from ncnet.cli.bell import print_scores

    try:
        scores = score_many(expressions, frame, n_boot=n_boot, seed=seed)
    except ValueError as err:
        raise UserError(f"{source}: {err}") from None
    except TypeError as err:  # nested values (lists, structs) in a foreign table
        raise UserError(f"{source}: columns i, j, A, B must hold plain numbers ({err})") from None
    print_scores(scores, json_out)


def score_table_view(d: dict[str, Any]) -> Table:
    from ncnet import chsh

    t = Table(title=f"S = {d['S']:.4f}   95% CI [{d['ci'][0]:.4f}, {d['ci'][1]:.4f}]   "
                    f"p(S > 2) = {format_p(d['test']['p_value'])}")
    for col in ("pair", "items", "C", "acc A", "acc B", "C if independent"):
        t.add_column(col, justify="right")
    for i, j in chsh.PAIRS:
        t.add_row(
            f"({i},{j})", str(d["n_items"][i - 1][j - 1]), _fmt(d["C"][i - 1][j - 1], 4),
            _fmt(d["acc_A"][i - 1][j - 1], 4), _fmt(d["acc_B"][i - 1][j - 1], 4),
            _fmt(d["C_product"][i - 1][j - 1], 4),
        )
    t.caption = (
        f"signalling gap A (acc with Bob's task 1 minus 2): task 1 "
        f"{d['signalling_gap_A'][0]:+.4f}, task 2 {d['signalling_gap_A'][1]:+.4f};  "
        f"B: task 1 {d['signalling_gap_B'][0]:+.4f}, task 2 {d['signalling_gap_B'][1]:+.4f};  "
        f"S if independent {d['S_product']:.4f}; bounds: local 2, Tsirelson 2.828, "
        f"no-signalling 4"
    )
    return t
