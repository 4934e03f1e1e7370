#!/usr/bin/env bash
# Quick start 2: install what is missing, build, and run the whole test suite
# (an optimised build, then the same tests under AddressSanitizer + UBSan, then the
# multi-threaded ones, test_shards, under ThreadSanitizer).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
jobs=$(nproc)
cmake -S . -B build/test -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/test -j"$jobs"
(cd build/test && ctest --output-on-failure -j"$jobs")
if [ "${CORING_SKIP_ASAN:-0}" != 1 ]; then
  cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=Debug -DCORING_SANITIZE=address,undefined -DCORING_BUILD_APPS=OFF -DCORING_BUILD_EXAMPLES=OFF >/dev/null
  cmake --build build/asan -j"$jobs"
  (cd build/asan && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j"$jobs")
fi
if [ "${CORING_SKIP_TSAN:-0}" != 1 ]; then
  cmake -S . -B build/tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCORING_SANITIZE=thread -DCORING_BUILD_APPS=OFF -DCORING_BUILD_EXAMPLES=OFF >/dev/null
  cmake --build build/tsan -j"$jobs" --target test_shards
  (cd build/tsan && TSAN_OPTIONS=halt_on_error=1 ctest --output-on-failure -j"$jobs" -R '^test_shards:')
fi
