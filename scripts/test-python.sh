#!/usr/bin/env bash
# The Python module and elex.dask: builds the extension (build/python), then
# runs tests/python with pytest; the Dask suite starts a distributed
# LocalCluster of 2 worker processes. Debian's /usr/bin/python3 throughout.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build-python.sh
[[ -f build/catalog/default.json ]] || node scripts/gen-catalog.mjs >/dev/null
export PYTHONPATH=python:build/python:tests/python
/usr/bin/python3 -m pytest -q -p no:cacheprovider tests/python "$@"
