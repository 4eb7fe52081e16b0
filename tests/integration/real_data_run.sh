#!/usr/bin/env bash
# When the real data set is present (../shared/data/brain_mri from the project root), a 2-epoch
# training run on it must finish and beat chance (test ROC AUC > 0.6, accuracy > 0.5).
# Otherwise it reports itself skipped (ctest's SKIP_RETURN_CODE 77).
# usage: real_data_run.sh path/to/brain_tumor DATA_DIR
set -euo pipefail
bin=$1 data=$2
if [ ! -d "$data/yes" ]; then
  echo "skipped: no data set at $data"
  exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin" train --data "$data" --epochs 2 --out "$work/run"
# report.json is pretty-printed: join its lines, then take the "test" object's first fields.
test_json=$(tr -d ' \n' <"$work/run/report.json" | grep -o '"test":{[^}]*}')
accuracy=$(echo "$test_json" | grep -o '"accuracy":[0-9.e-]*' | cut -d: -f2)
auc=$(echo "$test_json" | grep -o '"roc_auc":[0-9.e-]*' | cut -d: -f2)
if [ -z "$accuracy" ] || [ -z "$auc" ]; then
  echo "no test accuracy or roc_auc in $work/run/report.json" >&2
  exit 1
fi
echo "test accuracy $accuracy, roc_auc $auc"
awk -v a="$accuracy" -v u="$auc" 'BEGIN { exit !(u > 0.6 && a > 0.5) }'
