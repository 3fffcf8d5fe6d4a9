"""The LoRA learnability gate on hand-made store records: which tasks did not learn, which
(rank, seed) cells leave the trend and the S > 2 conclusions, majority-class chance, records
stored before the labels were."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ncnet import chsh
from ncnet.experiments.lora import summary as ls
from ncnet.experiments.lora.config import LoraConfig
from ncnet.experiments.lora.experiment import LoraExperiment
from ncnet.experiments.lora.report import _shape_sentence, lora_learnability_blocks
from ncnet.stats.outcomes import pm_string
from ncnet.stats.runs import fraction_ci

TASKS = {"A1": "lexicon-sentiment", "A2": "negation", "B1": "bbc-topic", "B2": "contrast"}
ITEMS = 200


def _pm(correct: int, rng) -> np.ndarray:
    out = -np.ones(ITEMS, dtype=int)
    out[rng.choice(ITEMS, correct, replace=False)] = 1
    return out


def _records(ranks, seeds, at_chance=(), acc=None, labels=None):
    """Two epochs per pair model; each head is right on exactly ``acc[role]`` (default 0.9)
    of its ITEMS test items, 0.5 at the (rank, seed, role) in ``at_chance``; ``labels``:
    role -> class counts (default balanced)."""
    rng = np.random.default_rng(0)
    acc, labels = acc or {}, labels or {}
    out = []
    for rank in ranks:
        for seed in seeds:
            for i, j in chsh.PAIRS:
                roles = {"A": f"A{i}", "B": f"B{j}"}
                k = {s: round(ITEMS * (0.5 if (rank, seed, r) in at_chance else acc.get(r, 0.9)))
                     for s, r in roles.items()}
                pm = {s: _pm(k[s], rng) for s in roles}
                epochs = [{"epoch": e, "acc_A": k["A"] / ITEMS, "acc_B": k["B"] / ITEMS,
                           "loss_A": 0.0, "loss_B": 0.0, "train_s": 0.0,
                           "A": pm_string(pm["A"]), "B": pm_string(pm["B"])}
                          for e in (0, 1)]
                out.append({"key": ls.model_key(rank, i, j, seed), "rank": rank, "i": i,
                            "j": j, "seed": seed, "epochs": epochs,
                            "test_labels": {s: labels.get(r, [ITEMS // 2, ITEMS // 2])
                                            for s, r in roles.items()}})
    return out


def test_a_task_at_chance_is_named_and_its_cell_leaves_the_trend():
    records = _records([1, 2, 4], [1, 2, 3], at_chance={(1, 1, "A2")})
    gate = ls.rank_seed_gate(records, TASKS)
    assert gate["excluded"] == [[1, 1]]
    (failed,) = gate["did_not_learn"]
    lo, hi = fraction_ci(100, ITEMS)
    assert failed["text"] == (
        f"negation did not learn at r = 1, seed 1: accuracy 0.50 [{lo:.2f}, {hi:.2f}] in pair "
        f"(2, 1), 0.50 [{lo:.2f}, {hi:.2f}] in pair (2, 2); chance 0.50")
    assert [c["pair"] for c in failed["cells"]] == [[2, 1], [2, 2]]
    cells = [c for c in gate["cells"] if not c["learned"]]
    assert len(cells) == 2 and all(c["ci"] == [lo, hi] and c["n"] == ITEMS for c in cells)
    assert len(gate["cells"]) == 3 * 3 * 8

    rows = ls.final_rows(records, n_boot=200)
    ls.mark_learned(rows, gate)
    assert [(r["rank"], r["seed"]) for r in rows if not r["tasks_learned"]] == [(1, 1)]
    trend = ls.gated_rank_trend(records, rows, gate, n_boot=300)
    kept = [r for r in rows if (r["rank"], r["seed"]) != (1, 1)]
    reference = ls.rank_trend(records, kept, n_boot=300)
    assert trend["excluded"] == [[1, 1]] and "negation did not learn" in trend["excluded_because"]
    assert trend["seeds"] == 2 and trend["slope"] == reference["slope"]
    assert trend["ci"] == reference["ci"] and trend["shape"] == reference["shape"]
    assert ls.rank_trend(records, rows, n_boot=300)["seeds"] == 3  # without the gate

    summary = ls.summarize_ranks(rows, ls.epoch_rows(records), gate=gate, n_boot=200)
    assert summary["1"]["tasks_learned"] == [False, True, True]
    assert summary["1"]["seed_ids"] == [1, 2, 3]
    assert summary["1"]["did_not_learn"] == [failed] and summary["2"]["did_not_learn"] == []
    tables = LoraExperiment().console_tables(summary)
    assert [row[-1] for row in tables[0].rows] == ["no: seed 1", "yes", "yes"]
    assert "did not learn" in tables[1].title
    assert [row[:4] for row in tables[1].rows] == [["1", "1", "negation (A2)", "(2, 1)"],
                                                   ["1", "1", "negation (A2)", "(2, 2)"]]
    text = _shape_sentence(summary, trend)
    assert "r=1: " in text and "† Left out of every conclusion below" in text
    assert "did not learn there" in text and "r = 1, seed 1 (negation)" in text
    assert "cells where every task learned only" in text


def test_when_every_task_learned_nothing_is_gated():
    records = _records([1, 2, 4], [1, 2])
    gate = ls.rank_seed_gate(records, TASKS)
    assert gate["excluded"] == [] and gate["did_not_learn"] == []
    assert all(c["learned"] and c["chance_source"] == "stored" for c in gate["cells"])
    rows = ls.final_rows(records, n_boot=200)
    ls.mark_learned(rows, gate)
    assert ls.gated_rank_trend(records, rows, gate, n_boot=300) == ls.rank_trend(
        records, rows, n_boot=300)
    summary = ls.summarize_ranks(rows, ls.epoch_rows(records), gate=gate, n_boot=200)
    assert len(LoraExperiment().console_tables(summary)) == 1
    assert "did not learn" not in _shape_sentence(summary, None)
    (block,) = lora_learnability_blocks(gate)
    assert "Every task learned at every rank and seed" in block.text


def test_majority_class_chance():
    """bbc-topic's labels are 70/30 and its head answers the majority class: accuracy 0.70,
    which is chance. contrast at the same 0.70 on balanced labels did learn."""
    records = _records([1], [1], acc={"B1": 0.7, "B2": 0.7},
                       labels={"B1": [140, 60]})
    gate = ls.rank_seed_gate(records, TASKS)
    assert {f["task"] for f in gate["did_not_learn"]} == {"bbc-topic"}
    (failed,) = gate["did_not_learn"]
    assert "accuracy 0.70" in failed["text"] and failed["text"].endswith("chance 0.70")
    bbc = [c for c in gate["cells"] if c["task"] == "bbc-topic"]
    assert all(c["chance"] == 0.7 and c["majority"] == 0.7 for c in bbc)
    assert all(c["learned"] for c in gate["cells"] if c["task"] == "contrast")


def test_records_without_labels_use_reloaded_counts_or_half():
    records = _records([1], [1], acc={"B1": 0.7}, labels={"B1": [140, 60]})
    for r in records:
        del r["test_labels"]
    gate = ls.rank_seed_gate(records, TASKS, {"bbc-topic": [140, 60],
                                                 "contrast": [150, 51]})  # 201: not this set
    by_task = {c["task"]: c for c in gate["cells"]}
    assert by_task["bbc-topic"]["chance_source"] == "reloaded"
    assert by_task["bbc-topic"]["chance"] == 0.7 and not by_task["bbc-topic"]["learned"]
    for task in ("contrast", "negation"):
        assert by_task[task]["chance_source"] == "unknown"
        assert by_task[task]["chance"] == 0.5 and by_task[task]["n"] == ITEMS
    assert by_task["negation"]["correct"] == round(0.9 * ITEMS)


def test_the_experiment_exports_the_gate(tmp_path):
    records = _records([1, 2], [1], at_chance={(2, 1, "B2")})
    config = LoraConfig(ranks=(1, 2), data_dir=str(tmp_path))
    out = LoraExperiment().summarize(config, "abc", records)
    assert [r["tasks_learned"] for r in out.rows] == [True, False]
    doc = json.loads(json.dumps(out.doc))  # summary.json holds it as plain JSON
    gate = doc["learnability"]
    assert gate["excluded"] == [[2, 1]] and gate["did_not_learn"][0]["task"] == "contrast"
    assert {"accuracy", "ci", "chance", "learned", "n"} <= set(gate["cells"][0])
    # one rank left: the trend the sweep would have had is undecided, not 'no trend'
    assert doc["rank_trend"]["shape"] == "undecided" and doc["rank_trend"]["ci"] is None
    text = _shape_sentence(out.summary, doc["rank_trend"])
    assert "The trend with rank is undecided" in text and "no trend" not in text


def test_shape_sentence_draws_nothing_from_a_gated_smallest_rank():
    def entry(p, learned, tasks=()):
        return {"S": {"mean": 2.3, "per_seed": [2.3], "p_S_above_2": [p],
                      "p_S_above_2_holm": [p]},
                "tasks_learned": [learned], "seed_ids": [1],
                "did_not_learn": [{"seed": 1, "task": t} for t in tasks]}

    summary = {"1": entry(0.01, False, ["negation"]), "8": entry(0.01, True)}
    text = _shape_sentence(summary, None)
    assert "S > 2 (Holm-adjusted p < 0.05) at r = 8." in text
    assert "r = 1, seed 1 (negation)" in text
    summary = {"1": entry(0.01, False, ["negation"]), "8": entry(0.3, False, ["contrast"])}
    undecided = {"ranks": [], "shape": "undecided", "ci": None, "slope": None,
                 "reason": "too few (rank, seed) cells where every task learned",
                 "excluded": [[1, 1], [8, 1]]}
    text = _shape_sentence(summary, undecided)
    assert "undecided whether S > 2 at any rank" in text and "S > 2 (Holm" not in text
    assert "which is undecided here: a task did not learn at r = 1." in text


@pytest.mark.parametrize("bad", [{"A1": 0.5}, {"B2": 0.3}])
def test_any_failing_task_excludes_every_cell_that_trains_it(bad):
    records = _records([1, 2], [1, 2], acc=bad)
    gate = ls.rank_seed_gate(records, TASKS)
    assert gate["excluded"] == [[1, 1], [1, 2], [2, 1], [2, 2]]
