#!/usr/bin/env bash
# The Python extension (_elex_core) from the engine's sources, with Debian's
# pybind11 and /usr/bin/python3, into build/python. Use it with
#   PYTHONPATH=python:build/python /usr/bin/python3 -c 'import elex'
set -euo pipefail
cd "$(dirname "$0")/.."
dir=build/python
mkdir -p "$dir"
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release -DELEX_BUILD_PYTHON=ON -DELEX_BUILD_TESTS=OFF \
  -DELEX_BUILD_BENCH=OFF -DPython_EXECUTABLE=/usr/bin/python3 >"$dir/configure.log" 2>&1 \
  || { cat "$dir/configure.log"; exit 1; }
cmake --build "$dir" -j"$(nproc)" --target _elex_core >"$dir/build.log" 2>&1 \
  || { cat "$dir/build.log"; exit 1; }
