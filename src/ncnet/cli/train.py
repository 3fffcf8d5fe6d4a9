"""``ncnet toy``, ``ncnet run`` and ``ncnet lora`` (with ``lora params``): train a sweep,
store it, print its tables and write its report."""

from __future__ import annotations

import json
import sys
import tomllib
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from ncnet.cli.common import (
    UserError,
    console,
    examples,
    field_option,
    guarded,
    parse_ints,
    progress_pace,
    sweep_progress,
    toy_config_from,
    validated,
)
from ncnet.experiments.lora.config import LoraConfig
from ncnet.experiments.toy.config import ToyConfig
from ncnet.tasks.suites import SUITES

SUITE_HELP = f"task suite: {' | '.join(SUITES)} (tasks per suite: below)"


def _suites_text() -> str:
    rows = [f"{s.name} ({s.model}): Alice {', '.join(s.alice)}; Bob {', '.join(s.bob)}"
            for s in SUITES.values()]
    return "Suites, from the task registry:\n" + "\n".join(escape(r) for r in rows)


TOY_EXAMPLES = examples(
    "ncnet toy --hidden 2,3,4 --runs 50 --out runs/fig2   # Figure 2 (about 10 s)",
    "ncnet toy --hidden 3 --runs 20 --epochs 2000 --no-joint --out runs/quick",
    "ncnet toy --encoding 01 --out runs/fig2-01   # 0/1 inputs instead of -1/+1",
)
RUN_EXAMPLES = examples(
    "ncnet run configs/paper-fig2.toml",
    "ncnet run configs/offline-mixed.toml --out runs/mixed",
)
LORA_TIMES = ("First try: `ncnet run configs/lora-quick.toml` (offline-easy, r = 1 and 8, 3 "
              "epochs, 8 pair models: 4 min 23 s on 2 CPU cores). "
              "Full presets on 2 CPU cores: configs/offline-mixed.toml about 35-40 min, "
              "configs/lora-metric-scan.toml (48 models) about 54 min; the paper suites need a GPU "
              "and the hub.")
LORA_EXAMPLES = _suites_text() + "\n\n" + LORA_TIMES + "\n\n" + examples(
    "ncnet lora --suite offline-mixed --ranks 1,2,4,8 --out runs/lora",
    "ncnet lora --seed 1 --seeds 3 --workers 2 --threads 1   # seeds 1, 2, 3",
    "ncnet lora --suite paper-mixed --device cuda --out runs/paper-mixed",
)
LORA_PARAMS_EXAMPLES = examples(
    "ncnet lora params --ranks 1,2,4,8,16,32   # paper Table 4, BERT-base",
    "ncnet lora params --model minilm --json",
)

#: The top-level commands of this module (``toy``, ``run``); ``ncnet.cli`` merges them into
#: its app.
commands = typer.Typer()
lora_app = typer.Typer(help="Section 5: multi-task LoRA on a frozen encoder, S per rank.")

EXECUTOR_KINDS = ("inline", "pool", "ray")


def executor_settings(executor: str | None, workers: int, address: str | None,
                      gpus_per_task: float):
    """The executor options of ``toy`` and ``lora`` as an ExecutorConfig."""
    from ncnet.engine.executors import ExecutorConfig

    if executor is not None and executor not in EXECUTOR_KINDS:
        raise UserError(f"--executor {executor!r} is not allowed: use {', '.join(EXECUTOR_KINDS)}")
    if workers < 1:
        raise UserError(f"--workers {workers} is not allowed: use a whole number >= 1")
    return validated(ExecutorConfig, dict(kind=executor, workers=workers, address=address,
                                          gpus_per_task=gpus_per_task))

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
    from ncnet.engine import executors, sweep

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
    console.print(*(t.to_rich() for t in experiment.console_tables(result.summary)))
    written = ["results.csv", "results.parquet", *result.tables, "summary.json",
               "results.sqlite"]
    if report:
        written += experiment.write_report(result.out, config, result)
    console.print(f"wrote {', '.join(str(result.out / w) for w in written)}")


@commands.command(epilog=TOY_EXAMPLES)
@guarded
def toy(
    hidden: str = field_option(ToyConfig, "hidden"),
    runs: int = field_option(ToyConfig, "runs"),
    epochs: int = field_option(ToyConfig, "epochs"),
    optimizer: str = field_option(ToyConfig, "optimizer"),
    lr: float = field_option(ToyConfig, "lr"),
    momentum: float = field_option(ToyConfig, "momentum"),
    loss: str = field_option(ToyConfig, "loss"),
    encoding: str = field_option(ToyConfig, "encoding"),
    init: str = field_option(ToyConfig, "init"),
    seed: int = field_option(ToyConfig, "seed"),
    joint: bool = field_option(ToyConfig, "joint", "--joint/--no-joint"),
    dtype: str = field_option(ToyConfig, "dtype"),
    device: str = field_option(ToyConfig, "device"),
    threads: int = field_option(ToyConfig, "threads"),
    record_every: int = field_option(ToyConfig, "record_every"),
    trace_every: int = field_option(ToyConfig, "trace_every"),
    tasks_a: str = field_option(ToyConfig, "tasks_a"),
    tasks_b: str = field_option(ToyConfig, "tasks_b"),
    expression: str = field_option(ToyConfig, "expression"),
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
    from ncnet.engine.registry import get

    settings = executor_settings(executor, workers, address, gpus_per_task)
    run_and_report(get("toy"), config, out, report, settings)


@commands.command(epilog=RUN_EXAMPLES)
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
    from ncnet.engine.executors import ExecutorConfig
    from ncnet.engine.registry import experiment_class, get, names

    if not config_file.is_file():
        raise UserError(f"config file {config_file} does not exist")
    try:
        data = tomllib.loads(config_file.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise UserError(f"{config_file} is not valid TOML ({err})") from None
    known = names()
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
               if k in experiment_class(kind).options}
    try:
        experiment = get(kind, **options)
    except (TypeError, ValueError) as err:
        raise UserError(f"{config_file}: {err}") from None
    if "base_dir" in experiment.config_type.model_fields:  # a user's module beside the file
        values.setdefault("base_dir", str(config_file.resolve().parent))
    config = validated(experiment.config_type, values, source=str(config_file))
    settings = validated(ExecutorConfig, executor_values, source=f"{config_file} [executor]")
    run_and_report(experiment, config, target, report, settings)

def traced_rerun(config: Any, out: Path, every: int = 50) -> str:
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

@lora_app.callback(invoke_without_command=True, epilog=LORA_EXAMPLES)
@guarded
def lora(
    ctx: typer.Context,
    suite: str = typer.Option("offline-mixed", help=SUITE_HELP),
    tasks_a: str | None = field_option(LoraConfig, "tasks_a"),
    tasks_b: str | None = field_option(LoraConfig, "tasks_b"),
    model: str | None = field_option(LoraConfig, "model"),
    ranks: str = field_option(LoraConfig, "ranks"),
    epochs: int = field_option(LoraConfig, "epochs"),
    seed: int = typer.Option(1, help="first seed"),
    seeds: int = typer.Option(1, help="how many seeds, counted from --seed: --seed 1 --seeds 3 "
                              "trains seeds 1, 2, 3 (a TOML file lists them: seeds = [1, 2, 3])"),
    lr: float = field_option(LoraConfig, "lr"),
    batch_size: int = field_option(LoraConfig, "batch_size"),
    lora_alpha: float = field_option(LoraConfig, "lora_alpha"),
    lora_dropout: float = field_option(LoraConfig, "lora_dropout"),
    targets: str = field_option(LoraConfig, "targets"),
    layers: str = typer.Option("all", help="encoder layers with adapters, e.g. 5 or 4,5 (0-based)"),
    alpha_scaling: str = field_option(LoraConfig, "alpha_scaling"),
    trace_every: int = field_option(LoraConfig, "trace_every"),
    pooling: str = field_option(LoraConfig, "pooling"),
    max_len: int = field_option(LoraConfig, "max_len"),
    train_size: int = field_option(LoraConfig, "train_size"),
    test_size: int = field_option(LoraConfig, "test_size"),
    data_dir: Path | None = field_option(LoraConfig, "data_dir"),
    cache_dir: Path | None = field_option(LoraConfig, "cache_dir"),
    threads: int | None = field_option(LoraConfig, "threads", show_default="torch's own: one "
                                       "per CPU core, or $OMP_NUM_THREADS"),
    device: str = field_option(LoraConfig, "device"),
    precision: str = field_option(LoraConfig, "precision"),
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
    if (tasks_a is None) != (tasks_b is None):
        raise UserError("give both --tasks-a and --tasks-b, or neither to use the suite's")
    own = (parse_names("--tasks-a", tasks_a) if tasks_a is not None else None,
           parse_names("--tasks-b", tasks_b) if tasks_b is not None else None)
    tasks = ((*own[0], *own[1]) if own[0] and own[1] else
             SUITES[suite].tasks if suite in SUITES else ())
    owner = "--tasks-a/--tasks-b" if own[0] else f"suite {suite}"
    if data_dir is not None and tasks:  # before torch loads: a dir it would not read
        from ncnet.tasks.text import check_data_dir

        try:
            check_data_dir(data_dir, owner, tasks, name="--data-dir")
        except ValueError as err:
            raise UserError(str(err)) from None
    if tasks:  # before torch and the data stack load: a paper suite offline fails now
        from ncnet.runtime.hub import hub_switch
        from ncnet.tasks.text import unreachable_hub_tasks

        missing = unreachable_hub_tasks(tasks, data_dir, cache_dir)
        if missing:
            raise UserError(f"{owner}: task(s) {', '.join(missing)} come from the Hugging "
                            f"Face hub and are not cached here; {hub_switch()}, or give "
                            "--data-dir DIR with DIR/<task>/{train,test}.csv")

    if seeds < 1:
        raise UserError(f"--seeds {seeds} is not allowed: use a whole number >= 1")
    if slope_window < 1:
        raise UserError(f"--slope-window {slope_window} is not allowed: use >= 1")
    values = dict(
        suite=suite, tasks_a=own[0], tasks_b=own[1], model=model,
        ranks=tuple(parse_ints("--ranks", ranks)), epochs=epochs,
        seeds=tuple(range(seed, seed + seeds)), lr=lr, batch_size=batch_size,
        lora_alpha=lora_alpha, lora_dropout=lora_dropout, pooling=pooling, max_len=max_len,
        train_size=train_size, test_size=test_size, threads=threads, device=device,
        precision=precision, data_dir=str(data_dir) if data_dir else None,
        cache_dir=str(cache_dir) if cache_dir else None, targets=parse_names("--targets", targets),
        layers=parse_layers(layers), alpha_scaling=alpha_scaling, trace_every=trace_every,
    )
    config = validated(LoraConfig, values)
    settings = executor_settings(executor, workers, address, gpus_per_task)
    from ncnet.engine.registry import get
    from ncnet.experiments.lora.experiment import check_runtime
    from ncnet.runtime.devices import resolve_device

    try:
        resolve_device(config.device)
    except ValueError as err:
        raise UserError(f"--device {device!r}: {err}") from None
    try:
        check_runtime(config)
    except ValueError as err:
        raise UserError(f"--precision {precision}: {err}") from None
    run_and_report(get("lora", slope_window=slope_window), config, out, report,
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
