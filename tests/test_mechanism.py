import numpy as np
import pytest

from ncnet.studies import mechanism


def test_curve_features_on_a_hand_curve():
    curve = np.array([1.0, 0.1, 1.0, 0.01])  # log10: 0, -1, 0, -2
    f = mechanism.curve_features(curve)
    assert f["final_loss"] == pytest.approx(0.01)
    assert f["mean_log_loss"] == pytest.approx(-0.75)
    assert f["rises"] == pytest.approx(1.0)  # one rise from -1 to 0
    assert mechanism.curve_features(np.array([1.0, 0.5, 0.1]))["rises"] == 0.0


def test_roc_auc_exact_values():
    assert mechanism.roc_auc(np.array([2.0, 3.0]), np.array([0.0, 1.0]))[0] == 1.0
    assert mechanism.roc_auc(np.array([0.0, 1.0]), np.array([2.0, 3.0]))[0] == 0.0
    assert mechanism.roc_auc(np.array([1.0, 2.0]), np.array([1.0, 2.0]))[0] == 0.5
    assert np.isnan(mechanism.roc_auc(np.array([]), np.array([1.0]))[0])


def test_implicit_communication_reads_the_right_models():
    t = 5
    records = []
    for _ in range(6):
        loss = np.full((4, 2, t), 0.5)
        loss[1, 0] = 0.9  # Alice on task 1 beside Bob's XOR (pair (1,2)) ends higher
        loss[3, 0] = 0.9  # ... and on task 2 (pair (2,2))
        records.append({"hidden": 3, "loss_curves": {"epochs": list(range(t)),
                                                      "loss": loss.tolist()}})
    rows = mechanism.implicit_communication(records)
    alice = {r["own task"]: r["AUC"] for r in rows
             if r["observer"] == "Alice" and r["feature"] == "final_loss"}
    bob = {r["own task"]: r["AUC"] for r in rows
           if r["observer"] == "Bob" and r["feature"] == "final_loss"}
    assert alice == {1: 1.0, 2: 1.0}
    assert bob == {1: 0.5, 2: 0.5}
    assert len(rows) == 2 * 2 * len(mechanism.FEATURES)
    assert mechanism.implicit_communication([{"hidden": 2}]) == []
