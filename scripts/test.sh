#!/usr/bin/env bash
# Every check CI makes, in order, each configuration built once: the default build (warnings as
# errors, every optional component required) and all its tests; the portable build
# (GLIA_NATIVE=OFF, as the packages and the install command build it) with AddressSanitizer and
# UBSan, warnings as errors, and its tests; an AVX-512 compile of the library; the libFuzzer
# targets replaying their corpora. Run from the repository root after scripts/install-deps.sh.
# Each step prints what it runs and how long it took; the first failure stops the script.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${JOBS:-2}
# Optional components are required here, so that a missing package fails instead of silently
# dropping a component and its tests.
components=(-DGLIA_WITH_KERAS=ON -DGLIA_WITH_ONNX=ON -DGLIA_WITH_DIST=ON -DGLIA_WITH_DICOM=ON)
step_start=-1
step() {
  [ "$step_start" -ge 0 ] && echo "=== (that step took $(( SECONDS - step_start )) s)"
  step_start=$SECONDS
  echo; echo "=== $*"
}

step "default build (-march=native), warnings as errors, every test"
cmake -S . -B build -DGLIA_WERROR=ON "${components[@]}"
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure -j"$jobs"

step "API reference (Doxygen): every public name documented, no warnings"
cmake --build build --target docs

step "portable build (GLIA_NATIVE=OFF) under AddressSanitizer + UBSan, warnings as errors: the tests"
# The portable build is what the packages and the README's install command build; here it is
# also instrumented. Left out under the sanitizers, for time only (each runs in the default build
# above): the trainings of whole examples (minutes each, 5-20x slower under ASan), the duplicate
# detector's evaluation over 671,061 pairs of generated copies (half a minute here, over 15
# minutes under ASan; the vision unit tests run the same code under ASan), the install and
# package tests (they build other projects), and the MPI tests (Open MPI's own allocations at exit
# read as leaks to LeakSanitizer).
# -O1 -g1 (line tables: every sanitizer report names file and line) compiles in about 60% of
# the time -O2 -g takes, which is most of this step.
cmake -S . -B build-portable -DGLIA_NATIVE=OFF -DGLIA_SANITIZE=ON -DGLIA_WERROR=ON \
  -DGLIA_BUILD_BENCHMARKS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG" "${components[@]}"
cmake --build build-portable -j"$jobs"
# detect_stack_use_after_return: by default ASan misses a read of a returned stack frame, such as
# the caller's std::initializer_list that a command-line callback kept (fixed in 1e58f49).
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1 \
  UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-portable --output-on-failure -j"$jobs" \
  -E 'shapes_example|real_data|resume_after_kill|precision and recall per transform|install_and_find_package|deb_packages|dist_'

step "AVX-512 code generation (-march=x86-64-v4), the library compiled only: no warnings"
cmake -S . -B build-avx512 -DGLIA_NATIVE=OFF -DGLIA_WERROR=ON -DCMAKE_CXX_FLAGS=-march=x86-64-v4 \
  -DGLIA_BUILD_TESTS=OFF -DGLIA_BUILD_EXAMPLES=OFF -DGLIA_BUILD_BENCHMARKS=OFF "${components[@]}"
cmake --build build-avx512 -j"$jobs"

step "libFuzzer targets (Clang, GLIA_FUZZ=ON): built, each replays its seed corpus and runs briefly"
CXX=clang++-14 cmake -S . -B build-fuzz -DGLIA_FUZZ=ON -DGLIA_WERROR=ON -DGLIA_BUILD_TESTS=OFF \
  -DGLIA_BUILD_BENCHMARKS=OFF -DGLIA_BUILD_EXAMPLES=OFF "${components[@]}"
cmake --build build-fuzz -j"$jobs" --target fuzz_checkpoint fuzz_image fuzz_preprocess \
  fuzz_keras_config fuzz_onnx fuzz_dicom fuzz_dicom_in_process
ctest --test-dir build-fuzz --output-on-failure --no-tests=error -j"$jobs" -R fuzz_smoke

step "done"
echo "=== all checks passed in $(( SECONDS / 60 )) min $(( SECONDS % 60 )) s"
