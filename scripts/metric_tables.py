"""Markdown rows for docs/metric.md from a LoRA metric scan's store (after `ncnet analyze`).

Usage: python scripts/metric_tables.py runs/lora-metric-scan
Prints the per-rank table (mean S with its t interval, per-seed S, Acc_comb_avg, S_product,
the accuracy of negation beside bbc-topic per seed; gated cells marked) and the claims table,
from DIR/metric.json and the store (nothing is retrained).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ncnet.engine.sweep import load_latest


def main(out: Path) -> None:
    experiment, config, records, digest = load_latest(out)
    rows = experiment.summarize(config, digest, records).rows
    doc = json.loads((out / "metric.json").read_text())
    seeds = sorted({r["seed"] for r in rows})
    print(f"| r | mean S [t 95%] | per seed ({', '.join(map(str, seeds))}) | Acc_comb_avg | "
          "S_product | negation beside bbc-topic |")
    print("|---|---|---|---|---|---|")
    for level in doc["levels"]:
        cells = {r["seed"]: r for r in rows if r["rank"] == level["level"]}
        per_seed = ", ".join(
            f"{cells[s]['S']:.2f}" + ("" if cells[s].get("tasks_learned", True) else " (gated)")
            for s in seeds if s in cells)
        negation = ", ".join(f"{cells[s]['acc_A2_B1']:.3f}" for s in seeds if s in cells)
        if "S" not in level:
            print(f"| {level['level']:g} | — | {per_seed} | — | — | {negation} |")
            continue
        print(f"| {level['level']:g} | {level['S']:.3f} [{level['S_ci'][0]:.3f}, "
              f"{level['S_ci'][1]:.3f}] ({level['units']} seeds) | {per_seed} | "
              f"{level['acc']:.3f} [{level['acc_ci'][0]:.3f}, {level['acc_ci'][1]:.3f}] | "
              f"{level['S_product']:.3f} | {negation} |")
    print()
    print("| paper says | measured | interval | verdict |")
    print("|---|---|---|---|")
    for c in doc["claims"]:
        print(f"| {c['claim']} | {c['measured']} | {c['interval']} | {c['verdict']} |")
    print()
    print("left out:", "; ".join(doc["left_out"] + doc.get("notes", [])) or "nothing")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
