#!/usr/bin/env bash
# End-to-end checks of examples/brain_tumor's command line: usage errors (exit 2), data errors
# (exit 1), a short training run on the built-in data with every output file, evaluate and
# predict on generated images, DICOM input (when built with glia::dicom), and --force.
# usage: example_cli.sh path/to/brain_tumor
set -uo pipefail
bin=$1
dicom_files=$(cd "$(dirname "$0")/../data/dicom" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
pass=0

expect() {  # expect CODE DESCRIPTION -- command...
  local want=$1 what=$2
  shift 3
  "$@" > "$work/out" 2> "$work/err"
  local got=$?
  if [ "$got" -ne "$want" ]; then
    echo "FAIL: $what: exit $got, expected $want"; sed 's/^/  | /' "$work/err" | head -5
    failures=$((failures + 1))
  else
    pass=$((pass + 1))
  fi
}
contains() {  # contains FILE TEXT DESCRIPTION
  if grep -q -- "$2" "$1"; then pass=$((pass + 1)); else echo "FAIL: $3 (no '$2' in $1)"; failures=$((failures + 1)); fi
}

# A random 8-bit image as binary PGM, which stb_image reads.
pgm() { { printf 'P5\n48 40\n255\n'; head -c 1920 /dev/urandom; } > "$1"; }

expect 2 "no command" -- "$bin"
contains "$work/err" "Usage: brain_tumor" "no command: the usage goes to stderr"
expect 0 "--help" -- "$bin" --help
expect 0 "--version" -- "$bin" --version
contains "$work/out" "glia" "--version names glia"
expect 0 "help" -- "$bin" help
contains "$work/out" "train" "help lists the commands"
expect 0 "help train" -- "$bin" help train
contains "$work/out" "Usage: brain_tumor train" "help train shows train's usage"
expect 2 "help for an unknown command" -- "$bin" help frobnicate
expect 0 "train --help" -- "$bin" train --help
contains "$work/out" "--split" "train --help lists --split"
expect 0 "evaluate --help" -- "$bin" evaluate --help
expect 0 "predict --help" -- "$bin" predict --help
expect 2 "unknown command" -- "$bin" frobnicate
contains "$work/err" "unknown command 'frobnicate'" "unknown command is named"
expect 2 "unknown flag" -- "$bin" train --bogus
contains "$work/err" "--bogus" "unknown flag is named"
contains "$work/err" "Usage: brain_tumor train" "a train usage error shows train's usage"
expect 2 "bad number" -- "$bin" train --epochs abc
contains "$work/err" "'abc' is not a whole number from 1 to" "bad number is named"
expect 2 "bad choice" -- "$bin" train --split random
# Every name of every mode option is taken, and reaches the command: each run below gets past
# the command line and stops at the missing data folder (exit 1, not a usage error or an abort).
for mode in grouped paper; do
  expect 1 "--split $mode" -- "$bin" train --split "$mode" --data "$work/nowhere" --out "$work/m"
done
for mode in none folder online; do
  expect 1 "--augment $mode" -- "$bin" train --augment "$mode" --data "$work/nowhere" --out "$work/m"
done
for mode in auto exact near; do
  expect 1 "--duplicates $mode" -- "$bin" cv --duplicates "$mode" --data "$work/nowhere" --out "$work/m"
done
expect 2 "--duplicates exact with --groups" -- "$bin" train --duplicates exact --groups "$work/g.tsv" \
  --out "$work/m"
contains "$work/err" "--groups needs --duplicates near" "train is told --duplicates exact"
expect 2 "zero batch" -- "$bin" train --batch 0
expect 2 "flag without value" -- "$bin" train --out
expect 2 "evaluate without model" -- "$bin" evaluate --data "$work"
expect 2 "predict without images" -- "$bin" predict --model x.glia
expect 2 "unknown recipe setting" -- "$bin" train --recipe glia --set bogus=1
contains "$work/err" "no setting named 'bogus'" "an unknown --set name is named"
expect 2 "bad recipe setting value" -- "$bin" cv --data "$work" --recipe glia --set epochs=many
contains "$work/err" "'many' is not a number" "a bad --set value is named"

touch "$work/a_file"
expect 1 "--out names a file" -- "$bin" train --out "$work/a_file"
contains "$work/err" "is a file, not a folder" "--out naming a file is refused before any work"
expect 1 "missing data folder" -- "$bin" train --data "$work/nowhere" --out "$work/r0"
contains "$work/err" "does not exist" "missing data folder is named"
mkdir -p "$work/data/yes" "$work/data/no"
expect 1 "empty class folder" -- "$bin" train --data "$work/data" --out "$work/r0"
contains "$work/err" "has no files" "empty class folder is named"

# A short run on the built-in synthetic data: every output, and the report's keys.
expect 0 "train on built-in data" -- "$bin" train --epochs 1 --out "$work/run"
for f in history.csv loss.svg accuracy.svg best.glia report.json; do
  if [ -s "$work/run/$f" ]; then pass=$((pass + 1)); else echo "FAIL: missing $f"; failures=$((failures + 1)); fi
done
contains "$work/run/history.csv" "epoch,loss,accuracy,val_loss,val_accuracy" "history header"
for key in '"split"' '"seed"' '"epochs"' '"val"' '"test"' '"test_original_scans"' '"roc_auc"' '"confusion"' '"count"'; do
  contains "$work/run/report.json" "$key" "report.json has $key"
done
contains "$work/run/loss.svg" "<polyline" "loss.svg has curves"
expect 1 "refuses to overwrite --out" -- "$bin" train --epochs 1 --out "$work/run"
contains "$work/err" "--force" "overwrite refusal mentions --force"

# evaluate and predict with the trained model on generated images, one of them corrupt.
for i in 1 2 3; do pgm "$work/data/yes/y$i.pgm"; pgm "$work/data/no/n$i.pgm"; done
printf 'not an image' > "$work/data/no/broken.jpg"
expect 0 "evaluate" -- "$bin" evaluate --model "$work/run/best.glia" --data "$work/data" --predictions "$work/p.tsv"
contains "$work/out" "roc_auc" "evaluate prints the metrics"
contains "$work/err" "no/broken.jpg" "evaluate names the unreadable file"
contains "$work/p.tsv" "file	label	prob" "predictions header"
contains "$work/p.tsv" "yes/y1.pgm	1	" "predictions rows are relative to --data"
expect 1 "evaluate --strict stops at the bad file" -- "$bin" evaluate --model "$work/run/best.glia" --data "$work/data" --strict
expect 0 "predict" -- "$bin" predict --model "$work/run/best.glia" "$work/data/yes/y1.pgm"
if grep -qE "y1.pgm	0\.[0-9]{6}	(yes|no)$|y1.pgm	1\.000000	yes$" "$work/out"; then pass=$((pass + 1)); else
  echo "FAIL: predict line format"; cat "$work/out"; failures=$((failures + 1)); fi
expect 1 "predict with an unreadable image" -- "$bin" predict --model "$work/run/best.glia" "$work/data/no/broken.jpg"
expect 1 "not a model file" -- "$bin" predict --model "$work/data/no/broken.jpg" "$work/data/yes/y1.pgm"

# A recipe of two networks with a calibrated logit: the networks' files and the whole model, which
# evaluate, predict and explain read without being told what it is.
expect 0 "train an ensemble" -- "$bin" train --recipe glia --epochs 1 --set models=2 --set calibrate=true \
  --set widths=4,8 --set standardize=true --out "$work/ensemble"
for f in best.glia best-network-1.glia best-network-2.glia history.csv history-2.csv report.json; do
  if [ -s "$work/ensemble/$f" ]; then pass=$((pass + 1)); else echo "FAIL: ensemble run lacks $f"; failures=$((failures + 1)); fi
done
contains "$work/ensemble/report.json" '"temperature"' "report.json records the temperature"
contains "$work/out" "network 2 of 2" "the second network's training is announced"
expect 0 "evaluate an ensemble" -- "$bin" evaluate --model "$work/ensemble/best.glia" --data "$work/data" --recipe glia
expect 0 "explain an ensemble" -- "$bin" explain --model "$work/ensemble/best.glia" "$work/data/yes/y1.pgm" --out "$work/heat.png"

# A dangling symbolic link in a data folder is named, like every other unreadable file.
ln -s "$work/nowhere.jpg" "$work/data/no/gone.jpg"
expect 0 "evaluate with a dangling link" -- "$bin" evaluate --model "$work/run/best.glia" --data "$work/data"
contains "$work/err" "no/gone.jpg" "a dangling symbolic link is named"
contains "$work/err" "which does not exist" "and said to point nowhere"
rm "$work/data/no/gone.jpg"

# DICOM: files, a folder of a series, frames, the window option, a corrupt file.
expect 2 "a bad --window" -- "$bin" predict --model "$work/run/best.glia" --window 40 "$work/data/yes/y1.pgm"
contains "$work/err" "CENTER,WIDTH" "a bad --window says what a window is"
"$bin" predict --model "$work/run/best.glia" "$dicom_files/rescaled.dcm" > "$work/out" 2> "$work/err"
if grep -q "without glia::dicom" "$work/err"; then
  echo "(brain_tumor was built without glia::dicom: its DICOM checks are skipped)"
else
  mkdir -p "$work/dicom/series" "$work/data/yes/series"
  cp "$dicom_files/rescaled.dcm" "$dicom_files/monochrome1_sigmoid.dcm" "$work/dicom/series/"
  cp "$dicom_files/rescaled.dcm" "$dicom_files/voi_lut.dcm" "$work/data/yes/series/"
  expect 0 "predict a DICOM folder" -- "$bin" predict --model "$work/run/best.glia" "$work/dicom"
  if grep -qE "series/rescaled.dcm	[01]\.[0-9]{6}	(yes|no)	1\.3\.6\.1\.4\.1\.5962\.1\.1\.4\.1\.1\.20040826185059\.5457$" "$work/out"; then
    pass=$((pass + 1)); else echo "FAIL: a DICOM line ends with its SOP Instance UID"; cat "$work/out"; failures=$((failures + 1)); fi
  contains "$work/out" "^series	[01]\.[0-9]*	[a-z]*	2 slices; highest: " "the series is summarised by its highest slice"
  expect 0 "predict with --window auto" -- "$bin" predict --model "$work/run/best.glia" --window auto "$dicom_files/voi_lut.dcm"
  expect 0 "predict with --window 600,1600" -- "$bin" predict --model "$work/run/best.glia" --window 600,1600 "$dicom_files/voi_lut.dcm"
  head -c 3000 "$dicom_files/rescaled.dcm" > "$work/dicom/cut.dcm"
  expect 1 "predict a truncated DICOM file" -- "$bin" predict --model "$work/run/best.glia" "$work/dicom/cut.dcm"
  contains "$work/err" "cut.dcm" "the truncated DICOM file is named"
  expect 1 "a DICOM file over --max-pixels" -- "$bin" predict --model "$work/run/best.glia" --max-pixels 1000 "$dicom_files/voi_lut.dcm"
  contains "$work/err" "over the limit" "the pixel limit is named"
  expect 0 "evaluate a data folder holding a DICOM series" -- "$bin" evaluate --model "$work/run/best.glia" --data "$work/data" --predictions "$work/p.tsv"
  contains "$work/p.tsv" "yes/series/voi_lut.dcm	1	" "the series' slices are evaluated"
  expect 0 "explain a DICOM file" -- "$bin" explain --model "$work/run/best.glia" "$dicom_files/voi_lut.dcm" --out "$work/heat-dicom.png"
  expect 1 "explain a frame the file lacks" -- "$bin" explain --model "$work/run/best.glia" --frame 2 "$dicom_files/voi_lut.dcm" --out "$work/x.png"
  contains "$work/err" "not a frame 2" "the missing frame is named"
  # Nothing written carries a patient's tags: MR_small's Patient's Name is CompressedSamples^MR1.
  if grep -rqa "CompressedSamples" "$work/out" "$work/p.tsv" "$work/heat-dicom.png"; then
    echo "FAIL: an output holds the Patient's Name"; failures=$((failures + 1)); else pass=$((pass + 1)); fi
  rm -r "$work/data/yes/series"
fi

echo "$pass passed, $failures failed"
[ "$failures" -eq 0 ]
