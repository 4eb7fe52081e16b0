#!/usr/bin/env bash
# examples/shapes must reach > 95% test accuracy with its defaults (a small ResNet on generated
# images: the library's ops, layers, data, optimiser, schedule and Trainer working together).
# usage: shapes_example.sh path/to/shapes
set -euo pipefail
out=$("$1")
echo "$out" | tail -8
accuracy=$(echo "$out" | sed -n 's/^test accuracy \([0-9.]*\).*/\1/p')
awk -v a="$accuracy" 'BEGIN { exit !(a > 0.95) }'
