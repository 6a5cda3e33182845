#!/usr/bin/env bash
# Native build and GoogleTest suite through CTest.
#   scripts/test-native.sh             release build (SSE2 kernels) in build/native
#   scripts/test-native.sh --sanitize  ASan + UBSan build in build/sanitize
#   scripts/test-native.sh --scalar    scalar-only kernels in build/native-scalar
set -euo pipefail
cd "$(dirname "$0")/.."
dir=build/native
flags=(-DCMAKE_BUILD_TYPE=Release)
case "${1:-}" in
  --sanitize) dir=build/sanitize; flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DELEX_SANITIZE=ON) ;;
  --scalar) dir=build/native-scalar; flags=(-DCMAKE_BUILD_TYPE=Release -DELEX_FORCE_SCALAR=ON -DELEX_BUILD_BENCH=OFF) ;;
  "") ;;
  *) echo "unknown option $1" >&2; exit 2 ;;
esac
mkdir -p "$dir"
cmake -S . -B "$dir" "${flags[@]}" >"$dir/configure.log" 2>&1 || { cat "$dir/configure.log"; exit 1; }
cmake --build "$dir" -j"$(nproc)" >"$dir/build.log" 2>&1 || { cat "$dir/build.log"; exit 1; }
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
(cd "$dir" && ctest --output-on-failure -j"$(nproc)") | tee "$dir/ctest.log"
