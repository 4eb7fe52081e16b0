#!/usr/bin/env bash
# Reproduces the results table in docs/results.md: brain_tumor train on the real data set with
# seeds 1, 2, 3 for the paper and the grouped split (24 epochs each; about 10 minutes per run
# on 2 cores), then prints the table.
# usage: examples/brain_tumor/reproduce.sh BRAIN_TUMOR_BINARY DATA_DIR OUT_DIR
set -euo pipefail
binary=$1 data=$2 out=$3
mkdir -p "$out"
for split in paper grouped; do
  for seed in 1 2 3; do
    run="$out/$split-seed$seed"
    if [ -f "$run/report.json" ]; then continue; fi
    "$binary" train --data "$data" --split "$split" --seed "$seed" --epochs 24 --out "$run" --force \
      > "$run.log" 2>&1
  done
done
/usr/bin/python3 "$(dirname "$0")/summarize_runs.py" "$out"
