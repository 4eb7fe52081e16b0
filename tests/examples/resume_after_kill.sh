#!/usr/bin/env bash
# A training run killed with SIGKILL, in the middle of an epoch or while it writes its state,
# resumes (train --resume) to the same history.csv and best.glia, byte for byte, as a run that
# was never interrupted; its dead temporary files are cleaned up; and a second run on a folder
# in use fails at once. Uses the built-in synthetic data. usage: resume_after_kill.sh brain_tumor
set -uo pipefail
bin=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
train() { "$bin" train --epochs 4 --threads 2 "$@"; }

train --out "$work/straight" > "$work/straight.log" 2>&1 || fail "the unbroken run failed"

# 1. Killed in the middle of an epoch: wait for the first epoch's state, then kill mid-epoch 2.
"$bin" train --epochs 4 --threads 2 --out "$work/mid" > "$work/mid.log" 2>&1 &
pid=$!
for _ in $(seq 600); do [ -f "$work/mid/state.glia" ] && break; sleep 0.1; done
[ -f "$work/mid/state.glia" ] || fail "no state after the first epoch"
sleep 0.5
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
[ -f "$work/mid/report.json" ] && fail "the run finished before it was killed: nothing was tested"
"$bin" train --resume "$work/mid" > "$work/mid-resume.log" 2>&1 || fail "resume after a mid-epoch kill failed"

# 2. Killed while writing its state (the test hook kills the process between writing the
# temporary file and renaming it): a temporary file of a dead process is left behind.
GLIA_TEST_KILL_DURING_WRITE=state.glia train --out "$work/write" > "$work/write.log" 2>&1
ls "$work/write" | grep -q 'state.glia.tmp.' || fail "the kill left no temporary file"
"$bin" train --resume "$work/write" > "$work/write-resume.log" 2>&1 ||
  fail "resume after a kill during the state write failed"
ls "$work/write" | grep -q '\.tmp\.' && fail "a stale temporary file was left in the folder"

for run in mid write; do
  cmp -s "$work/straight/history.csv" "$work/$run/history.csv" || fail "$run: history.csv differs"
  cmp -s "$work/straight/best.glia" "$work/$run/best.glia" || fail "$run: best.glia differs"
done

# 3. Two runs on one folder: the second fails at once, naming the folder and the other process.
"$bin" train --epochs 3 --threads 2 --out "$work/shared" > "$work/first.log" 2>&1 &
first=$!
for _ in $(seq 100); do [ -f "$work/shared/.lock" ] && break; sleep 0.05; done
train --out "$work/shared" --force > "$work/second.log" 2>&1
code=$?
wait "$first" || fail "the first run on the shared folder failed"
[ "$code" -eq 1 ] || fail "the second run on a folder in use exited $code, expected 1"
grep -q "in use by another run (process $first)" "$work/second.log" ||
  fail "the refusal does not name the other process: $(cat "$work/second.log")"
echo "resumed runs match the unbroken run; the folder lock holds"
