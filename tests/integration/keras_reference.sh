#!/usr/bin/env bash
# The seed's Keras checkpoint run by glia (brain_tumor evaluate, stb decoding, C++ crop and
# resize) against the same checkpoint run with the seed's own OpenCV preprocessing
# (tests/data/keras_reference_originals.tsv, from tests/golden/make_keras_reference.py), on the
# 253 original scans: labels must agree on >= 98% and the median |probability difference| must
# be <= 0.01. Skipped (exit 77) without the data set.
# usage: keras_reference.sh path/to/brain_tumor DATA_DIR REFERENCE_TSV
set -euo pipefail
bin=$1 data=$2 reference=$3
if [ ! -f "$data/models/keras_brain_tumor_best.h5" ]; then
  echo "skipped: no data set at $data"
  exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin" evaluate --model "$data/models/keras_brain_tumor_best.h5" --data "$data" --predictions "$work/glia.tsv"
# file -> (reference prob, glia prob)
awk -F'\t' 'NR == FNR { if (FNR > 1) ref[$1] = $3; next }
            FNR > 1 && ($1 in ref) { print ref[$1] "\t" $3 }' "$reference" "$work/glia.tsv" > "$work/pairs"
count=$(wc -l < "$work/pairs")
agree=$(awk -F'\t' '(($1 > 0.5) == ($2 > 0.5)) { n++ } END { print n + 0 }' "$work/pairs")
median=$(awk -F'\t' '{ d = $1 - $2; if (d < 0) d = -d; print d }' "$work/pairs" | sort -g |
         awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
max=$(awk -F'\t' '{ d = $1 - $2; if (d < 0) d = -d; if (d > m) m = d } END { print m + 0 }' "$work/pairs")
echo "scans compared: $count; labels agree: $agree; median |dp|: $median; max |dp|: $max"
awk -v n="$count" -v a="$agree" -v m="$median" 'BEGIN { exit !(n >= 250 && a / n >= 0.98 && m <= 0.01) }'
