#!/usr/bin/env bash
# Reproduces the cross-validation tables in docs/results.md: brain_tumor cv (5 folds) of a recipe
# with seeds 1, 2, 3 (about 25 minutes per seed on 2 cores for the glia recipe), then, for the
# glia recipe, every fold's model again without its test-time flips (the ablation row), and
# prints the tables. Finished seeds are skipped, so an interrupted run can be started again.
# usage: examples/brain_tumor/reproduce_cv.sh BRAIN_TUMOR_BINARY DATA_DIR OUT_DIR [RECIPE]
set -euo pipefail
binary=$1 data=$(cd "$2" && pwd) out=$3 recipe=${4:-glia}
mkdir -p "$out"
for seed in 1 2 3; do
  run="$out/$recipe-seed$seed"
  if [ ! -f "$run/cv.json" ]; then
    if [ -f "$run/run.json" ]; then resume=(--resume); else resume=(--force); fi
    "$binary" cv --data "$data" --folds 5 --seed "$seed" --recipe "$recipe" --out "$run" \
      "${resume[@]}" > "$run.log" 2>&1
  fi
  # Each fold's model on its own test scans without flips: the same predictions with the
  # recipe's test-time augmentation switched off.
  if [ "$recipe" = glia ] && [ ! -f "$run/oof_predictions_no_tta.tsv" ]; then
    rows=$(mktemp)
    for fold_dir in "$run"/fold-*; do
      fold=${fold_dir##*-}
      scans=$(mktemp -d)
      mkdir -p "$scans/yes" "$scans/no"
      awk -F'\t' -v f="$fold" 'NR > 1 && $4 == f { print $1 }' "$run/oof_predictions.tsv" |
        while IFS= read -r rel; do ln -s "$data/$rel" "$scans/$rel"; done
      "$binary" evaluate --model "$fold_dir/best.glia" --data "$scans" --recipe seed \
        --predictions "$scans/p.tsv" > /dev/null
      awk -v f="$fold" 'NR > 1 { print $0 "\t" f }' "$scans/p.tsv" >> "$rows"
      rm -rf "$scans"
    done
    { printf 'file\tlabel\tprob\tfold\n'; cat "$rows"; } > "$run/oof_predictions_no_tta.tsv.tmp"
    mv "$run/oof_predictions_no_tta.tsv.tmp" "$run/oof_predictions_no_tta.tsv"
    rm -f "$rows"
  fi
done
/usr/bin/python3 "$(dirname "$0")/summarize_cv.py" "$out" "$recipe"
