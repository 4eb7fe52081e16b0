#!/usr/bin/env bash
# The load test of brain_tumor serve: starts the server on a free loopback port, sends
# CLIENTS x REQUESTS scans (glia_serve_load), prints latency, throughput, errors and the server's
# memory, and stops the server. Nothing else should run beside it.
#
# usage: bench/serve_load.sh BUILD_DIR MODEL SCAN_FOLDER [CLIENTS [REQUESTS [SERVE_FLAGS...]]]
#   e.g. bench/serve_load.sh build ../shared/data/brain_mri/models/keras_brain_tumor_best.h5 \
#          ../shared/data/brain_mri/yes 8 200 --recipe seed
set -euo pipefail
build=$1 model=$2 folder=$3 clients=${4:-8} requests=${5:-200}
shift $(( $# < 5 ? $# : 5 ))
bin=$build/examples/brain_tumor/brain_tumor
load=$build/bench/glia_serve_load
log=$(mktemp)
mapfile -t scans < <(find "$folder" -maxdepth 1 -type f \( -iname '*.jpg' -o -iname '*.jpeg' \
                       -o -iname '*.png' \) | sort | head -40)
[ ${#scans[@]} -gt 0 ] || { echo "no JPEG or PNG scans in $folder"; exit 1; }
"$bin" serve --model "$model" --port 0 --queue 64 "$@" > "$log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -f "$log"' EXIT
port=""
for _ in $(seq 1 300); do
  port=$(sed -n 's|^serving .* on http://[^:]*:\([0-9]*\)/.*|\1|p' "$log")
  [ -n "$port" ] && break
  kill -0 $server 2>/dev/null || { cat "$log"; exit 1; }
  sleep 0.1
done
[ -n "$port" ] || { echo "the server did not start"; cat "$log"; exit 1; }
head -1 "$log"
echo "$(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores"
"$load" --url "http://127.0.0.1:$port" --clients "$clients" --requests "$requests" --pid $server \
  "${scans[@]}"
