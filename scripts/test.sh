#!/usr/bin/env bash
# README command 2: install what is missing, build and run every test in release and under
# ASan+UBSan (asan preset).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
for preset in release asan; do
  echo "=== preset ${preset} ==="
  cmake --preset "${preset}" >/dev/null
  cmake --build --preset "${preset}"
  ctest --preset "${preset}"
done
