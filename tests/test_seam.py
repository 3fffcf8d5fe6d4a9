"""The experiment seam: one CHSH row builder, and a third experiment needs only a module and a
registry entry (no CLI or sweep change)."""

import json
import sys
import types

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from ncnet import chsh
from ncnet.cli import app
from ncnet.engine.registry import REGISTRY
from ncnet.engine.seam import Outputs, Unit
from ncnet.experiments.lora import summary as lora_summary
from ncnet.experiments.toy import config as toy_config
from ncnet.experiments.toy import experiment as toy
from ncnet.report.table import Table
from ncnet.stats.outcomes import from_pm_string
from ncnet.stats.resampling import bootstrap_ci, bootstrap_mean_ci


def test_chsh_rows_match_the_formulas():
    rng = np.random.default_rng(0)
    a = rng.choice([-1, 1], size=(5, 2, 2, 16))
    b = rng.choice([-1, 1], size=(5, 2, 2, 16))
    rows = chsh.chsh_rows(a, b)
    for r, row in enumerate(rows):
        c = (a[r] * b[r]).mean(-1)
        assert row["S"] == c[0, 0] + c[0, 1] + c[1, 0] - c[1, 1]
        acc_a, acc_b = (a[r] > 0).mean(-1), (b[r] > 0).mean(-1)
        assert row["acc_A2_B1"] == acc_a[1, 0] and row["acc_B1_A2"] == acc_b[1, 0]
        assert row["gap_A1"] == acc_a[0, 0] - acc_a[0, 1]
        assert row["gap_B2"] == acc_b[0, 1] - acc_b[1, 1]
        p = (2 * acc_a - 1) * (2 * acc_b - 1)
        assert abs(row["S_product"] - (p[0, 0] + p[0, 1] + p[1, 0] - p[1, 1])) < 1e-15
    assert toy.pair_rows(a, b) == rows
    joint = toy.joint_rows(a, b)
    assert [r["S_joint"] for r in joint] == [r["S"] for r in rows]


def test_lora_rows_use_the_one_builder():
    rng = np.random.default_rng(1)
    records = []
    for i, j in chsh.PAIRS:
        epochs = []
        for e in range(3):
            oa, ob = rng.choice([-1, 1], size=(2, 9 + i + j))
            epochs.append({"epoch": e, "outcomes_A": oa, "outcomes_B": ob, "acc_A": 0.5,
                           "acc_B": 0.5, "loss_A": 1.0, "loss_B": 1.0})
        records.append(lora_summary.model_record(2, i, j, 7, epochs))
    final = lora_summary.final_rows(records, n_boot=50)[0]
    last = lora_summary.epoch_rows(records)[-1]
    a = [from_pm_string(r["epochs"][-1]["A"]) for r in records]
    b = [from_pm_string(r["epochs"][-1]["B"]) for r in records]
    c = chsh.pair_correlators(a, b)
    assert final["S"] == last["S"] == chsh.chsh_value(c)
    assert {"C22_product", "S_product", "gap_A1", "acc_B2_A1"} <= set(final)


class Coin:
    """A third experiment in a few lines: each unit flips ±1 outcomes for the four pairs."""

    name = "coin"
    config_type = None  # set below
    stores = ("coin",)
    id_columns = ("experiment", "run", "seed")
    options: dict = {}

    def config_hash(self, config):
        return f"coin{config.seed}"

    def prepare(self, config):
        pass

    def planned(self, config):
        return [f"r{r}" for r in range(config.runs)]

    def units(self, config, done):
        return [Unit("coin", k, (k,), 1, k, int(k[1:])) for k in self.planned(config)
                if k not in done.get("coin", ())]

    def train(self, config, unit, progress=None):
        rng = np.random.default_rng([config.seed, unit.spec])
        a, b = rng.choice([-1, 1], size=(2, 1, 2, 2, 32))
        return [{"key": unit.key, "run": unit.spec, **chsh.chsh_rows(a, b)[0]}]

    def collect(self, config, stored):
        return sorted(stored.get("coin", {}).values(), key=lambda r: r["run"])

    def reload(self, config_json, stored):
        return self.config_type.model_validate(config_json)

    def summarize(self, config, digest, records):
        rows = [{"experiment": "coin", "seed": config.seed, **r} for r in records]
        summary = {"S": float(np.mean([r["S"] for r in rows]))}
        return Outputs(rows, summary, {"experiment": "coin", "summary": summary})

    def headline(self, result):
        return f"{result.trained['coin']} coins flipped"

    def console_tables(self, summary):
        return [Table("coin", ["mean S"], [[f"{summary['S']:.3f}"]])]

    def write_report(self, out, config, result):
        (out / "coin.txt").write_text(str(result.summary["S"]))
        return ["coin.txt"]


def coin_module(name: str, monkeypatch) -> types.ModuleType:
    """A module ``name`` (importable for this test) holding the Coin experiment."""
    from pydantic import BaseModel

    class CoinConfig(BaseModel):
        runs: int = 3
        seed: int = 0

    module = types.ModuleType(name)
    Coin.config_type = CoinConfig
    module.Coin = Coin
    monkeypatch.setitem(sys.modules, module.__name__, module)
    return module


def test_a_third_experiment_is_a_module_and_a_registry_entry(tmp_path, monkeypatch):
    module = coin_module("ncnet_coin_experiment", monkeypatch)
    monkeypatch.setitem(REGISTRY, "coin", f"{module.__name__}:Coin")
    cfg = tmp_path / "coin.toml"
    cfg.write_text("[coin]\nruns = 4\nseed = 3\n")
    result = CliRunner().invoke(app, ["run", str(cfg), "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.stderr
    assert "4 coins flipped" in result.stdout
    frame = pd.read_csv(tmp_path / "o" / "results.csv")
    assert list(frame.columns[:3]) == ["experiment", "run", "seed"] and len(frame) == 4
    assert (tmp_path / "o" / "coin.txt").exists()
    assert json.loads((tmp_path / "o" / "summary.json").read_text())["experiment"] == "coin"
    again = CliRunner().invoke(app, ["report", str(tmp_path / "o")])
    assert again.exit_code == 0, again.stderr


def test_new_options_at_their_defaults_keep_the_old_hashes():
    from ncnet.experiments.lora.config import LoraConfig
    from ncnet.experiments.lora.experiment import lora_hash

    assert toy_config.ToyConfig().config_hash() == "cc59f8ce5876"
    assert toy_config.ToyConfig(chunk_runs=7, device="auto").config_hash() == "cc59f8ce5876"
    assert lora_hash(LoraConfig()) == "9ef53f3501ab"  # as before --precision existed
    assert lora_hash(LoraConfig(precision="bf16")) != "9ef53f3501ab"


def test_shared_bootstrap_index_gives_the_same_intervals():
    rng = np.random.default_rng(5)
    for n, n_boot, seed in ((2, 100, 0), (50, 10_000, 0), (50, 10_000, 3), (7, 999, 1),
                            (300, 10_000, 0)):
        for _ in range(3):
            v = rng.normal(size=n)
            assert bootstrap_mean_ci(v, n_boot=n_boot, seed=seed) == bootstrap_ci(
                v, n_boot=n_boot, seed=seed)
    booleans = rng.random(40) > 0.3
    assert bootstrap_mean_ci(booleans) == bootstrap_ci(booleans)


def test_an_installed_package_registers_an_experiment_by_entry_point(tmp_path, monkeypatch):
    """The `ncnet.experiments` entry-point group: `ncnet run` takes the package's [name]
    table and `ncnet report` finds it again from the store, with no edit of ncnet; a name
    ncnet ships is not taken over."""
    from importlib import metadata

    from ncnet.engine import registry

    module = coin_module("ncnet_coin_plugin", monkeypatch)
    points = [metadata.EntryPoint("coin", f"{module.__name__}:Coin", registry.ENTRY_POINT_GROUP),
              metadata.EntryPoint("toy", f"{module.__name__}:Coin", registry.ENTRY_POINT_GROUP)]
    monkeypatch.setattr(metadata, "entry_points",
                        lambda group=None: [p for p in points if p.group == group])
    assert registry.names() == ["coin", "lora", "pairs", "toy"]
    assert registry.clashes() == ["toy"]
    assert registry.experiment_class("toy").__name__ == "ToyExperiment"
    cfg = tmp_path / "coin.toml"
    cfg.write_text("[coin]\nruns = 2\nseed = 1\n")
    result = CliRunner().invoke(app, ["run", str(cfg), "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.stderr
    assert "2 coins flipped" in result.stdout
    assert CliRunner().invoke(app, ["report", str(tmp_path / "o")]).exit_code == 0
