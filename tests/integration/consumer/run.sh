#!/usr/bin/env bash
# Installs the built glia into a temporary prefix, builds tests/integration/consumer against it with
# find_package(glia), and runs the program, its PyTorch comparison, and the program shown
# in README.md (taken from the README itself, so that the README cannot drift from the code).
# usage: run.sh <glia build dir> <glia source dir>
set -euo pipefail
build=$1 source=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" > /dev/null
awk '/<!-- api-example -->/{found=1; next} found && /^```/{if (inblock) exit; inblock=1; next} inblock{print}' \
  "$source/README.md" > "$work/readme_example.cpp"
test -s "$work/readme_example.cpp"
cmake -S "$source/tests/integration/consumer" -B "$work/build" -DCMAKE_PREFIX_PATH="$work/prefix" \
  -DREADME_EXAMPLE="$work/readme_example.cpp" > /dev/null
cmake --build "$work/build" -j2 > /dev/null
(cd "$work" && ./build/contract > /dev/null && test -s net.glia)
(cd "$work" && rm net.glia && ./build/readme_example | tail -1 && test -s net.glia)
"$work/build/contract_numbers" "$source/tests/data/contract_program.txt"
