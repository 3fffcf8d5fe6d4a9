"""Sentence pairs reach BERT as two segments; single texts are encoded as before."""

import pandas as pd
import pytest
import torch

from ncnet.experiments.lora import LoraConfig, encode, load_tokenizer, run_pair

from ..conftest import TEXT_FIXTURES

# pair (1, 1) of the text fixtures (two single-text tasks), rank 2, seed 7, on the tiny BERT:
# per epoch Alice's and Bob's outcomes and training losses as `encode` gave them before it
# kept the segment ids (input_ids only)
BEFORE = [
    ([-1, -1, 1, 1, -1, 1, -1, -1], [1, -1, -1, -1, -1, -1, 1, -1], None, None),
    ([-1, 1, -1, 1, -1, 1, -1, 1], [1, -1, -1, 1, -1, -1, 1, -1], 0.6884417533874512,
     0.7268914878368378),
    ([-1, 1, -1, 1, -1, 1, -1, 1], [1, -1, -1, 1, -1, -1, 1, -1], 0.6950902938842773,
     0.7100134789943695),
]


def test_second_segment_gets_type_id_1(tiny_bert):
    tok = load_tokenizer(tiny_bert)
    frame = pd.DataFrame({"text": ["the movie was good", "the food"],
                          "text_b": ["the room was ugly", "was not nice"], "label": [1, 0]})
    enc = encode(tok, frame, max_len=32)
    for k in range(2):
        a = tok.tokenize(frame.text[k])
        b = tok.tokenize(frame.text_b[k])
        assert enc.type_ids[k] == [0] * (len(a) + 2) + [1] * (len(b) + 1)  # [CLS] a [SEP] b [SEP]
        assert len(enc.ids[k]) == len(enc.type_ids[k])
    batch = enc.batch([0, 1], tok.pad_token_id, torch.device("cpu"))
    assert batch["token_type_ids"].shape == batch["input_ids"].shape
    assert batch["token_type_ids"][1].tolist() == enc.type_ids[1] + [0] * (
        len(enc.ids[0]) - len(enc.ids[1]))
    assert batch["token_type_ids"].sum() == sum(map(sum, enc.type_ids)) > 0


def test_single_texts_are_unchanged(tiny_bert):
    tok = load_tokenizer(tiny_bert)
    frame = pd.DataFrame({"text": ["the movie was good", "bank raises rates"], "label": [1, 0]})
    enc = encode(tok, frame, max_len=32)
    assert enc.ids == tok(frame.text.tolist())["input_ids"]
    assert all(set(row) == {0} for row in enc.type_ids)


def test_type_ids_reach_the_encoder(tiny_bert):
    from ncnet.models.multitask import LoraSpec, build_model

    tok = load_tokenizer(tiny_bert)
    frame = pd.DataFrame({"text": ["the movie was good"], "text_b": ["the room"], "label": [1]})
    inputs = encode(tok, frame, 32).batch([0], tok.pad_token_id, torch.device("cpu"))
    torch.manual_seed(0)
    model = build_model(tiny_bert, LoraSpec(rank=1)).eval()
    as_pair = model(head=0, **inputs)
    one_segment = model(inputs["input_ids"], inputs["attention_mask"], 0)
    assert not torch.allclose(as_pair, one_segment)
    zeros = model(head=0, **{**inputs, "token_type_ids": torch.zeros_like(inputs["input_ids"])})
    torch.testing.assert_close(zeros, one_segment, rtol=0, atol=0)


def test_single_text_run_is_bitwise_as_before(tiny_bert):
    cfg = LoraConfig(model=tiny_bert, data_dir=str(TEXT_FIXTURES / "data"), epochs=2,
                     batch_size=4, lr=5e-3, threads=1, device="cpu", max_len=16)
    rows = run_pair(cfg, 2, 1, 1, seed=7)
    got = [(r["outcomes_A"], r["outcomes_B"], r["loss_A"], r["loss_B"]) for r in rows]
    assert got[0][:2] == BEFORE[0][:2]
    assert got[1:] == BEFORE[1:]


@pytest.mark.parametrize("task", ["contrast"])
def test_pair_task_from_files_carries_segments(tiny_bert, task):
    from ncnet.experiments.lora import load_task_data

    cfg = LoraConfig(model=tiny_bert, data_dir=str(TEXT_FIXTURES / "data"), max_len=32,
                     train_size=8, test_size=8)
    data = load_task_data(cfg, task, load_tokenizer(tiny_bert))
    assert all(1 in row for row in data.train.type_ids)
