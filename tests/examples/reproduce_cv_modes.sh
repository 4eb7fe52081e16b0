#!/usr/bin/env bash
# examples/brain_tumor/reproduce_cv.sh, every mode, with a stand-in for brain_tumor that logs its
# command line and writes the files cv and evaluate would (no training): each mode must make the
# runs it documents, skip the finished ones when started again, and print its tables.
set -euo pipefail
script=$(cd "$(dirname "$0")/../../examples/brain_tumor" && pwd)/reproduce_cv.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/data/yes" "$work/data/no"
calls=$work/calls.log
fake=$work/brain_tumor
cat > "$fake" <<EOF
#!/usr/bin/env bash
set -euo pipefail
echo "\$*" >> "$calls"
command=\$1; shift
while [ \$# -gt 0 ]; do
  case \$1 in
    --out) out=\$2 ;;
    --predictions) predictions=\$2 ;;
    --data) data=\$2 ;;
  esac
  shift
done
if [ "\$command" = cv ]; then
  mkdir -p "\$out/fold-1" "\$out/fold-2"
  : > "\$out/fold-1/best.glia"; : > "\$out/fold-2/best.glia"
  printf 'group\tfile\tlabel\tlinked_to\tevidence\n' > "\$out/groups.tsv"
  printf '1\tyes/a.jpg\tyes\t\t\n1\tyes/b.jpg\tyes\tyes/a.jpg\tnear\n' >> "\$out/groups.tsv"
  printf 'file\tlabel\tprob\tfold\n' > "\$out/oof_predictions.tsv"
  printf 'yes/a.jpg\t1\t0.9\t1\nno/c.jpg\t0\t0.2\t1\nyes/b.jpg\t1\t0.4\t2\nno/d.jpg\t0\t0.6\t2\n' \
    >> "\$out/oof_predictions.tsv"
  cat > "\$out/cv.json" <<'JSON'
{"pooled": {"accuracy": 0.5, "accuracy_ci95": [0.0, 1.0], "roc_auc": 0.75,
 "roc_auc_ci95": [0.0, 1.0], "f1": 0.5, "ece": 0.3, "log_loss": 0.7, "brier": 0.25, "count": 4},
 "duplicate_scans_merged": {"total": 1}, "wall_seconds": 60, "peak_memory_mb": 100}
JSON
else  # evaluate: one row per scan of --data
  printf 'file\tlabel\tprob\n' > "\$predictions"
  (cd "\$data" && find . -name '*.jpg' | sed 's|^\./||' | sort) | while read -r scan; do
    case \$scan in yes/*) printf '%s\t1\t0.7\n' "\$scan" ;; *) printf '%s\t0\t0.4\n' "\$scan" ;; esac
  done >> "\$predictions"
fi
EOF
chmod +x "$fake"

failures=0
check() {  # check DESCRIPTION COMMAND...: counts a failure when the command fails
  if "${@:2}"; then echo "ok: $1"; else echo "FAILED: $1"; failures=$((failures + 1)); fi
}
cv_runs() { grep -c '^cv ' "$calls" || true; }
run_mode() {  # run_mode MODE: the script's output in $work/MODE.out, the cv calls counted anew
  : > "$calls"
  if ! bash "$script" "$fake" "$work/data" "$work/out" "$1" > "$work/$1.out" 2>&1; then
    echo "FAILED: reproduce_cv.sh ... $1 exited non-zero:"
    cat "$work/$1.out"
    failures=$((failures + 1))
  fi
}
rows() { grep -cv -e '^#' -e '^$' "$(dirname "$script")/$1"; }

run_mode glia
check "glia: seeds 1, 2, 3 with the reviewed groups" \
  test "$(grep -c -e '--recipe glia --groups .*brain_mri_groups.tsv' "$calls")" = 3
check "glia: every fold's model again, horizontal flips only and no flips" \
  test "$(grep -c '^evaluate ' "$calls")" = 12
check "glia: the seeds' table and the fewer-flips tables" \
  grep -q 'the same models at test time with no flips' "$work/glia.out"

run_mode seed
check "seed: seeds 1, 2, 3 at one thread" \
  test "$(grep -c -e '--recipe seed --groups .* --threads 1' "$calls")" = 3

run_mode exact
check "exact: seeds 1, 2, 3 with identical files merged only" \
  test "$(grep -c -e '--recipe glia --duplicates exact' "$calls")" = 3
check "exact: the merged runs against the exact-only ones" \
  grep -q 'twin pairs split' "$work/exact.out"

run_mode ablation
check "ablation: every row of ablation_rows.txt on seed 102" \
  test "$(grep -c -e '--seed 102 --threads 1' "$calls")" = "$(rows ablation_rows.txt)"
check "ablation: the table" grep -q "what each part bought" "$work/ablation.out"

run_mode retune
check "retune: every row of retune_rows.txt on seeds 101 and 102" \
  test "$(cv_runs)" = "$(( 2 * $(rows retune_rows.txt) ))"
check "retune: rows after the first compared with it scan by scan" \
  grep -q 'no label smoothing.*| 102 | .*(.* to .*) |' "$work/retune.out"

run_mode retune
check "retune again: finished runs are skipped" test "$(cv_runs)" = 0

check "an unknown mode is refused" \
  bash -c "! bash '$script' '$fake' '$work/data' '$work/out' nonsense 2> '$work/err' && grep -q usage '$work/err'"

if [ "$failures" -gt 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all checks passed"
