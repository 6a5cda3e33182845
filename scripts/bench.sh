#!/usr/bin/env bash
# npm run bench [-- --quick]: every benchmark, then bench/report/index.html.
#   native (Google Benchmark): kernels (simd), index (hnsw), learning (qlearning, cache, memory)
#   Chromium: engine ready, index + hnswlib-wasm side by side, learning, query cycle, the fast call path
# --quick shortens each run (a smoke check, a few minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
quick=""
if [[ "${1:-}" == "--quick" ]]; then quick="--quick"; fi
min_time=0.2
[[ -n $quick ]] && min_time=0.05
bash scripts/setup.sh
bash scripts/build-wasm.sh
bash scripts/build-wasm.sh --bench   # the benchmark-only exports (kernel, learning benches): never shipped
npx vite build --logLevel warn
bash scripts/test-native.sh >/dev/null
mkdir -p bench/report
build/native/elex_bench_kernels --benchmark_min_time=$min_time --benchmark_out=bench/report/native-kernels.json --benchmark_out_format=json >/dev/null
build/native/elex_bench_learn --benchmark_min_time=$min_time --benchmark_out=bench/report/native-learn.json --benchmark_out_format=json >/dev/null
build/native/elex_bench_index --benchmark_min_time=$min_time --benchmark_out=bench/report/native-index.json --benchmark_out_format=json >/dev/null
echo "native: written bench/report/native-kernels.json, native-learn.json, native-index.json"
RUNS=$([[ -n $quick ]] && echo 2 || echo 5) node bench/browser/ready.mjs
node bench/browser/index.mjs $quick $([[ -n $quick ]] && echo "--variant=simd-mt")
node bench/browser/learn.mjs $quick
node bench/browser/query.mjs $quick
node bench/browser/fastpath.mjs $quick
node bench/report.mjs
node bench/performance-md.mjs
