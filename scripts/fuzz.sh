#!/usr/bin/env bash
# Builds the libFuzzer target(s) with clang (ASan + UBSan) and runs each for
# FUZZ_SECONDS (default 20) from a seed corpus made at run time.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=build/fuzz
secs=${FUZZ_SECONDS:-20}
mkdir -p "$dir"
cmake -S . -B "$dir" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo -DELEX_FUZZ=ON \
  -DELEX_BUILD_TESTS=OFF -DELEX_BUILD_BENCH=OFF >"$dir/configure.log" 2>&1 || { cat "$dir/configure.log"; exit 1; }
cmake --build "$dir" -j"$(nproc)" >"$dir/build.log" 2>&1 || { cat "$dir/build.log"; exit 1; }
rm -rf "$dir/corpus" && mkdir -p "$dir/corpus" "$dir/seeds"
node scripts/fuzz-seeds.mjs "$dir/seeds"
export ASAN_OPTIONS=detect_leaks=1
"$dir/fuzz_vectors_decode" -max_total_time="$secs" -max_len=4096 -print_final_stats=1 \
  "$dir/corpus" "$dir/seeds" >"$dir/fuzz.log" 2>&1 || { tail -50 "$dir/fuzz.log"; echo "fuzz: FAILED"; exit 1; }
runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$dir/fuzz.log" | grep -o '[0-9]*$')
echo "fuzz: fuzz_vectors_decode ran $runs inputs in ${secs}s, no crash, leak or UB"
