#!/usr/bin/env bash
# brain_tumor cv under mpirun (fold f on rank f mod 2) against the same cv in one process, on the
# real data set (2 folds, 1 epoch, no augmentation, 1 thread per rank): the out-of-fold
# predictions, every fold's weights and cv.json (apart from times) must be identical.
# Skipped (exit 77) without the data set.
# usage: dist_cv.sh path/to/brain_tumor MPIRUN DATA_DIR
set -euo pipefail
bin=$1 mpirun=$2 data=$3
if [ ! -d "$data/yes" ]; then
  echo "skipped: no data set at $data"
  exit 77
fi
export OMP_NUM_THREADS=1 OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
args=(cv --data "$data" --folds 2 --epochs 1 --augment none --threads 1)
"$mpirun" -np 2 --oversubscribe "$bin" "${args[@]}" --out "$work/two" > "$work/two.log"
"$bin" "${args[@]}" --out "$work/one" > "$work/one.log"
grep -q "trained on rank 1" "$work/two.log" || { cat "$work/two.log"; echo "FAIL: rank 1 trained no fold"; exit 1; }
cmp "$work/one/oof_predictions.tsv" "$work/two/oof_predictions.tsv"
for f in 1 2; do
  cmp "$work/one/fold-$f/best.glia" "$work/two/fold-$f/best.glia"
  cmp "$work/one/fold-$f/predictions.tsv" "$work/two/fold-$f/predictions.tsv"
done
strip() { grep -v '"wall_seconds"\|"peak_memory_mb"\|"seconds"' "$1"; }
diff <(strip "$work/one/cv.json") <(strip "$work/two/cv.json")
echo "cv over 2 ranks = cv in one process (predictions, weights, cv.json)"
