"""``ncnet bench toy``'s m-task row: its structure, and ratios computed from the two times."""

import pytest
from typer.testing import CliRunner

from ncnet.cli import app
from ncnet.experiments.toy import bench as toy_bench
from ncnet.experiments.toy.bench import MTASK_TASKS, bench_mtask, cost_ratios, mtask_table
from ncnet.experiments.toy.config import ToyConfig

TINY = ToyConfig(hidden=[2, 3], runs=2, epochs=3, record_every=0, joint=False)


def fake(seconds: float, cpu: float, tasks: list[str], pairs: int, models: int) -> dict:
    return {"tasks_a": tasks, "tasks_b": tasks, "seconds": seconds, "cpu_seconds": cpu,
            "models": models, "pairs_per_run": pairs, "joint": True}


def test_bench_mtask_trains_both_designs_and_divides_their_times():
    r = bench_mtask(TINY)
    runs = len(TINY.hidden) * TINY.runs  # 4 runs: 4 + 1 models each, then 9 + 1
    assert (r["chsh"]["pairs_per_run"], r["mtask"]["pairs_per_run"]) == (4, 9)
    assert (r["chsh"]["models"], r["mtask"]["models"]) == (runs * 5, runs * 10)
    assert r["mtask"]["tasks_a"] == r["mtask"]["tasks_b"] == list(MTASK_TASKS)
    assert r["chsh"]["tasks_a"] == ["bit1", "xor"] and r["chsh"]["joint"] is True
    assert r["model_ratio"] == 2.0
    assert r["time_ratio"] == r["mtask"]["seconds"] / r["chsh"]["seconds"]
    assert r["cpu_ratio"] == r["mtask"]["cpu_seconds"] / r["chsh"]["cpu_seconds"]


def test_the_table_shows_the_injected_times_and_their_ratio():
    base = fake(2.0, 1.5, ["bit1", "xor"], 4, 750)
    other = fake(3.78, 3.3, ["bit1", "bit2", "xor"], 9, 1500)
    r = {"chsh": base, "mtask": other, **cost_ratios(base, other)}
    assert r["time_ratio"] == pytest.approx(1.89) and r["cpu_ratio"] == pytest.approx(2.2)
    table = mtask_table(r, 5000)
    assert table.columns == ["design", "models per run", "models", "seconds", "time ratio"]
    assert table.rows == [["bit1,xor x bit1,xor", "4 + 1", "750", "2.00", "1x"],
                          ["bit1,bit2,xor x bit1,bit2,xor", "9 + 1", "1500", "3.78", "1.89x"]]
    assert table.caption.startswith("2.00x the models for 1.89x the time (CPU seconds: 2.20x)")


def test_bench_toy_prints_the_mtask_row_and_skips_it_on_request(monkeypatch):
    base = fake(1.0, 1.0, ["bit1", "xor"], 4, 5)
    other = fake(1.75, 2.0, ["bit1", "bit2", "xor"], 9, 10)
    seen = []

    def measured(config):
        seen.append(config)
        return {"chsh": base, "mtask": other, **cost_ratios(base, other)}

    monkeypatch.setattr(toy_bench, "bench_mtask", measured)
    args = ["bench", "toy", "--hidden", "2", "--runs", "1", "--epochs", "5",
            "--naive-models", "1", "--no-whole", "--trace-every", "0"]
    result = CliRunner().invoke(app, args, env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    assert "m-task toy against the CHSH toy" in result.stdout
    assert "1.75x" in result.stdout and "2.00x the models for 1.75x the time" in result.stdout
    assert [(c.hidden, c.runs, c.epochs) for c in seen] == [([2], 1, 5)]
    result = CliRunner().invoke(app, [*args, "--no-mtask"], env={"COLUMNS": "120"})
    assert result.exit_code == 0 and "m-task" not in result.stdout and len(seen) == 1
