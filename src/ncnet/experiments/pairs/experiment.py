"""The pair design over a user's function: one unit per pair model (level, seed, i, j); its
record holds the two heads' test outcomes (and, where the function gives them, their item ids
and chance levels); rows and the summary per level; the seam class.

A (level, seed) with all four pair models is one row: the correlators, S with its item
interval and one-sided test of S > 2 (paired over item ids when the function returns them
for all four pairs, independent pairs otherwise), the eight accuracies, the signalling gaps,
the product-of-marginals S and the learnability gate (every head's exact accuracy interval
strictly above its chance: the majority-class rate the function reports, else 0.5). Per
level: mean S over the seeds where every task learned, with its Student-t interval, and the
verdict on "mean S > 2" from it (undecided below :data:`ncnet.stats.verdicts.MIN_SEEDS`
seeds).
"""

from __future__ import annotations

import importlib
import json
import math
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from ncnet import chsh
from ncnet.engine.seam import Outputs, Unit, UnitError
from ncnet.experiments.pairs.config import EXPERIMENT, JOINT_EXPERIMENT, PairsConfig
from ncnet.stats.learnability import item_gate
from ncnet.stats.outcomes import as_pm1, from_pm_string, pm_string
from ncnet.stats.runs import holm, t_interval
from ncnet.stats.verdicts import MIN_SEEDS, Region, verdict

PAIRS = ((1, 1), (1, 2), (2, 1), (2, 2))
ID_COLUMNS = ("experiment", "run", "seed", "level")
CHANCE = 0.5
"""Chance accuracy of a head whose function reports no ``chance_A`` / ``chance_B``."""


def model_key(level: int | float, seed: int, i: int, j: int) -> str:
    """The store key of one pair model, e.g. ``'level=8 seed=0 pair=(1,2)'``."""
    return f"level={json.dumps(level)} seed={seed} pair=({i},{j})"


def level_key(level: int | float) -> str:
    """A level as the summary's (JSON) key: ``8`` -> ``'8'``, ``0.5`` -> ``'0.5'``."""
    return json.dumps(level)


def load_function(spec: str, base_dir: str | None = None) -> Callable[..., Any]:
    """The function ``module:function`` names, the module looked for in ``base_dir`` first;
    ValueError (one line) if it cannot be imported or is not callable."""
    module_name, _, attr = spec.partition(":")
    if base_dir is not None and base_dir not in sys.path:
        sys.path.insert(0, base_dir)
    try:
        obj: Any = importlib.import_module(module_name)
    except Exception as err:  # the user's module: any error on import is theirs
        where = f" (looked in {base_dir} and on sys.path)" if base_dir else ""
        raise ValueError(f"train = {spec!r}: cannot import {module_name}{where}: "
                         f"{type(err).__name__}: {_first_line(err)}") from None
    for part in attr.split("."):
        obj = getattr(obj, part, None)
    if not callable(obj):
        raise ValueError(f"train = {spec!r}: {module_name} has no function {attr}")
    return obj


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else "(no message)"


def _outcomes(value: Any, name: str, where: str) -> np.ndarray:
    if isinstance(value, str | bytes) or not isinstance(value, Sequence | np.ndarray):
        try:
            value = np.asarray(value)
        except Exception:
            raise UnitError(f"{where} returned {name} of type {type(value).__name__}; give a "
                            "sequence of ±1 (or 1/0, True/False) outcomes") from None
    try:
        out = as_pm1(np.asarray(value)).astype(np.int64).ravel()
    except (ValueError, TypeError) as err:
        raise UnitError(f"{where} returned {name}: {_first_line(err)}") from None
    if out.size == 0:
        raise UnitError(f"{where} returned no outcomes in {name}")
    return out


def _call(fn: Callable[..., Any], where: str, **kwargs: Any) -> Any:
    """``fn(**kwargs)``; any error it raises becomes one UnitError line that starts with
    ``where`` (the call as the user reads it)."""
    try:
        return fn(**kwargs)
    except Exception as err:  # the user's code: its error, named, in one line
        raise UnitError(f"{where} raised {type(err).__name__}: {_first_line(err)}") from None


def train_one(config: PairsConfig, level: int | float, seed: int, i: int, j: int,
              function: Callable[..., Any] | None = None) -> dict[str, Any]:
    """Call the user's function for pair model (i, j) at ``level`` and ``seed``; its record
    (outcomes as '+-' strings). UnitError (one line naming the pair, level and seed) for
    anything the function does or returns wrong."""
    fn = function or load_function(config.train, config.base_dir)
    task_a, task_b = config.tasks_a[i - 1], config.tasks_b[j - 1]
    where = f"{config.train}(task_a={task_a!r}, task_b={task_b!r}, level={level!r}, seed={seed})"
    out = _call(fn, where, task_a=task_a, task_b=task_b, level=level, seed=seed)
    if not isinstance(out, Mapping) or not {"A", "B"} <= set(out):
        got = sorted(out) if isinstance(out, Mapping) else type(out).__name__
        raise UnitError(f"{where} returned {got}; give a mapping with A and B (and optionally "
                        "item)")
    a, b = _outcomes(out["A"], "A", where), _outcomes(out["B"], "B", where)
    if a.size != b.size:
        raise UnitError(f"{where} returned {a.size} outcomes in A but {b.size} in B; A and B "
                        "of one item sit at the same position")
    record: dict[str, Any] = {"key": model_key(level, seed, i, j), "level": level,
                              "seed": seed, "i": i, "j": j, "A": pm_string(a),
                              "B": pm_string(b)}
    for side in ("A", "B"):
        chance = out.get(f"chance_{side}")
        if chance is not None:
            if not isinstance(chance, int | float) or not CHANCE <= float(chance) < 1.0:
                raise UnitError(f"{where} returned chance_{side} = {chance!r}; give the "
                                "majority-class rate of the head's test labels, in [0.5, 1)")
            record[f"chance_{side}"] = float(chance)
    if out.get("item") is not None:
        ids = np.asarray(out["item"]).ravel()
        if ids.dtype.kind not in "iu" or ids.size != a.size or np.unique(ids).size != ids.size:
            raise UnitError(f"{where} returned item ids that are not {a.size} distinct whole "
                            "numbers")
        record["item"] = [int(x) for x in ids]
    return record


def joint_key(level: int | float, seed: int) -> str:
    """The store key of one joint-control model, e.g. ``'level=8 seed=0 joint'``."""
    return f"level={json.dumps(level)} seed={seed} joint"


def train_joint_one(config: PairsConfig, level: int | float, seed: int,
                    function: Callable[..., Any] | None = None) -> dict[str, Any]:
    """Call the user's joint-control function at ``level`` and ``seed``; its record (one
    '+-' string per head). UnitError (one line) for anything it does or returns wrong."""
    assert config.train_joint is not None
    fn = function or load_function(config.train_joint, config.base_dir)
    where = (f"{config.train_joint}(tasks_a={config.tasks_a!r}, tasks_b={config.tasks_b!r}, "
             f"level={level!r}, seed={seed})")
    out = _call(fn, where, tasks_a=list(config.tasks_a), tasks_b=list(config.tasks_b),
                level=level, seed=seed)
    if not isinstance(out, Mapping) or not {"A", "B"} <= set(out):
        raise UnitError(f"{where} returned no mapping with A and B (one outcome sequence per "
                        "task each)")
    heads = {}
    for side, tasks in (("A", config.tasks_a), ("B", config.tasks_b)):
        seqs = out[side]
        if isinstance(seqs, np.ndarray):
            seqs = list(seqs)
        if not isinstance(seqs, Sequence) or len(seqs) != len(tasks):
            raise UnitError(f"{where} returned {side} with no outcome sequence per task; give "
                            f"{len(tasks)} sequences, one per task of {tasks}")
        heads[side] = [_outcomes(s, f"{side}[{k}]", where) for k, s in enumerate(seqs)]
    sizes = {x.size for side in heads.values() for x in side}
    if len(sizes) != 1:
        raise UnitError(f"{where} returned heads of different lengths {sorted(sizes)}; the "
                        "joint control scores every head on the same items")
    return {"key": joint_key(level, seed), "level": level, "seed": seed,
            "A_joint": [pm_string(x) for x in heads["A"]],
            "B_joint": [pm_string(x) for x in heads["B"]]}


def joint_columns(record: dict[str, Any]) -> dict[str, float]:
    """``C11_joint .. C22_joint`` and ``S_joint`` of one joint-control record: every
    correlator on the same items, so S_joint <= 2 always."""
    a = np.stack([from_pm_string(x) for x in record["A_joint"]])[None, :, None, :]
    b = np.stack([from_pm_string(x) for x in record["B_joint"]])[None, None, :, :]
    a, b = np.broadcast_arrays(a, b)
    return chsh.chsh_rows(a.astype(np.float64), b.astype(np.float64), suffix="_joint",
                          accuracies=False)[0]


def _complete(records: Sequence[dict[str, Any]]) -> dict[tuple[Any, int], list[dict]]:
    groups: dict[tuple[Any, int], dict[tuple[int, int], dict]] = {}
    for r in records:
        groups.setdefault((r["level"], r["seed"]), {})[(r["i"], r["j"])] = r
    return {k: [g[p] for p in PAIRS] for k, g in groups.items() if len(g) == len(PAIRS)}


def head_gates(members: Sequence[dict[str, Any]], a: Sequence[np.ndarray],
               b: Sequence[np.ndarray], config: PairsConfig) -> list[dict[str, Any]]:
    """The learnability gate of the eight heads of one (level, seed): per pair model, Alice's
    and Bob's :func:`ncnet.stats.learnability.item_gate` at the chance the function reported
    (``chance_A``, ``chance_B``: the majority-class rate of the test labels), else 0.5."""
    gates = []
    for m, (i, j), x, y in zip(members, PAIRS, a, b, strict=True):
        for head, task, outcomes in (("A", config.tasks_a[i - 1], x),
                                     ("B", config.tasks_b[j - 1], y)):
            g = item_gate(int((outcomes > 0).sum()), int(outcomes.size),
                          m.get(f"chance_{head}", CHANCE))
            gates.append({"head": head, "task": task, "pair": [i, j], **g})
    return gates


def pair_rows(config: PairsConfig, records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per complete (level, seed), in the config's order of levels and seeds."""
    groups = _complete([r for r in records if "A" in r])
    joint = {(r["level"], r["seed"]): r for r in records if "A_joint" in r}
    rows = []
    for level in config.levels:
        for seed in config.seeds:
            members = groups.get((level, seed))
            if members is None:
                continue
            a = [from_pm_string(m["A"]) for m in members]
            b = [from_pm_string(m["B"]) for m in members]
            ids = ([np.asarray(m["item"]) for m in members]
                   if all(m.get("item") is not None for m in members) else None)
            score = chsh.score_items(a, b, n_boot=config.n_boot, items=ids)
            row: dict[str, Any] = {"experiment": EXPERIMENT, "run": seed, "seed": seed,
                                   "level": level}
            cols = chsh.chsh_row(score.C, score.acc_a, score.acc_b, c_product=True)
            row.update({k: cols.pop(k) for k in ("C11", "C12", "C21", "C22", "S")})
            row["S_ci_lo"], row["S_ci_hi"] = (float(v) for v in score.ci)
            row["S_ci_scheme"] = score.scheme
            row["p_S_above_2"] = float(score.test["p_value"])
            row.update(cols)
            row["items"] = int(score.ci_units)
            if (level, seed) in joint:
                row.update(joint_columns(joint[(level, seed)]))
            gates = head_gates(members, a, b, config)
            row["tasks_learned"] = all(g["learned"] for g in gates)
            row["_gates"] = gates
            rows.append(row)
    return rows


def summarize_levels(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Per level (key :func:`level_key`): the seeds, S per seed with its item interval and
    Holm-adjusted p (over every level and seed), mean S over all seeds, and over the seeds
    where every task learned its Student-t interval and the verdict on mean S > 2."""
    p_holm = holm([r["p_S_above_2"] for r in rows])
    out: dict[str, Any] = {}
    for level in dict.fromkeys(r["level"] for r in rows):
        sub = [(r, p) for r, p in zip(rows, p_holm, strict=True) if r["level"] == level]
        kept = [r["S"] for r, _ in sub if r["tasks_learned"]]
        ci = t_interval(kept) if len(kept) > 1 else None
        region = Region(chsh.LOCAL_BOUND, math.inf, low_closed=False)
        accs = [v for r, _ in sub for k, v in r.items() if k.startswith("acc_")]
        out[level_key(level)] = {
            "level": level, "seeds": len(sub), "seed_ids": [r["seed"] for r, _ in sub],
            "S": {"mean": float(np.mean([r["S"] for r, _ in sub])),
                  "per_seed": [r["S"] for r, _ in sub],
                  "mean_learned": float(np.mean(kept)) if kept else None,
                  "ci_over_seeds": None if ci is None else [float(v) for v in ci],
                  "ci_over_items": [[r["S_ci_lo"], r["S_ci_hi"]] for r, _ in sub],
                  "ci_over_items_scheme": [r["S_ci_scheme"] for r, _ in sub],
                  "p_S_above_2": [r["p_S_above_2"] for r, _ in sub],
                  "p_S_above_2_holm": [float(p) for _, p in sub],
                  "items": [r["items"] for r, _ in sub]},
            "S_product": float(np.mean([r["S_product"] for r, _ in sub])),
            **({"S_joint": {"mean": float(np.mean([r["S_joint"] for r, _ in sub])),
                            "max": float(np.max([r["S_joint"] for r, _ in sub])),
                            "seeds": len(sub)}}
               if all("S_joint" in r for r, _ in sub) else {}),
            "accuracy": float(np.mean(accs)),
            "tasks_learned": [r["tasks_learned"] for r, _ in sub],
            "did_not_learn": [{"seed": r["seed"], "head": g["head"], "task": g["task"],
                               "pair": g["pair"], "accuracy": g["accuracy"], "ci": g["ci"]}
                              for r, _ in sub for g in r["_gates"] if not g["learned"]],
            "verdict_mean_S_above_2": verdict(ci, region, f"{len(kept)} seeds",
                                              count=len(kept), minimum=MIN_SEEDS),
        }
    return out


class PairsExperiment:
    """The pair design on the sweep seam: a unit is one pair model (level, seed, i, j),
    trained by the user's function; ncnet stores, scores, summarizes and reports it."""

    name = EXPERIMENT
    config_type = PairsConfig
    stores = (EXPERIMENT, JOINT_EXPERIMENT)
    id_columns = ID_COLUMNS
    options: dict[str, Any] = {}

    def __init__(self, function: Callable[..., Any] | None = None):
        """``function``: the pair-model function itself (from Python, :func:`ncnet.
        experiments.pairs.api.run_pairs`), used instead of importing ``config.train``."""
        self.function = function

    def config_hash(self, config: PairsConfig) -> str:
        return config.config_hash()

    def prepare(self, config: PairsConfig) -> None:
        if self.function is None:
            load_function(config.train, config.base_dir)
        if config.train_joint:
            load_function(config.train_joint, config.base_dir)

    def planned(self, config: PairsConfig) -> list[str]:
        pairs = [model_key(level, seed, i, j) for level in config.levels
                 for seed in config.seeds for i, j in PAIRS]
        joint = [joint_key(level, seed) for level in config.levels for seed in config.seeds]
        return pairs + (joint if config.train_joint else [])

    def units(self, config: PairsConfig, done: Mapping[str, set[str]]) -> list[Unit]:
        have = done.get(EXPERIMENT, set())
        units = [Unit(store=EXPERIMENT, key=model_key(level, seed, i, j),
                      keys=(model_key(level, seed, i, j),), work=1,
                      label=f"level={level} seed={seed} pair ({i},{j})",
                      spec=(level, seed, i, j))
                 for level in config.levels for seed in config.seeds for i, j in PAIRS
                 if model_key(level, seed, i, j) not in have]
        if config.train_joint:
            joint = done.get(JOINT_EXPERIMENT, set())
            units += [Unit(store=JOINT_EXPERIMENT, key=joint_key(level, seed),
                           keys=(joint_key(level, seed),), work=1,
                           label=f"level={level} seed={seed} joint control",
                           spec=(level, seed))
                      for level in config.levels for seed in config.seeds
                      if joint_key(level, seed) not in joint]
        return units

    def train(self, config: PairsConfig, unit: Unit,
              progress: Callable[[int], None] | None = None) -> list[dict[str, Any]]:
        if unit.store == JOINT_EXPERIMENT:
            record = train_joint_one(config, *unit.spec)
        else:
            record = train_one(config, *unit.spec, function=self.function)
        if progress:
            progress(1)
        return [record]

    def collect(self, config: PairsConfig,
                stored: Mapping[str, Mapping[str, dict[str, Any]]]) -> list[dict[str, Any]]:
        have = {**stored.get(EXPERIMENT, {}), **stored.get(JOINT_EXPERIMENT, {})}
        return [dict(have[k]) for k in self.planned(config) if k in have]

    def reload(self, config_json: dict[str, Any],
               stored: Mapping[str, Mapping[str, dict[str, Any]]]) -> PairsConfig:
        """The stored config, widened to every level and seed stored under its hash."""
        config = PairsConfig.model_validate(config_json)
        records = [*stored.get(EXPERIMENT, {}).values(),
                   *stored.get(JOINT_EXPERIMENT, {}).values()]
        if records:
            levels = list(dict.fromkeys([*config.levels, *(r["level"] for r in records)]))
            seeds = sorted({*config.seeds, *(r["seed"] for r in records)})
            config = config.model_copy(update={"levels": levels, "seeds": seeds})
        return config

    def summarize(self, config: PairsConfig, digest: str,
                  records: Sequence[dict[str, Any]]) -> Outputs:
        rows = pair_rows(config, records)
        summary = summarize_levels(rows)
        for r in rows:
            r.pop("_gates")
        doc = {"experiment": EXPERIMENT, "config_hash": digest,
               "config": config.model_dump(mode="json"), "by_level": summary}
        return Outputs(rows=rows, summary=summary, doc=doc)

    def headline(self, result: Any) -> str:
        joint = result.trained.get(JOINT_EXPERIMENT, 0)
        return (f"{result.trained.get(EXPERIMENT, 0)} pair models"
                f"{f' and {joint} joint controls' if joint else ''} trained, "
                f"{result.complete_before} already in the store (config {result.config_hash})")

    def console_tables(self, summary: dict[str, Any]) -> list:
        from ncnet.experiments.pairs.report import console_tables

        return console_tables(summary)

    def metric_cells(self, config: PairsConfig, digest: str,
                     records: Sequence[dict[str, Any]]) -> tuple[Any, list[str]]:
        """The cells of 'S as a metric': (level, seed), gated per cell; the levels must be
        numbers > 0 (a log2 axis) for the claims about a resource."""
        from ncnet.studies.s_metric import claims as mc

        rows = pair_rows(config, records)
        if any(r["level"] <= 0 for r in rows):
            raise ValueError("S as a metric needs levels > 0 (they go on a log2 axis)")
        cells = [{"level": r["level"], "unit": r["seed"], "S": r["S"],
                  "S_product": r["S_product"], "acc": mc.comb_avg_accuracy(r),
                  "learned": r["tasks_learned"]} for r in rows]
        gated = [f"level {r['level']}, seed {r['seed']}: a task did not learn"
                 for r in rows if not r["tasks_learned"]]
        return mc.make_cells("level", "level", "seed", True, True, cells, gated), []

    def write_report(self, out: Any, config: PairsConfig, result: Any) -> list[str]:
        from ncnet.experiments.pairs.report import write_pairs_report

        return write_pairs_report(out, config, result)

