"""The ``ncnet`` command line: parse, validate, call one function, print a table.

User mistakes end in one line ``error: ...`` on stderr and exit status 2; nothing stored is
touched before the input has been validated.
"""

from __future__ import annotations

import json
import sys
import tomllib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import typer
from pydantic import BaseModel, ValidationError
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from ncnet.cli_bell import bell_app
from ncnet.fmt import format_num as _fmt
from ncnet.fmt import format_p
from ncnet.tasks.suites import SUITES

# ---- help that teaches: registry names, no "<bool>" after flags, examples under each command

_flag_type = getattr(typer.core.TyperOption, "display_type_rich", None)  # newer typer only


def _no_type_for_flags(self: typer.core.TyperOption, ctx: Any) -> str | None:
    """A flag takes no value, so its help shows no ``<bool>`` type."""
    return None if self.is_flag else _flag_type(self, ctx)


if _flag_type is not None:
    typer.core.TyperOption.display_type_rich = _no_type_for_flags  # type: ignore[method-assign]

SUITE_HELP = f"task suite: {' | '.join(SUITES)} (tasks per suite: below)"


def _examples(*lines: str) -> str:
    """The epilog of a command's help: real invocations (tests parse every one)."""
    return "Examples:\n" + "\n".join(escape(line) for line in lines)


def _suites_text() -> str:
    rows = [f"{s.name} ({s.model}): Alice {', '.join(s.alice)}; Bob {', '.join(s.bob)}"
            for s in SUITES.values()]
    return "Suites, from the task registry:\n" + "\n".join(escape(r) for r in rows)


TOY_EXAMPLES = _examples(
    "ncnet toy --hidden 2,3,4 --runs 50 --out runs/fig2   # Figure 2 (about 10 s)",
    "ncnet toy --hidden 3 --runs 20 --epochs 2000 --no-joint --out runs/quick",
    "ncnet toy --encoding 01 --out runs/fig2-01   # 0/1 inputs instead of -1/+1",
)
RUN_EXAMPLES = _examples(
    "ncnet run configs/paper-fig2.toml",
    "ncnet run configs/offline-mixed.toml --out runs/mixed",
)
REPORT_EXAMPLES = _examples("ncnet report runs/fig2", "ncnet report runs/lora")
SCORE_EXAMPLES = _examples(
    "ncnet score my_outcomes.csv",
    "ncnet score my_outcomes.parquet --json --n-boot 2000 --seed 1",
    "ncnet score my_outcomes.csv --expression chained-3,i3322   # Bell family",
)
ANALYZE_EXAMPLES = _examples(
    "ncnet analyze runs/capacity-scan --n-boot 5000   # toy: per hidden size n",
    "ncnet analyze runs/lora-traced   # LoRA: per (rank, seed)",
)
BENCH_TOY_EXAMPLES = _examples("ncnet bench toy", "ncnet bench toy --runs 10 --naive-models 1")
BENCH_LORA_EXAMPLES = _examples("ncnet bench lora",
                                "ncnet bench lora --rank 8 --train-size 96 --threads 1")
LORA_TIMES = ("First try: `ncnet run configs/lora-quick.toml` (offline-easy, r = 1 and 8, 3 "
              "epochs, 8 pair models: 4 min 23 s on 2 CPU cores). "
              "Full presets on 2 CPU cores: configs/offline-mixed.toml about 35-40 min, "
              "configs/lora-metric-scan.toml about 1.5-2.6 h; the paper suites need a GPU "
              "and the hub.")
LORA_EXAMPLES = _suites_text() + "\n\n" + LORA_TIMES + "\n\n" + _examples(
    "ncnet lora --suite offline-mixed --ranks 1,2,4,8 --out runs/lora",
    "ncnet lora --seed 1 --seeds 3 --workers 2 --threads 1   # seeds 1, 2, 3",
    "ncnet lora --suite paper-mixed --device cuda --out runs/paper-mixed",
)
LORA_PARAMS_EXAMPLES = _examples(
    "ncnet lora params --ranks 1,2,4,8,16,32   # paper Table 4, BERT-base",
    "ncnet lora params --model minilm --json",
)

app = typer.Typer(
    help="CHSH / Bell-type statistics in classical neural networks (arXiv 2603.04451).",
    epilog=_examples(
        "ncnet toy --hidden 2,3,4 --runs 50 --out runs/fig2   # Figure 2 of the paper",
        "ncnet score my_outcomes.csv   # S of your own model's outcomes",
        "ncnet lora --suite offline-mixed --out runs/lora   # Section 5, offline",
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
bench_app = typer.Typer(help="Speed against the naive baseline, in one process.")
app.add_typer(bench_app, name="bench")
lora_app = typer.Typer(help="Section 5: multi-task LoRA on a frozen encoder, S per rank.")
app.add_typer(lora_app, name="lora")
app.add_typer(bell_app, name="bell")
console = Console()
err_console = Console(stderr=True)
M = TypeVar("M", bound=BaseModel)


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
        from ncnet.executors import ExecutorError
        from ncnet.extras import MissingExtraError
        from ncnet.lifecycle import TERMINATED_EXIT, sigterm_raises, sigterm_received
        from ncnet.store import StoreError
        from ncnet.sweep import InputError, OutputDirError

        try:
            with sigterm_raises():  # SIGTERM (timeout, SLURM, systemd) as Ctrl-C
                return func(*args, **kwargs)
        except (UserError, StoreError, OutputDirError, InputError, ExecutorError,
                MissingExtraError) as err:
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
        name = f"--{field.replace('_', '-')}" if source == "option" else f"{source}: {field}"
        value = first.get("input")
        message = first["msg"].removeprefix("Value error, ")
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


def rich_table(data: Any) -> Table:
    """A terminal table from an experiment's plain :class:`~ncnet.experiments.base.TableData`."""
    table = Table(title=data.title)
    for col in data.columns:
        table.add_column(col, justify="right")
    for row in data.rows:
        table.add_row(*row)
    if data.caption:
        table.caption = data.caption
    return table


def toy_config_from(values: dict[str, Any], source: str = "option"):
    from ncnet.experiments.toy import ToyConfig

    return validated(ToyConfig, values, source)


EXECUTOR_KINDS = ("inline", "pool", "ray")


def executor_settings(executor: str | None, workers: int, address: str | None,
                      gpus_per_task: float):
    """The executor options of ``toy`` and ``lora`` as an ExecutorConfig."""
    from ncnet.executors import ExecutorConfig

    if executor is not None and executor not in EXECUTOR_KINDS:
        raise UserError(f"--executor {executor!r} is not allowed: use {', '.join(EXECUTOR_KINDS)}")
    if workers < 1:
        raise UserError(f"--workers {workers} is not allowed: use a whole number >= 1")
    return validated(ExecutorConfig, dict(kind=executor, workers=workers, address=address,
                                          gpus_per_task=gpus_per_task))


def progress_pace():
    """The pace of plain progress lines, from the environment (:data:`PACE_ENV`)."""
    import os

    from ncnet.progress_lines import PACE_ENV, parse_pace

    try:
        return parse_pace(os.environ.get(PACE_ENV))
    except ValueError as err:
        raise UserError(str(err)) from None


def _write_err_line(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


@contextmanager
def sweep_progress(pace: Any) -> Iterator[Any]:
    """The progress bar on a terminal; where stderr is a file or pipe (where the bar shows
    nothing until the end), plain lines at ``pace`` (:mod:`ncnet.progress_lines`)."""
    if err_console.is_terminal:
        with progress_bar() as bar:
            yield BarProgress(bar)
        return
    from ncnet.progress_lines import LineProgress

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


def start_imports(modules: tuple[str, ...]) -> None:
    """Import ``modules`` in a daemon thread (this process waits on a worker meanwhile, so the
    imports take no time from the run); a failed import is left for the real use to report."""
    import importlib
    import threading

    def load() -> None:
        for name in modules:
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001 - the code that needs the module will say why
                return

    threading.Thread(target=load, name="ncnet-prefetch", daemon=True).start()


def run_and_report(experiment: Any, config: Any, out: Path, report: bool,
                   settings: Any = None) -> None:
    """Check, train what the store lacks, print the headline and tables, write the report."""
    from ncnet import executors, sweep

    settings = settings or executors.ExecutorConfig()
    pace = progress_pace()
    with console.status("loading what the sweep needs ..."):
        sweep.prepare(experiment, config)  # checks the config first (device, data, model)
        prefetch = tuple(getattr(experiment, "background_modules", lambda c: ())(config))
        if report and prefetch and settings.kind is None and settings.resolved_kind() == "inline":
            # train in a worker process and meanwhile import what the summary and report need
            executor = executors.Background()
            start_imports(prefetch)
        else:
            executor = executors.make(settings)
        executor.start()
    try:
        with sweep_progress(pace) as progress:
            result = sweep.run(experiment, config, out, executor, progress)
    finally:
        executor.close()
    console.print(experiment.headline(result))
    if not result.rows:
        console.print("nothing complete yet")
        return
    console.print(*(rich_table(t) for t in experiment.console_tables(result.summary)))
    written = ["results.csv", "results.parquet", *result.tables, "summary.json",
               "results.sqlite"]
    if report:
        written += experiment.write_report(result.out, config, result)
    console.print(f"wrote {', '.join(str(result.out / w) for w in written)}")


@app.command(epilog=TOY_EXAMPLES)
@guarded
def toy(
    hidden: str = typer.Option("2,3,4", help="hidden sizes n, comma-separated"),
    runs: int = typer.Option(50, help="independent runs per hidden size"),
    epochs: int = typer.Option(5000, help="full-batch training epochs"),
    optimizer: str = typer.Option("adam", help="adam | sgd"),
    lr: float = typer.Option(0.01, help="learning rate"),
    momentum: float = typer.Option(0.0, help="SGD momentum"),
    loss: str = typer.Option("bce", help="bce (logits) | mse"),
    encoding: str = typer.Option("pm1", help="input bits as pm1 (-1/+1) | 01"),
    init: str = typer.Option("he", help="he (Kaiming normal) | torch (nn.Linear's) | xavier"),
    seed: int = typer.Option(0, help="base seed; every model's seed derives from it"),
    joint: bool = typer.Option(True, "--joint/--no-joint", help="also train the 4-head control"),
    dtype: str = typer.Option("float64", help="float64 | float32"),
    device: str = typer.Option("cpu", help="cpu | cuda | cuda:N | auto"),
    threads: int = typer.Option(1, help="torch CPU threads (1 is fastest for these tiny tensors)"),
    record_every: int = typer.Option(50, help="store per-head losses every k epochs (0: off)"),
    trace_every: int = typer.Option(0, help="store the cosine of Alice's and Bob's gradients on "
                                    "the shared layer at epoch 1 and every k epochs (0: off)"),
    tasks_a: str = typer.Option("bit1,xor", help="Alice's tasks of (X1, X2), comma-separated: "
                                "bit1, bit2, xor, xnor, and, or, nand, nor"),
    tasks_b: str = typer.Option("bit1,xor", help="Bob's tasks of (X3, X4), as --tasks-a"),
    expression: str = typer.Option("chsh", help="Bell expressions scored per run, "
                                   "comma-separated (`ncnet bell list`, or .toml / .json)"),
    out: Path = typer.Option(Path("runs/fig2"), help="output directory (resumes if it exists)"),
    report: bool = typer.Option(True, "--report/--no-report", help="write figures and report"),
    executor: str | None = typer.Option(None, help="inline | pool | ray (default on the CPU "
                                        "with a report: one worker process while the report "
                                        "loads; pool with --workers > 1; else inline)"),
    workers: int = typer.Option(1, help="units trained at once (pool processes, local Ray CPUs)"),
    address: str | None = typer.Option(None, help="Ray cluster: auto | HOST:PORT (default: a "
                                       "local one)"),
    gpus_per_task: float = typer.Option(0.0, help="GPUs (or a fraction) per Ray task"),
) -> None:
    """Section 4: train NCnet for each hidden size and run (Figure 2), store and report."""
    values = dict(
        hidden=parse_ints("--hidden", hidden), runs=runs, epochs=epochs, optimizer=optimizer,
        lr=lr, momentum=momentum, loss=loss, encoding=encoding, init=init, seed=seed,
        joint=joint, dtype=dtype, device=device, threads=threads, record_every=record_every,
        trace_every=trace_every, tasks_a=tasks_a.split(","), tasks_b=tasks_b.split(","),
        expression=expression.split(","),
    )
    config = toy_config_from(values)
    try:
        config.resolved_device()
    except ValueError as err:
        raise UserError(f"--device {device!r}: {err}") from None
    from ncnet import experiments

    settings = executor_settings(executor, workers, address, gpus_per_task)
    run_and_report(experiments.get("toy"), config, out, report, settings)


@app.command(epilog=RUN_EXAMPLES)
@guarded
def run(
    config_file: Path = typer.Argument(..., help="TOML file with one \\[toy] or \\[lora] table"),
    out: Path | None = typer.Option(None, help="output directory (overrides the file's)"),
) -> None:
    """Run a preset or sweep file, e.g. configs/paper-fig2.toml or configs/offline-mixed.toml.

    The table's keys are the config fields (as in `--help` of toy / lora, with underscores),
    plus `out` and `report`; \\[lora] also takes `slope_window` and `workers`. In \\[lora],
    `seeds` is the list of seeds itself (seeds = [1, 2, 3]); the CLI's --seeds is a count.
    """
    from ncnet import experiments
    from ncnet.executors import ExecutorConfig

    if not config_file.is_file():
        raise UserError(f"config file {config_file} does not exist")
    try:
        data = tomllib.loads(config_file.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise UserError(f"{config_file} is not valid TOML ({err})") from None
    known = experiments.names()
    executor_values = data.pop("executor", {})
    tables = [k for k in data if isinstance(data[k], dict)]
    unknown = [k for k in tables if k not in known]
    if unknown or len(tables) != 1 or not isinstance(executor_values, dict):
        name = (unknown or tables[1:] or ["(none)"])[0]
        raise UserError(f"{config_file}: table [{name}] is not allowed; give exactly one of "
                        f"[{'], ['.join(known)}], and optionally [executor]")
    kind = tables[0]
    values = dict(data[kind])
    target = out or Path(values.pop("out", f"runs/{config_file.stem}"))
    values.pop("out", None)
    report = bool(values.pop("report", True))
    if "workers" in values:  # older sweep files set it beside the config
        executor_values.setdefault("workers", values.pop("workers"))
    options = {k: values.pop(k) for k in list(values)
               if k in experiments.experiment_class(kind).options}
    try:
        experiment = experiments.get(kind, **options)
    except (TypeError, ValueError) as err:
        raise UserError(f"{config_file}: {err}") from None
    config = validated(experiment.config_type, values, source=str(config_file))
    settings = validated(ExecutorConfig, executor_values, source=f"{config_file} [executor]")
    run_and_report(experiment, config, target, report, settings)


@app.command(epilog=REPORT_EXAMPLES)
@guarded
def report(
    out: Path = typer.Argument(..., help="a directory written by `ncnet toy` or `ncnet lora`"),
) -> None:
    """Redraw figures and write report.md / report.html from a directory's store."""
    from ncnet import sweep

    experiment, config, records, digest = sweep.load_latest(out)
    result = sweep.export(experiment, config, digest, records, Path(out))
    if not result.rows:
        raise UserError(f"{out} holds no finished results of its latest sweep yet")
    console.print(*(rich_table(t) for t in experiment.console_tables(result.summary)))
    written = experiment.write_report(Path(out), config, result)
    console.print(f"wrote {', '.join(str(Path(out) / w) for w in written)}")


@app.command(epilog=ANALYZE_EXAMPLES)
@guarded
def analyze(
    out: Path = typer.Argument(..., help="a directory written by `ncnet toy --trace-every K` "
                               "or `ncnet lora --trace-every K`"),
    n_boot: int = typer.Option(2000, help="bootstrap resamples for the CIs (toy)"),
) -> None:
    """S as a metric (any stored sweep) and, for a traced sweep, gradient competition.

    S as a metric: per level S, accuracy and S_product with CIs, their correlations and the
    paper's metric claims; writes metric_claims.csv, metric.json and metric.png into OUT.
    Gradient competition against S and the gaps, for a toy sweep per hidden size n
    (capacity-scan.png, competition.json, competition.md), for LoRA per (rank, seed)
    (competition.json).
    """
    from ncnet.report import write_competition_report
    from ncnet.sweep import load_latest

    if n_boot < 1:
        raise UserError(f"--n-boot {n_boot} is not allowed: use a whole number >= 1")
    experiment, config, records, digest = load_latest(out)
    if experiment.name not in ("toy", "lora"):
        raise UserError(f"{out} holds a {experiment.name} sweep; analyze reads toy and lora")
    from ncnet.metric_report import metric_section  # "S as a metric": any stored sweep

    _, metric_tables, metric_files = metric_section(out, experiment, config, digest, records,
                                                    n_boot)
    console.print(*(rich_table(t) for t in metric_tables))
    console.print(f"wrote {', '.join(str(Path(out) / w) for w in metric_files)}")
    if experiment.name == "lora":
        _analyze_lora(out, records)
        return
    if not any("competition_22" in r for r in records):
        again = f"{out.name}-traced" if out.name else "traced"
        rerun = _traced_rerun(config, out.parent / again)
        err_console.print(f"no gradient-competition section: {out} holds no traced runs. "
                          f"Tracing changes no outcome but is part of a sweep's config, so "
                          f"trace into a new directory: `{rerun}`, then `ncnet analyze "
                          f"{out.parent / again}` (or use configs/capacity-scan.toml)",
                          highlight=False, soft_wrap=True, markup=False)
        return
    scan, corr, written = write_competition_report(out, records, n_boot)
    t = Table(title="Gradient competition per hidden size (mean over runs)")
    for col in ("n", "runs", "mean S", "index (2,2) excess", "weighted (2,2) excess",
                "ρ(index, S)", "ρ(weighted 22, S)"):
        t.add_column(col, justify="right")

    def rho(n: int, measure: str) -> str:
        hit = [c for c in corr if c["hidden"] == n and c["measure"] == measure
               and c["against"] == "S"]
        c = hit[0] if hit else None
        if c is None or c["r"] != c["r"]:
            return "—"
        return f"{c['r']:+.2f} [{c['ci'][0]:+.2f}, {c['ci'][1]:+.2f}]"

    for r in scan:
        t.add_row(str(r["hidden"]), str(r["runs"]), f"{r['S']:.3f}",
                  f"{r['competition_excess_22']:+.3f}", f"{r['competition_w_excess_22']:+.3f}",
                  rho(r["hidden"], "competition_mean"), rho(r["hidden"], "competition_w_22"))
    console.print(t)
    console.print(f"wrote {', '.join(str(Path(out) / w) for w in written)}")


def _traced_rerun(config: Any, out: Path, every: int = 50) -> str:
    """The ``ncnet toy`` command that retrains ``config``'s sweep with the gradient trace
    into ``out``: every option of ``toy`` whose value differs from its default, and
    ``--trace-every``."""
    import inspect
    import shlex

    args = ["ncnet", "toy"]
    options = inspect.signature(toy).parameters
    for name, field in type(config).model_fields.items():
        value = getattr(config, name)
        if name not in options or name == "trace_every" or value == field.default:
            continue
        flag = f"--{name.replace('_', '-')}"
        if isinstance(value, bool):
            args.append(flag if value else f"--no-{flag[2:]}")
        else:
            text = ",".join(map(str, value)) if isinstance(value, list) else str(value)
            args += [flag, text]
    return shlex.join([*args, "--trace-every", str(every), "--out", str(out)])


def _analyze_lora(out: Path, records: list[dict[str, Any]]) -> None:
    """Competition of each traced LoRA pair model per (rank, seed), beside S and the gaps."""
    from ncnet.competition import lora_competition
    from ncnet.experiments.lora_summary import final_rows
    from ncnet.store import strict_json

    result = lora_competition(records, final_rows(records))
    if not result["groups"]:
        err_console.print(f"no gradient-competition section: {out} holds no complete (rank, "
                          "seed) traced with `ncnet lora --trace-every K`", markup=False,
                          highlight=False, soft_wrap=True)
        return
    t = Table(title="LoRA gradient competition per (rank, seed)")
    for col in ("rank", "seed", "S", "gap A2", "gap B2", "index 11/12/21/22",
                "weighted 11/12/21/22"):
        t.add_column(col, justify="right", overflow="fold")
    for g in result["groups"]:
        t.add_row(str(g["rank"]), str(g["seed"]), f"{g['S']:.3f}", f"{g['gap_A2']:+.3f}",
                  f"{g['gap_B2']:+.3f}",
                  *("/".join(f"{g[f'{name}_{k}']:.2f}" for k in ("11", "12", "21", "22"))
                    for name in ("competition", "competition_w")))
    console.print(t)
    console.print("per-layer indices of each (2,2) model and pooled correlations: "
                  "competition.json")
    (out / "competition.json").write_text(json.dumps(strict_json(result), indent=2) + "\n")
    console.print(f"wrote {out / 'competition.json'}")


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


@app.command(epilog=SCORE_EXAMPLES)
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

    if not file.is_file():
        raise UserError(f"file {file} does not exist")
    if n_boot < 1:
        raise UserError(f"--n-boot {n_boot} is not allowed: use a whole number >= 1")
    if expression is not None:
        from ncnet.bell import BellInputError
        from ncnet.cli_bell import parse_expressions

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
        from ncnet.store import strict_json

        sys.stdout.write(json.dumps(strict_json(data), indent=2) + "\n")
        return
    console.print(score_table_view(data))
    units = (f"{data['ci_units']} shared items (the per-item sums T_k are the units)"
             if data["scheme"] == chsh.PAIRED_SCHEME else
             "no item ids shared by the pairs, each pair on its own")
    console.print(f"CI scheme: {data['scheme']} ({units}); test and interval: "
                  f"{data['test']['test']}", highlight=False)


def _score_expressions(expressions: list[Any], frame: Any, source: str, n_boot: int, seed: int,
                       json_out: bool) -> None:
    """``ncnet score --expression``: :func:`ncnet.bell_score.score_many`, then the views."""
    from ncnet.bell_score import score_many
    from ncnet.cli_bell import print_scores

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


def process_age() -> float:
    """Seconds since this process started (Linux ``/proc``; 0 where that is not readable)."""
    import os

    try:
        with open("/proc/self/stat") as f:
            start_ticks = int(f.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime") as f:
            uptime = float(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 0.0
    return max(0.0, uptime - start_ticks / os.sysconf("SC_CLK_TCK"))


@bench_app.command("toy", epilog=BENCH_TOY_EXAMPLES)
@guarded
def bench_toy(
    hidden: str = typer.Option("2,3,4", help="hidden sizes"),
    runs: int = typer.Option(50, help="runs per hidden size"),
    epochs: int = typer.Option(5000, help="epochs"),
    naive_models: int = typer.Option(3, help="models the naive loop times (then scaled)"),
    threads: int = typer.Option(1, help="torch CPU threads"),
    whole: bool = typer.Option(True, "--whole/--no-whole",
                               help="also time a whole run, phase by phase"),
    trace_every: int = typer.Option(50, help="also time the sweep with the gradient trace "
                                    "every k epochs (0: skip)"),
    mtask: bool = typer.Option(True, "--mtask/--no-mtask",
                               help="also time the m-task toy (--tasks-a/--tasks-b "
                               "bit1,bit2,xor) against the CHSH toy"),
) -> None:
    """Time the batched Figure-2 sweep and the naive per-model loop, in this process, then
    the m-task toy against the CHSH toy and the phases of a whole run (start-up, training,
    summary, report) against the same loop."""
    if naive_models < 1:
        raise UserError(f"--naive-models {naive_models} is not allowed: use >= 1")
    if trace_every < 0:
        raise UserError(f"--trace-every {trace_every} is not allowed: use >= 0")
    config = toy_config_from(dict(hidden=parse_ints("--hidden", hidden), runs=runs,
                                  epochs=epochs, threads=threads, joint=False))
    if whole:  # first, so that its imports are timed
        from ncnet.bench import whole_run

        with console.status("timing a whole `ncnet toy` run ..."):
            phases = whole_run(config.model_copy(update={"joint": True}), process_age())
    from ncnet.bench import bench_toy as measure

    with console.status("timing the batched sweep and the naive loop ..."):
        r = measure(config, naive_models, trace_every)
    t = Table(title=f"NCnet sweep: {r['models']} models x {config.epochs} epochs")
    for col in ("trainer", "models timed", "seconds", "sweep seconds", "speed-up"):
        t.add_column(col, justify="right")
    t.add_row("naive", str(r["naive_models"]), f"{r['naive_seconds']:.2f}",
              f"{r['naive_sweep_seconds']:.1f}", "1x")
    t.add_row("ncnet batched", str(r["models"]), f"{r['batched_seconds']:.2f}",
              f"{r['batched_seconds']:.2f}", f"{r['speedup']:.0f}x")
    if r["traced_seconds"] is not None:
        t.add_row(f"batched, traced every {trace_every}", str(r["models"]),
                  f"{r['traced_seconds']:.2f}", f"{r['traced_seconds']:.2f}",
                  f"{r['naive_sweep_seconds'] / r['traced_seconds']:.0f}x")
        t.caption = f"tracing costs {r['trace_ratio']:.2f}x the untraced batched sweep"
    console.print(t)
    console.print(
        "naive: one nn.Module + torch.optim.Adam per model, Python loop (float32), timed on "
        f"{r['naive_models']} models and scaled to {r['models']}; batched: ncnet's trainer, "
        f"all models at once (float64). torch {r['torch']}, {r['threads']} thread(s)."
    )
    if mtask:
        from ncnet.bench import MTASK_TASKS, bench_mtask, mtask_table

        with console.status(f"timing the toy sweep with {','.join(MTASK_TASKS)} a side ..."):
            console.print(rich_table(mtask_table(bench_mtask(config), config.epochs)))
    if whole:
        total = sum(phases.values())
        t = Table(title="whole `ncnet toy` run (joint control on, report written), this process")
        for col in ("phase", "seconds", "share", "naive sweep / phase"):
            t.add_column(col, justify="right")
        for name, seconds in [*phases.items(), ("whole run", total)]:
            t.add_row(name, f"{seconds:.2f}", f"{seconds / total:.0%}",
                      f"{r['naive_sweep_seconds'] / max(seconds, 1e-9):,.0f}x")
        from ncnet.bench import cli_run_seconds

        with console.status("timing `ncnet toy` in a fresh process ..."):
            cli = cli_run_seconds(config)
        t.add_row("`ncnet toy`, fresh process", f"{cli:.2f}", f"{cli / total:.0%}",
                  f"{r['naive_sweep_seconds'] / max(cli, 1e-9):,.0f}x")
        t.caption = ("the last row is the run as started from a shell: on the CPU it trains in "
                     "a worker process while the report's modules load, so it can take less "
                     "than the phases added up")
        console.print(t)


@bench_app.command("lora", epilog=BENCH_LORA_EXAMPLES)
@guarded
def bench_lora_command(
    suite: str = typer.Option("offline-mixed", help=f"suite whose two hard tasks are used: "
                              f"{' | '.join(SUITES)}"),
    model: str | None = typer.Option(None, help="encoder (default: the suite's)"),
    rank: int = typer.Option(4, help="LoRA rank"),
    train_size: int = typer.Option(192, help="train items per task (steps = size / batch)"),
    batch_size: int = typer.Option(32, help="batch per task"),
    threads: int | None = typer.Option(None, help="torch CPU threads"),
    data_dir: Path | None = typer.Option(None, help="local task files"),
) -> None:
    """Training throughput of ncnet's LoRA loop against a plain PEFT + transformers loop."""
    from ncnet.bench import bench_lora
    from ncnet.experiments.lora import LoraConfig

    if rank < 1:
        raise UserError(f"--rank {rank} is not allowed: use a whole number >= 1")
    config = validated(LoraConfig, dict(suite=suite, model=model, ranks=(rank,),
                                        train_size=train_size, batch_size=batch_size,
                                        threads=threads,
                                        data_dir=str(data_dir) if data_dir else None))
    with console.status("timing one epoch of each loop ..."):
        try:
            r = bench_lora(config, rank)
        except ValueError as err:
            raise UserError(str(err).splitlines()[0]) from None
    t = Table(title=f"LoRA training, {r['tasks'][0]} + {r['tasks'][1]}, rank {rank}, "
                    f"{r['steps']} steps of {batch_size} + {batch_size}")
    for col in ("loop", "seconds", "examples/s", "speed-up"):
        t.add_column(col, justify="right")
    t.add_row("plain PEFT + transformers (pad to max_len)", f"{r['plain_seconds']:.1f}",
              f"{r['plain_examples_per_s']:.1f}", "1x")
    t.add_row("ncnet (dynamic padding)", f"{r['ours_seconds']:.1f}",
              f"{r['ours_examples_per_s']:.1f}", f"{r['speedup']:.1f}x")
    console.print(t)
    console.print(f"{r['threads']} thread(s); ncnet's time includes its per-epoch setup")


@lora_app.callback(invoke_without_command=True, epilog=LORA_EXAMPLES)
@guarded
def lora(
    ctx: typer.Context,
    suite: str = typer.Option("offline-mixed", help=SUITE_HELP),
    model: str | None = typer.Option(None, help="HF name or local path (default: the suite's)"),
    ranks: str = typer.Option("1,2,4,8", help="LoRA ranks, comma-separated"),
    epochs: int = typer.Option(12, help="training epochs per model"),
    seed: int = typer.Option(1, help="first seed"),
    seeds: int = typer.Option(1, help="how many seeds, counted from --seed: --seed 1 --seeds 3 "
                              "trains seeds 1, 2, 3 (a TOML file lists them: seeds = [1, 2, 3])"),
    lr: float = typer.Option(2e-3, help="AdamW learning rate"),
    batch_size: int = typer.Option(32, help="batch per task (each step: one of each)"),
    lora_alpha: float = typer.Option(16.0, help="LoRA alpha (scale alpha / r)"),
    lora_dropout: float = typer.Option(0.1, help="LoRA dropout"),
    targets: str = typer.Option("query,value", help="modules that get adapters, e.g. value or "
                                "query,key,value,dense"),
    layers: str = typer.Option("all", help="encoder layers with adapters, e.g. 5 or 4,5 (0-based)"),
    alpha_scaling: str = typer.Option("fixed", help="fixed (alpha as given) | rank (alpha = "
                                      "lora_alpha * r: same scale at every rank)"),
    trace_every: int = typer.Option(0, help="store the cosine of Alice's and Bob's gradients "
                                    "on the LoRA parameters every k steps (0: off)"),
    pooling: str = typer.Option("mean", help="mean | cls | pooler"),
    max_len: int = typer.Option(48, help="max tokens per text"),
    train_size: int = typer.Option(600, help="train items per task"),
    test_size: int = typer.Option(300, help="test items per task"),
    data_dir: Path | None = typer.Option(None, help="local task files: DIR/<task>/{train,test}"
                                         ".{csv,jsonl,parquet}"),
    cache_dir: Path | None = typer.Option(None, help="dataset cache (default ~/.cache/ncnet)"),
    threads: int | None = typer.Option(None, help="torch CPU threads per model",
                                       show_default="torch's own: one per CPU core, or "
                                       "$OMP_NUM_THREADS"),
    device: str = typer.Option("auto", help="auto | cpu | cuda | cuda:N"),
    precision: str = typer.Option("fp32", help="fp32 | bf16 (autocast, CUDA only)"),
    slope_window: int = typer.Option(80, help="epochs over which μ∇S is averaged"),
    workers: int = typer.Option(1, help="models trained at once (pool processes, local Ray "
                                "CPUs)"),
    executor: str | None = typer.Option(None, help="inline | pool | ray (default: inline, or "
                                        "pool with --workers > 1)"),
    address: str | None = typer.Option(None, help="Ray cluster: auto | HOST:PORT (default: a "
                                       "local one)"),
    gpus_per_task: float = typer.Option(0.0, help="GPUs (or a fraction, e.g. 0.25) per Ray "
                                        "task"),
    out: Path = typer.Option(Path("runs/lora"), help="output directory (resumes if it exists)"),
    report: bool = typer.Option(True, "--report/--no-report", help="write figures and report"),
) -> None:
    """Train four pair models per LoRA rank and seed; S per rank (Tables 2, 4; Figures 3-5)."""
    if ctx.invoked_subcommand is not None:
        return
    if suite in SUITES:  # before torch and the data stack load: a paper suite offline fails now
        from ncnet.hub import hub_switch
        from ncnet.tasks.text import unreachable_hub_tasks

        missing = unreachable_hub_tasks(SUITES[suite].tasks, data_dir, cache_dir)
        if missing:
            raise UserError(f"suite {suite}: task(s) {', '.join(missing)} come from the Hugging "
                            f"Face hub and are not cached here; {hub_switch()}, or give "
                            "--data-dir DIR with DIR/<task>/{train,test}.csv")
    from ncnet.experiments.lora import LoraConfig

    if seeds < 1:
        raise UserError(f"--seeds {seeds} is not allowed: use a whole number >= 1")
    if slope_window < 1:
        raise UserError(f"--slope-window {slope_window} is not allowed: use >= 1")
    values = dict(
        suite=suite, model=model, ranks=tuple(parse_ints("--ranks", ranks)), epochs=epochs,
        seeds=tuple(range(seed, seed + seeds)), lr=lr, batch_size=batch_size,
        lora_alpha=lora_alpha, lora_dropout=lora_dropout, pooling=pooling, max_len=max_len,
        train_size=train_size, test_size=test_size, threads=threads, device=device,
        precision=precision, data_dir=str(data_dir) if data_dir else None,
        cache_dir=str(cache_dir) if cache_dir else None, targets=parse_names("--targets", targets),
        layers=parse_layers(layers), alpha_scaling=alpha_scaling, trace_every=trace_every,
    )
    config = validated(LoraConfig, values)
    settings = executor_settings(executor, workers, address, gpus_per_task)
    from ncnet import experiments
    from ncnet.devices import resolve_device
    from ncnet.experiments.lora import check_runtime

    try:
        resolve_device(config.device)
    except ValueError as err:
        raise UserError(f"--device {device!r}: {err}") from None
    try:
        check_runtime(config)
    except ValueError as err:
        raise UserError(f"--precision {precision}: {err}") from None
    run_and_report(experiments.get("lora", slope_window=slope_window), config, out, report,
                   settings)


def parse_names(option: str, text: str) -> tuple[str, ...]:
    """``"query,value"`` -> ("query", "value"); empty is a :class:`UserError`."""
    names = tuple(v.strip() for v in text.split(",") if v.strip())
    if not names:
        raise UserError(f"{option} is empty; use e.g. {option} query,value")
    return names


def parse_layers(text: str) -> tuple[int, ...] | None:
    """``"all"`` -> None (every layer), else a list of layer indices."""
    return None if text.strip().lower() == "all" else tuple(parse_ints("--layers", text))


@lora_app.command("params", epilog=LORA_PARAMS_EXAMPLES)
@guarded
def lora_params(
    model: str = typer.Option("bert-base-uncased", help="HF name, local path or minilm"),
    ranks: str = typer.Option("1,2,4,8,16,32", help="LoRA ranks (0: heads only)"),
    targets: str = typer.Option("query,value", help="modules that get adapters"),
    layers: str = typer.Option("all", help="encoder layers with adapters, e.g. 5 or 4,5"),
    json_out: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Total / trainable parameters per rank, built from the config alone (paper Table 4)."""
    from ncnet.models.multitask import param_table

    names, where = parse_names("--targets", targets), parse_layers(layers)
    if where is not None and min(where) < 0:
        raise UserError(f"--layers {layers!r} is not allowed: layers must be whole numbers >= 0")
    try:
        rows = param_table(model, parse_ints("--ranks", ranks), targets=names, layers=where)
    except ValueError as err:
        raise UserError(str(err).splitlines()[0]) from None
    if json_out:
        sys.stdout.write(json.dumps([r.model_dump() for r in rows], indent=2) + "\n")
        return
    placed = ", ".join(names) + ("" if where is None else
                                 f"; layers {','.join(map(str, where))}")
    t = Table(title=f"Parameters of {model} + LoRA({placed}) + two Linear(hidden, 2) heads")
    for col in ("rank", "total", "trainable", "trainable / total"):
        t.add_column(col, justify="right")
    for r in rows:
        t.add_row(str(r.rank), f"{r.total:,}", f"{r.trainable:,}", f"{r.ratio:.4%}")
    console.print(t)


def main() -> None:  # pragma: no cover
    app()
