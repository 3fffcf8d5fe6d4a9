"""Sentence pairs reach BERT as two segments; single texts are encoded as before."""

import math

import pandas as pd
import pytest
import torch

from ncnet.experiments.lora.config import LoraConfig
from ncnet.experiments.lora.experiment import encode, load_tokenizer, run_pair

from ..conftest import TEXT_FIXTURES

# pair (1, 1) of the text fixtures (two single-text tasks), rank 2, seed 7, on the tiny BERT:
# per epoch Alice's and Bob's outcomes as `encode` gave them before it kept the segment ids
# (input_ids only), recorded once. Outcomes are signs of logit differences, the same on any
# CPU unless a logit lands within rounding of the decision boundary; the losses are floats
# from BLAS and are compared against a recomputation on this machine instead (below).
BEFORE_OUTCOMES = [
    ([-1, -1, 1, 1, -1, 1, -1, -1], [1, -1, -1, -1, -1, -1, 1, -1]),
    ([-1, 1, -1, 1, -1, 1, -1, 1], [1, -1, -1, 1, -1, -1, 1, -1]),
    ([-1, 1, -1, 1, -1, 1, -1, 1], [1, -1, -1, 1, -1, -1, 1, -1]),
]
# The losses as recorded on the machine that wrote this test (an Intel CPU); another CPU's
# kernels sum in another order and differ in the 8th digit (0.7268914729 on an AMD EPYC
# against 0.7268914878): float32 cross-entropy of 8 items, so 1e-6 relative is ample and still
# catches any change in what the model computes (those move the 3rd digit).
RECORDED_LOSSES = [(None, None), (0.6884417533874512, 0.7268914878368378),
                   (0.6950902938842773, 0.7100134789943695)]


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


def test_single_text_run_is_bitwise_as_before(tiny_bert, monkeypatch):
    """A single-text run is the run without segment ids, bit for bit on this machine: the
    reference is recomputed here with `token_type_ids` dropped from every batch, as `encode`
    did before it kept them."""
    from ncnet.experiments.lora import experiment as lora

    cfg = LoraConfig(model=tiny_bert, data_dir=str(TEXT_FIXTURES / "data"), epochs=2,
                     batch_size=4, lr=5e-3, threads=1, device="cpu", max_len=16)

    def run() -> list[tuple]:
        rows = run_pair(cfg, 2, 1, 1, seed=7)
        return [(r["outcomes_A"], r["outcomes_B"], r["loss_A"], r["loss_B"]) for r in rows]

    got = run()
    plain_batch = lora.Encoded.batch

    def without_segments(self, idx, pad_id, device):
        inputs = plain_batch(self, idx, pad_id, device)
        inputs.pop("token_type_ids", None)
        return inputs

    monkeypatch.setattr(lora.Encoded, "batch", without_segments)
    again = run()
    assert repr(got) == repr(again)  # same machine, same kernels: exact (repr: NaN == NaN)
    assert [g[:2] for g in got] == BEFORE_OUTCOMES
    for (_, _, loss_a, loss_b), (ref_a, ref_b) in zip(got, RECORDED_LOSSES, strict=True):
        if ref_a is None:  # epoch 0, before training: no loss
            assert math.isnan(loss_a) and math.isnan(loss_b)
        else:
            assert loss_a == pytest.approx(ref_a, rel=1e-6)
            assert loss_b == pytest.approx(ref_b, rel=1e-6)


@pytest.mark.parametrize("task", ["contrast"])
def test_pair_task_from_files_carries_segments(tiny_bert, task):
    from ncnet.experiments.lora.experiment import load_task_data

    cfg = LoraConfig(model=tiny_bert, data_dir=str(TEXT_FIXTURES / "data"), max_len=32,
                     train_size=8, test_size=8)
    data = load_task_data(cfg, task, load_tokenizer(tiny_bert))
    assert all(1 in row for row in data.train.type_ids)
