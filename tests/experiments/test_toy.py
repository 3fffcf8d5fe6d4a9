import numpy as np
import pytest
from pydantic import ValidationError

from ncnet import chsh
from ncnet.experiments.toy import config as toy_config
from ncnet.experiments.toy import experiment as toy
from ncnet.experiments.toy import summary as toy_summary
from ncnet.experiments.toy import tables as toy_tables
from ncnet.stats import learnability


def test_pair_rows_on_a_hand_made_run():
    # 4 items; pair (2, 2): Alice right on items 0-2, Bob right on items 0-1 only.
    a = np.ones((1, 2, 2, 4), dtype=int)
    b = np.ones((1, 2, 2, 4), dtype=int)
    a[0, 1, 1, 3] = -1
    b[0, 1, 1, 2:] = -1
    row = toy.pair_rows(a, b)[0]
    assert row["C22"] == pytest.approx(0.5)  # products +1 +1 -1 +1
    assert [row["C11"], row["C12"], row["C21"]] == [1.0, 1.0, 1.0]
    assert row["S"] == pytest.approx(2.5)
    assert row["acc_A2_B2"] == 0.75 and row["acc_B2_A2"] == 0.5
    assert row["gap_A2"] == pytest.approx(0.25)  # 1.0 beside beta1 - 0.75 beside beta2
    assert row["gap_B2"] == pytest.approx(0.5)
    assert row["gap_A1"] == 0.0
    # product prediction: (2*.75-1)*(2*.5-1) = 0 for C22 -> S = 3
    assert row["S_product"] == pytest.approx(3.0)


def test_joint_outcomes_never_exceed_the_local_bound():
    rng = np.random.default_rng(0)
    correct = rng.random((2000, 16, 4)) < rng.random((2000, 1, 4))
    a, b = toy.joint_outcomes(correct)
    s = chsh.chsh_value(chsh.correlators(a, b))
    assert s.max() <= 2.0 + 1e-12
    assert s.max() == pytest.approx(2.0)


def test_joint_control_of_real_training_stays_below_two():
    config = toy_config.ToyConfig(hidden=[2, 3, 4], runs=8, epochs=400)
    recs = toy.train_joint_runs(config, toy.planned_runs(config))
    assert len(recs) == 24
    assert all(r["S_joint"] <= 2.0 + 1e-12 for r in recs)
    assert all(len(v) == 16 for r in recs for v in r["joint_outcomes"].values())


def test_model_seeds_are_distinct_and_stable():
    seeds = {toy.model_seed(0, n, r, i, j) for n in (2, 3, 4) for r in range(50)
             for i, j in [*chsh.PAIRS, toy_config.JOINT_CODE]}
    assert len(seeds) == 3 * 50 * 5
    assert toy.model_seed(0, 3, 7, 2, 1) == toy.model_seed(0, 3, 7, 2, 1)
    assert toy.model_seed(1, 3, 7, 2, 1) != toy.model_seed(0, 3, 7, 2, 1)


def test_config_hash_covers_settings_not_which_runs():
    base = toy_config.ToyConfig()
    assert toy_config.ToyConfig(runs=7, hidden=[5]).config_hash() == base.config_hash()
    assert toy_config.ToyConfig(lr=0.02).config_hash() != base.config_hash()
    assert toy_config.ToyConfig(encoding="01").config_hash() != base.config_hash()


def test_hidden_sizes_are_sorted_and_unique():
    assert toy_config.ToyConfig(hidden=[4, 2, 4, 3]).hidden == [2, 3, 4]


@pytest.mark.parametrize(
    "bad",
    [dict(hidden=[0]), dict(hidden=[-1]), dict(runs=0), dict(epochs=0), dict(optimizer="rmsprop"),
     dict(encoding="bits"), dict(loss="hinge"), dict(lr=float("nan")), dict(lr=0),
     dict(init="zeros"), dict(unknown=1)],
)
def test_bad_configs_are_rejected(bad):
    with pytest.raises(ValidationError):
        toy_config.ToyConfig(**bad)


def test_a_run_does_not_depend_on_its_batch_neighbours():
    config = toy_config.ToyConfig(hidden=[2, 3, 4], runs=3, epochs=300, joint=False)
    together = {r["key"]: r for r in toy.train_pair_runs(config, toy.planned_runs(config))}
    alone = toy.train_pair_runs(config, [(3, 1)])[0]
    assert alone["outcomes"] == together["n3-r1"]["outcomes"]
    assert alone["S"] == together["n3-r1"]["S"]


def test_defaults_reproduce_the_shape_of_figure_2():
    """The documented defaults: n = 2 below 2, n = 3 above 2 with its 95% CI, n = 4 closer to 2
    than n = 3. (The full 50-run sweep; about 3 s.)"""
    config = toy_config.ToyConfig(joint=False)
    records = toy.train_pair_runs(config, toy.planned_runs(config))
    summary = toy_summary.summarize_hidden_sizes(records, n_boot=2000)
    mean = {n: summary[n]["S"]["mean"] for n in ("2", "3", "4")}
    assert mean["2"] < 2
    assert summary["3"]["S"]["ci"][0] > 2
    assert summary["3"]["S_test"]["p_value"] < 0.05
    assert abs(mean["4"] - 2) < abs(mean["3"] - 2)
    # every head learned (the XOR failures at n = 2 are counted, not gated)
    assert [learnability.unlearned(summary[n]) for n in ("2", "3", "4")] == [None] * 3
    assert summary["2"]["learnability"]["runs_with_a_head_at_chance"] > 0


def test_untrained_heads_make_every_claim_undecided():
    """At lr 1e-9 the heads stay at their random init: every hidden size is gated, and every
    Figure-2 verdict says which task did not learn."""
    from ncnet.experiments.toy.report import paper_comparison

    config = toy_config.ToyConfig(hidden=[2, 3], runs=10, epochs=1, lr=1e-9, joint=False,
                           record_every=0)
    summary = toy_summary.summarize_hidden_sizes(
        toy.train_pair_runs(config, toy.planned_runs(config)), n_boot=200)
    for n in ("2", "3"):
        gate = summary[n]["learnability"]
        failed = [h for h in gate["heads"].values() if not h["learned"]]
        assert failed and all(h["ci"][0] <= 0.5 for h in failed)
        assert learnability.unlearned(summary[n]).endswith(f"did not learn at n = {n}")
    verdicts = paper_comparison(summary).column("verdict")
    assert len(verdicts) == 5
    assert all(v.startswith("undecided (") and "did not learn at n = " in v for v in verdicts)
    titles = [t.title for t in toy_tables.console_tables(summary)]
    assert any("did not learn" in t for t in titles)
