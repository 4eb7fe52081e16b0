#!/usr/bin/env bash
# Installs the built glia into a temporary prefix, builds tests/consumer against it with
# find_package(glia), and runs the program and its PyTorch comparison.
# usage: run.sh <glia build dir> <glia source dir>
set -euo pipefail
build=$1 source=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" > /dev/null
cmake -S "$source/tests/consumer" -B "$work/build" -DCMAKE_PREFIX_PATH="$work/prefix" > /dev/null
cmake --build "$work/build" -j2 > /dev/null
(cd "$work" && ./build/contract > /dev/null && test -s net.glia)
"$work/build/contract_numbers" "$source/tests/data/contract_program.txt"
