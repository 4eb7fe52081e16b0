#!/usr/bin/env bash
# Reproduces the cross-validation tables in docs/results.md. Every run is brain_tumor cv with 5
# folds; finished runs are skipped and an interrupted one resumes, so the script can simply be
# started again.
#
#   reproduce_cv.sh BRAIN_TUMOR DATA OUT glia      the glia recipe, seeds 1, 2, 3 (21-22 minutes
#                                                  each on 2 cores of an Intel Xeon), then every
#                                                  fold's model again with fewer test-time flips
#                                                  (the TTA rows)
#   reproduce_cv.sh BRAIN_TUMOR DATA OUT seed      the seed recipe, seeds 1, 2, 3, one thread each
#                                                  as they were measured (about 64 minutes each
#                                                  with another run beside it, Intel Xeon)
#   reproduce_cv.sh BRAIN_TUMOR DATA OUT exact     the glia recipe, seeds 1, 2, 3, merging only
#                                                  identical files (the protocol before issue 21):
#                                                  what the near duplicates' leak was worth
#   reproduce_cv.sh BRAIN_TUMOR DATA OUT ablation  the tuning path on seed 102, one thread (as the
#                                                  tuning runs were made): each row changes one
#                                                  thing (4-5 hours in all)
#   reproduce_cv.sh BRAIN_TUMOR DATA OUT retune    the rows of retune_rows.txt on the tuning seeds
#                                                  101 and 102, near duplicates merged, one
#                                                  thread (31-38 minutes a run with another
#                                                  beside it, Intel Xeon)
#
# Near duplicates are merged as the reviewed groups file says (brain_mri_groups.tsv, beside this
# script), the same for every run. Then it prints the tables (summarize_cv.py).
set -euo pipefail
binary=$1 data=$(cd "$2" && pwd) out=$3 what=${4:-glia}
groups=$(cd "$(dirname "$0")" && pwd)/brain_mri_groups.tsv
mkdir -p "$out"

run_cv() {  # run_cv NAME ARGS...: brain_tumor cv into $out/NAME unless it has finished
  local run="$out/$1"
  shift
  [ -f "$run/cv.json" ] && return 0
  mkdir -p "$(dirname "$run")"  # ablation/ and retune/ hold their rows' runs
  local resume=(--force)
  [ -f "$run/run.json" ] && resume=(--resume)
  # stdin closed: the ablation and retune loops read their rows from it
  "$binary" cv --data "$data" --folds 5 --out "$run" "$@" "${resume[@]}" < /dev/null > "$run.log" 2>&1
}

# evaluate_folds RUN NAME SETTINGS...: each fold's model on its own test scans, with other
# test-time settings, into RUN/oof_predictions_NAME.tsv (the same models, so only the test-time
# augmentation differs).
evaluate_folds() {
  local run=$1 name=$2
  shift 2
  [ -f "$run/oof_predictions_$name.tsv" ] && return 0
  local rows
  rows=$(mktemp)
  for fold_dir in "$run"/fold-*; do
    local fold=${fold_dir##*-} scans
    scans=$(mktemp -d)
    mkdir -p "$scans/yes" "$scans/no"
    awk -F'\t' -v f="$fold" 'NR > 1 && $4 == f { print $1 }' "$run/oof_predictions.tsv" |
      while IFS= read -r rel; do ln -s "$data/$rel" "$scans/$rel"; done
    "$binary" evaluate --model "$fold_dir/best.glia" --data "$scans" --recipe glia "$@" \
      --predictions "$scans/p.tsv" > /dev/null
    awk -v f="$fold" 'NR > 1 { print $0 "\t" f }' "$scans/p.tsv" >> "$rows"
    rm -rf "$scans"
  done
  { printf 'file\tlabel\tprob\tfold\n'; cat "$rows"; } > "$run/oof_predictions_$name.tsv.tmp"
  mv "$run/oof_predictions_$name.tsv.tmp" "$run/oof_predictions_$name.tsv"
  rm -f "$rows"
}

case "$what" in
  glia | seed)
    for seed in 1 2 3; do
      # The seed recipe's rows were run at one thread (two side by side); the thread count
      # changes the order of floating-point sums, so another count gives slightly other figures.
      threads=()
      [ "$what" = seed ] && threads=(--threads 1)
      run_cv "$what-seed$seed" --seed "$seed" --recipe "$what" --groups "$groups" "${threads[@]}"
      if [ "$what" = glia ]; then
        evaluate_folds "$out/glia-seed$seed" hflip --set vflip_tta=false
        evaluate_folds "$out/glia-seed$seed" no_tta --set vflip_tta=false --set flip_tta=false
      fi
    done
    ;;
  exact)
    for seed in 1 2 3; do
      run_cv "glia-exact-seed$seed" --seed "$seed" --recipe glia --duplicates exact
    done
    ;;
  ablation)
    # The rows of the ablation table: name | settings on top of the glia recipe | description.
    while IFS='|' read -r name settings _; do
      case "$name" in '' | '#'*) continue ;; esac
      # shellcheck disable=SC2086  # settings are words
      run_cv "ablation/$name" --seed 102 --threads 1 --recipe glia --groups "$groups" $settings
    done < "$(dirname "$0")/ablation_rows.txt"
    # The same models again at test time: size96's with vertical flips too (the recipe's
    # default on evaluate), the recipe's with horizontal flips only.
    evaluate_folds "$out/ablation/size96" vflip
    evaluate_folds "$out/ablation/recipe" hflip --set vflip_tta=false
    ;;
  retune)
    # Candidate changes to the recipe, each on both tuning seeds and the same folds as the
    # recipe's own run there.
    while IFS='|' read -r name settings _; do
      case "$name" in '' | '#'*) continue ;; esac
      for seed in 101 102; do
        # shellcheck disable=SC2086  # settings are words
        run_cv "retune/$name-seed$seed" --seed "$seed" --threads 1 --recipe glia \
          --groups "$groups" $settings
      done
    done < "$(dirname "$0")/retune_rows.txt"
    ;;
  *)
    echo "usage: $0 BRAIN_TUMOR DATA OUT glia|seed|exact|ablation|retune" >&2
    exit 2
    ;;
esac
/usr/bin/python3 "$(dirname "$0")/summarize_cv.py" "$out" "$what"
