#!/usr/bin/env bash
# Builds the three wasm variants (simd-mt, simd, scalar) with Debian's
# Emscripten into build/wasm/<variant>/, then writes the size report (which
# also fails if a benchmark export reached the shipped build) and generates
# the default catalog (build/catalog/default.json).
# Usage: scripts/build-wasm.sh [--profile]   (--profile keeps names: --profiling)
#        scripts/build-wasm.sh --bench [variant…]
#          bench builds (CMake ELEX_WASM_BENCH: the elex_bench_* exports) into
#          build/wasm-bench/<variant>/, for the benchmarks and the tests that
#          need them; never shipped. Default: all three variants.
set -euo pipefail
cd "$(dirname "$0")/.."
export NODE_PATH=/usr/share/nodejs   # emcc's JS optimiser needs acorn from here
extra=(-DCMAKE_EXE_LINKER_FLAGS=)  # reset: the cache may hold --profiling from build:profile
bench=0
variants=(simd-mt simd scalar)
case "${1:-}" in
  --profile) extra=(-DCMAKE_EXE_LINKER_FLAGS=--profiling) ;;
  --bench)
    bench=1
    shift
    if (($#)); then variants=("$@"); fi
    for v in "${variants[@]}"; do
      [[ "$v" == simd-mt || "$v" == simd || "$v" == scalar ]] || { echo "build-wasm: unknown variant $v" >&2; exit 2; }
    done
    ;;
  "") ;;
  *) echo "build-wasm: unknown option $1" >&2; exit 2 ;;
esac
cmake_root=build/wasm-cmake out_root=build/wasm
if ((bench)); then cmake_root=build/wasm-cmake-bench out_root=build/wasm-bench; fi
for v in "${variants[@]}"; do
  dir="$cmake_root/$v"
  mkdir -p "$cmake_root"
  emcmake cmake -S . -B "$dir" -DELEX_VARIANT="$v" -DCMAKE_BUILD_TYPE=Release \
    -DELEX_BUILD_TESTS=OFF -DELEX_BUILD_BENCH=OFF -DELEX_WASM_BENCH="$( ((bench)) && echo ON || echo OFF)" \
    "${extra[@]}" >"$dir.configure.log" 2>&1 \
    || { cat "$dir.configure.log"; exit 1; }
  cmake --build "$dir" -j"$(nproc)" >"$dir.build.log" 2>&1 || { cat "$dir.build.log"; exit 1; }
  mkdir -p "$out_root/$v"
  rm -f "$out_root/$v"/*
  cp "$dir"/elex.js "$dir"/elex.wasm "$out_root/$v/"
  if [[ -f "$dir/elex.worker.js" ]]; then
    # The glue's module object is a parameter named `exports` in Emscripten's
    # pthread worker, which package linters (publint) read as CommonJS in
    # this ESM package: renamed, and checked so that a new Emscripten that
    # changes the line fails here instead of shipping unnoticed.
    grep -q 'function(exports){return exports.default(Module)}' "$dir/elex.worker.js" \
      || { echo "build-wasm: the pthread worker's glue call changed; update scripts/build-wasm.sh"; exit 1; }
    sed 's/function(exports){return exports.default(Module)}/function(glue){return glue.default(Module)}/' \
      "$dir/elex.worker.js" >"$out_root/$v/elex.worker.js"
    # The pthread worker is also shipped as a string module, started from a
    # Blob URL: dev servers (Vite) rewrite .js files they serve, which breaks
    # this classic worker script.
    node -e 'const fs=require("fs");fs.writeFileSync(process.argv[2],"export default "+JSON.stringify(fs.readFileSync(process.argv[1],"utf8"))+";\n")' \
      "$out_root/$v/elex.worker.js" "$out_root/$v/pthread-worker-source.js"
  fi
  echo "built $out_root/$v"
done
if ((bench)); then exit 0; fi
node scripts/size-report.mjs
# The default RAN catalog as JSON, for the tests, the eval and the benches
# (the package generates it in the page instead: ts/default-catalog.ts).
node scripts/gen-catalog.mjs
