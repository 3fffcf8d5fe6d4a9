"""Section 5 statistics: stored per-model LoRA records -> CHSH rows, epoch curves, summaries.

A stored model record (one per rank, pair (i, j) and seed) holds, for every epoch, both heads'
±1 test outcomes paired by item index (as '+'/'-' strings), their accuracies and losses. The
four pair models of one (rank, seed) together give C11..C22 and S.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ncnet import chsh
from ncnet.bell.score import INDEPENDENT_SCHEME, PAIRED_SCHEME
from ncnet.stats import learnability
from ncnet.stats.outcomes import as_pm1, from_pm_string, pm_string
from ncnet.stats.runs import describe_fraction, holm, slope_over_seeds, t_interval


def model_key(rank: int, i: int, j: int, seed: int) -> str:
    """Store key of one pair model."""
    return f"r{rank}-p{i}{j}-s{seed}"


def model_record(rank: int, i: int, j: int, seed: int, epochs: Sequence[dict[str, Any]],
                 test_labels: dict[str, list[int]] | None = None):
    """The store record of one trained pair model from its per-epoch result dicts.
    ``test_labels``: per head ("A", "B") the count of each class in its full test set,
    ``[n_0, n_1]``, stored as ``test_labels`` (the learnability gate's chance and item
    count; records stored before it lack the field)."""
    extra = {"test_labels": {h: [int(c) for c in v] for h, v in test_labels.items()}
             } if test_labels is not None else {}
    return {
        "key": model_key(rank, i, j, seed), "rank": rank, "i": i, "j": j, "seed": seed,
        **extra,
        "epochs": [
            {"epoch": e["epoch"], "acc_A": e["acc_A"], "acc_B": e["acc_B"],
             "loss_A": e["loss_A"], "loss_B": e["loss_B"], "train_s": e.get("train_s"),
             "A": pm_string(e["outcomes_A"]), "B": pm_string(e["outcomes_B"]),
             **({"grad_trace": e["grad_trace"]} if "grad_trace" in e else {})}
            for e in epochs
        ],
    }


def _complete_groups(records: Sequence[dict[str, Any]]) -> dict[tuple[int, int], list[dict]]:
    """(rank, seed) -> its four pair records in pair order, for groups that are complete."""
    by_key = {(r["rank"], r["seed"], r["i"], r["j"]): r for r in records}
    groups = {}
    for rank, seed in sorted({(r["rank"], r["seed"]) for r in records}):
        members = [by_key.get((rank, seed, i, j)) for i, j in chsh.PAIRS]
        if all(m is not None for m in members):
            groups[(rank, seed)] = members
    return groups


def _outcomes(members: Sequence[dict[str, Any]], epoch_index: int):
    a = [from_pm_string(m["epochs"][epoch_index]["A"]) for m in members]
    b = [from_pm_string(m["epochs"][epoch_index]["B"]) for m in members]
    return a, b


def item_ids(a: Sequence[np.ndarray]) -> list[np.ndarray] | None:
    """Item ids of the four pairs' test outcomes: the test index, shared by all four pairs
    when their test sets have one size (pair (i, j) scores Alice's test item k of task i and
    Bob's item k of task j, so item k of a task is the same example in both pairs that use
    it); None (pairs independent) otherwise."""
    sizes = {len(x) for x in a}
    return [np.arange(len(x)) for x in a] if len(sizes) == 1 else None


def final_rows(records: Sequence[dict[str, Any]], n_boot: int = 2000) -> list[dict[str, Any]]:
    """One row per complete (rank, seed) at the last epoch: C's, S with its item interval
    (the inverted item test, :func:`ncnet.chsh.item_interval`) and test of S > 2 (paired
    scheme over the shared test index, :func:`item_ids`; the independent-pairs interval beside
    it as ``S_ci_*_independent`` for comparison), head accuracies, product-of-marginals C's
    and S, signalling gaps, the number of items."""
    rows = []
    for (rank, seed), members in _complete_groups(records).items():
        a, b = _outcomes(members, -1)
        score = chsh.score_items(a, b, n_boot=n_boot, items=item_ids(a))
        row: dict[str, Any] = {"experiment": "lora", "run": seed, "seed": seed, "rank": rank,
                               "epoch": members[0]["epochs"][-1]["epoch"]}
        cols = chsh.chsh_row(score.C, score.acc_a, score.acc_b, c_product=True)
        row.update({k: cols.pop(k) for k in ("C11", "C12", "C21", "C22", "S")})
        row["S_ci_lo"], row["S_ci_hi"] = (float(v) for v in score.ci)
        row["S_ci_scheme"] = score.scheme
        row["p_S_above_2"] = float(score.test["p_value"])
        if score.scheme == PAIRED_SCHEME:
            prods = [as_pm1(x) * as_pm1(y) for x, y in zip(a, b, strict=True)]
            row["S_ci_lo_independent"], row["S_ci_hi_independent"] = (
                float(v) for v in chsh.item_interval(prods, None))
        row.update(cols)
        row["items"] = int(score.ci_units)
        rows.append(row)
    return rows


HEADS = ("A1", "A2", "B1", "B2")
"""The four tasks by role: Alice's settings 1, 2, Bob's settings 1, 2."""

CHANCE_SOURCES = {
    "stored": "the test labels stored with the model",
    "reloaded": "the test labels reloaded from the task data",
    "unknown": "labels unknown here: chance 0.5, items from the stored outcomes",
}


def _head_gate(member: dict[str, Any], side: str, task: str,
               label_counts: dict[str, list[int]]) -> dict[str, Any]:
    """Gate of one head of one pair model at its last epoch (:func:`rank_seed_gate`)."""
    last = member["epochs"][-1]
    acc = float(last[f"acc_{side}"])
    counts = (member.get("test_labels") or {}).get(side)
    source = "stored" if counts else "reloaded" if label_counts.get(task) else "unknown"
    counts = counts or label_counts.get(task)
    if counts:
        n = int(sum(counts))
        correct = acc * n
        if abs(correct - round(correct)) > 1e-6:  # not this record's test set
            counts, source = None, "unknown"
    if not counts:
        outcomes = last[side]
        n, correct = len(outcomes), outcomes.count("+")
    gate = learnability.item_gate(int(round(correct)), n, learnability.chance_level(counts))
    gate["majority"] = max(counts) / sum(counts) if counts else None
    gate["chance_source"] = source
    return gate


def rank_seed_gate(records: Sequence[dict[str, Any]], tasks: dict[str, str],
                      label_counts: dict[str, list[int]] | None = None) -> dict[str, Any]:
    """The learnability gate of every complete (rank, seed) at its last epoch.

    Each head of each pair model is gated over its full test set
    (:func:`ncnet.stats.learnability.item_gate`): exact 95% CI of its accuracy, chance =
    max(0.5, majority-class rate of the task's test labels), learned when the CI lies
    strictly above chance. ``tasks``: role (``A1`` .. ``B2``) -> task name. The labels come
    from the record (``test_labels``) or else from ``label_counts`` (task name -> class
    counts, e.g. reloaded from the task data for older stores); with neither, chance is 0.5
    and the items are the stored (paired, possibly truncated) outcomes.

    Returns ``cells`` (one per rank, seed, pair and head: accuracy, correct, n, ci, chance,
    majority, chance_source, learned), ``excluded`` ([rank, seed] of every cell where some
    head did not learn) and ``did_not_learn`` (per rank, seed and task: the sentence
    ``text`` and its failing pair models' ``cells``)."""
    label_counts = label_counts or {}
    cells, failures = [], []
    for (rank, seed), members in _complete_groups(records).items():
        failed: dict[str, list[dict[str, Any]]] = {}
        for member, (i, j) in zip(members, chsh.PAIRS, strict=True):
            for side, role in (("A", f"A{i}"), ("B", f"B{j}")):
                cell = {"rank": rank, "seed": seed, "pair": [i, j], "head": role,
                        "task": tasks[role], **_head_gate(member, side, tasks[role],
                                                          label_counts)}
                cells.append(cell)
                if not cell["learned"]:
                    failed.setdefault(role, []).append(cell)
        for role in (h for h in HEADS if h in failed):
            text = learnability.did_not_learn(
                tasks[role], f"r = {rank}, seed {seed}",
                [("pair ({}, {})".format(*c["pair"]), c) for c in failed[role]])
            failures.append({"rank": rank, "seed": seed, "head": role, "task": tasks[role],
                             "text": text, "cells": [
                                 {k: c[k] for k in ("pair", "accuracy", "n", "ci", "chance")}
                                 for c in failed[role]]})
    excluded = sorted({(f["rank"], f["seed"]) for f in failures})
    return {"rule": "learned: the exact (Clopper-Pearson) 95% CI of the test accuracy lies "
                    "strictly above chance = max(0.5, majority-class rate of the test labels)",
            "level": learnability.LEVEL, "chance_sources": CHANCE_SOURCES, "cells": cells,
            "excluded": [list(c) for c in excluded], "did_not_learn": failures}


def gated_rank_trend(records: Sequence[dict[str, Any]], rows: Sequence[dict[str, Any]],
                     gate: dict[str, Any], n_boot: int = 2000) -> dict[str, Any] | None:
    """:func:`rank_trend` from the (rank, seed) cells where every task learned only; it
    notes the cells left out (``excluded``). When cells were left out and too few remain for
    a trend that the whole sweep would have had, ``shape`` is 'undecided' with ``reason``."""
    excluded = {tuple(c) for c in gate["excluded"]}
    kept = [r for r in rows if (r["rank"], r["seed"]) not in excluded]
    trend = rank_trend(records, kept, n_boot=n_boot)
    if not excluded:
        return trend
    why = "; ".join(f["text"] for f in gate["did_not_learn"])
    too_few = len({r["rank"] for r in kept if r["rank"] > 0}) < 2 or not (trend or {}).get(
        "seeds")
    if too_few and (trend is None or trend.get("ci") is None):
        if len({r["rank"] for r in rows if r["rank"] > 0}) < 2:
            return None  # the whole sweep has no trend either (one rank above 0)
        trend = {**(trend or {"x": "log2(rank)", "seeds": 0}),
                 "ranks": sorted({r["rank"] for r in kept if r["rank"] > 0}),
                 "basis": None, "slope": None, "ci": None, "shape": "undecided",
                 "reason": "too few (rank, seed) cells where every task learned"}
    trend["excluded"] = [list(c) for c in sorted(excluded)]
    trend["excluded_because"] = why
    return trend


def rank_trend(records: Sequence[dict[str, Any]], rows: Sequence[dict[str, Any]],
               n_boot: int = 2000) -> dict[str, Any] | None:
    """Slope of S on log2(rank) at the last epoch, with two CIs.

    ``items``: item bootstrap resampling the shared test index jointly across ranks, pairs
    and seeds (conditional on the trained models; needs one test size everywhere).
    ``seeds``: t-interval over per-seed slopes (training noise included; None with one
    seed).  ``shape``: 'rises' / 'falls' if the interval used lies wholly above / below 0,
    else 'no trend detected' — the seed interval with 3+ seeds, else the item interval.
    None with fewer than two ranks above 0 (rank 0, heads only, has no place on a log axis).
    """
    ranks = sorted({r["rank"] for r in rows if r["rank"] > 0})  # rank 0: heads only, no log
    seeds = sorted({r["seed"] for r in rows})
    if len(ranks) < 2:
        return None
    x = np.log2(np.asarray(ranks, dtype=np.float64))
    by = {(r["rank"], r["seed"]): r["S"] for r in rows}
    full_seeds = [s for s in seeds if all((rank, s) in by for rank in ranks)]
    out: dict[str, Any] = {"x": "log2(rank)", "ranks": ranks, "seeds": len(full_seeds)}
    if full_seeds:
        out["seed_level"] = slope_over_seeds(
            x, [[by[(rank, s)] for rank in ranks] for s in full_seeds])
    groups = _complete_groups(records)
    prods = []
    for rank in ranks:
        per_seed = []
        for s in full_seeds:
            a, b = _outcomes(groups[(rank, s)], -1)
            per_seed.append(None if item_ids(a) is None else
                            np.stack([ai * bi for ai, bi in zip(a, b, strict=True)]))
        prods.append(per_seed)
    flat = [p for row in prods for p in row]
    if full_seeds and all(p is not None for p in flat) and len({p.shape for p in flat}) == 1:
        out["item_level"] = chsh.slope_item_bootstrap(x, np.array(prods, dtype=np.float64),
                                                      n_boot=n_boot)
    basis = (out.get("seed_level") if len(full_seeds) >= 3 else None) or out.get("item_level")
    ci = basis["ci"] if basis else None
    out["basis"] = ("seeds" if basis is out.get("seed_level") else "items") if basis else None
    out["slope"] = basis["slope"] if basis else None
    out["ci"] = ci
    out["shape"] = ("rises" if ci and ci[0] > 0 else "falls" if ci and ci[1] < 0
                    else "no trend detected")
    return out


def epoch_rows(records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per complete (rank, seed) and epoch: C's, S, the eight accuracies, losses."""
    rows = []
    for (rank, seed), members in _complete_groups(records).items():
        n_epochs = min(len(m["epochs"]) for m in members)
        for k in range(n_epochs):
            a = [from_pm_string(m["epochs"][k]["A"]) for m in members]
            b = [from_pm_string(m["epochs"][k]["B"]) for m in members]
            row: dict[str, Any] = {"rank": rank, "seed": seed,
                                   "epoch": members[0]["epochs"][k]["epoch"]}
            row.update(chsh.chsh_row(chsh.pair_correlators(a, b)))
            for p, (i, j) in enumerate(chsh.PAIRS):
                e = members[p]["epochs"][k]
                name_a, name_b = chsh.acc_columns(i, j)
                row[name_a], row[name_b] = e["acc_A"], e["acc_B"]
                row[f"loss_A{i}_B{j}"], row[f"loss_B{j}_A{i}"] = e["loss_A"], e["loss_B"]
            row["mean_A"] = float(np.mean([a_p.mean() for a_p in a]))
            rows.append(row)
    return rows


def mean_slope(epochs: Sequence[int], s: Sequence[float], window: int) -> float:
    """μ∇S: mean of the instantaneous slopes ΔS/Δepoch between consecutive evaluations with
    epoch ≤ ``window``. (For evenly spaced epochs this telescopes to (S_last − S_first) / span.)"""
    e = np.asarray(epochs, dtype=np.float64)
    v = np.asarray(s, dtype=np.float64)
    keep = e <= window
    e, v = e[keep], v[keep]
    if len(e) < 2:
        return float("nan")
    return float(np.mean(np.diff(v) / np.diff(e)))


def mark_learned(rows: Sequence[dict[str, Any]], gate: dict[str, Any]) -> None:
    """Set ``tasks_learned`` on each final row: False where some task of its (rank, seed)
    did not learn (:func:`rank_seed_gate`)."""
    excluded = {tuple(c) for c in gate["excluded"]}
    for row in rows:
        row["tasks_learned"] = (row["rank"], row["seed"]) not in excluded


def summarize_ranks(
    rows: Sequence[dict[str, Any]], epochs: Sequence[dict[str, Any]],
    slope_window: int | None = None, n_boot: int = 10_000,
    gate: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Per rank: S over seeds (mean, Student-t CI over seeds when ≥ 2 seeds — None with one,
    and said so — each seed's S (``per_seed``, seeds in ``seed_ids``), item CI and p of
    S > 2, Holm-adjusted across every rank and seed shown), the fraction of seeds with S > 2
    with its exact CI, mean C's, accuracies and product prediction, and μ∇S over epochs ≤
    ``slope_window`` (None: every epoch run). With a learnability ``gate``
    (:func:`rank_seed_gate`): per seed whether every task learned (``tasks_learned``) and
    the rank's ``did_not_learn`` entries; the numbers themselves still cover every seed."""
    out: dict[str, Any] = {}
    excluded = {tuple(c) for c in gate["excluded"]} if gate else set()
    ranks = sorted({r["rank"] for r in rows})
    ordered = [r for rank in ranks for r in rows if r["rank"] == rank]
    adjusted = iter(holm([r["p_S_above_2"] for r in ordered]))
    for rank in ranks:
        sub = [r for r in rows if r["rank"] == rank]
        s = np.array([r["S"] for r in sub])
        t_ci = t_interval(s)
        frac = describe_fraction(s > chsh.LOCAL_BOUND)
        entry: dict[str, Any] = {
            "seeds": len(sub),
            "seed_ids": [r["seed"] for r in sub],
            "tasks_learned": [(rank, r["seed"]) not in excluded for r in sub],
            "did_not_learn": [f for f in (gate or {}).get("did_not_learn", [])
                              if f["rank"] == rank],
            "S": {"mean": float(s.mean()), "min": float(s.min()), "max": float(s.max()),
                  "per_seed": [float(v) for v in s],
                  "ci_over_seeds": list(t_ci) if t_ci else None,
                  "ci_over_seeds_method": ("Student t, n - 1 df" if t_ci else
                                           "none: one seed (training noise not estimated)"),
                  "ci_over_items": [[r["S_ci_lo"], r["S_ci_hi"]] for r in sub],
                  "ci_over_items_scheme": [r.get("S_ci_scheme", INDEPENDENT_SCHEME)
                                           for r in sub],
                  "ci_over_items_independent": [
                      [r["S_ci_lo_independent"], r["S_ci_hi_independent"]]
                      if "S_ci_lo_independent" in r else None for r in sub],
                  "items": [r.get("items") for r in sub],
                  "p_S_above_2": [r["p_S_above_2"] for r in sub],
                  "p_S_above_2_holm": [next(adjusted) for _ in sub]},
            "S_test_over_seeds": chsh.test_s_above(s) if len(s) > 1 else None,
            "fraction_S_above_2": frac["fraction"],
            "fraction_S_above_2_ci": frac["ci"],
        }
        for name in sub[0]:
            if (name.startswith(("C", "acc_", "gap_")) or name == "S_product") and isinstance(
                    sub[0][name], float):
                entry[name] = float(np.mean([r[name] for r in sub]))
        slopes, spans = [], []
        for seed in sorted({r["seed"] for r in sub}):
            curve = [e for e in epochs if e["rank"] == rank and e["seed"] == seed]
            last = max((e["epoch"] for e in curve), default=0)
            window = last if slope_window is None else slope_window
            slopes.append(mean_slope([e["epoch"] for e in curve], [e["S"] for e in curve],
                                     window))
            spans.append(min(window, last))
        entry["mu_grad_S"] = float(np.nanmean(slopes)) if slopes else float("nan")
        entry["mu_grad_S_epochs"] = [0, int(min(spans))] if spans else None
        out[str(rank)] = entry
    return out


def learned_seeds(entry: dict[str, Any]) -> list[bool]:
    """Per seed of a LoRA rank entry: did every task learn there (True without a gate)."""
    p = entry["S"].get("p_S_above_2_holm", entry["S"]["p_S_above_2"])
    return list(entry.get("tasks_learned") or [True] * len(p))


def rank_claims(summary: dict[str, Any]) -> dict[str, Any]:
    """The per-rank decisions of a LoRA summary, from the cells where every task learned:
    ``ranks``; ``S`` (mean per rank, all seeds); ``marked`` (ranks with a gated cell) and
    ``gated_cells`` ((rank, seed) -> the tasks that did not learn); ``judged`` (ranks with a
    kept cell); ``significant`` (every kept seed's Holm-adjusted p of S > 2 below 0.05);
    ``above`` (mean S of the kept seeds above 2); ``smallest_rank``: whether S > 2 at the
    smallest rank is "seen" (it is the smallest significant rank), "not seen", or
    "undecided" (no kept cell there)."""
    ranks = [int(r) for r in summary]
    entries = {r: summary[str(r)] for r in ranks}
    kept = {r: learned_seeds(entries[r]) for r in ranks}
    marked = [r for r in ranks if not all(kept[r])]
    s = {r: entries[r]["S"]["mean"] for r in ranks}
    cells: dict[tuple[int, int], list[str]] = {}
    for r in marked:
        for f in entries[r].get("did_not_learn", []):
            cells.setdefault((r, f["seed"]), []).append(f["task"])
    holm = {r: [p for p, ok in zip(entries[r]["S"].get("p_S_above_2_holm",
                                                       entries[r]["S"]["p_S_above_2"]),
                                   kept[r], strict=True) if ok] for r in ranks}
    judged = [r for r in ranks if holm[r]]
    per_seed = {r: entries[r]["S"].get("per_seed") for r in ranks}
    s_kept = {r: float(np.mean([v for v, ok in zip(per_seed[r], kept[r], strict=True) if ok]))
              if per_seed[r] and r in judged else s[r] for r in ranks}
    significant = [r for r in judged if all(p < 0.05 for p in holm[r])]
    above = [r for r in judged if s_kept[r] > 2]
    smallest = ("undecided" if not holm[ranks[0]] else
                "seen" if significant and min(significant) == ranks[0] else "not seen")
    return {"ranks": ranks, "S": s, "marked": marked, "gated_cells": cells, "judged": judged,
            "significant": significant, "above": above, "smallest_rank": smallest}
