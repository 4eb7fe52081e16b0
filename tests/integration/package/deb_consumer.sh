#!/usr/bin/env bash
# Makes the Debian packages of a build (cpack -G DEB), checks their names, contents and Depends,
# unpacks them into a scratch root (dpkg -x, no root needed) and builds against that root:
# the find_package consumer (tests/integration/consumer, with README's program) and the same program through
# pkg-config; runs brain_tumor and glia_convbench from it.
# usage: deb_consumer.sh <glia build dir> <glia source dir>
set -euo pipefail
build=$1 source=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

(cd "$build" && cpack -G DEB -B "$work/debs" > "$work/cpack.log") || { cat "$work/cpack.log"; fail "cpack"; }
dev=$(ls "$work"/debs/libglia-dev_*.deb) || fail "no libglia-dev package"
examples=$(ls "$work"/debs/glia-examples_*.deb) || fail "no glia-examples package"
dpkg-deb -f "$dev" Depends | grep -q "libeigen3-dev" || fail "libglia-dev does not depend on libeigen3-dev"
dpkg-deb -f "$dev" Depends | grep -q "libjpeg62-turbo-dev" || fail "libglia-dev: no libjpeg62-turbo-dev"
dpkg-deb -f "$examples" Depends | grep -q "libgomp1" || fail "glia-examples does not depend on libgomp1"
root="$work/root"
dpkg -x "$dev" "$root"
dpkg -x "$examples" "$root"
for f in usr/include/glia/glia.hpp usr/bin/glia_convbench usr/bin/brain_tumor; do
  [ -e "$root/$f" ] || fail "$f is not in the packages"
done
libglia=$(find "$root/usr/lib" -name libglia.a) || true
[ -n "$libglia" ] || fail "libglia.a is not in libglia-dev"
pc=$(find "$root/usr/lib" -name glia.pc)
[ -n "$pc" ] || fail "glia.pc is not in libglia-dev"
config=$(find "$root/usr/lib" -name glia-config.cmake)
[ -n "$config" ] || fail "glia-config.cmake is not in libglia-dev"

# find_package(glia) against the unpacked root.
awk '/<!-- api-example -->/{found=1; next} found && /^```/{if (inblock) exit; inblock=1; next} inblock{print}' \
  "$source/README.md" > "$work/readme_example.cpp"
cmake -S "$source/tests/integration/consumer" -B "$work/build" -DCMAKE_PREFIX_PATH="$root/usr" \
  -DREADME_EXAMPLE="$work/readme_example.cpp" > /dev/null
cmake --build "$work/build" -j2 > /dev/null
(cd "$work" && ./build/readme_example | tail -1 && test -s net.glia)

# pkg-config against the unpacked root (glia.pc is relocatable).
PKG_CONFIG_PATH=$(dirname "$pc") pkg-config --exists glia || fail "pkg-config cannot find glia"
# shellcheck disable=SC2046
g++ -std=c++17 -O1 "$work/readme_example.cpp" -o "$work/pc_example" \
  $(PKG_CONFIG_PATH=$(dirname "$pc") pkg-config --cflags --libs glia)
(cd "$work" && rm -f net.glia && ./pc_example | tail -1 && test -s net.glia)

"$root/usr/bin/brain_tumor" --version
"$root/usr/bin/glia_convbench" --shape mb1ic3ih9iw9oc4kh3kw3 --dir fwd > /dev/null
echo "packages: $(basename "$dev") $(basename "$examples")"
