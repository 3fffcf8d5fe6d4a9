"""ncnet.metrics.BellScore: any expression as a torchmetrics metric; CHSH is CHSHScore."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ncnet.bell import preset
from ncnet.bell import score as bell_score
from ncnet.metrics import BellScore, CHSHScore


def _feed(metric, m_a, m_b, rng, k=40, items=True):
    a_all, b_all = [], []
    for x in range(1, m_a + 1):
        for y in range(1, m_b + 1):
            a = torch.from_numpy(rng.random(k) < 0.85)
            b = torch.from_numpy(rng.random(k) < 0.75)
            ids = torch.arange(k) if items else None
            a_all.append(a.numpy())
            b_all.append(b.numpy())
            metric.update(a, b, x, y, ids)
    return a_all, b_all


def test_bell_score_chsh_gives_chsh_scores_numbers():
    for items in (True, False):
        bell, old = BellScore("chsh", n_boot=300), CHSHScore(n_boot=300)
        _feed(bell, 2, 2, np.random.default_rng(1), items=items)
        _feed(old, 2, 2, np.random.default_rng(1), items=items)
        assert float(bell.compute()) == float(old.compute())
        new_d, old_d = bell.compute_dict(), old.compute_dict()
        assert float(new_d["V"]) == float(old_d["S"])
        for key in ("ci_low", "ci_high", "p_value", "C11", "C12", "C21", "C22"):
            assert float(new_d[key]) == float(old_d[key]), key
        assert bell.score().ci_bootstrap == old.score().ci_bootstrap


def test_bell_score_on_a_3x3_expression_is_score_pairs():
    metric = BellScore(preset("i3322"), n_boot=200, seed=3)
    a, b = _feed(metric, 3, 3, np.random.default_rng(2))
    ids = [np.arange(40)] * 9
    ref = bell_score.score_pairs(preset("i3322"), a, b, items=ids, n_boot=200, seed=3,
                                 with_bounds=False)
    assert float(metric.compute()) == ref.value
    d = metric.compute_dict(prefix="val_")
    assert float(d["val_p_value"]) == ref.test["p_value"] and float(d["val_C23"]) == ref.C[1, 2]
    assert metric.score().scheme == "paired-items"


def test_bell_score_bad_settings_and_expressions():
    metric = BellScore("chained-3")
    with pytest.raises(ValueError, match="setting 1..3"):
        metric.update(torch.tensor([1]), torch.tensor([1]), 4, 1)
    with pytest.raises(ValueError, match="unknown Bell expression"):
        BellScore("nope")
    marginal = BellScore("i3322")
    _feed(marginal, 3, 3, np.random.default_rng(0), items=False)
    with pytest.raises(ValueError, match="marginal terms"):
        marginal.compute()
