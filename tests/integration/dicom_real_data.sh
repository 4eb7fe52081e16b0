#!/usr/bin/env bash
# Scans of the real data set wrapped into DICOM by dcmtk's img2dcm (the JPEG data kept as they
# are, in the JPEG Baseline transfer syntax) predict exactly what the JPEGs predict, with the
# seed's Keras checkpoint; a data folder of such DICOM files trains. Skipped (exit 77) without
# the data set or img2dcm (Debian's dcmtk).
# usage: dicom_real_data.sh path/to/brain_tumor DATA_DIR
set -euo pipefail
# A step that fails under set -e says which (this test failed once in 1.8 s without a word, in a
# parallel ctest run, and passed in every run since).
trap 'echo "FAIL: line $LINENO: $BASH_COMMAND (exit $?)" >&2' ERR
bin=$1 data=$2
model="$data/models/keras_brain_tumor_best.h5"
if [ ! -f "$model" ]; then echo "skipped: no data set at $data"; exit 77; fi
if ! command -v img2dcm > /dev/null; then echo "skipped: no img2dcm (apt-get install dcmtk)"; exit 77; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Grey and colour JPEGs of both classes.
scans=("yes/Y1.jpg" "yes/Y10.jpg" "yes/Y101.jpg" "no/1 no.jpeg" "no/10 no.jpg" "no/11 no.jpg")
mkdir -p "$work/jpeg" "$work/dicom"
for i in "${!scans[@]}"; do
  cp "$data/${scans[$i]}" "$work/jpeg/$i.jpg"
  img2dcm "$data/${scans[$i]}" "$work/dicom/$i.dcm"
done
"$bin" predict --model "$model" --save-inputs "$work/jpeg-in" "$work"/jpeg/*.jpg |
  cut -f2,3 > "$work/jpeg.tsv"
"$bin" predict --model "$model" --save-inputs "$work/dicom-in" "$work"/dicom/*.dcm |
  grep -v '^series' | cut -f2,3 > "$work/dicom.tsv"
# The network's inputs are the same pixels, and so are the probabilities.
if ! diff -r "$work/jpeg-in" "$work/dicom-in" || ! cmp -s "$work/jpeg.tsv" "$work/dicom.tsv"; then
  echo "FAIL: the DICOM-wrapped scans predict differently"
  paste "$work/jpeg.tsv" "$work/dicom.tsv"
  exit 1
fi
echo "the ${#scans[@]} DICOM-wrapped scans predict exactly what their JPEGs predict:"
paste <(printf '%s\n' "${scans[@]}") "$work/jpeg.tsv"

# A data folder of DICOM files trains and evaluates (20 scans of each class, one epoch).
mkdir -p "$work/data/yes" "$work/data/no"
for label in yes no; do
  find "$data/$label" -maxdepth 1 -type f -iname '*.jp*g' | sort | head -20 | while read -r f; do
    img2dcm "$f" "$work/data/$label/$(basename "$f" | tr ' ' _).dcm"
  done
done
"$bin" train --data "$work/data" --epochs 1 --out "$work/run" --threads 2 > "$work/train.log"
grep -q '"test"' "$work/run/report.json"
"$bin" evaluate --model "$work/run/best.glia" --data "$work/data" --predictions "$work/p.tsv" > /dev/null
[ "$(grep -c '\.dcm	' "$work/p.tsv")" -eq 40 ]
echo "a data folder of 40 DICOM files trains and evaluates"
