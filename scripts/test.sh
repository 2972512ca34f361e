#!/usr/bin/env bash
# The test suite: builds the default and the ASan+UBSan presets (warnings are errors in both) and
# runs every ctest in each, then builds the fuzz preset and runs each fuzz target briefly.
# Root-only tests run when this runs as root and skip with a reason otherwise. Every capture the
# suite writes is then decoded by tshark.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh test

jobs=$(nproc)
for preset in default asan; do
  echo "== tunlab: build and test, preset '$preset'"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$jobs"
  # Root tests check that the host's namespaces, links and routes are unchanged around them, so
  # they run one at a time, after everything else.
  ctest --preset "$preset" -j "$jobs" --label-exclude root
  ctest --preset "$preset" --label-regex root
done

# Third stage: the libFuzzer targets (clang-14), each run on its seed corpus for a bounded number
# of inputs (label fuzz; a few seconds each). Long runs: docs/hostile-input.md.
echo "== tunlab: build and fuzz, preset 'fuzz'"
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "$jobs"
ctest --preset fuzz -j "$jobs" --label-regex fuzz
