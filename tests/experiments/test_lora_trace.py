"""LoRA gradient trace: the cosine helper, identical training with the trace on, the store."""

import pytest
import torch

from ncnet.experiments.lora.config import LoraConfig
from ncnet.experiments.lora.experiment import gradient_cosines, lora_hash, run_pair

from ..conftest import TEXT_FIXTURES


def test_gradient_cosines_known_answers():
    g = {"m.encoder.layer.0.attention.self.value.lora_A.weight": torch.tensor([[1.0, -2.0]]),
         "m.encoder.layer.0.attention.self.value.lora_B.weight": torch.tensor([[0.5], [3.0]]),
         "m.encoder.layer.1.attention.self.value.lora_A.weight": torch.tensor([[2.0, 0.0]])}
    same = gradient_cosines(g, g)
    assert same["cos"] == pytest.approx(1.0)
    assert same["layers"] == {"0": pytest.approx(1.0), "1": pytest.approx(1.0)}
    opposite = gradient_cosines(g, {k: -v for k, v in g.items()})
    assert opposite["cos"] == pytest.approx(-1.0)
    assert opposite["layers"] == {"0": pytest.approx(-1.0), "1": pytest.approx(-1.0)}
    # layer 1 orthogonal, layer 0 identical: overall dot 14.25, both norms sqrt(18.25)
    other = dict(g)
    other["m.encoder.layer.1.attention.self.value.lora_A.weight"] = torch.tensor([[0.0, 5.0]])
    got = gradient_cosines(g, other)
    assert got["layers"]["1"] == 0.0
    assert got["cos"] == pytest.approx(14.25 / (18.25 * 39.25) ** 0.5)
    assert got["norm_A"] == pytest.approx(18.25**0.5)
    zero = gradient_cosines(g, {k: torch.zeros_like(v) for k, v in g.items()})
    assert zero["cos"] is None and zero["layers"]["0"] is None


def _cfg(model, **kw):
    base = dict(model=model, data_dir=str(TEXT_FIXTURES / "data"), epochs=2, batch_size=4,
                lr=5e-3, threads=1, device="cpu", max_len=16)
    return LoraConfig(**{**base, **kw})


def test_traced_training_is_identical_and_records_the_trace(tiny_bert):
    plain = run_pair(_cfg(tiny_bert), 2, 2, 2, seed=3)
    traced = run_pair(_cfg(tiny_bert, trace_every=2), 2, 2, 2, seed=3)
    for a, b in zip(plain, traced, strict=True):
        for key in ("outcomes_A", "outcomes_B", "acc_A", "acc_B", "loss_A", "loss_B"):
            assert a[key] == b[key] or (a[key] != a[key] and b[key] != b[key]), key
    steps = [[t["step"] for t in row["grad_trace"]] for row in traced]
    assert steps == [[], [1, 2, 4], [6, 8]]  # 4 steps per epoch: 16 train items, batch 4
    first = traced[1]["grad_trace"][0]
    assert set(first["layers"]) == {"0", "1"} and -1 <= first["cos"] <= 1
    assert first["norm_A"] > 0 and first["norm_B"] > 0
    assert lora_hash(_cfg(tiny_bert, trace_every=2)) != lora_hash(_cfg(tiny_bert))
    assert lora_hash(_cfg(tiny_bert, trace_every=0)) == lora_hash(_cfg(tiny_bert))


def test_rank_zero_has_nothing_to_trace(tiny_bert):
    rows = run_pair(_cfg(tiny_bert, trace_every=1, epochs=1), 0, 1, 1, seed=3)
    assert rows[-1]["grad_trace"] == []


def test_analyze_a_traced_lora_directory(tiny_bert, tmp_path):
    import json

    from typer.testing import CliRunner

    from ncnet.cli import app

    out = tmp_path / "l"
    args = ["lora", "--model", tiny_bert, "--data-dir", str(TEXT_FIXTURES / "data"), "--ranks",
            "1", "--epochs", "1", "--batch-size", "4", "--train-size", "8", "--test-size", "8",
            "--max-len", "16", "--threads", "1", "--device", "cpu", "--no-report",
            "--trace-every", "1", "--out", str(out)]
    runner = CliRunner()
    assert runner.invoke(app, args).exit_code == 0
    result = runner.invoke(app, ["analyze", str(out)], env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.stderr
    doc = json.loads((out / "competition.json").read_text())
    (group,) = doc["groups"]
    assert group["rank"] == 1 and set(group["by_layer_22"]) == {"0", "1"}
    assert 0 <= group["competition_w_22"] <= 1
    # "S as a metric": one rank, one seed decides nothing, and says so
    import pandas as pd

    verdicts = pd.read_csv(out / "metric_claims.csv")["verdict"].tolist()
    # (the tiny model learns nothing in one epoch: the gate leaves its one cell out)
    assert len(verdicts) == 6 and all(v.startswith("undecided (0 levels kept")
                                      and "did not learn at r = 1, seed 1" in v
                                      for v in verdicts), verdicts
