#!/usr/bin/env bash
# brain_tumor under mpirun: two ranks train the synthetic set data-parallel (only rank 0 writes
# into --out, no scratch folder is left behind); ranks given different seeds stop with a clear
# error; a rank killed mid-run ends the job instead of leaving the other waiting.
# usage: dist_example.sh path/to/brain_tumor MPIRUN
set -euo pipefail
bin=$1 mpirun=$2
export OMP_NUM_THREADS=1 OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
# A temporary folder of this test's own: the ranks' scratch folders go there (and other tests
# running beside this one cannot change the count).
export TMPDIR="$work/tmp"
mkdir -p "$TMPDIR"
scratch_before=$(find "$TMPDIR" -maxdepth 1 -name '*rank-*' | wc -l)

# 1. Data-parallel training.
"$mpirun" -np 2 --oversubscribe "$bin" train --epochs 2 --threads 1 --out "$work/run" > "$work/out" 2> "$work/err" ||
  { cat "$work/out" "$work/err"; fail "two ranks did not train"; }
grep -q "data-parallel over 2 ranks" "$work/out" || fail "no data-parallel line"
[ -f "$work/run/report.json" ] && [ -f "$work/run/best.glia" ] || fail "rank 0 wrote no report"
[ "$(grep -c '^Epoch 1/2' "$work/out")" = 1 ] || fail "more than one rank printed"
scratch_after=$(find "$TMPDIR" -maxdepth 1 -name '*rank-*' | wc -l)
[ "$scratch_after" = "$scratch_before" ] || fail "a rank left its scratch folder behind"
echo "two ranks trained; only rank 0 printed and wrote"

# 2. Ranks that disagree on their inputs.
cat > "$work/disagree.sh" <<SCRIPT
#!/usr/bin/env bash
exec "$bin" train --epochs 1 --threads 1 --seed \$((OMPI_COMM_WORLD_RANK + 1)) --out "$work/disagree" --force
SCRIPT
chmod +x "$work/disagree.sh"
if timeout 120 "$mpirun" -np 2 --oversubscribe "$work/disagree.sh" > /dev/null 2> "$work/err"; then
  fail "ranks with different seeds trained"
fi
grep -q "the ranks disagree on the data and the options" "$work/err" || { cat "$work/err"; fail "no clear error"; }
echo "ranks that disagree: stopped with a clear error"

# 3. A rank killed mid-run.
cat > "$work/die.sh" <<SCRIPT
#!/usr/bin/env bash
if [ "\$OMPI_COMM_WORLD_RANK" = 1 ]; then
  "$bin" train --epochs 20 --threads 1 --out "$work/die" --force > /dev/null &
  sleep 5; kill -9 \$!; exit 137
fi
exec "$bin" train --epochs 20 --threads 1 --out "$work/die" --force
SCRIPT
chmod +x "$work/die.sh"
start=$(date +%s)
status=0
timeout 300 "$mpirun" -np 2 --oversubscribe "$work/die.sh" > /dev/null 2>&1 || status=$?
[ "$status" != 0 ] && [ "$status" != 124 ] || fail "a killed rank did not end the job (status $status)"
echo "a killed rank ended the job in $(( $(date +%s) - start )) s (status $status)"
