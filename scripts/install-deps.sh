#!/usr/bin/env bash
# Installs the Debian 12 packages glia builds with, if any are missing. Idempotent: when all are
# present it changes nothing and needs no network.
set -euo pipefail
packages=(g++ cmake make libeigen3-dev libstb-dev catch2 libbenchmark-dev libhdf5-dev
          nlohmann-json3-dev pkg-config libcli11-dev zlib1g-dev libjpeg62-turbo-dev libpng-dev
          libonnx-dev libprotobuf-dev doxygen libopenmpi-dev openmpi-bin libdnnl-dev
          libgdcm-dev dcmtk python3-pydicom  # DICOM; the last two: its tests (img2dcm, a corpus)
          libcpp-httplib-dev  # brain_tumor serve
          curl chromium chromium-driver python3-selenium  # serve's tests: the API, the page
          clang-14 libclang-rt-14-dev libomp-14-dev)  # the last three: the fuzz targets
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "installing: ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
