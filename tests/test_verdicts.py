"""Verdicts need evidence (issue 14): open and closed edges, zero-width intervals, too few
runs, and an interval of mean S that covers at small n."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ncnet import chsh
from ncnet.experiments.toy import config as toy_config
from ncnet.experiments.toy import experiment as toy
from ncnet.experiments.toy import summary as toy_summary
from ncnet.experiments.toy.report import paper_comparison
from ncnet.stats.resampling import bootstrap_ci
from ncnet.stats.runs import fraction_ci
from ncnet.stats.verdicts import MIN_RUNS, Region, verdict

ABOVE_2 = Region(2.0, math.inf, low_closed=False)


@pytest.mark.parametrize(("ci", "region", "expected"), [
    ((2.0, 2.0125), ABOVE_2, "undecided at 50 runs"),  # closed edge on a strict claim
    ((1.7, 2.0), ABOVE_2, "does not reproduce"),  # the same edge from the other side
    ((2.0001, 2.1), ABOVE_2, "agrees"),
    ((0.9289, 1.0), Region(0.9289, 1.0), "agrees"),  # closed: the edge supports it
    ((0.5, 0.9289), Region(0.9289, 1.0), "undecided at 50 runs"),
    ((0.3, 0.5), Region(0.5, 1.0, low_closed=False), "does not reproduce"),
    ((2.125, 2.125), ABOVE_2, "undecided (zero-width interval) at 50 runs"),
    (None, ABOVE_2, "undecided at 50 runs"),
])
def test_verdict_edges_are_symmetric(ci, region, expected):
    assert verdict(ci, region, "50 runs") == expected


def _rows(n: int, values) -> list[dict]:
    return [{"hidden": n, "S": float(v), "S_product": float(v)} for v in values]


def test_48_runs_at_2_and_2_at_2_125_do_not_agree_with_mean_above_2():
    """S is a multiple of 1/8: the realistic closed-edge case of the audit. The percentile
    bootstrap's interval (2.0, 2.0125) used to read 'agrees' while the t-test gave p = 0.08."""
    s = [2.0] * 48 + [2.125] * 2
    summary = toy_summary.summarize_hidden_sizes(_rows(3, s), n_boot=2000)
    assert summary["3"]["S"]["ci"][0] < 2.0
    table = paper_comparison(summary)
    (mean_verdict,) = [v for claim, v in zip(table.column("paper says"), table.column("verdict"),
                                            strict=True) if "mean S > 2" in claim]
    assert mean_verdict == "undecided at 50 runs"
    assert summary["3"]["S_test"]["p_value"] > 0.05


def test_one_run_decides_nothing():
    rows = _rows(2, [1.0]) + _rows(3, [3.0]) + _rows(4, [2.0])
    summary = toy_summary.summarize_hidden_sizes(rows, n_boot=200)
    assert summary["3"]["S"]["ci"] == [-4.0, 4.0]  # one run: no interval narrower than the range
    verdicts = paper_comparison(summary).column("verdict")
    assert len(verdicts) == 7
    assert all(v.startswith("undecided (too few: 1 runs") for v in verdicts), verdicts


@pytest.mark.parametrize("seed", range(5))
def test_two_trained_runs_never_agree(seed):
    """`ncnet toy --runs 2` at 5 seeds (real training, default settings but 1,000 epochs):
    no claim reads 'agrees'."""
    config = toy_config.ToyConfig(hidden=[2, 3, 4], runs=2, epochs=1000, seed=seed, joint=False)
    rows = [r for r in toy.train_pair_runs(config, toy.planned_runs(config))]
    verdicts = paper_comparison(
        toy_summary.summarize_hidden_sizes(rows, n_boot=200)).column("verdict")
    assert "agrees" not in verdicts, verdicts


def test_identical_runs_have_an_interval_and_a_p_value():
    s = [2.125] * 10
    lo, hi = chsh.mean_s_interval(s)
    assert lo < 2.0 < 2.125 < hi <= 4.0
    assert 0.05 < chsh.test_s_above(s)["p_value"] < 1.0


def test_t_interval_keeps_false_agreement_at_its_level():
    """True mean exactly 2 on a discrete S distribution (multiples of 1/8, as the toy's):
    how often does "mean S > 2" read 'agrees'? Student t: at most 2.5% (+ simulation error);
    the percentile bootstrap it replaces: far more at 5 runs. Below MIN_RUNS the rule
    'undecided (too few)' applies whatever the interval."""
    values = np.array([1.5, 1.75, 2.0, 2.25, 2.5, 3.0])
    probs = np.array([0.2, 0.2, 0.25, 0.2, 0.1, 0.05])
    assert float(values @ probs) == pytest.approx(2.0)
    rng = np.random.default_rng(0)
    reps = 4000
    for n in (MIN_RUNS, 8, 20):
        draws = rng.choice(values, size=(reps, n), p=probs)
        t_agree = sum(verdict(chsh.mean_s_interval(d), ABOVE_2, f"{n} runs", count=n,
                                   minimum=MIN_RUNS) == "agrees" for d in draws)
        lo, hi = fraction_ci(t_agree, reps)
        assert lo <= 0.025, (n, t_agree / reps)
        if n == MIN_RUNS:
            boot = sum(bootstrap_ci(d, n_boot=400, seed=k)[0] > 2.0
                       for k, d in enumerate(draws[:1000]))
            assert boot / 1000 > 0.05, boot
    for n in (1, 2, 3, 4):
        assert verdict((2.1, 2.2), ABOVE_2, f"{n} runs", count=n,
                            minimum=MIN_RUNS).startswith("undecided (too few")
