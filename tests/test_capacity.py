"""LoRA capacity knobs: targets, layers, alpha scaling, rank 0 (heads only), their identity."""

import json

import pytest
import torch
from pydantic import ValidationError
from typer.testing import CliRunner

from ncnet.cli import app
from ncnet.experiments.lora import experiment as lora
from ncnet.experiments.lora.config import LoraConfig
from ncnet.experiments.lora.experiment import lora_hash, lora_identity
from ncnet.models.multitask import LoraSpec, MultiTaskLora, count_params, expected_trainable

from .conftest import TEXT_FIXTURES

runner = CliRunner()
DEFAULT_HASH = "9ef53f3501ab"  # lora_hash(LoraConfig()) on main before the knobs existed


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args], env={"COLUMNS": "120"})


def test_default_hash_is_unchanged():
    assert lora_hash(LoraConfig()) == DEFAULT_HASH
    explicit = LoraConfig(targets=("value", "query"), layers=None, alpha_scaling="fixed")
    assert lora_hash(explicit) == DEFAULT_HASH
    assert "targets" not in lora_identity(LoraConfig())


@pytest.mark.parametrize("change", [{"targets": ("value",)}, {"layers": (5,)},
                                    {"alpha_scaling": "rank"}])
def test_each_knob_changes_the_hash(change):
    assert lora_hash(LoraConfig(**change)) != DEFAULT_HASH


def test_alpha_scaling():
    fixed, scaled = LoraConfig(), LoraConfig(alpha_scaling="rank")
    assert [fixed.spec(r).alpha for r in (1, 4)] == [16.0, 16.0]
    assert [scaled.spec(r).alpha for r in (1, 4)] == [16.0, 64.0]
    assert scaled.spec(4).alpha / 4 == fixed.spec(1).alpha / 1  # LoRA scale alpha / r


@pytest.mark.parametrize("bad, fragment", [({"ranks": (1, -1)}, "ranks must be whole numbers"),
                                           ({"layers": (-1,)}, "layers must be whole numbers"),
                                           ({"targets": ()}, "targets must be module names")])
def test_config_rejects(bad, fragment):
    with pytest.raises(ValidationError, match=fragment):
        LoraConfig(**bad)


def test_minilm_last_layer_value_counts():
    result = invoke("lora", "params", "--model", "minilm", "--ranks", "0,1", "--layers", "5",
                    "--targets", "value", "--json")
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [r["trainable"] for r in rows] == [1_540, 2_308]  # heads; 768 LoRA + 1,540 heads
    assert rows[1]["total"] - rows[0]["total"] == 768


@pytest.mark.parametrize("extra, fragment", [
    (["--targets", "foo"], "unknown target module 'foo'"),
    (["--layers", "6"], "layer 6 does not exist"),
    (["--ranks", "-1"], "ranks must be whole numbers >= 0"),
    (["--layers", "-2"], "layers must be whole numbers >= 0"),
])
def test_params_rejects(extra, fragment):
    result = invoke("lora", "params", "--model", "minilm", *extra)
    assert result.exit_code == 2, result.stdout
    assert fragment in result.stderr and len(result.stderr.strip().splitlines()) == 1


def _tiny_encoder():
    from transformers import BertConfig, BertModel

    torch.manual_seed(0)
    return BertModel(BertConfig(vocab_size=50, hidden_size=32, num_hidden_layers=2,
                                num_attention_heads=2, intermediate_size=64,
                                max_position_embeddings=64))


def test_rank_zero_trains_the_heads_only():
    model = MultiTaskLora(_tiny_encoder(), LoraSpec(rank=0))
    names = [n for n, p in model.named_parameters() if p.requires_grad]
    assert names == ["heads.0.weight", "heads.0.bias", "heads.1.weight", "heads.1.bias"]
    assert count_params(model)[1] == expected_trainable(2, 32, 0) == 2 * (2 * 32 + 2)


def test_layers_and_targets_place_the_adapters():
    model = MultiTaskLora(_tiny_encoder(), LoraSpec(rank=2, target_modules=("key", "value"),
                                                    layers=(1,)))
    lora_names = [n for n, p in model.named_parameters() if p.requires_grad and "lora_" in n]
    assert len(lora_names) == 4
    assert all(".layer.1." in n and (".key." in n or ".value." in n) for n in lora_names)
    assert count_params(model)[1] == expected_trainable(1, 32, 2, n_targets=2)


def tiny_args(model, out):
    return ["lora", "--model", model, "--data-dir", TEXT_FIXTURES / "data", "--ranks", "0,1",
            "--epochs", "1", "--batch-size", "4", "--train-size", "8", "--test-size", "8",
            "--max-len", "16", "--threads", "1", "--device", "cpu", "--no-report", "--out", out]


@pytest.mark.parametrize("extra, fragment", [
    (["--targets", "query,nope"], "unknown target module 'nope'"),
    (["--layers", "2"], "layer 2 does not exist"),
    (["--ranks", "-1"], "ranks must be whole numbers >= 0"),
    (["--alpha-scaling", "double"], "--alpha-scaling = 'double'"),
])
def test_lora_rejects_before_writing(tiny_bert, tmp_path, extra, fragment):
    result = invoke(*tiny_args(tiny_bert, tmp_path / "o"), *extra)
    assert result.exit_code == 2, result.stdout
    assert fragment in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


def test_lora_runs_rank_zero_and_knobs_from_toml(tiny_bert, tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        f'[lora]\nmodel = "{tiny_bert}"\ndata_dir = "{TEXT_FIXTURES / "data"}"\nranks = [0, 1]\n'
        'epochs = 1\nbatch_size = 4\ntrain_size = 8\ntest_size = 8\nmax_len = 16\n'
        'threads = 1\ndevice = "cpu"\nreport = false\ntargets = ["value"]\nlayers = [1]\n'
        'alpha_scaling = "rank"\n')
    result = invoke("run", cfg, "--out", tmp_path / "o")
    assert result.exit_code == 0, result.stderr
    config = LoraConfig(model=tiny_bert, data_dir=str(TEXT_FIXTURES / "data"), ranks=(0, 1),
                        epochs=1, batch_size=4, train_size=8, test_size=8, max_len=16,
                        threads=1, device="cpu", targets=("value",), layers=(1,),
                        alpha_scaling="rank")
    assert f"config {lora_hash(config)}" in result.stdout
    model, loaded, _ = lora.load_checkpoint(next((tmp_path / "o" / "checkpoints").glob("*/r1-*")))
    assert loaded.layers == (1,) and count_params(model)[1] == expected_trainable(1, 32, 1, 1)
    cfg.write_text(cfg.read_text().replace('layers = [1]', 'layers = [3]'))
    bad = invoke("run", cfg, "--out", tmp_path / "o2")
    assert bad.exit_code == 2 and "layer 3 does not exist" in bad.stderr
    assert not (tmp_path / "o2").exists()


def test_cli_defaults_of_the_knobs_are_the_config_defaults():
    import inspect

    from ncnet.cli.train import lora as lora_command

    params = inspect.signature(lora_command).parameters
    defaults = LoraConfig()
    assert params["targets"].default.default == ",".join(defaults.targets)
    assert params["layers"].default.default == "all" and defaults.layers is None
    assert params["alpha_scaling"].default.default == defaults.alpha_scaling
    assert params["trace_every"].default.default == defaults.trace_every
