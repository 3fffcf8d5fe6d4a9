#!/usr/bin/env bash
# Toy training-budget scan for "Is S a measure of generalization?" (issue 16, docs/metric.md):
# hidden size n = 3 (Figure 2's critical size, where S > 2 at the default 5000 epochs), 100
# runs, one stored sweep per budget of 125, 250, ..., 16000 full-batch epochs (8 levels,
# doubling, as the capacity scan has 8 hidden sizes), no joint control (the metric claims do
# not use it). Run r starts from the same weights at every budget (its seed depends on
# (seed, n, r, i, j) only), so runs are paired across budgets. Design fixed before running.
# Usage: scripts/budget_scan.sh [SEED [OUT]]   (defaults: 0, runs/budget-scan)
# then:  ncnet analyze OUT --resource epochs
set -euo pipefail
seed=${1:-0}
out=${2:-runs/budget-scan}
ncnet=${NCNET:-ncnet}
for epochs in 125 250 500 1000 2000 4000 8000 16000; do
  "$ncnet" toy --hidden 3 --runs 100 --epochs "$epochs" --seed "$seed" --no-joint --out "$out"
done
