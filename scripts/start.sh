#!/usr/bin/env bash
# npm start: set up, build the wasm variants, serve the dashboard with
# COOP/COEP at http://localhost:${PORT:-5173}/ (Vite dev server).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build-wasm.sh
port=${PORT:-5173}
echo "ELEX dashboard: http://localhost:$port/"
exec npx vite --port "$port"
