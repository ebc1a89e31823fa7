#!/usr/bin/env bash
# README command 2: install what is missing, build and run every test in release and under
# ASan+UBSan (asan preset), the offload tests under ThreadSanitizer (tsan preset), then run every
# libFuzzer target for a bounded time (docs/fuzzing.md).
#
#   NVGRE_FUZZ_SECONDS   seconds per fuzz target (default 30; 0 skips the fuzzing step)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
for preset in release asan; do
  echo "=== preset ${preset} ==="
  cmake --preset "${preset}" >/dev/null
  cmake --build --preset "${preset}"
  ctest --preset "${preset}"
done
# ThreadSanitizer over the offload tests (the adapter's configuration changes racing packets).
echo "=== preset tsan ==="
cmake --preset tsan >/dev/null
cmake --build --preset tsan
ctest --preset tsan
seconds="${NVGRE_FUZZ_SECONDS:-30}"
if [ "${seconds}" != 0 ]; then
  echo "=== fuzzing: ${seconds} s per target ==="
  scripts/fuzz.sh "${seconds}"   # exit 1 on a finding (its reproducer path is printed), 2 if not built
fi
