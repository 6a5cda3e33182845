#!/usr/bin/env bash
# Installs what ELEX needs on a fresh Debian 12 machine, and nothing twice:
# Debian packages that are missing (apt-get, as root; otherwise it prints
# the exact command and fails), then npm packages with `npm ci` when
# package-lock.json changed since the last install.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  emscripten binaryen brotli chromium           # wasm toolchain, size report, browser tests
  cmake make g++ googletest libgtest-dev libbenchmark-dev  # native build, tests, benchmarks
  clang libclang-rt-14-dev clang-format          # libFuzzer target, formatter
  python3-numpy python3-pandas python3-dask python3-distributed python3-pytest  # Python module, elex.dask
  pybind11-dev python3-pybind11                  # the Python extension's build
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  cmd="apt-get update && apt-get install -y ${missing[*]}"
  if [[ $(id -u) -eq 0 ]]; then
    echo "setup: installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "setup: missing Debian packages. Run as root:" >&2
    echo "  sudo sh -c '$cmd'" >&2
    exit 1
  fi
fi

if ! command -v node >/dev/null; then
  echo "setup: Node.js >= 20.19 is required (node was not found)" >&2
  exit 1
fi
node -e 'const [a,b]=process.versions.node.split(".").map(Number); if (a<20||(a===20&&b<19)) { console.error("setup: Node.js >= 20.19 is required, found "+process.versions.node); process.exit(1); }'

stamp=node_modules/.elex-lock-sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" >"$stamp"
fi
echo "setup: ok (emcc $(NODE_PATH=/usr/share/nodejs emcc --version 2>/dev/null | head -1 | grep -o '[0-9]\+\.[0-9]\+\.[0-9]\+' | head -1), $(chromium --version 2>/dev/null | grep -o 'Chromium [0-9.]*'), node $(node --version))"
