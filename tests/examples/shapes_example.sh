#!/usr/bin/env bash
# examples/shapes must reach > 95% test accuracy with its defaults (a small ResNet on generated
# images: the library's ops, layers, data, optimiser, schedule and Trainer working together),
# and its --cv runs the library's cross-validation loop on a multi-class problem: every fold's
# files, and an accuracy well above chance (0.25) from a short run.
# usage: shapes_example.sh path/to/shapes
set -euo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out=$("$1")
echo "$out" | tail -8
accuracy=$(echo "$out" | sed -n 's/^test accuracy \([0-9.]*\).*/\1/p')
awk -v a="$accuracy" 'BEGIN { exit !(a > 0.95) }'

cv=$("$1" --cv 2 --train 3200 --epochs 4 --out "$work/cv")
echo "$cv" | tail -2
for f in fold-1/predictions.tsv fold-2/report.json oof_predictions.tsv; do
  [ -s "$work/cv/$f" ] || { echo "FAIL: --cv wrote no $f"; exit 1; }
done
cv_accuracy=$(echo "$cv" | sed -n 's/^2-fold cross-validated accuracy \([0-9.]*\).*/\1/p')
awk -v a="$cv_accuracy" 'BEGIN { exit !(a > 0.5) }' || { echo "FAIL: cv accuracy $cv_accuracy"; exit 1; }
