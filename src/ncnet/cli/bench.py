"""``ncnet bench toy`` and ``ncnet bench lora``: speed against the naive baseline, measured
in one process."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from ncnet.cli.common import (
    UserError,
    console,
    examples,
    guarded,
    parse_ints,
    toy_config_from,
    validated,
)
from ncnet.tasks.suites import SUITES

BENCH_TOY_EXAMPLES = examples("ncnet bench toy", "ncnet bench toy --runs 10 --naive-models 1")
BENCH_LORA_EXAMPLES = examples("ncnet bench lora",
                                "ncnet bench lora --rank 8 --train-size 96 --threads 1")
bench_app = typer.Typer(help="Speed against the naive baseline, in one process.")


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
def bench_toy_command(
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
        from ncnet.experiments.toy.bench import whole_run

        with console.status("timing a whole `ncnet toy` run ..."):
            phases = whole_run(config.model_copy(update={"joint": True}), process_age())
    from ncnet.experiments.toy.bench import bench_toy as measure

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
        from ncnet.experiments.toy.bench import MTASK_TASKS, bench_mtask, mtask_table

        with console.status(f"timing the toy sweep with {','.join(MTASK_TASKS)} a side ..."):
            console.print(mtask_table(bench_mtask(config), config.epochs).to_rich())
    if whole:
        total = sum(phases.values())
        t = Table(title="whole `ncnet toy` run (joint control on, report written), this process")
        for col in ("phase", "seconds", "share", "naive sweep / phase"):
            t.add_column(col, justify="right")
        for name, seconds in [*phases.items(), ("whole run", total)]:
            t.add_row(name, f"{seconds:.2f}", f"{seconds / total:.0%}",
                      f"{r['naive_sweep_seconds'] / max(seconds, 1e-9):,.0f}x")
        from ncnet.experiments.toy.bench import cli_run_seconds

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
    from ncnet.experiments.lora.bench import bench_lora
    from ncnet.experiments.lora.config import LoraConfig

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
