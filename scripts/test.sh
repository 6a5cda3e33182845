#!/usr/bin/env bash
# npm test: set up, build, and run every suite — native tests (SSE2 and
# scalar kernels), ASan+UBSan, the fuzzer, the Python module and elex.dask
# on a 2-worker LocalCluster, type, import and format checks, Vitest (with the wasm /
# Python bit-identity test), the production demo build, Playwright in
# headless Chromium, the API reference (TypeDoc), and the consumer suite
# (the packed tarball installed into fresh apps). Every suite runs even if
# an earlier one failed; the last line totals them.
set -uo pipefail
cd "$(dirname "$0")/.."
export CI=${CI:-}
bash scripts/setup.sh || exit 1
bash scripts/build-wasm.sh || { echo "wasm build or size ceiling failed"; exit 1; }

rm -rf build/test-results && mkdir -p build/test-results
failed=()
step() {
  local name=$1
  shift
  echo
  echo "=== $name"
  if "$@"; then echo "--- $name: ok"; else
    echo "--- $name: FAILED"
    failed+=("$name")
  fi
}
step "native tests" bash scripts/test-native.sh
step "native tests, scalar kernels" bash scripts/test-native.sh --scalar
step "sanitizers (ASan+UBSan)" bash scripts/test-native.sh --sanitize
step "fuzz" bash scripts/fuzz.sh
step "python + dask (LocalCluster, 2 workers)" bash scripts/test-python.sh --junitxml=build/test-results/pytest.xml
step "typecheck" npx tsc --noEmit -p tsconfig.json
step "imports (ts/ layers, no cycle, the protocol imports types only)" node scripts/check-imports.mjs
step "format" bash -c 'npx prettier --check --log-level=warn . && bash scripts/clang-format.sh'
step "vitest" npx vitest run --reporter=default --reporter=json --outputFile.json=build/test-results/vitest.json
step "demo build" npx vite build --logLevel warn
step "API reference (TypeDoc)" npx typedoc --logLevel Warn  # its warnings are errors (typedoc.json)
step "playwright" npx playwright test
step "consumer (packed tarball in fresh apps)" node tests/consumer/run.mjs
node scripts/test-summary.mjs "${failed[@]}"
