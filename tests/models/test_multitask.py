"""Parameter counts (paper Table 4) and the two-head LoRA model on a tiny random BERT."""

import time

import pytest
import torch

from ncnet.models.multitask import (
    KNOWN_CONFIGS,
    LoraSpec,
    MultiTaskLora,
    build_model,
    count_params,
    expected_trainable,
    param_table,
)

RANKS = [1, 2, 4, 8, 16, 32]
BERT_TOTAL = [109_522_180, 109_559_044, 109_632_772, 109_780_228, 110_075_140, 110_664_964]
MBERT_TOTAL = [177_893_380, 177_930_244, 178_003_972, 178_151_428, 178_446_340, 179_036_164]
TRAINABLE = [39_940, 76_804, 150_532, 297_988, 592_900, 1_182_724]


def test_bert_base_matches_table4():
    rows = param_table("bert-base-uncased", RANKS)
    assert [r.rank for r in rows] == RANKS
    assert [r.total for r in rows] == BERT_TOTAL
    assert [r.trainable for r in rows] == TRAINABLE
    assert [round(100 * r.ratio, 3) for r in rows][:5] == [0.036, 0.070, 0.137, 0.271, 0.539]


def test_mbert_matches_table4_and_formula():
    rows = param_table("bert-base-multilingual-cased", RANKS)
    assert [r.total for r in rows] == MBERT_TOTAL
    assert [r.trainable for r in rows] == TRAINABLE
    assert [round(100 * r.ratio, 3) for r in rows] == [0.022, 0.043, 0.085, 0.167, 0.332, 0.661]


def test_trainable_formula():
    assert [expected_trainable(12, 768, r) for r in RANKS] == TRAINABLE
    assert expected_trainable(2, 32, 3) == 2 * 2 * 3 * 64 + 2 * 66


@pytest.mark.parametrize("ranks", [[-1], [1, -2], []])
def test_bad_ranks(ranks):
    with pytest.raises(ValueError, match="ranks must be whole numbers >= 0"):
        param_table("bert-base-uncased", ranks)


def test_negative_rank_spec():
    with pytest.raises(ValueError):
        LoraSpec(rank=-1)
    with pytest.raises(ValueError, match="rank must be a whole number >= 0, got -1"):
        expected_trainable(2, 32, -1)


def test_unreachable_model_is_a_clear_and_fast_error(monkeypatch):
    for var in ("NCNET_ALLOW_HUB", "HF_HUB_OFFLINE"):
        monkeypatch.delenv(var, raising=False)
    start = time.perf_counter()
    with pytest.raises(ValueError, match="model 'no-such-org/x' cannot be reached offline"):
        param_table("no-such-org/x", [1])
    with pytest.raises(ValueError, match="model 'bert-base-uncased' cannot be loaded offline"):
        build_model("bert-base-uncased", LoraSpec(rank=1))
    assert time.perf_counter() - start < 10


def test_known_configs_are_bert_base():
    assert KNOWN_CONFIGS["bert-base-uncased"]["vocab_size"] == 30522
    assert KNOWN_CONFIGS["bert-base-multilingual-cased"]["vocab_size"] == 119547


def _tiny_encoder():
    from transformers import BertConfig, BertModel

    torch.manual_seed(0)
    cfg = BertConfig(
        vocab_size=50,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
    )
    return BertModel(cfg)


@pytest.mark.parametrize("rank", [1, 3])
def test_only_lora_and_heads_train(rank):
    model = MultiTaskLora(_tiny_encoder(), LoraSpec(rank=rank))
    total, trainable = count_params(model)
    assert trainable == expected_trainable(2, 32, rank)
    names = [n for n, p in model.named_parameters() if p.requires_grad]
    assert len(names) == 2 * 2 * 2 + 4
    assert all("lora_" in n or n.startswith("heads.") for n in names)
    assert all("query" in n or "value" in n for n in names if "lora_" in n)


@pytest.mark.parametrize("pooling", ["mean", "cls", "pooler"])
def test_forward_shapes_and_mean_pool_ignores_padding(pooling):
    model = MultiTaskLora(_tiny_encoder(), LoraSpec(rank=2), pooling=pooling).eval()
    ids = torch.tensor([[2, 7, 9, 3, 0, 0], [2, 7, 9, 3, 11, 3]])
    mask = (ids != 0).long()
    for head in (0, 1):
        assert model(ids, mask, head).shape == (2, 2)
    if pooling == "mean":
        short = model(ids[:1, :4], mask[:1, :4], 0)
        torch.testing.assert_close(model(ids[:1], mask[:1], 0), short)


def test_meta_build_allocates_nothing():
    model = build_model("bert-base-uncased", LoraSpec(rank=1), pretrained=False, device="meta")
    assert all(p.is_meta for p in model.parameters())


def test_packaged_minilm_config_counts():
    rows = param_table("minilm", [1, 8])
    assert [r.trainable for r in rows] == [expected_trainable(6, 384, r) for r in (1, 8)]
    assert [r.trainable for r in rows] == [10_756, 75_268]
