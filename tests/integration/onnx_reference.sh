#!/usr/bin/env bash
# The seed's Keras model exported by `brain_tumor export`, run by glia (predict on the .onnx file)
# and by OpenCV's dnn module (tests/data/onnx_seed_opencv.tsv, from
# tests/golden/make_onnx_golden.py, which fed OpenCV the same preprocessed images) on 20 real
# scans: every probability must agree within 1e-5. Skipped (exit 77) without the data set.
# usage: onnx_reference.sh path/to/brain_tumor DATA_DIR REFERENCE_TSV
set -euo pipefail
bin=$1 data=$2 reference=$3
if [ ! -f "$data/models/keras_brain_tumor_best.h5" ]; then
  echo "skipped: no data set at $data"
  exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin" export --model "$data/models/keras_brain_tumor_best.h5" --onnx "$work/seed.onnx"
files=()
while IFS=$'\t' read -r file _; do files+=("$data/$file"); done < <(tail -n +2 "$reference")
"$bin" predict --model "$work/seed.onnx" "${files[@]}" > "$work/glia.tsv"
paste <(tail -n +2 "$reference") "$work/glia.tsv" > "$work/pairs"
awk -F'\t' '{ d = $2 - $4; if (d < 0) d = -d; if (d > m) m = d; n++ }
            END { printf "scans compared: %d; max |dp| glia vs OpenCV: %.2g\n", n, m;
                  exit !(n == 20 && m <= 1e-5) }' "$work/pairs"
