"""LoRA summaries on hand-made store records: paired item scheme, seeds, trend, μ∇S."""

from __future__ import annotations

import numpy as np
import pytest

from ncnet import chsh
from ncnet.bell.score import INDEPENDENT_SCHEME, PAIRED_SCHEME
from ncnet.experiments.lora import summary as ls
from ncnet.stats.outcomes import as_pm1, pm_string
from ncnet.stats.runs import fraction_ci, holm, t_interval


def _record(rank, i, j, seed, epochs):
    """``epochs``: list of (epoch, a, b) with ±1 arrays."""
    return {"key": ls.model_key(rank, i, j, seed), "rank": rank, "i": i, "j": j, "seed": seed,
            "epochs": [{"epoch": e, "acc_A": float((a > 0).mean()), "acc_B": float((b > 0).mean()),
                        "loss_A": 0.0, "loss_B": 0.0, "train_s": 0.0,
                        "A": pm_string(a), "B": pm_string(b)} for e, a, b in epochs]}


def _records(ranks, seeds, items=60, p_fail=None, n_epochs=2, seed=0):
    """Shared-difficulty outcomes: Alice's item k of task i fails in both pair models that use
    it (and at every rank and seed) when its difficulty draw says so."""
    rng = np.random.default_rng(seed)
    hard = {t: rng.random(items) < (p_fail or {}).get(t, 0.1) for t in ("A1", "A2", "B1", "B2")}
    out = []
    for rank in ranks:
        for s in seeds:
            for i, j in chsh.PAIRS:
                a = np.where(hard[f"A{i}"], -1, 1)
                b = np.where(hard[f"B{j}"], -1, 1)
                out.append(_record(rank, i, j, s, [(e, a, b) for e in range(n_epochs)]))
    return out


def test_final_rows_use_the_paired_scheme_on_the_shared_index():
    records = _records([1], [1], p_fail={"A1": 0.3, "B1": 0.3, "A2": 0.0, "B2": 0.0})
    (row,) = ls.final_rows(records, n_boot=4000)
    assert row["S_ci_scheme"] == PAIRED_SCHEME and row["items"] == 60
    a, b = ls._outcomes(ls._complete_groups(records)[(1, 1)], -1)
    prods = [as_pm1(x) * as_pm1(y) for x, y in zip(a, b, strict=True)]
    paired = chsh.paired_products(prods, [np.arange(60)] * 4)
    assert [row["S_ci_lo"], row["S_ci_hi"]] == list(chsh.item_interval(prods, paired))
    # C11, C12 and C21 all fail on the same A1 / B1 items: the joint CI is wider
    width = row["S_ci_hi"] - row["S_ci_lo"]
    assert width > 1.2 * (row["S_ci_hi_independent"] - row["S_ci_lo_independent"])


def test_unequal_test_sets_fall_back_to_independent_pairs():
    records = _records([1], [1])
    for r in records:
        if (r["i"], r["j"]) == (2, 2):
            e = r["epochs"][-1]
            e["A"], e["B"] = e["A"][:-5], e["B"][:-5]
    (row,) = ls.final_rows(records, n_boot=200)
    assert row["S_ci_scheme"] == INDEPENDENT_SCHEME
    assert "S_ci_lo_independent" not in row


def test_summary_seeds_holm_and_fraction():
    records = _records([1, 2], [1, 2, 3])
    rows = ls.final_rows(records, n_boot=200)
    for r, bump in zip(rows, [0.0, 0.1, -0.1, 0.2, 0.3, 0.1], strict=True):
        r["S"] += bump  # make the seeds differ
    summary = ls.summarize_ranks(rows, ls.epoch_rows(records))
    e = summary["1"]
    s = [r["S"] for r in rows if r["rank"] == 1]
    assert e["S"]["ci_over_seeds"] == list(t_interval(s))
    assert e["fraction_S_above_2_ci"] == list(fraction_ci(sum(v > 2 for v in s), 3))
    ordered = [r["p_S_above_2"] for r in rows]
    assert e["S"]["p_S_above_2_holm"] + summary["2"]["S"]["p_S_above_2_holm"] == holm(
        ordered)
    one = ls.summarize_ranks(rows[:1], ls.epoch_rows(records))
    assert one["1"]["S"]["ci_over_seeds"] is None
    assert "one seed" in one["1"]["S"]["ci_over_seeds_method"]


def test_rank_trend_by_hand():
    records = _records([1, 2, 4], [1, 2, 3])
    rows = ls.final_rows(records, n_boot=200)
    # S identical at every rank and seed: slope 0, both intervals collapse on 0
    trend = ls.rank_trend(records, rows, n_boot=300)
    assert trend["slope"] == pytest.approx(0.0) and trend["basis"] == "seeds"
    assert trend["item_level"]["slope"] == pytest.approx(0.0)
    assert trend["shape"] == "no trend detected"
    for r in rows:
        r["S"] += 0.1 * np.log2(r["rank"]) + 0.01 * r["seed"]
    trend = ls.rank_trend(records, rows, n_boot=300)
    # every seed has slope 0.1 exactly: a zero-width interval decides nothing
    assert trend["slope"] == pytest.approx(0.1) and trend["ci"] is None
    assert trend["shape"] == "no trend detected"
    for r in rows:
        r["S"] += 0.01 * r["seed"] * np.log2(r["rank"])  # slopes 0.11, 0.12, 0.13
    trend = ls.rank_trend(records, rows, n_boot=300)
    assert trend["slope"] == pytest.approx(0.12) and trend["shape"] == "rises"
    assert ls.rank_trend(records, [r for r in rows if r["rank"] == 1]) is None


def test_mu_grad_s_spans_the_epochs_run():
    records = _records([1], [1], n_epochs=13)
    rows = ls.final_rows(records, n_boot=100)
    summary = ls.summarize_ranks(rows, ls.epoch_rows(records), slope_window=80)
    assert summary["1"]["mu_grad_S_epochs"] == [0, 12]
    assert summary["1"]["mu_grad_S"] == pytest.approx(0.0)
