"""Help that teaches: registry names, no `<bool>` after flags, real examples under each command."""

import shlex

import click
import pytest
import typer
from typer.testing import CliRunner

from ncnet import cli
from ncnet.cli import app
from ncnet.cli import train as cli_train
from ncnet.cli.analyze import analyze, report
from ncnet.cli.bench import bench_toy_command
from ncnet.cli.common import UserError, fail, guarded, validated
from ncnet.cli.score import score
from ncnet.cli.train import SUITE_HELP, lora, lora_params, run, toy
from ncnet.tasks.suites import SUITES

runner = CliRunner()


def commands(group: click.Command, path=()):
    """(path, command) for every command and group below the root."""
    for name, cmd in getattr(group, "commands", {}).items():
        yield (*path, name), cmd
        yield from commands(cmd, (*path, name))


ROOT = typer.main.get_command(app)
ALL = [(path, cmd) for path, cmd in commands(ROOT) if path != ("bench",)]


def help_text(*path: str) -> str:
    result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.stdout


def examples(text: str) -> list[str]:
    tail = text.split("Examples:", 1)[1]
    return [line.strip() for line in tail.strip().splitlines() if line.strip()]


@pytest.mark.parametrize("path", [()] + [p for p, _ in ALL], ids=lambda p: " ".join(p) or "root")
def test_no_bool_type_after_flags(path):
    text = help_text(*path)
    assert "<bool>" not in text and "--help" in text


@pytest.mark.parametrize("path", [()] + [p for p, _ in ALL], ids=lambda p: " ".join(p) or "root")
def test_help_ends_with_real_examples(path):
    text = help_text(*path)
    lines = examples(text)
    assert 1 <= len(lines) <= 3, lines
    assert text.rstrip().endswith(lines[-1])
    for line in lines:
        assert len(line) <= 78, line  # one line in an 80-column terminal
        args = shlex.split(line, comments=True)
        assert args[: 1 + len(path)] == ["ncnet", *path], line
        # the example's command exists, and its options and values parse with its own parser
        cmd, args = ROOT, args[1:]
        while args and args[0] in getattr(cmd, "commands", {}):
            cmd, args = cmd.commands[args[0]], args[1:]
        assert not isinstance(cmd, click.Group) or cmd.invoke_without_command, line
        ctx = cmd.make_context(cmd.name, args)
        assert ctx.params, line


def test_suite_and_task_names_come_from_the_registry():
    lora_help = help_text("lora")
    assert len(SUITES) == 6
    for suite in SUITES.values():
        assert suite.name in lora_help
        for task in suite.tasks:
            assert task in lora_help, task
    assert " | ".join(SUITES) in SUITE_HELP
    assert all(name in help_text("bench", "lora") for name in SUITES)


def test_seeds_counts_from_seed_on_the_cli_and_lists_in_toml(monkeypatch, tmp_path):
    seen = []
    monkeypatch.setattr(cli_train, "run_and_report",
                        lambda experiment, config, *a, **k: seen.append(config))
    result = runner.invoke(app, ["lora", "--seed", "2", "--seeds", "3", "--out", tmp_path / "o"])
    assert result.exit_code == 0, result.output
    toml = tmp_path / "s.toml"
    toml.write_text('[lora]\nseeds = [2, 3, 4]\nreport = false\n')
    result = runner.invoke(app, ["run", str(toml), "--out", str(tmp_path / "o2")])
    assert result.exit_code == 0, result.output
    assert seen[0].seeds == seen[1].seeds == (2, 3, 4)
    assert "--seed 1 --seeds 3 trains seeds 1, 2, 3" in help_text("lora")


def test_lora_threads_shows_its_default_and_analyze_names_both_sweeps():
    threads = [line for line in help_text("lora").splitlines() if "│ --threads " in line]
    assert len(threads) == 1 and "torch CPU threads per model [default: (torch's own: one per " \
        "CPU core, or $OMP_NUM_THREADS)]" in threads[0]
    analyze = help_text("analyze")
    assert "per hidden size n" in analyze and "per (rank, seed)" in analyze
    assert "`ncnet toy`, `ncnet lora` or `ncnet run`" in analyze  # any stored sweep
    assert "(gradient competition: with --trace-every K)" in analyze


def test_the_entry_point_and_one_import_path_per_command():
    """pyproject's script is `ncnet.cli:app`; ncnet.cli exports the app and main only, and
    each command and helper lives in (and is imported from) its group's module."""
    import importlib
    import tomllib
    from pathlib import Path

    scripts = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    module, name = scripts["project"]["scripts"]["ncnet"].split(":")
    entry = getattr(importlib.import_module(module), name)
    assert entry is app and callable(cli.main) and cli.__all__ == ["app", "main"]
    assert list(typer.main.get_command(entry).commands) == [
        "toy", "run", "report", "analyze", "score", "bench", "lora", "bell"]
    where = {toy: "train", run: "train", lora: "train", lora_params: "train",
             report: "analyze", analyze: "analyze", score: "score", bench_toy_command: "bench",
             UserError: "common", fail: "common", guarded: "common", validated: "common"}
    assert {f.__name__: f.__module__ for f in where} == {
        f.__name__: f"ncnet.cli.{m}" for f, m in where.items()}
    assert not [n for n in ("toy", "run", "lora", "lora_params", "report", "bench_toy_command",
                            "UserError", "fail", "guarded", "validated") if hasattr(cli, n)]


@pytest.mark.parametrize("command, model_path", [
    (("toy",), "ncnet.experiments.toy.config:ToyConfig"),
    (("lora",), "ncnet.experiments.lora.config:LoraConfig"),
])
def test_the_config_fields_are_the_options_help_and_defaults(command, model_path):
    """Each option of `toy` and `lora` that is a config field takes its help and default from
    the field (written once, in the config); the CLI-only options (seed counts, executors,
    output) are the rest, and so are lora's `--suite` (its help lists the suites), `--seeds`
    (a count from `--seed`, where the field is the list) and `--layers` ("all" for None)."""
    import importlib

    module, name = model_path.split(":")
    model = getattr(importlib.import_module(module), name)
    cmd = dict(commands(ROOT))[command]
    from_fields = {}
    for param in cmd.params:
        field = model.model_fields.get(param.name)
        if field is None or param.name in ("suite", "seeds", "layers"):
            continue
        default = field.get_default(call_default_factory=True)
        if isinstance(default, list | tuple):
            default = ",".join(map(str, default))
        from_fields[param.name] = (param.help, param.default)
        assert (param.help, param.default) == (field.description, default), param.name
    expected = {"toy": 19, "lora": 21}[command[0]]
    assert len(from_fields) == expected
