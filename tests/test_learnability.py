"""The learnability gate's rule: chance, the exact item interval, the interval over runs."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from ncnet.stats import learnability
from ncnet.stats.runs import fraction_ci


def test_chance_is_the_majority_rate_but_never_below_a_half():
    assert learnability.chance_level([70, 30]) == 0.7
    assert learnability.chance_level([30, 70]) == 0.7
    assert learnability.chance_level([150, 150]) == 0.5
    assert learnability.chance_level(None) == 0.5
    assert learnability.chance_level([]) == 0.5


def test_item_gate_is_the_exact_interval_strictly_above_chance():
    gate = learnability.item_gate(240, 300, 0.7)
    exact = stats.binomtest(240, 300).proportion_ci(0.95, method="exact")
    assert gate["ci"] == pytest.approx([exact.low, exact.high], abs=1e-12)
    assert gate["learned"] and gate["accuracy"] == 0.8 and gate["n"] == 300
    # labels 70/30 and a head that always answers the majority class: accuracy 0.70
    majority = learnability.item_gate(210, 300, learnability.chance_level([210, 90]))
    assert majority["accuracy"] == 0.7 and not majority["learned"]
    # the rule is strict: a lower edge that equals chance does not pass
    lo = fraction_ci(180, 300)[0]
    assert not learnability.item_gate(180, 300, lo)["learned"]
    assert learnability.item_gate(180, 300, lo - 1e-9)["learned"]
    # below 0.5 (the bbc-topic case: 33.5% after one epoch at lr 1e-7) is not learned
    assert not learnability.item_gate(67, 200, 0.5)["learned"]


def test_run_gate_uses_student_t_over_runs():
    acc = [0.75, 1.0, 0.875, 1.0, 0.5]
    gate = learnability.run_gate(acc, 16)
    m, se = np.mean(acc), np.std(acc, ddof=1) / np.sqrt(len(acc))
    half = stats.t.ppf(0.975, len(acc) - 1) * se
    assert gate["ci"] == pytest.approx([m - half, min(1.0, m + half)], abs=1e-12)
    assert gate["learned"] == (m - half > 0.5)
    assert gate["at_chance"] == 1 and gate["runs"] == 5
    # two runs: the t interval (1 df) is wide and cannot show learning
    assert not learnability.run_gate([0.75, 1.0], 16)["learned"]


def test_run_gate_without_spread_uses_the_pooled_exact_interval():
    perfect = learnability.run_gate([1.0, 1.0, 1.0], 16)
    assert perfect["ci"] == list(fraction_ci(48, 48)) and perfect["learned"]
    stuck = learnability.run_gate([0.5] * 4, 16)
    assert stuck["ci"] == list(fraction_ci(32, 64)) and not stuck["learned"]
    assert stuck["at_chance"] == 4
    one = learnability.run_gate([12 / 16], 16)  # one run: 12 of 16, CI [0.48, 0.93]
    assert one["ci"] == list(fraction_ci(12, 16)) and not one["learned"]
    assert "pooled" in one["method"]


def test_sentences():
    gate = {"accuracy": 0.51, "ci": [0.44, 0.58], "chance": 0.5}
    text = learnability.did_not_learn("negation", "r = 1, seed 1", [("pair (2, 1)", gate)])
    assert text == ("negation did not learn at r = 1, seed 1: accuracy 0.51 [0.44, 0.58] in "
                    "pair (2, 1); chance 0.50")
    entry = {"learnability": {"at": "n = 2", "did_not_learn_tasks": ["α2 (X1 xor X2)"]}}
    assert learnability.unlearned(entry) == "α2 (X1 xor X2) did not learn at n = 2"
    assert learnability.unlearned({"learnability": {"at": "n = 2",
                                                    "did_not_learn_tasks": []}}) is None
    assert learnability.unlearned({}) is None
